package handlers

import (
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"
)

// probes are the routes a platform's health checks call over plain http,
// by an internal address: they answer whatever the host or scheme, and say
// nothing about anyone.
func isProbe(path string) bool { return path == "/healthz" || path == "/readyz" }

var errMisdirected = &Error{Status: http.StatusMisdirectedRequest, Heading: "Not this site", Message: "This site does not answer to the address you used. Check the address, or use the link your instructor gave you."}

// checkHost refuses requests for a host this site does not answer to, when
// ALLOWED_HOSTS names them: the Host header becomes the sign-in redirect
// URI when BASE_URL is unset, so only hosts the operator named may. The
// host of BASE_URL and loopback (make dev, tests) are always allowed. With
// ALLOWED_HOSTS unset every host is served, as the router in front (which
// routes only this app's own domains to it) is then the check.
func (h *Handler) checkHost(next echo.HandlerFunc) echo.HandlerFunc {
	if len(h.cfg.AllowedHosts) == 0 {
		return next
	}
	allowed := map[string]bool{}
	for _, name := range h.cfg.AllowedHosts {
		allowed[name] = true
	}
	if h.cfg.BaseURL != nil {
		allowed[strings.ToLower(h.cfg.BaseURL.Hostname())] = true
	}
	return func(c *echo.Context) error {
		r := c.Request()
		host := hostName(r.Host)
		if allowed[host] || isLoopback(host) || isProbe(r.URL.Path) {
			return next(c)
		}
		return errMisdirected
	}
}

// hostName is a Host header's name, lower case, without port or brackets.
func hostName(hostport string) string {
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		hostport = host
	}
	return strings.ToLower(strings.Trim(hostport, "[]"))
}

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var errHTTPSOnly = &Error{Status: http.StatusForbidden, Heading: "Use https", Message: "This site takes forms over https only, so nothing was saved. Open the page again at its https address and send the form from there."}

// requireHTTPS sends a plain-http request on to https where this site is
// served over https: when BASE_URL is https, or when the router says the
// client came in over plain http (X-Forwarded-Proto: http). A page is
// redirected (308, to BASE_URL or the same host); a form is refused, as
// its data already crossed the network in the clear and the browser sends
// no Secure cookie with it. Without BASE_URL and without the router's
// header (make dev on http://localhost) plain http is served. Health
// probes are always answered.
func (h *Handler) requireHTTPS(next echo.HandlerFunc) echo.HandlerFunc {
	base := h.cfg.BaseURL
	if base != nil && base.Scheme != "https" {
		return next // the operator serves this site over http
	}
	return func(c *echo.Context) error {
		r := c.Request()
		plain := c.Scheme() == "http" && (base != nil || r.Header.Get("X-Forwarded-Proto") == "http")
		if !plain || isProbe(r.URL.Path) {
			return next(c)
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			origin := "https://" + r.Host
			if base != nil {
				origin = base.String()
			}
			return c.Redirect(http.StatusPermanentRedirect, origin+r.URL.RequestURI())
		}
		return errHTTPSOnly
	}
}

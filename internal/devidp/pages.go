package devidp

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/oauth2-proxy/mockoidc"
)

// pageTemplates are the three pages devidp shows a person. The style block
// carries a per-response CSP nonce; nothing else runs or loads.
const pageTemplates = `
{{define "head"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · Twelve development sign-in</title>
{{end}}

{{define "style"}}<style nonce="{{.}}">
body { font: 1rem/1.5 system-ui, sans-serif; margin: 0; background: #f4f4f5; color: #18181b; }
main { max-width: 34rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: .5rem; box-shadow: 0 1px 3px #0002; }
h1 { font-size: 1.5rem; margin-top: 0; }
ul { list-style: none; padding: 0; }
li { margin: 0 0 1rem; }
button { display: block; width: 100%; padding: .75rem 1rem; font: inherit; font-weight: 600; text-align: left; color: #fff; background: #1d4ed8; border: 0; border-radius: .375rem; cursor: pointer; }
button:hover { background: #1e40af; }
button:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
button.secondary { color: #1d4ed8; background: #fff; border: 1px solid #1d4ed8; }
.about { margin: .25rem 0 0; color: #52525b; font-size: .875rem; }
.note { color: #52525b; font-size: .875rem; }
</style>
</head>
{{end}}

{{define "chooser"}}{{template "head" "Choose an account"}}{{template "style" .CSPNonce}}
<body>
<main>
<h1>Choose an account</h1>
<p><strong>{{.ClientID}}</strong> at {{.RedirectHost}} asks you to sign in. This is a development identity provider: pick anyone, there are no passwords.</p>
<ul aria-label="Accounts">
{{- range $i, $a := .Accounts}}
<li>
<form method="post" action="{{$.Action}}">
{{- range $.Hidden}}
<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{- end}}
<button type="submit" name="subject" value="{{$a.Subject}}" data-testid="account-{{$a.Subject}}" aria-describedby="about-{{$i}}">Sign in as {{$a.Name}}{{with $a.Role}} ({{.}}){{end}}</button>
<p class="about" id="about-{{$i}}">{{$a.Email}}{{with $a.Groups}} · groups: {{.}}{{end}}</p>
</form>
</li>
{{- end}}
</ul>
<form method="post" action="{{.Action}}">
{{- range .Hidden}}
<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{- end}}
<button type="submit" name="cancel" value="1" class="secondary" data-testid="cancel">Cancel and go back without signing in</button>
</form>
</main>
</body>
</html>
{{end}}

{{define "rejected"}}{{template "head" "Sign-in request refused"}}{{template "style" .CSPNonce}}
<body>
<main>
<h1>Sign-in request refused</h1>
<p data-testid="reason">{{.Reason}}</p>
<p class="note">The app that sent you here is misconfigured. You have not been sent back to it because the request could not be trusted.</p>
</main>
</body>
</html>
{{end}}

{{define "signed-out"}}{{template "head" "Signed out"}}{{template "style" .CSPNonce}}
<body>
<main>
<h1>Signed out</h1>
<p data-testid="signed-out">You are signed out. You can close this tab.</p>
</main>
</body>
</html>
{{end}}
`

func parsePages() (*template.Template, error) {
	t, err := template.New("pages").Parse(pageTemplates)
	if err != nil {
		return nil, fmt.Errorf("devidp: parse pages: %w", err)
	}
	return t, nil
}

type hiddenField struct{ Name, Value string }

type accountOption struct {
	Subject, Name, Email, Role, Groups string
}

// chooserPage is everything the chooser shows.
type chooserPage struct {
	CSPNonce     string
	ClientID     string
	RedirectHost string
	Action       string
	Hidden       []hiddenField
	Accounts     []accountOption
}

type rejectedPage struct {
	CSPNonce string
	Reason   string
}

type signedOutPage struct{ CSPNonce string }

func (s *Server) renderChooser(w http.ResponseWriter, req authRequest) {
	back, _ := loopbackURL(req.RedirectURI) // validated by parseAuthRequest
	page := chooserPage{
		ClientID:     req.ClientID,
		RedirectHost: back.Host,
		Action:       mockoidc.AuthorizationEndpoint,
	}
	values := req.values()
	for _, name := range []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method"} {
		if v := values.Get(name); v != "" {
			page.Hidden = append(page.Hidden, hiddenField{Name: name, Value: v})
		}
	}
	for _, a := range s.accounts {
		page.Accounts = append(page.Accounts, accountOption{
			Subject: a.Subject,
			Name:    a.Name,
			Email:   a.Email,
			Role:    role(a.Groups),
			Groups:  strings.Join(a.Groups, ", "),
		})
	}
	s.render(w, http.StatusOK, "chooser", func(nonce string) any { page.CSPNonce = nonce; return page })
}

// renderRejection shows why an authorization request was refused.
func (s *Server) renderRejection(w http.ResponseWriter, err error) {
	reason := "The sign-in request is invalid."
	if re, ok := errors.AsType[*requestError](err); ok {
		reason = re.reason
	}
	s.render(w, http.StatusBadRequest, "rejected", func(nonce string) any {
		return rejectedPage{CSPNonce: nonce, Reason: reason}
	})
}

// endSession is the end_session_endpoint. devidp keeps no browser session
// (every sign-in shows the chooser), so there is nothing to end: it sends
// the browser to a loopback post_logout_redirect_uri, with state, or shows
// a signed-out page.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderRejection(w, reject("The logout request could not be read."))
		return
	}
	if target := r.Form.Get("post_logout_redirect_uri"); target != "" {
		if u, err := loopbackURL(target); err == nil {
			http.Redirect(w, r, withQuery(u, url.Values{"state": {r.Form.Get("state")}}), http.StatusFound)
			return
		}
	}
	s.render(w, http.StatusOK, "signed-out", func(nonce string) any { return signedOutPage{CSPNonce: nonce} })
}

// render executes a page into a buffer first, so a failed render is a plain
// 500 rather than half a page. data receives the CSP nonce for the page.
func (s *Server) render(w http.ResponseWriter, status int, name string, data func(nonce string) any) {
	nonce, err := cspNonce()
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data(nonce)); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func cspNonce() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("devidp: csp nonce: %w", err)
	}
	return base64.RawStdEncoding.EncodeToString(b), nil
}

// role names an account's first group in the singular, for button labels:
// "students" becomes "student".
func role(groups []string) string {
	if len(groups) == 0 {
		return ""
	}
	return strings.TrimSuffix(groups[0], "s")
}

package views

import "net/url"

// SignInURL is the sign-in link that brings the viewer back to path.
func SignInURL(path string) string {
	if path == "" || path == "/" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(path)
}

package ltiplatform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// DoLaunch performs the launch o as a browser would, with client (give it
// a cookie jar): it opens the platform's launch page, submits its login
// initiation to the tool, follows the tool's redirect to /auth, submits the
// id_token form to the tool's redirect URI and follows the tool's
// redirects. It returns the last response, whose body the caller closes.
//
// It stops early, returning that response, wherever a page is not one of
// the platform's auto-submitting forms: a refusal by the tool or the
// platform, or a tool page that needs JavaScript (LaunchOptions.Storage).
// Form posts carry the platform's Origin, as a browser's would.
func (p *Platform) DoLaunch(ctx context.Context, client *http.Client, o LaunchOptions) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.LaunchURL(o), nil)
	if err != nil {
		return nil, fmt.Errorf("ltiplatform: launch: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ltiplatform: launch: %w", err)
	}
	var launchForm *Form
	for range 4 {
		form, err := p.autoPostForm(resp)
		if err != nil {
			resp.Body.Close()
			return nil, err
		}
		if form == nil {
			break
		}
		resp.Body.Close()
		if form.Values.Has("id_token") {
			launchForm = form
		}
		if resp, err = form.Submit(ctx, client, p.issuer); err != nil {
			return nil, fmt.Errorf("ltiplatform: launch: %w", err)
		}
	}
	if !o.Replay || launchForm == nil {
		return resp, nil
	}
	resp.Body.Close()
	resp, err = launchForm.Submit(ctx, client, p.issuer)
	if err != nil {
		return nil, fmt.Errorf("ltiplatform: replay: %w", err)
	}
	return resp, nil
}

// autoPostForm returns the auto-submitting form of one of the platform's
// own pages, or nil (with resp's body intact) for any other response.
func (p *Platform) autoPostForm(resp *http.Response) (*Form, error) {
	u := resp.Request.URL
	if resp.StatusCode != http.StatusOK || u.Scheme+"://"+u.Host != p.issuer ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("ltiplatform: launch: read %s: %w", u.Path, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	forms, err := ParseForms(bytes.NewReader(body), u)
	if err != nil {
		return nil, err
	}
	for _, f := range forms {
		if f.TestID == "autopost" {
			return &f, nil
		}
	}
	return nil, nil
}

// Form is an HTML form: where and how it submits, and the values of its
// named inputs (hidden, text and the like; unchecked boxes and buttons
// left out).
type Form struct {
	Action string // absolute
	Method string // GET or POST
	TestID string // its data-testid
	Values url.Values
}

// ParseForms finds the forms of an HTML page; base, when not nil, resolves
// their actions.
func ParseForms(r io.Reader, base *url.URL) ([]Form, error) {
	if base == nil {
		base = &url.URL{}
	}
	doc, err := html.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("ltiplatform: parse html: %w", err)
	}
	var forms []Form
	var walk func(n *html.Node, f *Form)
	walk = func(n *html.Node, f *Form) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				forms = append(forms, newForm(n, base))
				f = &forms[len(forms)-1]
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c, f)
				}
				forms[len(forms)-1] = *f
				return
			case "input", "textarea", "select":
				if f != nil {
					addInput(n, f)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, f)
		}
	}
	walk(doc, nil)
	return forms, nil
}

func newForm(n *html.Node, base *url.URL) Form {
	f := Form{Method: http.MethodGet, Values: url.Values{}, Action: base.String()}
	for _, a := range n.Attr {
		switch a.Key {
		case "action":
			if u, err := base.Parse(a.Val); err == nil {
				f.Action = u.String()
			}
		case "method":
			f.Method = strings.ToUpper(a.Val)
		case "data-testid":
			f.TestID = a.Val
		}
	}
	return f
}

func addInput(n *html.Node, f *Form) {
	attrs := map[string]string{}
	checked := false
	for _, a := range n.Attr {
		attrs[a.Key] = a.Val
		if a.Key == "checked" {
			checked = true
		}
	}
	name := attrs["name"]
	if name == "" {
		return
	}
	switch strings.ToLower(attrs["type"]) {
	case "submit", "button", "image", "reset", "file":
		return
	case "checkbox", "radio":
		if !checked {
			return
		}
		f.Values.Add(name, cmpOr(attrs["value"], "on"))
		return
	}
	if n.Data == "textarea" && n.FirstChild != nil {
		f.Values.Add(name, n.FirstChild.Data)
		return
	}
	f.Values.Add(name, attrs["value"])
}

// Submit sends the form with client; origin, when set, is the Origin
// header a browser would send for a page of that origin.
func (f Form) Submit(ctx context.Context, client *http.Client, origin string) (*http.Response, error) {
	var req *http.Request
	var err error
	switch f.Method {
	case http.MethodPost:
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, f.Action, strings.NewReader(f.Values.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	case http.MethodGet:
		u, perr := url.Parse(f.Action)
		if perr != nil {
			return nil, fmt.Errorf("form action: %w", perr)
		}
		u.RawQuery = f.Values.Encode()
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	default:
		return nil, errors.New("form method " + f.Method + " unsupported")
	}
	if err != nil {
		return nil, fmt.Errorf("form: %w", err)
	}
	if origin != "" && f.Method == http.MethodPost {
		req.Header.Set("Origin", origin)
	}
	return client.Do(req)
}

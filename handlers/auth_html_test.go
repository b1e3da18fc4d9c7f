package handlers

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// signinDoc is a parsed HTML page.
type signinDoc struct{ root *html.Node }

func parseSigninDoc(t *testing.T, body string) signinDoc {
	t.Helper()
	root, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return signinDoc{root}
}

// byTestID returns the first element with data-testid=id, or nil.
func (d signinDoc) byTestID(id string) *html.Node {
	var found *html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if found != nil {
			return
		}
		if n.Type == html.ElementNode && signinAttr(n, "data-testid") == id {
			found = n
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(d.root)
	return found
}

// text is the text content of the element with data-testid=id; ok is
// false when there is none.
func (d signinDoc) text(id string) (string, bool) {
	n := d.byTestID(id)
	if n == nil {
		return "", false
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String()), true
}

// formField returns the value of the input named name inside the form
// holding the element with data-testid=id.
func (d signinDoc) formField(id, name string) string {
	n := d.byTestID(id)
	if n == nil {
		return ""
	}
	form := n
	if form.Data != "form" {
		form = signinAncestor(n, "form")
	}
	for _, in := range signinAll(form, "input") {
		if signinAttr(in, "name") == name {
			return signinAttr(in, "value")
		}
	}
	return ""
}

func signinAttr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func signinAncestor(n *html.Node, tag string) *html.Node {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == tag {
			return p
		}
	}
	return nil
}

func signinAll(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	if n != nil {
		walk(n)
	}
	return out
}

// viewerOfPage returns the header's viewer name and role; ok is false when
// the page shows nobody signed in.
func viewerOfPage(t *testing.T, body string) (name, role string, ok bool) {
	t.Helper()
	doc := parseSigninDoc(t, body)
	name, ok = doc.text("viewer-name")
	role, _ = doc.text("viewer-role")
	return name, role, ok
}

package views

import (
	"context"
	"html"
	"io"
	"strings"

	"github.com/a-h/templ"
)

// Inline renders course text (question prompts, options, explanations) with
// `backticks` as code and blank lines as line breaks. Everything is escaped:
// no HTML in the text reaches the page.
func Inline(s string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		var b strings.Builder
		for i, para := range strings.Split(strings.TrimSpace(s), "\n\n") {
			if i > 0 {
				b.WriteString("<br><br>")
			}
			para = strings.Join(strings.Fields(para), " ")
			for j, part := range strings.Split(para, "`") {
				if j%2 == 1 {
					b.WriteString("<code>" + html.EscapeString(part) + "</code>")
				} else {
					b.WriteString(html.EscapeString(part))
				}
			}
		}
		_, err := io.WriteString(w, b.String())
		return err
	})
}

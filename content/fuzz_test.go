package content

import (
	"strings"
	"testing"
)

// FuzzParseLesson: whatever a lesson file holds (front matter, Markdown,
// raw HTML, broken YAML, NUL bytes, invalid UTF-8), checking and rendering
// it never panics, a problem always names the file, and an accepted lesson
// renders no raw HTML from the file and no NUL byte.
func FuzzParseLesson(f *testing.F) {
	f.Add(lessonFile(3))
	f.Add("---\nnumber: 3\nslug: config\n---\n")
	f.Add("---\ntitle: [unclosed\n---\n# x")
	f.Add("---\nnumber: 99999999999999999999\n---\n<script>alert(1)</script>\n\n## A\n### B\n")
	f.Add("no front matter at all\x00\xff")
	f.Add("---\n---\n```go\nfunc main() {}\n```\n[x](javascript:alert(1))")
	md := newMarkdown()
	f.Fuzz(func(t *testing.T, src string) {
		var ps problems
		l, ok := parseLesson(md, "03-config.md", []byte(src), &ps)
		for _, p := range ps {
			if !strings.HasPrefix(p.Error(), "03-config.md") {
				t.Fatalf("problem %q does not name the file", p)
			}
		}
		if !ok || len(ps) > 0 {
			return
		}
		if strings.Contains(l.HTML, "<script") || strings.Contains(l.HTML, `href="javascript:`) || strings.Contains(l.HTML, `src="javascript:`) {
			t.Fatalf("accepted lesson renders raw HTML or a script URL:\n%s", l.HTML)
		}
		if strings.ContainsRune(l.HTML, 0) {
			t.Fatal("accepted lesson renders a NUL byte")
		}
	})
}

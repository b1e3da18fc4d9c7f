package content

import (
	"bytes"
	"strings"
	"unicode"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// tocMinHeadings is how many h2/h3 headings make a lesson long enough for a
// table of contents.
const tocMinHeadings = 4

// newMarkdown is the Markdown dialect of the lessons: CommonMark plus GFM
// tables, strikethrough and autolinks; raw HTML is not passed through, and
// fenced code is highlighted with CSS classes (the colours live in
// static/style.css, for light and dark).
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithRendererOptions(
			renderer.WithNodeRenderers(util.Prioritized(highlighter{formatter: chromahtml.New(chromahtml.WithClasses(true), chromahtml.WithPreWrapper(focusablePre{}))}, 100)),
		),
	)
}

// renderBody checks the Markdown body of one lesson and renders it.
// bodyLine is the file line the body starts on, for problems.
func renderBody(md goldmark.Markdown, name string, body []byte, bodyLine int, ps *problems) (string, []Heading) {
	if len(bytes.TrimSpace(body)) == 0 {
		ps.add(name, bodyLine, "the lesson has no body after its front matter")
		return "", nil
	}
	lineOf := func(offset int) int { return bodyLine + bytes.Count(body[:offset], []byte("\n")) }
	doc := md.Parser().Parse(text.NewReader(body))

	var toc []Heading
	anchors := map[string]int{} // anchor → line
	level := 1                  // the page's title is the h1
	rawHTMLLines := map[int]bool{}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			line := lineOf(startOf(n))
			switch {
			case n.Level == 1:
				ps.add(name, line, "a level-1 heading: the lesson's title is the page's only h1, so start sections at ##")
			case n.Level > level+1:
				ps.add(name, line, "heading level %d follows level %d; headings must not skip a level", n.Level, level)
			}
			level = n.Level
			title := plainText(n, body)
			id := anchor(title)
			if id == "" {
				ps.add(name, line, "heading %q gives no anchor: it needs letters or digits", title)
				return ast.WalkSkipChildren, nil
			}
			if prev, dup := anchors[id]; dup {
				ps.add(name, line, "heading anchor %q is already used by the heading on line %d", id, prev)
				return ast.WalkSkipChildren, nil
			}
			anchors[id] = line
			n.SetAttributeString("id", []byte(id))
			if n.Level == 2 || n.Level == 3 {
				toc = append(toc, Heading{Level: n.Level, ID: id, Text: title})
			}
			return ast.WalkSkipChildren, nil
		case *ast.HTMLBlock, *ast.RawHTML:
			if line := lineOf(startOf(n)); !rawHTMLLines[line] {
				rawHTMLLines[line] = true
				ps.add(name, line, "raw HTML is not rendered in lessons; write Markdown instead")
			}
		case *ast.FencedCodeBlock:
			if lang := string(n.Language(body)); lang != "" && lexers.Get(lang) == nil {
				ps.add(name, lineOf(n.Info.Segment.Start), "code block language %q is not one the highlighter knows", lang)
			}
		}
		return ast.WalkContinue, nil
	})

	var out bytes.Buffer
	if err := md.Renderer().Render(&out, body, doc); err != nil {
		ps.add(name, bodyLine, "cannot render the body: %v", err)
		return "", nil
	}
	if len(toc) < tocMinHeadings {
		toc = nil
	}
	return out.String(), toc
}

// startOf is the byte offset where a node starts in the source.
func startOf(n ast.Node) int {
	if p := n.Pos(); p >= 0 {
		return p
	}
	if raw, ok := n.(*ast.RawHTML); ok && raw.Segments.Len() > 0 {
		return raw.Segments.At(0).Start
	}
	if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
		return n.Lines().At(0).Start
	}
	if c := n.FirstChild(); c != nil {
		return startOf(c)
	}
	return 0
}

// plainText is a heading's text without its Markdown markup.
func plainText(n ast.Node, source []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Value(source))
			if c.SoftLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}

// anchor makes a heading's id the way GitHub does: lower case, letters,
// digits, hyphens and underscores kept, spaces turned into hyphens.
func anchor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-':
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// focusablePre opens each code block as a keyboard-focusable region: a long
// line scrolls the block sideways, and a keyboard user can only scroll what
// can take focus (WCAG 2.1.1; axe's scrollable-region-focusable).
type focusablePre struct{}

func (focusablePre) Start(code bool, styleAttr string) string {
	if code {
		return `<pre` + styleAttr + ` tabindex="0"><code>`
	}
	return `<pre` + styleAttr + ` tabindex="0">`
}

func (focusablePre) End(code bool) string {
	if code {
		return `</code></pre>`
	}
	return `</pre>`
}

// highlighter renders fenced code blocks with chroma, as spans with CSS
// classes. A block with no language, or one chroma does not know, is
// rendered as plain escaped text.
type highlighter struct {
	formatter *chromahtml.Formatter
}

func (h highlighter) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, h.render)
}

func (h highlighter) render(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	var code bytes.Buffer
	for i := range n.Lines().Len() {
		seg := n.Lines().At(i)
		code.Write(seg.Value(source))
	}
	lang := string(n.Language(source))
	var lexer chroma.Lexer
	if lang != "" {
		lexer = lexers.Get(lang)
	}
	if lexer == nil {
		lexer = lexers.Fallback
	}
	it, err := chroma.Coalesce(lexer).Tokenise(nil, code.String())
	if err != nil {
		return ast.WalkStop, err
	}
	// The style only matters for inline styles; with classes the colours
	// come from the stylesheet.
	if err := h.formatter.Format(w, styles.Fallback, it); err != nil {
		return ast.WalkStop, err
	}
	return ast.WalkSkipChildren, nil
}

package views

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/a-h/templ"
)

// Slot names: the parts of a page that differ per request.
const (
	// SlotViewerLinks is the viewer's own links in the site navigation.
	SlotViewerLinks = "viewer-links"
	// SlotViewerBox is the signed-in viewer (or the sign-in link) in the header.
	SlotViewerBox = "viewer-box"
	// SlotPanel is a live panel's facts, table and note.
	SlotPanel = "panel"
	// SlotPanelTime says when a live panel was computed.
	SlotPanelTime = "panel-time"
	// SlotQuizCTA is a lesson's call to its quiz, with the viewer's class
	// dates.
	SlotQuizCTA = "quiz-cta"
)

type prerenderKey struct{}

// slotMark surrounds a slot's name in a prerendered page. A NUL byte never
// appears in a rendered page: templ escapes values, and content.Load
// renders lesson bodies from text files that Prerender checks.
const slotMark = "\x00"

// Slot marks c as a part of a page that differs per request. Rendered as
// usual it is just c; rendered by Prerender it leaves a hole named name,
// filled per request by Shell.Render.
func Slot(name string, c templ.Component) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		if ctx.Value(prerenderKey{}) != nil {
			_, err := io.WriteString(w, slotMark+name+slotMark)
			return err
		}
		return c.Render(ctx, w)
	})
}

// Shell is a page rendered once, with holes where its Slots are: a request
// writes the bytes around the holes as they are and renders only what fills
// them.
type Shell struct {
	static [][]byte // len(holes)+1 runs of bytes around the holes
	holes  []string
}

// Prerender renders comp once, leaving a hole for each Slot in it.
func Prerender(comp templ.Component) (*Shell, error) {
	var buf bytes.Buffer
	ctx := context.WithValue(context.Background(), prerenderKey{}, true)
	if err := comp.Render(ctx, &buf); err != nil {
		return nil, fmt.Errorf("views: prerender: %w", err)
	}
	parts := bytes.Split(buf.Bytes(), []byte(slotMark))
	if len(parts)%2 == 0 {
		return nil, errors.New("views: prerender: the page holds a NUL byte outside its slots")
	}
	s := &Shell{}
	for i, p := range parts {
		if i%2 == 1 {
			s.holes = append(s.holes, string(p))
			continue
		}
		s.static = append(s.static, bytes.Clone(p))
	}
	return s, nil
}

// Size is the number of bytes the shell writes around its holes.
func (s *Shell) Size() int {
	n := 0
	for _, b := range s.static {
		n += len(b)
	}
	return n
}

// Fills are what a request puts in a shell's holes; a hole without a fill
// stays empty.
type Fills struct {
	// Page is the layout's view model: the viewer's links and box are
	// rendered from it and from the viewer in ctx.
	Page Page
	// Panel is a live panel's facts as HTML (from PanelFacts), written as
	// they are; PanelTime is when the panel was computed.
	Panel     []byte
	PanelTime string
	// QuizCTA is a lesson's call to its quiz, for the viewer.
	QuizCTA QuizCTAView
}

// Render writes the page to w with the holes filled from f, rendered with ctx.
func (s *Shell) Render(ctx context.Context, w io.Writer, f Fills) error {
	for i, hole := range s.holes {
		if _, err := w.Write(s.static[i]); err != nil {
			return err
		}
		var err error
		switch hole {
		case SlotViewerLinks:
			err = viewerLinks().Render(ctx, w)
		case SlotViewerBox:
			err = viewerBox(f.Page).Render(ctx, w)
		case SlotPanel:
			_, err = w.Write(f.Panel)
		case SlotPanelTime:
			err = PanelTime(f.PanelTime).Render(ctx, w)
		case SlotQuizCTA:
			err = QuizCTA(f.QuizCTA).Render(ctx, w)
		}
		if err != nil {
			return err
		}
	}
	_, err := w.Write(s.static[len(s.static)-1])
	return err
}

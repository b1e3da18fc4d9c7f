package handlers

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/views"
)

// newShellHandler is a Handler for the lesson shells, with sign-in set up
// so the pages show their sign-in link.
func newShellHandler(t testing.TB) *Handler {
	t.Helper()
	return newTestApp(t, appOptions{env: map[string]string{
		"OIDC_ISSUER_URL": "https://idp.example.test", "OIDC_CLIENT_ID": "c", "OIDC_CLIENT_SECRET": "s",
	}}).handler(t)
}

// BenchmarkLessonShell measures what the prerendered lesson shells save:
// the twelve lessons in turn, signed out, written from their shell or
// rendered from the template, both with an empty live panel so that only
// the page around it is measured (docs/PERFORMANCE.md, "Caches in the
// live panels").
//
//	go test ./handlers -run '^$' -bench LessonShell -benchmem -count 6
func BenchmarkLessonShell(b *testing.B) {
	h := newShellHandler(b)
	slugs := content.Slugs()
	ctx := views.WithRequest(context.Background(), nil)
	at := "12:34:56.789 UTC"
	b.Run("prerendered", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		i := 0
		for b.Loop() {
			slug := slugs[i%12]
			buf.Reset()
			fills := views.Fills{Page: h.pageAt(h.views.titles[slug], views.LessonURL(slug)), PanelTime: at}
			if err := h.views.shells[slug].Render(ctx, &buf, fills); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("template", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		i := 0
		for b.Loop() {
			slug := slugs[i%12]
			buf.Reset()
			v := h.views.lessons[slug]
			p := h.pageAt(h.views.titles[slug], views.LessonURL(slug))
			p.Description = v.Lesson.Summary
			v.Panel = h.live.Frame(v.Lesson.Number)
			v.Panel.ComputedAt = at
			if err := views.LessonPage(p, v).Render(ctx, &buf); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// TestPrerenderedLessonsMatchTheirTemplate: a lesson page written from its
// shell is byte for byte the page the template renders, for every lesson,
// signed out and signed in, so nothing that differs per request was baked
// into the shell.
func TestPrerenderedLessonsMatchTheirTemplate(t *testing.T) {
	h := newShellHandler(t)
	viewers := []*views.Viewer{nil, {ID: 7, Name: "Ada <Lovelace> & co", Email: "ada@example.edu"}, {ID: 8, Name: "Ines", Instructor: true}}
	if len(h.views.shells) != 12 {
		t.Fatalf("%d lesson shells, want 12", len(h.views.shells))
	}
	for slug, v := range h.views.lessons {
		for _, viewer := range viewers {
			p := h.pageAt(h.views.titles[slug], "/lessons/"+slug+"?from=<home>&x=1")
			p.Description = v.Lesson.Summary
			v.Panel = views.FactorPanel{
				Number: v.Lesson.Number, Numeral: v.Lesson.Numeral, Slug: slug, Title: v.Lesson.Title,
				Shows: h.live.Frame(v.Lesson.Number).Shows, ComputedAt: "12:34:56.789 UTC", Note: "a <note>",
				Facts: []views.Fact{{Key: "k", Label: "L", Value: "v & w", Code: true, State: "ok"}},
				Table: &views.FactTable{Caption: "c", Columns: []string{"a", "b"}, Rows: []views.FactRow{{Key: "r", Cells: []string{"1", "2"}, Current: true}}},
			}
			ctx := views.WithRequest(context.Background(), viewer)
			var want, got bytes.Buffer
			if err := views.LessonPage(p, v).Render(ctx, &want); err != nil {
				t.Fatal(err)
			}
			var facts bytes.Buffer
			if err := views.PanelFacts(v.Panel).Render(context.Background(), &facts); err != nil {
				t.Fatal(err)
			}
			fills := views.Fills{Page: p, Panel: facts.Bytes(), PanelTime: v.Panel.ComputedAt, QuizCTA: views.QuizCTAView{Slug: slug}}
			if err := h.views.shells[slug].Render(ctx, &got, fills); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("%s (viewer %v): the prerendered page differs from the template's:\n got %s\nwant %s", slug, viewer, got.String(), want.String())
			}
		}
	}
}

// TestSharedLessonPanelsFollowTheRequest: requests within one second
// share a lesson panel only when it would say the same to each: the host
// a request named and whether it is signed in are part of what is shared.
func TestSharedLessonPanelsFollowTheRequest(t *testing.T) {
	app := newCourseAppLogging(t, nil, nil, io.Discard)
	c := mustCookies(t, []byte("course-test-secret-0123456789abcdef-0123"))
	cookie, err := c.EncodeIdentity(auth.Identity{UserID: 5, Subject: "s", Name: "Ada", Email: "a@example.edu", SignedInAt: time.Now(), IssuedAt: time.Now(), Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	fact := func(path, host, cookie, key string) string {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Host = host
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: auth.IdentityCookie, Value: cookie})
		}
		w := httptest.NewRecorder()
		app.e.ServeHTTP(w, r)
		root, err := html.Parse(strings.NewReader(w.Body.String()))
		if err != nil {
			t.Fatal(err)
		}
		return factValue(t, testDoc{root}.one(t, "factor-panel"), key)
	}
	for range 3 { // back to back, within a second or across one
		if a, b := fact("/lessons/port-binding", "a.example", "", "request-host"), fact("/lessons/port-binding", "b.example", "", "request-host"); a != "a.example" || b != "b.example" {
			t.Errorf("request host shown as %q then %q, want a.example then b.example", a, b)
		}
		out, in := fact("/lessons/processes", "x", "", "identity"), fact("/lessons/processes", "x", cookie, "identity")
		if !strings.HasPrefix(out, "signed out") || !strings.HasPrefix(in, "read from the signed cookie") {
			t.Errorf("identity shown as %q signed out and %q signed in", out, in)
		}
	}
}

package browser

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp/kb"

	"github.com/twelve-course/twelve/quiz"
)

// attempt is the quiz form a tab shows, as the test knows it: the test owns
// SECRET_KEY, so it reads the signed attempt token in the form and draws the
// same paper the server drew.
type attempt struct {
	Token quiz.Token
	Quiz  *quiz.Quiz
	Paper quiz.Paper
}

// currentAttempt reads the attempt of the quiz form on the page.
func (b *tab) currentAttempt(slug string) attempt {
	b.t.Helper()
	raw := eval[string](b, `(() => { const el = document.querySelector('form[data-testid="quiz-form"] input[name="attempt"]'); return el ? el.value : ""; })()`)
	if raw == "" {
		b.t.Fatalf("at %s, want a quiz form with an attempt token", b.location())
	}
	tok, err := b.site.signer.Decode(raw, time.Now())
	if err != nil {
		b.t.Fatalf("decode the form's attempt token: %v", err)
	}
	q, ok := b.site.banks[slug]
	if !ok || tok.Quiz != slug || tok.Version != q.Version {
		b.t.Fatalf("token is for quiz %q version %q, want %q version %q", tok.Quiz, tok.Version, slug, q.Version)
	}
	return attempt{Token: tok, Quiz: q, Paper: q.Paper(tok.Seed)}
}

// has reports whether the paper has a question of type typ.
func (a attempt) has(typ quiz.Type) bool {
	for _, it := range a.Paper.Items {
		if it.Question.Type == typ {
			return true
		}
	}
	return false
}

// plan is the form values that answer every question of the paper: right
// where right says so, not fully right (but well-formed) elsewhere.
func (a attempt) plan(right func(i int, qu *quiz.Question) bool) url.Values {
	v := url.Values{}
	for i, it := range a.Paper.Items {
		qu := it.Question
		if right(i, qu) {
			v[quiz.FieldPrefix+qu.ID] = rightValues(qu)
		} else {
			v[quiz.FieldPrefix+qu.ID] = wrongValues(qu)
		}
	}
	return v
}

func rightValues(qu *quiz.Question) []string {
	switch qu.Type {
	case quiz.Single, quiz.Multiple:
		var ids []string
		for _, o := range qu.Options {
			if o.Correct {
				ids = append(ids, o.ID)
			}
		}
		return ids
	case quiz.TrueFalse:
		return []string{strconv.FormatBool(qu.Truth)}
	case quiz.Numeric:
		return []string{strconv.FormatFloat(qu.Number, 'f', -1, 64)}
	default:
		return []string{qu.Accept[0]}
	}
}

// wrongValues answers qu well-formed but not fully right: a multiple
// answer question with several right options gets one of them (partial
// credit), anything else a wrong answer.
func wrongValues(qu *quiz.Question) []string {
	switch qu.Type {
	case quiz.Multiple:
		if right := rightValues(qu); len(right) > 1 {
			return right[:1]
		}
		fallthrough
	case quiz.Single:
		for _, o := range qu.Options {
			if !o.Correct {
				return []string{o.ID}
			}
		}
		panic("question " + qu.ID + " has no wrong option")
	case quiz.TrueFalse:
		return []string{strconv.FormatBool(!qu.Truth)}
	case quiz.Numeric:
		return []string{strconv.FormatFloat(qu.Number+qu.Tolerance+1000, 'f', -1, 64)}
	default:
		return []string{"no idea"}
	}
}

// grade is what the server must make of these answers.
func (b *tab) grade(a attempt, values url.Values) quiz.Result {
	b.t.Helper()
	answers, err := quiz.DecodeAnswers(a.Paper, values)
	if err != nil {
		b.t.Fatalf("the test's own answers do not decode: %v", err)
	}
	return quiz.Grade(a.Paper, answers)
}

// focusedElement describes document.activeElement.
type focusedElement struct {
	Tag          string  `json:"tag"`
	Type         string  `json:"type"`
	Name         string  `json:"name"`
	Value        string  `json:"value"`
	Checked      bool    `json:"checked"`
	Question     string  `json:"question"` // the data-question of its fieldset, if any
	TestID       string  `json:"testid"`
	ID           string  `json:"id"`
	Href         string  `json:"href"`
	Outline      string  `json:"outline"`
	OutlineWidth float64 `json:"outlineWidth"`
	Text         string  `json:"text"`
}

func (f focusedElement) String() string {
	return fmt.Sprintf("<%s type=%q name=%q value=%q id=%q data-testid=%q> %q", strings.ToLower(f.Tag), f.Type, f.Name, f.Value, f.ID, f.TestID, f.Text)
}

func (b *tab) focused() focusedElement {
	b.t.Helper()
	return eval[focusedElement](b, `(() => {
		const el = document.activeElement;
		if (!el || el === document.body) return {tag: "BODY", type: "", name: "", value: "", checked: false, question: "", testid: "", id: "", href: "", outline: "", outlineWidth: 0, text: ""};
		const fs = el.closest("fieldset[data-question]");
		const cs = getComputedStyle(el);
		return {tag: el.tagName, type: el.type || "", name: el.name || "", value: el.value || "", checked: !!el.checked,
			question: fs ? fs.dataset.question : "", testid: el.dataset.testid || "", id: el.id || "",
			href: el.getAttribute("href") || "", outline: cs.outlineStyle, outlineWidth: parseFloat(cs.outlineWidth) || 0,
			text: (el.innerText || "").trim().slice(0, 60)};
	})()`)
}

// wantFocusVisible fails unless the focused element shows a focus outline
// of at least 2 px (WCAG 2.4.7; the site draws 3 px).
func (b *tab) wantFocusVisible(f focusedElement) {
	b.t.Helper()
	if f.Tag == "BODY" {
		return
	}
	if f.Outline == "none" || f.OutlineWidth < 2 {
		b.t.Errorf("focus is not visible on %s: outline %s %.1fpx", f, f.Outline, f.OutlineWidth)
	}
}

// answerByKeyboard moves through the quiz form with Tab from wherever the
// focus is, answering the questions want names as a keyboard user does:
// arrow keys (or Space) in a radio group, Space on a checkbox, typing in a
// text field. It stops with the focus on the submit button and returns the
// questions it passed. Questions want leaves out are left as they are.
func (b *tab) answerByKeyboard(want url.Values) []string {
	b.t.Helper()
	var passed []string
	for range 400 {
		b.tab()
		f := b.focused()
		b.wantFocusVisible(f)
		if f.TestID == "submit-quiz" {
			return passed
		}
		if f.Question == "" {
			continue
		}
		if !slices.Contains(passed, f.Question) {
			passed = append(passed, f.Question)
		}
		values, planned := want[f.Name]
		if !planned {
			continue
		}
		switch f.Type {
		case "radio":
			b.chooseRadio(f, values[0])
		case "checkbox":
			if slices.Contains(values, f.Value) != f.Checked {
				b.press(" ")
			}
		case "text":
			if f.Value != values[0] {
				// Tabbing into a text field selects what it holds, so typing replaces it.
				b.press(values[0])
				if got := b.focused().Value; got != values[0] {
					b.t.Fatalf("typed %q into %s, field holds %q", values[0], f, got)
				}
			}
		default:
			b.t.Fatalf("unexpected control in a question: %s", f)
		}
	}
	b.t.Fatalf("tabbed 400 times without reaching the submit button (at %s, focus on %s)", b.location(), b.focused())
	return nil
}

// chooseRadio checks the radio with value in the group that has the focus,
// with the arrow keys (which move and check) or Space (which checks the
// focused one).
func (b *tab) chooseRadio(f focusedElement, value string) {
	b.t.Helper()
	order := eval[[]string](b, fmt.Sprintf(`[...document.getElementsByName(%q)].map(el => el.value)`, f.Name))
	cur, want := slices.Index(order, f.Value), slices.Index(order, value)
	switch {
	case want < 0:
		b.t.Fatalf("question %s has no option %q (options %v)", f.Question, value, order)
	case want == cur && !f.Checked:
		b.press(" ")
	case want > cur:
		b.press(strings.Repeat(kb.ArrowDown, want-cur))
	case want < cur:
		b.press(strings.Repeat(kb.ArrowUp, cur-want))
	}
	got := eval[string](b, fmt.Sprintf(`(() => { const el = document.querySelector('input[name=%q]:checked'); return el ? el.value : ""; })()`, f.Name))
	if got != value {
		b.t.Fatalf("question %s: after the keys, %q is checked, want %q", f.Question, got, value)
	}
}

// formAnswers is what the quiz form holds now, as it would be submitted.
func (b *tab) formAnswers() url.Values {
	b.t.Helper()
	m := eval[map[string][]string](b, `(() => {
		const d = {};
		for (const el of document.querySelector('form[data-testid="quiz-form"]').elements) {
			if (!el.name || !el.name.startsWith("a.")) continue;
			if (el.type === "radio" || el.type === "checkbox") { if (el.checked) (d[el.name] = d[el.name] || []).push(el.value); }
			else if (el.value !== "") d[el.name] = [el.value];
		}
		return d;
	})()`)
	return url.Values(m)
}

// wantFormAnswers fails unless the form holds exactly want.
func (b *tab) wantFormAnswers(what string, want url.Values) {
	b.t.Helper()
	got := b.formAnswers()
	norm := func(v url.Values) string {
		var keys []string
		for k, vs := range v {
			vs = slices.Clone(vs)
			slices.Sort(vs)
			keys = append(keys, k+"="+strings.Join(vs, "|"))
		}
		slices.Sort(keys)
		return strings.Join(keys, "\n")
	}
	if norm(got) != norm(want) {
		b.t.Fatalf("%s: the form holds\n%s\nwant\n%s", what, norm(got), norm(want))
	}
}

// percent is how the site writes a fraction as a percentage.
func percent(f float64) string { return strconv.Itoa(int(math.Round(f*100))) + "%" }

// num is how the site writes a score.
func num(f float64) string { return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64) }

// reviewStatus is the data-status the review shows for one graded item.
func reviewStatus(it quiz.ItemResult) string {
	switch {
	case !it.Answer.Answered():
		return "unanswered"
	case it.Score >= it.Max-1e-9:
		return "correct"
	case it.Score > 1e-9:
		return "partial"
	}
	return "incorrect"
}

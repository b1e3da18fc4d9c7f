package browser

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

// wcagTags are the axe-core rule tags of WCAG 2.2 levels A and AA.
var wcagTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// axeViolation is one failed axe rule on a page.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  string `json:"target"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

func (v axeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n      at %s: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " / "))
	}
	return b.String()
}

// axeReport is every page axe checked in this run, printed by TestMain.
var axeReport struct {
	mu    sync.Mutex
	pages []string
	count map[string][2]int // light, dark
}

func recordAxe(page string, light, dark int) {
	axeReport.mu.Lock()
	defer axeReport.mu.Unlock()
	if axeReport.count == nil {
		axeReport.count = map[string][2]int{}
	}
	if _, seen := axeReport.count[page]; !seen {
		axeReport.pages = append(axeReport.pages, page)
	}
	axeReport.count[page] = [2]int{light, dark}
}

func printAxeReport(w io.Writer) {
	axeReport.mu.Lock()
	defer axeReport.mu.Unlock()
	if len(axeReport.pages) == 0 {
		return
	}
	fmt.Fprintf(w, "axe-core (WCAG 2.2 A+AA: %s) violations per page:\n", strings.Join(wcagTags, ", "))
	for _, p := range axeReport.pages {
		c := axeReport.count[p]
		fmt.Fprintf(w, "  %-22s light %d  dark %d\n", p, c[0], c[1])
	}
}

// runAxe runs axe-core's WCAG 2.2 A/AA rules on the page as it is now. The
// script is injected through DevTools, which the page's CSP does not govern.
func (b *tab) runAxe() []axeViolation {
	b.t.Helper()
	if !eval[bool](b, `typeof window.axe === "object"`) {
		b.run("inject axe-core", chromedp.Evaluate[chromedp.Void](axeSource))
	}
	tags := `["` + strings.Join(wcagTags, `","`) + `"]`
	return eval[[]axeViolation](b, `(async () => {
		const r = await axe.run(document, {runOnly: {type: "tag", values: `+tags+`}, resultTypes: ["violations"]});
		return r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
			nodes: v.nodes.slice(0, 6).map(n => ({target: n.target.join(" "), summary: n.failureSummary || ""}))}));
	})()`)
}

// checkPage checks the page the tab shows: axe-core in light and in dark
// mode (colour contrast differs), and headings in order. Problems are
// reported with t.Errorf so one run lists every page's.
func (b *tab) checkPage(name string) {
	b.t.Helper()
	b.colorScheme("light")
	light := b.runAxe()
	b.colorScheme("dark")
	dark := b.runAxe()
	b.colorScheme("light")
	recordAxe(name, len(light), len(dark))
	for _, v := range light {
		b.t.Errorf("axe, %s page (%s), light mode: %s", name, b.location(), v)
	}
	for _, v := range dark {
		b.t.Errorf("axe, %s page (%s), dark mode: %s", name, b.location(), v)
	}
	for _, p := range eval[[]string](b, headingsInOrderJS) {
		b.t.Errorf("headings, %s page (%s): %s", name, b.location(), p)
	}
}

// headingsInOrderJS lists what is wrong with the page's outline: one h1,
// first, and no level skipped on the way down.
const headingsInOrderJS = `(() => {
	const problems = [];
	const hs = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")];
	const levels = hs.map(h => Number(h.tagName[1]));
	if (levels.filter(l => l === 1).length !== 1) problems.push("want exactly one h1, got " + levels.filter(l => l === 1).length);
	if (levels.length && levels[0] !== 1) problems.push("the first heading is h" + levels[0] + ", want h1");
	for (let i = 1; i < levels.length; i++) {
		if (levels[i] > levels[i-1] + 1) problems.push("h" + levels[i] + " " + JSON.stringify(hs[i].innerText.trim().slice(0, 40)) + " follows h" + levels[i-1] + ": a level is skipped");
	}
	return problems;
})()`

// checkPhoneLayout checks the page at phone size: nothing scrolls
// sideways, and every pointer target is at least 24×24 CSS px unless it is
// a link in running text (WCAG 2.2, 2.5.8 Target Size (Minimum)).
func (b *tab) checkPhoneLayout(name string) {
	b.t.Helper()
	for _, p := range eval[[]string](b, sidewaysScrollJS) {
		b.t.Errorf("phone, %s page (%s): scrolls sideways: %s", name, b.location(), p)
	}
	for _, p := range eval[[]string](b, smallTargetsJS) {
		b.t.Errorf("phone, %s page (%s): target smaller than 24×24 px: %s", name, b.location(), p)
	}
}

// sidewaysScrollJS reports horizontal overflow of the document and the
// elements that stick out of the viewport (not counting those inside a
// container that scrolls them on its own).
const sidewaysScrollJS = `(() => {
	const doc = document.documentElement;
	if (doc.scrollWidth <= doc.clientWidth) return [];
	const out = ["document is " + doc.scrollWidth + " px wide in a " + doc.clientWidth + " px viewport"];
	const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === "auto" || o === "scroll" || o === "hidden") return true; } return false; };
	for (const el of document.body.querySelectorAll("*")) {
		const r = el.getBoundingClientRect();
		if (r.right > doc.clientWidth + 0.5 && !scrolls(el)) out.push(el.tagName.toLowerCase() + (el.className ? "." + String(el.className).trim().replace(/\s+/g, ".") : "") + " reaches " + Math.round(r.right) + " px");
		if (out.length > 8) break;
	}
	return out;
})()`

// smallTargetsJS lists visible pointer targets under 24×24 CSS px. A link
// is exempt only when it sits inline in a sentence: its block (a
// paragraph, list item, cell…) also holds words that are not a target.
const smallTargetsJS = `(() => {
	const targetSel = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])";
	const isTarget = el => el.matches(targetSel) || (el.tagName === "LABEL" && el.control);
	const describe = el => {
		let s = el.tagName.toLowerCase();
		if (el.id) s += "#" + el.id;
		if (el.dataset.testid) s += "[data-testid=" + el.dataset.testid + "]";
		const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().replace(/\s+/g, " ").slice(0, 40);
		return s + (text ? " " + JSON.stringify(text) : "");
	};
	const inSentence = el => {
		let block = el.parentElement;
		while (block && getComputedStyle(block).display.startsWith("inline")) block = block.parentElement;
		if (!block || !block.matches("p, li, dd, td, th, blockquote, figcaption")) return false;
		let words = "";
		const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			let inTarget = false;
			for (let p = n.parentElement; p && p !== block; p = p.parentElement) if (isTarget(p)) { inTarget = true; break; }
			if (!inTarget) words += n.textContent;
		}
		return /[A-Za-z]{2,}/.test(words);
	};
	const out = [];
	for (const el of document.querySelectorAll(targetSel + ", label")) {
		if (!isTarget(el)) continue;
		const cs = getComputedStyle(el);
		if (cs.display === "none" || cs.visibility === "hidden") continue;
		const r = el.getBoundingClientRect();
		if (r.width === 0 && r.height === 0) continue;
		if (r.right <= 0 || r.bottom + window.scrollY <= 0) continue; // moved off-screen until focused (the skip link)
		if (r.width >= 24 - 0.01 && r.height >= 24 - 0.01) continue;
		if (el.tagName === "A" && cs.display === "inline" && inSentence(el)) continue;
		out.push(describe(el) + " is " + r.width.toFixed(1) + "×" + r.height.toFixed(1));
	}
	return out;
})()`

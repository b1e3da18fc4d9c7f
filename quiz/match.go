package quiz

import (
	"regexp"
	"strings"
	"sync"
)

// flagPattern is what ignore_flags may name: -a, --app.
var flagPattern = regexp.MustCompile(`^--?[a-z][a-z0-9-]*$`)

// compileAnswerPattern compiles an accept pattern so that it must match the
// whole normalised answer, case folded.
func compileAnswerPattern(s string) (*regexp.Regexp, error) {
	return regexp.Compile(`(?i)^(?:` + s + `)$`)
}

var patterns sync.Map // pattern string -> *regexp.Regexp, or nil when invalid

func answerPattern(s string) *regexp.Regexp {
	if re, ok := patterns.Load(s); ok {
		return re.(*regexp.Regexp)
	}
	re, err := compileAnswerPattern(s)
	if err != nil {
		re = nil // banks are checked at load; a stored version that is not matches nothing
	}
	patterns.Store(s, re)
	return re
}

// AcceptsText reports whether a typed short answer is right: after
// NormalizeText, and after removing the question's IgnoreFlags with their
// values, it equals an accepted answer (normalised the same way) or matches
// an accept pattern in full.
func (qu *Question) AcceptsText(raw string) bool {
	got := qu.normalizeAnswer(raw)
	if got == "" {
		return false
	}
	for _, acc := range qu.Accept {
		if qu.normalizeAnswer(acc) == got {
			return true
		}
	}
	for _, s := range qu.AcceptPatterns {
		if re := answerPattern(s); re != nil && re.MatchString(got) {
			return true
		}
	}
	return false
}

// normalizeAnswer folds case and white space, drops a leading shell prompt
// ("$ ") and removes the ignored flags: "-a x", "--app x" and "--app=x".
func (qu *Question) normalizeAnswer(s string) string {
	fields := strings.Fields(NormalizeText(s))
	if len(fields) > 1 && fields[0] == "$" {
		fields = fields[1:]
	}
	if len(qu.IgnoreFlags) == 0 {
		return strings.Join(fields, " ")
	}
	kept := fields[:0:0]
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		skip := false
		for _, flag := range qu.IgnoreFlags {
			if f == flag {
				skip = true
				i++ // and its value
				break
			}
			if strings.HasPrefix(f, flag+"=") {
				skip = true
				break
			}
		}
		if !skip {
			kept = append(kept, f)
		}
	}
	return strings.Join(kept, " ")
}

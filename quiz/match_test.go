package quiz

import "testing"

func TestAcceptsText(t *testing.T) {
	q := mustBank(t, `settings:
  draw: 3
questions:
  - id: scale
    type: text
    prompt: How do you run three web dynos?
    accept: ["heroku ps:scale web=3"]
    accept_patterns: ['heroku ps:scale web(=|:)3(:\S+)?']
    ignore_flags: [-a, --app, -r, --remote]
  - id: word
    type: text
    prompt: What is a running copy of the app called?
    accept: [deploy]
    accept_patterns: ['an? (deploy|deployment)s?', 'deployments?', 'deploys']
  - id: plain
    type: text
    prompt: Where do logs go?
    accept: [stdout]
`)
	tests := []struct {
		question, answer string
		want             bool
	}{
		{"scale", "heroku ps:scale web=3", true},
		{"scale", "  Heroku   PS:SCALE web=3 ", true},
		{"scale", "$ heroku ps:scale web=3", true},
		{"scale", "heroku ps:scale web=3 -a myapp", true},
		{"scale", "heroku ps:scale -a myapp web=3", true},
		{"scale", "heroku ps:scale web=3 --app myapp", true},
		{"scale", "heroku ps:scale web=3 --app=myapp", true},
		{"scale", "heroku ps:scale web=3 -r staging", true},
		{"scale", "heroku ps:scale web=3:standard-1x", true},
		{"scale", "heroku ps:scale web:3", true},
		{"scale", "heroku ps:scale web=4", false},
		{"scale", "heroku ps:scale web=3 worker=1", false},
		{"scale", "heroku ps:scale web=30", false},
		{"scale", "heroku ps:scale web=3 -a", true}, // a flag with its value missing is dropped
		{"scale", "-a myapp", false},
		{"scale", "", false},
		{"word", "deploy", true},
		{"word", "A Deployment", true},
		{"word", "deploys", true},
		{"word", "redeploy", false},
		{"word", "a deploy of the app", false}, // patterns are anchored
		{"plain", "STDOUT", true},
		{"plain", "stdout -a x", false}, // no ignore_flags: flags count
		{"plain", "$", false},
	}
	for _, tt := range tests {
		t.Run(tt.question+"/"+tt.answer, func(t *testing.T) {
			qu, ok := q.Question(tt.question)
			if !ok {
				t.Fatalf("no question %s", tt.question)
			}
			if got := qu.AcceptsText(tt.answer); got != tt.want {
				t.Errorf("AcceptsText(%q) = %v, want %v", tt.answer, got, tt.want)
			}
			wantScore := 0.0
			if tt.want {
				wantScore = 1
			}
			if res := Grade(Paper{Quiz: q, Items: []Item{{Question: qu}}}, Answers{qu.ID: {Raw: tt.answer}}); res.Score != wantScore {
				t.Errorf("Grade score = %v, want %v", res.Score, wantScore)
			}
		})
	}
}

func TestAcceptPatternStoredInvalid(t *testing.T) {
	// A stored version is not checked again: an invalid pattern matches nothing.
	qu := &Question{Type: Text, Accept: []string{"x"}, AcceptPatterns: []string{"("}}
	if qu.AcceptsText("(") || !qu.AcceptsText("x") {
		t.Error("an invalid stored pattern must match nothing and leave accept working")
	}
}

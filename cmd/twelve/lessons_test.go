package main

import (
	"context"
	"go/build"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twelve-course/twelve/config"
)

// The tests in this file keep the lessons' statements about Twelve true:
// every setting, admin command, route, make target, Procfile line and file
// path a lesson names in code must exist, and every value a lesson quotes
// from the code (defaults, limits, messages) must still be the code's value.
// docs/lessons.md says how to extend them.

const repoRoot = "../.."

// lessonText is one lesson's source and the code it quotes: inline code spans
// and the lines of fenced blocks.
type lessonText struct {
	file  string
	text  string
	spans []string
}

var (
	fenceRE  = regexp.MustCompile("(?ms)^```[a-z]*\n(.*?)^```")
	spanRE   = regexp.MustCompile("`([^`\n]+)`")
	routeRE  = regexp.MustCompile(`e\.(?:GET|POST|PUT|DELETE|Any)\("([^"]+)"`)
	targetRE = regexp.MustCompile(`(?m)^([a-z][a-z0-9-]*):`)
)

func readLessons(t *testing.T) []lessonText {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repoRoot, "content/lessons/*.md"))
	if err != nil || len(paths) != 12 {
		t.Fatalf("lessons: %d files, %v; want 12", len(paths), err)
	}
	var out []lessonText
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		l := lessonText{file: filepath.Base(p), text: string(b)}
		prose := fenceRE.ReplaceAllStringFunc(l.text, func(block string) string {
			for _, line := range strings.Split(fenceRE.FindStringSubmatch(block)[1], "\n") {
				if line = strings.TrimSpace(line); line != "" {
					l.spans = append(l.spans, line)
				}
			}
			return ""
		})
		for _, m := range spanRE.FindAllStringSubmatch(prose, -1) {
			l.spans = append(l.spans, m[1])
		}
		out = append(out, l)
	}
	return out
}

// notTwelveSettings are upper-case names lessons use that are not settings
// of Twelve: counter-examples, signals, SQL, platform and buildpack names.
// Variables config.Load reads beyond config.Settings (DYNO, GOGC…) need no
// entry: they are found in config's source.
var notTwelveSettings = map[string]string{
	"APP_ENV":           "the counter-example of factor III",
	"DEBUG":             "a counter-example",
	"SIGTERM":           "a signal",
	"SIGKILL":           "a signal",
	"UPDATE":            "SQL",
	"LISTEN":            "SQL",
	"NOTIFY":            "SQL",
	"GO_LINKER_SYMBOL":  "the Heroku Go buildpack's setting",
	"GO_LINKER_VALUE":   "the Heroku Go buildpack's setting",
	"TEST_DATABASE_URL": "read by store/storetest, for tests only",
}

// illustrativeFiles are file names lessons mention that are not Twelve's,
// or that a command makes on a developer's machine (git-ignored).
var illustrativeFiles = map[string]bool{
	"requirements.txt": true, "dev.yaml": true, "staging.yaml": true, "prod.yaml": true,
	".env": true, ".git": true, ".war": true,
	".dev/": true, // make dev's generated SECRET_KEY
}

var (
	settingRE = regexp.MustCompile(`^\$?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)(?:=.*)?$`)
	adminRE   = regexp.MustCompile(`(?:^|[ /])twelve admin ([a-z][a-z-]*)`)
	twelveRE  = regexp.MustCompile(`(?:^|[ /])twelve ([a-z][a-z-]*)`)
	makeRE    = regexp.MustCompile(`(?:^|\s)make ([a-z][a-z-]*)`)
	procRE    = regexp.MustCompile(`^([a-z]+): (bin/twelve .*)$`)
	pathRE    = regexp.MustCompile(`^\.?[A-Za-z0-9_][A-Za-z0-9_./*-]*$`)
	fileExtRE = regexp.MustCompile(`\.(md|go|mod|sum|json|yaml|sh|example|txt|war)$`)
)

func TestLessonsNameOnlyWhatExists(t *testing.T) {
	lessons := readLessons(t)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(repoRoot, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	configSrc := read("config/config.go") + read("config/saml.go")
	settings := map[string]bool{}
	for _, s := range config.Settings {
		settings[s.Name] = true
	}
	var routes [][]string
	for _, m := range routeRE.FindAllStringSubmatch(read("handlers/routes.go"), -1) {
		routes = append(routes, strings.Split(m[1], "/"))
	}
	makefile := read("Makefile")
	targets := map[string]bool{}
	for _, m := range targetRE.FindAllStringSubmatch(makefile, -1) {
		targets[m[1]] = true
	}
	procfile := strings.Split(strings.TrimSpace(read("Procfile")), "\n")
	admin := adminCommands()
	subcommands := map[string]bool{"web": true, "worker": true, "migrate": true, "admin": true}

	for _, l := range lessons {
		for _, span := range l.spans {
			if m := settingRE.FindStringSubmatch(span); m != nil && len(m[1]) >= 3 {
				name := m[1]
				if !settings[name] && !strings.Contains(configSrc, `"`+name+`"`) && notTwelveSettings[name] == "" {
					t.Errorf("%s: `%s`: no setting %s in config.Settings, config does not read it, and it is not in notTwelveSettings", l.file, span, name)
				}
			}
			for _, m := range adminRE.FindAllStringSubmatch(span, -1) {
				if _, ok := admin[m[1]]; !ok {
					t.Errorf("%s: `%s`: there is no admin command %q", l.file, span, m[1])
				}
			}
			for _, m := range twelveRE.FindAllStringSubmatch(span, -1) {
				if !subcommands[m[1]] {
					t.Errorf("%s: `%s`: twelve has no subcommand %q", l.file, span, m[1])
				}
			}
			for _, m := range makeRE.FindAllStringSubmatch(span, -1) {
				if !targets[m[1]] {
					t.Errorf("%s: `%s`: the Makefile has no target %q", l.file, span, m[1])
				}
			}
			if m := procRE.FindStringSubmatch(span); m != nil && !slices.Contains(procfile, span) {
				t.Errorf("%s: `%s`: not a line of the Procfile %q", l.file, span, procfile)
			}
			if strings.HasPrefix(span, "/") && !strings.HasPrefix(span, "//") && !strings.Contains(span, " ") {
				if span != "/.well-known/openid-configuration" && !matchesRoute(routes, span) { // the provider's address, not ours
					t.Errorf("%s: `%s`: no route in handlers/routes.go matches", l.file, span)
				}
			}
			if isRepoPath(span) && !illustrativeFiles[span] {
				switch {
				case strings.HasPrefix(span, "bin/"):
					if !strings.Contains(makefile, "-o "+span+" ") {
						t.Errorf("%s: `%s`: no Makefile rule builds it", l.file, span)
					}
				case isStdPackage(span), isModulePath(span):
				default:
					if ms, _ := filepath.Glob(filepath.Join(repoRoot, span)); len(ms) == 0 {
						if ms, _ := filepath.Glob(filepath.Join(repoRoot, "*", span)); len(ms) == 0 {
							t.Errorf("%s: `%s`: no such file or folder in the repository", l.file, span)
						}
					}
				}
			}
		}
	}

	// The other direction: lesson XII lists every admin command there is.
	for name := range admin {
		if !strings.Contains(lessonByFile(t, lessons, "12-admin-processes.md"), "`twelve admin "+name) {
			t.Errorf("12-admin-processes.md does not list `twelve admin %s`", name)
		}
	}
}

func isRepoPath(span string) bool {
	if !pathRE.MatchString(span) {
		return false
	}
	return strings.Contains(span, "/") || fileExtRE.MatchString(span) || span == "Procfile" || span == "Makefile"
}

// isModulePath reports whether span is a Go import path outside the
// standard library (its first element is a domain), such as a tool line.
func isModulePath(span string) bool {
	first, _, ok := strings.Cut(span, "/")
	return ok && strings.Contains(first, ".") && !strings.HasPrefix(first, ".")
}

func isStdPackage(span string) bool {
	fi, err := os.Stat(filepath.Join(build.Default.GOROOT, "src", span))
	return err == nil && fi.IsDir()
}

func matchesRoute(routes [][]string, path string) bool {
	segs := strings.Split(path, "/")
	for _, r := range routes {
		if len(r) != len(segs) {
			continue
		}
		ok := true
		for i := range r {
			if r[i] != segs[i] && !strings.HasPrefix(r[i], ":") {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func lessonByFile(t *testing.T, lessons []lessonText, file string) string {
	t.Helper()
	for _, l := range lessons {
		if l.file == file {
			return l.text
		}
	}
	t.Fatalf("no lesson %s", file)
	return ""
}

func settingDefault(t *testing.T, name string) string {
	t.Helper()
	for _, s := range config.Settings {
		if s.Name == name {
			return s.Default
		}
	}
	t.Fatalf("no setting %s", name)
	return ""
}

// TestLessonsQuoteTheCode checks each value a lesson quotes from the code:
// the lesson must contain the exact text, built from the code's current
// value. Change a default and the lesson that quotes it fails here.
func TestLessonsQuoteTheCode(t *testing.T) {
	lessons := readLessons(t)
	def := func(name string) string { return settingDefault(t, name) }

	// The error a short key gets, as lesson III quotes it.
	env := map[string]string{"DATABASE_URL": "postgres://localhost/twelve", "SECRET_KEY": "twelve-bytes"}
	_, err := config.Load(func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("config.Load accepted a 12-byte SECRET_KEY")
	}
	shortKey := err.Error()

	drain, _ := time.ParseDuration(def("DRAIN_TIMEOUT"))
	if drain >= 30*time.Second {
		t.Errorf("DRAIN_TIMEOUT defaults to %s; lesson IX says it is shorter than Heroku's 30 seconds", drain)
	}

	// What `admin config` prints for a secret, as lesson XI quotes it.
	var secretShown string
	for _, s := range config.Show(func(k string) string { return env[k] }) {
		if s.Name == "SECRET_KEY" {
			secretShown = s.Value
		}
	}

	tests := []struct {
		file, quote string
	}{
		{"03-config.md", `"` + strings.TrimSpace(shortKey) + `"`},
		{"07-port-binding.md", "(the default is " + def("PORT") + ")"},
		{"08-concurrency.md", "(`DATABASE_POOL_SIZE`, " + def("DATABASE_POOL_SIZE") + " by default)"},
		{"08-concurrency.md", "With the default pool of " + def("DATABASE_POOL_SIZE") + ","},
		{"09-disposability.md", "(`DRAIN_TIMEOUT`, " + def("DRAIN_TIMEOUT") + " by default)"},
		{"11-logs.md", "| `LOG_LEVEL` | how much to log, `" + def("LOG_LEVEL") + "` by default |"},
		{"11-logs.md", "| `LOG_FORMAT` | `" + def("LOG_FORMAT") + "` by default;"},
		{"11-logs.md", `only "` + secretShown + `" for the others`},
		{"12-admin-processes.md", "synthetic students (" + demoStudentsDefault(t) + " by default)"},
	}
	for _, tt := range tests {
		if !strings.Contains(lessonByFile(t, lessons, tt.file), tt.quote) {
			t.Errorf("%s does not say %q, which is what the code now does: update the lesson (or the code)", tt.file, tt.quote)
		}
	}
}

// demoStudentsDefault is the default of `admin demo-data --students`, read
// from the command's own help, written with a thousands separator.
func demoStudentsDefault(t *testing.T) string {
	t.Helper()
	var out strings.Builder
	_ = adminDemoData(context.Background(), []string{"-h"}, func(string) string { return "" }, io.MultiWriter(&out))
	m := regexp.MustCompile(`-students int\n.*\(default (\d+)\)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no --students default in:\n%s", out.String())
	}
	n := m[1]
	for i := len(n) - 3; i > 0; i -= 3 {
		n = n[:i] + "," + n[i:]
	}
	return n
}

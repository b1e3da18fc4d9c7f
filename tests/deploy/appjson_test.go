package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/twelve-course/twelve/config"
)

// buildTimeVars are config vars app.json declares although the app never
// reads them: Heroku's Go buildpack reads them while it builds. Keep in step
// with the same list in config/docs_test.go.
var buildTimeVars = map[string]string{
	"GO_LINKER_SYMBOL": "the buildpack links GO_LINKER_VALUE (the commit) into this symbol: main.revision",
}

// herokuSets are the settings Heroku provides itself: the router's port and
// the Postgres add-on's URL. Declaring DATABASE_URL would clash with the add-on.
var herokuSets = []string{"PORT", "DATABASE_URL"}

// compileSchema compiles docs/app.schema.json, asserting formats such as uri.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("../../docs/app.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("docs/app.schema.json: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("app.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("app.schema.json")
	if err != nil {
		t.Fatalf("docs/app.schema.json does not compile: %v", err)
	}
	return sch
}

// readAppJSON decodes app.json as the validator sees it: a fresh copy per call.
func readAppJSON(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("../../app.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("app.json is not JSON: %v", err)
	}
	m, ok := doc.(map[string]any)
	if !ok {
		t.Fatal("app.json is not an object")
	}
	return m
}

// appManifest is the part of app.json these tests read field by field.
type appManifest struct {
	SuccessURL string `json:"success_url"`
	Env        map[string]struct {
		Description string  `json:"description"`
		Value       *string `json:"value"`
		Required    *bool   `json:"required"`
		Generator   string  `json:"generator"`
	} `json:"env"`
	Formation map[string]json.RawMessage `json:"formation"`
}

func readManifest(t *testing.T) appManifest {
	t.Helper()
	raw, err := os.ReadFile("../../app.json")
	if err != nil {
		t.Fatal(err)
	}
	var m appManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("app.json: %v", err)
	}
	return m
}

func TestAppJSONMatchesSchema(t *testing.T) {
	if err := compileSchema(t).Validate(readAppJSON(t)); err != nil {
		t.Errorf("app.json does not match docs/app.schema.json:\n%v", err)
	}
}

// TestAppSchemaRejects mutates the real app.json one way at a time; each
// mutation is something Heroku's tools refuse (or that would break this app)
// and must be rejected at the place named.
func TestAppSchemaRejects(t *testing.T) {
	sch := compileSchema(t)
	env := func(app map[string]any) map[string]any { return app["env"].(map[string]any) }
	testEnv := func(app map[string]any) map[string]any {
		return app["environments"].(map[string]any)["test"].(map[string]any)
	}
	tests := []struct {
		name   string
		mutate func(app map[string]any)
		// where is the instance location the error must point at; a name
		// that env rejects is named instead (jsonschema v6.0.3 reports
		// propertyNames errors at a location that later validation may
		// overwrite, so theirs is not reliable).
		where string
	}{
		{"lowercase env name", func(a map[string]any) {
			env(a)["log_level"] = map[string]any{"description": "x", "required": false}
		}, "name log_level"},
		{"env name starting with a digit", func(a map[string]any) {
			env(a)["2FA"] = map[string]any{"description": "x"}
		}, "name 2FA"},
		{"string-form env entry", func(a map[string]any) { env(a)["LOG_LEVEL"] = "info" }, "/env/LOG_LEVEL"},
		{"unknown key in an env entry", func(a map[string]any) {
			env(a)["LOG_LEVEL"].(map[string]any)["default"] = "info"
		}, "/env/LOG_LEVEL"},
		{"unknown generator", func(a map[string]any) {
			env(a)["SECRET_KEY"].(map[string]any)["generator"] = "uuid"
		}, "/env/SECRET_KEY/generator"},
		{"missing SECRET_KEY generator", func(a map[string]any) {
			delete(env(a)["SECRET_KEY"].(map[string]any), "generator")
		}, "/env/SECRET_KEY"},
		{"SECRET_KEY with a published value", func(a map[string]any) {
			env(a)["SECRET_KEY"].(map[string]any)["value"] = "0123456789abcdef0123456789abcdef"
		}, "/env/SECRET_KEY"},
		{"no SECRET_KEY", func(a map[string]any) { delete(env(a), "SECRET_KEY") }, "/env"},
		{"DATABASE_URL declared next to the add-on", func(a map[string]any) {
			env(a)["DATABASE_URL"] = map[string]any{"description": "x"}
		}, "name DATABASE_URL"},
		{"array-form test script", func(a map[string]any) {
			testEnv(a)["scripts"].(map[string]any)["test"] = []any{"go test ./..."}
		}, "/environments/test/scripts/test"},
		{"array-form postdeploy script", func(a map[string]any) {
			a["scripts"] = map[string]any{"postdeploy": []any{"bin/twelve", "migrate"}}
		}, "/scripts/postdeploy"},
		{"unknown script", func(a map[string]any) {
			a["scripts"] = map[string]any{"predeploy": "bin/twelve migrate"}
		}, "/scripts"},
		{"unknown top-level key", func(a map[string]any) { a["buildpack"] = "heroku/go" }, ""},
		{"unknown environment", func(a map[string]any) {
			a["environments"].(map[string]any)["staging"] = map[string]any{}
		}, "/environments"},
		{"name longer than 30 characters", func(a map[string]any) {
			a["name"] = "Twelve, a course on the Twelve-Factor App"
		}, "/name"},
		{"data URI logo", func(a map[string]any) { a["logo"] = "data:image/svg+xml;base64,PHN2Zz4=" }, "/logo"},
		{"success_url neither a path nor a URL", func(a map[string]any) { a["success_url"] = "factors" }, "/success_url"},
		{"no Postgres add-on", func(a map[string]any) {
			a["addons"] = []any{map[string]any{"plan": "heroku-redis:mini"}}
		}, "/addons"},
		{"unknown key in an add-on", func(a map[string]any) {
			a["addons"] = []any{map[string]any{"plan": "heroku-postgresql:essential-0", "version": "16"}}
		}, "/addons/0"},
		{"no Go buildpack", func(a map[string]any) {
			a["buildpacks"] = []any{map[string]any{"url": "heroku/nodejs"}}
		}, "/buildpacks"},
		{"fractional dyno quantity", func(a map[string]any) {
			a["formation"].(map[string]any)["web"].(map[string]any)["quantity"] = 1.5
		}, "/formation/web/quantity"},
		{"no web formation", func(a map[string]any) { a["formation"] = map[string]any{} }, "/formation"},
		{"non-string value in a test env", func(a map[string]any) {
			testEnv(a)["env"].(map[string]any)["DATABASE_POOL_SIZE"] = 5
		}, "/environments/test/env/DATABASE_POOL_SIZE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := readAppJSON(t)
			tt.mutate(app)
			err := sch.Validate(app)
			if err == nil {
				t.Fatal("the mutated app.json was accepted, want it rejected")
			}
			var ve *jsonschema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T %v, want a validation error", err, err)
			}
			if locs := errorPlaces(ve); !slices.Contains(locs, tt.where) {
				t.Errorf("rejected at %q, want at %q:\n%v", locs, tt.where, err)
			}
		})
	}
}

// errorPlaces lists where in the document each (nested) error points, and
// "name X" for each property name X that propertyNames rejected.
func errorPlaces(ve *jsonschema.ValidationError) []string {
	var out []string
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		loc := ""
		for _, tok := range e.InstanceLocation {
			loc += "/" + tok
		}
		if pn, ok := e.ErrorKind.(*kind.PropertyNames); ok {
			loc = "name " + pn.Property
		}
		if !slices.Contains(out, loc) {
			out = append(out, loc)
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}

// TestAppJSONDeclaresEverySetting keeps app.json's env in step with what
// config reads, both ways, and with config's defaults and required settings.
func TestAppJSONDeclaresEverySetting(t *testing.T) {
	app := readManifest(t)
	read := map[string]config.Setting{}
	for _, s := range config.Settings {
		read[s.Name] = s
		if slices.Contains(herokuSets, s.Name) {
			if _, ok := app.Env[s.Name]; ok {
				t.Errorf("app.json declares %s, which Heroku sets itself", s.Name)
			}
			continue
		}
		e, ok := app.Env[s.Name]
		switch {
		case !ok:
			t.Errorf("app.json env lacks %s, which config reads", s.Name)
			continue
		case strings.TrimSpace(e.Description) == "":
			t.Errorf("app.json env %s has no description", s.Name)
		}
		if s.Required && e.Required != nil && !*e.Required {
			t.Errorf("app.json env %s says required: false, but config requires it", s.Name)
		}
		if s.Secret && e.Value != nil {
			t.Errorf("app.json env %s is secret but has a fixed value", s.Name)
		}
		if s.Default != "" && (e.Value == nil || *e.Value != s.Default) {
			t.Errorf("app.json env %s value = %v, want config's default %q", s.Name, deref(e.Value), s.Default)
		}
	}
	for name := range app.Env {
		if _, ok := read[name]; !ok && buildTimeVars[name] == "" {
			t.Errorf("app.json declares %s, which config does not read and is no build-time variable", name)
		}
	}
	for name := range buildTimeVars {
		if _, ok := read[name]; ok {
			t.Errorf("%s is both a build-time variable and a setting", name)
		}
	}
}

func deref(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestAppJSONMatchesProcfile checks that app.json's formation names only
// Procfile processes, and that success_url is a path in the app (the build
// test requests it from the running binary).
func TestAppJSONMatchesProcfile(t *testing.T) {
	app := readManifest(t)
	procs := readProcfile(t)
	for name := range app.Formation {
		if _, ok := procs[name]; !ok {
			t.Errorf("app.json formation has %q, which the Procfile does not define", name)
		}
	}
	if !strings.HasPrefix(app.SuccessURL, "/") {
		t.Errorf("success_url = %q, want a path in the new app", app.SuccessURL)
	}
}

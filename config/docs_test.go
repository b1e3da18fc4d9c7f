package config

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestDocsDeclareEverySetting keeps README.md, .env.example and app.json in
// step with Settings.
func TestDocsDeclareEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../app.json")
	if err != nil {
		t.Fatal(err)
	}
	var app struct {
		Env map[string]json.RawMessage `json:"env"`
	}
	if err := json.Unmarshal(raw, &app); err != nil {
		t.Fatalf("app.json: %v", err)
	}
	known := map[string]bool{}
	for _, s := range Settings {
		known[s.Name] = true
		if !strings.Contains(string(readme), "| `"+s.Name+"` |") {
			t.Errorf("README.md's settings table lacks %s", s.Name)
		}
		if !strings.Contains(string(example), "\n"+s.Name+"=") {
			t.Errorf(".env.example lacks %s", s.Name)
		}
		// Heroku sets these two itself.
		if _, ok := app.Env[s.Name]; !ok && s.Name != "PORT" && s.Name != "DATABASE_URL" {
			t.Errorf("app.json env lacks %s", s.Name)
		}
	}
	for name := range app.Env {
		if !known[name] && buildTimeVars[name] == "" {
			t.Errorf("app.json declares %s, which config does not read", name)
		}
	}
}

// buildTimeVars are config vars app.json may declare although the app never
// reads them: Heroku's Go buildpack reads them while building. Keep in step
// with the same list in tests/deploy/appjson_test.go.
var buildTimeVars = map[string]string{
	"GO_LINKER_SYMBOL": "the buildpack links GO_LINKER_VALUE (the commit) into this symbol: main.revision",
}

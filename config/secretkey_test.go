package config

import (
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLoadRefusesWeakSecretKeys: a key published with the source or one a
// person made up is refused at start with one line, in any place of a
// rotation list.
func TestLoadRefusesWeakSecretKeys(t *testing.T) {
	tests := []struct {
		name, keys, want string
	}{
		{".env.example placeholder", "replace-with-output-of-openssl-rand-hex-32", "SECRET_KEY must be a secret: key 1 is an example published with Twelve's source; generate one with openssl rand -hex 32"},
		{"make dev's old key", "dev-only-secret-key-never-use-in-production", "SECRET_KEY must be a secret: key 1 is an example published"},
		{"published key kept for verifying", secret + ",heroku-ci-secret-key-0123456789abcdef", "SECRET_KEY must be a secret: key 2 is an example published"},
		{"one letter", strings.Repeat("a", 40), "SECRET_KEY must be random: key 1 is too easy to guess (about 0 bits, want 80); generate one with openssl rand -hex 32"},
		{"a word repeated", strings.Repeat("password", 4), "SECRET_KEY must be random: key 1 is too easy to guess"},
		{"a phrase repeated", strings.Repeat("changeme-", 4), "SECRET_KEY must be random: key 1 is too easy to guess"},
		{"hex digits twice", "0123456789abcdef0123456789abcdef", "SECRET_KEY must be random: key 1 is too easy to guess (about 64 bits"},
		{"two letters", strings.Repeat("ab", 20), "SECRET_KEY must be random: key 1 is too easy to guess"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env("DATABASE_URL", "postgres://localhost/twelve", "SECRET_KEY", tt.keys))
			if err == nil {
				t.Fatal("Load accepted the key")
			}
			if lines := strings.Split(err.Error(), "\n"); len(lines) != 1 || !strings.Contains(lines[0], tt.want) {
				t.Errorf("error = %q, want one line containing %q", err, tt.want)
			}
		})
	}
}

// TestLoadAcceptsRandomKeys: keys as openssl rand -hex 32 and Heroku's
// "secret" generator make them (64 hex characters) always pass, and so do
// the shortest random hex keys (32 characters, 128 bits).
func TestLoadAcceptsRandomKeys(t *testing.T) {
	for _, n := range []int{16, 32} {
		for range 2000 {
			b := make([]byte, n)
			rand.Read(b)
			k := hex.EncodeToString(b)
			if _, err := Load(env("DATABASE_URL", "postgres://localhost/twelve", "SECRET_KEY", k)); err != nil {
				t.Fatalf("random key %s refused: %v", k, err)
			}
		}
	}
}

// secretKeyValue finds a literal given to SECRET_KEY (or a script's secret
// variable) in shell, env, JSON or Markdown: SECRET_KEY=v, ${SECRET_KEY:-v},
// "SECRET_KEY": "v", secret=v.
var secretKeyValue = regexp.MustCompile(`(?i)\b(?:secret_key|secret)["']?\s*(?::-|[:=])\s*["']?([A-Za-z0-9_./+-]{32,})`)

// TestPublishedSecretKeysAreRefused reads every file a person deploying or
// developing Twelve copies settings from and checks that Load refuses each
// SECRET_KEY value written there: a new example value must go into
// publishedSecretKeys (better: the file generates its key).
func TestPublishedSecretKeysAreRefused(t *testing.T) {
	files := []string{"../.env.example", "../README.md", "../app.json", "../Makefile", "../Procfile"}
	for _, dir := range []string{"../scripts", "../docs", "../.ci"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, path)
			}
			return err
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	found := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range secretKeyValue.FindAllStringSubmatch(string(b), -1) {
			found++
			if _, err := Load(env("DATABASE_URL", "postgres://localhost/twelve", "SECRET_KEY", m[1])); err == nil || !strings.Contains(err.Error(), "SECRET_KEY must") {
				t.Errorf("%s gives SECRET_KEY the value %q, which Load accepts: add it to publishedSecretKeys, or make the file generate its key", f, m[1])
			}
		}
	}
	if found == 0 {
		t.Error("found no SECRET_KEY value in any file; .env.example has one, so the search is broken")
	}
	// The search finds what it must.
	for _, s := range []string{`SECRET_KEY=` + secret, `"SECRET_KEY": "` + secret + `"`, `${SECRET_KEY:-` + secret + `}`, `secret=` + secret} {
		if m := secretKeyValue.FindStringSubmatch(s); m == nil || m[1] != secret {
			t.Errorf("the search finds %q in %s", m, s)
		}
	}
}

package config

import (
	"strings"
	"testing"
)

func TestLoadLTIKeys(t *testing.T) {
	pairs(t)
	valid := []string{"DATABASE_URL", "postgres://localhost/twelve", "SECRET_KEY", secret}
	with := func(key string) []string { return append(valid[:len(valid):len(valid)], "LTI_PRIVATE_KEY", key) }

	c, err := Load(env(valid...))
	if err != nil || c.LTIKeys != nil {
		t.Fatalf("unset: keys %v, %v; want none", c.LTIKeys, err)
	}
	for _, tt := range []struct {
		name, key string
		want      int
	}{
		{"PKCS#8", rsaPair.key, 1},
		{"PKCS#1", rsaOther.key, 1},
		{"two, rotating", rsaOther.key + rsaPair.key, 2},
		{"one line with \\n", strings.ReplaceAll(rsaPair.key+rsaOther.key, "\n", `\n`), 2},
	} {
		c, err := Load(env(with(tt.key)...))
		if err != nil || len(c.LTIKeys) != tt.want {
			t.Errorf("%s: %d keys, %v; want %d", tt.name, len(c.LTIKeys), err, tt.want)
		}
	}
	c, _ = Load(env(with(rsaOther.key + rsaPair.key)...))
	if len(c.LTIKeys) == 2 && c.LTIKeys[0].N.BitLen() == 2048 {
		first, _ := parseRSAKeys(rsaOther.key)
		if !c.LTIKeys[0].Equal(first[0]) {
			t.Error("the first key given is not the first key")
		}
	}

	for _, tt := range []struct{ name, key, want string }{
		{"not PEM", "hunter2", "LTI_PRIVATE_KEY must be one or more PEM RSA private keys"},
		{"a certificate", rsaPair.cert, "LTI_PRIVATE_KEY key 1 must be a PEM PRIVATE KEY or RSA PRIVATE KEY block, not CERTIFICATE"},
		{"ECDSA", ecPair.key, "LTI_PRIVATE_KEY key 1 must be an RSA key"},
		{"short second key", rsaPair.key + rsaSmall.key, "LTI_PRIVATE_KEY key 2 must be an RSA key of at least 2048 bits"},
		{"garbage after", rsaPair.key + "and then some", "LTI_PRIVATE_KEY has text after its last PEM key"},
		{"damaged", strings.Replace(rsaPair.key, "MII", "MIX", 1), "LTI_PRIVATE_KEY key 1 could not be read"},
	} {
		_, err := Load(env(with(tt.key)...))
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one line containing %q", tt.name, err, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), "MII") || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "some")) {
			t.Errorf("%s: error %q quotes the value", tt.name, err)
		}
	}
}

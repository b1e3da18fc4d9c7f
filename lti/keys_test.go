package lti

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func pemPKCS1(k *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func pemPKCS8(t *testing.T, k any) string {
	t.Helper()
	b, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b}))
}

func TestParseKeysOne(t *testing.T) {
	k := mustKey(t)
	ks, err := ParseKeys(pemPKCS1(k))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ks.KeyIDs(), []string{kidOf(t, k)}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("KeyIDs() = %v, want %v", got, want)
	}
}

func TestParseKeysTwoFirstSigns(t *testing.T) {
	k1, k2 := mustKey(t), mustKey(t)
	ks, err := ParseKeys(pemPKCS8(t, k1) + "\n" + pemPKCS1(k2))
	if err != nil {
		t.Fatal(err)
	}
	set := ks.JWKS()
	if len(set.Keys) != 2 {
		t.Fatalf("JWKS has %d keys, want 2", len(set.Keys))
	}
	for i, want := range []*rsa.PrivateKey{k1, k2} {
		key := set.Keys[i]
		if !key.IsPublic() {
			t.Errorf("JWKS key %d is not public", i)
		}
		if key.KeyID != kidOf(t, want) {
			t.Errorf("JWKS key %d kid = %q, want %q", i, key.KeyID, kidOf(t, want))
		}
	}
	// Published JSON carries no private parameter.
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); strings.Contains(s, `"d"`) || strings.Contains(s, `"p"`) {
		t.Errorf("JWKS JSON has private parts: %s", s)
	}

	raw, err := ks.Sign(map[string]string{"hello": "world"})
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	h := jws.Signatures[0].Header
	if h.KeyID != kidOf(t, k1) {
		t.Errorf("signed with kid %q, want the first key's %q", h.KeyID, kidOf(t, k1))
	}
	if h.ExtraHeaders["typ"] != "JWT" {
		t.Errorf("typ = %v, want JWT", h.ExtraHeaders["typ"])
	}
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in the JWKS", h.KeyID)
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		t.Fatalf("signature does not verify with the JWKS: %v", err)
	}
	if string(payload) != `{"hello":"world"}` {
		t.Errorf("payload = %s", payload)
	}
	if _, err := jws.Verify(set.Keys[1]); err == nil {
		t.Error("the second key verifies what the first signed")
	}
}

func TestParseKeysRefuses(t *testing.T) {
	k := mustKey(t)
	pkcs1 := pemPKCS1(k)
	// A block whose base64 decodes but is no key.
	corrupt := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte("SECRETSECRETSECRET")}))
	tests := []struct {
		name, in string
	}{
		{name: "empty", in: ""},
		{name: "garbage", in: "SECRET-garbage-value-not-pem"},
		{name: "corrupt PKCS1", in: corrupt},
		{name: "corrupt after a good key", in: pkcs1 + corrupt},
		{name: "certificate", in: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("SECRET")}))},
		{name: "short key", in: pemPKCS1(mustSmallKey(t))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks, err := ParseKeys(tt.in)
			if err == nil {
				t.Fatalf("ParseKeys() = %v, want an error", ks.KeyIDs())
			}
			if strings.Contains(err.Error(), "SECRET") || (tt.in != "" && strings.Contains(err.Error(), tt.in)) {
				t.Errorf("error %q quotes the input", err)
			}
		})
	}
}

func mustSmallKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseKeysEscapedAndRepeated(t *testing.T) {
	k := mustKey(t)
	one := pemPKCS1(k)
	escaped := strings.ReplaceAll(one, "\n", `\n`)
	ks, err := ParseKeys(escaped + escaped)
	if err != nil {
		t.Fatal(err)
	}
	if got := ks.KeyIDs(); len(got) != 1 || got[0] != kidOf(t, k) {
		t.Errorf("KeyIDs() = %v, want the one key once", got)
	}
	enc, err := EncodeKey(k)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseKeys(enc)
	if err != nil {
		t.Fatal(err)
	}
	if again.KeyID() != ks.KeyID() {
		t.Errorf("EncodeKey → ParseKeys kid %q, want %q", again.KeyID(), ks.KeyID())
	}
}

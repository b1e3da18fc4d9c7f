package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const idpMetadata = `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.edu/idp/shibboleth"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>`

// pemPair is a PEM key and its certificate.
type pemPair struct{ key, cert string }

var (
	pairsOnce sync.Once
	rsaPair   pemPair // RSA 2048
	rsaOther  pemPair // another RSA 2048
	rsaSmall  pemPair // RSA 1024
	ecPair    pemPair // ECDSA P-256
)

func makePair(t *testing.T, key any, pub any, keyDER []byte, keyType string) pemPair {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "twelve"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return pemPair{
		key:  string(pem.EncodeToMemory(&pem.Block{Type: keyType, Bytes: keyDER})),
		cert: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
	}
}

func pairs(t *testing.T) {
	pairsOnce.Do(func() {
		rsaKey := func(bits int) *rsa.PrivateKey {
			k, err := rsa.GenerateKey(rand.Reader, bits)
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
		k := rsaKey(2048)
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		rsaPair = makePair(t, k, &k.PublicKey, der, "PRIVATE KEY")
		o := rsaKey(2048)
		rsaOther = makePair(t, o, &o.PublicKey, x509.MarshalPKCS1PrivateKey(o), "RSA PRIVATE KEY")
		s := rsaKey(1024)
		rsaSmall = makePair(t, s, &s.PublicKey, x509.MarshalPKCS1PrivateKey(s), "RSA PRIVATE KEY")
		e, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, _ = x509.MarshalPKCS8PrivateKey(e)
		ecPair = makePair(t, e, &e.PublicKey, der, "PRIVATE KEY")
	})
}

func TestLoadSAMLDefaults(t *testing.T) {
	c, err := Load(env("DATABASE_URL", "postgres://localhost/twelve", "SECRET_KEY", secret))
	if err != nil {
		t.Fatal(err)
	}
	if c.SAML.Enabled() || c.SignInEnabled() || c.SAML.AllowIDPInitiated {
		t.Errorf("SAML = %+v, want off", c.SAML)
	}
	want := SAML{
		EmailAttributes:  []string{"mail", "urn:oid:0.9.2342.19200300.100.1.3", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"},
		NameAttributes:   []string{"displayName", "urn:oid:2.16.840.1.113730.3.1.241", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"},
		GroupsAttributes: []string{"eduPersonAffiliation", "memberOf", "urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "http://schemas.xmlsoap.org/claims/Group"},
	}
	if diff := cmp.Diff(want, c.SAML, cmpopts.IgnoreFields(SAML{}, "SPKey", "SPCert")); diff != "" {
		t.Errorf("SAML defaults (-want +got):\n%s", diff)
	}
}

func TestLoadSAMLValues(t *testing.T) {
	pairs(t)
	tests := []struct {
		name string
		env  []string
	}{
		{"metadata URL, PKCS#8 key", []string{"SAML_IDP_METADATA_URL", "https://idp.example.edu/idp/shibboleth", "SAML_SP_KEY", rsaPair.key, "SAML_SP_CERT", rsaPair.cert}},
		{"inline metadata, PKCS#1 key", []string{"SAML_IDP_METADATA", idpMetadata, "SAML_SP_KEY", rsaOther.key, "SAML_SP_CERT", rsaOther.cert}},
		{"newlines written as \\n", []string{"SAML_IDP_METADATA_URL", "http://127.0.0.1:5557/metadata",
			"SAML_SP_KEY", strings.ReplaceAll(rsaPair.key, "\n", `\n`), "SAML_SP_CERT", strings.ReplaceAll(rsaPair.cert, "\n", `\n`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(append([]string{"DATABASE_URL", "postgres://localhost/twelve", "SECRET_KEY", secret,
				"BASE_URL", "https://twelve.example.edu", "SAML_USER_ID_ATTRIBUTE", "urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "SAML_ALLOW_IDP_INITIATED", "true",
				"SAML_GROUPS_ATTRIBUTE", "memberOf"}, tt.env...)...))
			if err != nil {
				t.Fatal(err)
			}
			s := c.SAML
			if !s.Enabled() || !c.SignInEnabled() || s.SPKey == nil || s.SPCert == nil || !s.AllowIDPInitiated {
				t.Errorf("SAML = %+v, want on with key, certificate and IdP-initiated", s)
			}
			if s.UserIDAttribute != "urn:oid:1.3.6.1.4.1.5923.1.1.1.6" || !cmp.Equal(s.GroupsAttributes, []string{"memberOf"}) {
				t.Errorf("attributes = %q %q", s.UserIDAttribute, s.GroupsAttributes)
			}
		})
	}
}

func TestLoadSAMLErrors(t *testing.T) {
	pairs(t)
	valid := []string{"DATABASE_URL", "postgres://localhost/twelve", "SECRET_KEY", secret, "BASE_URL", "https://twelve.example.edu"}
	on := append(valid, "SAML_IDP_METADATA_URL", "https://idp.example.edu/metadata")
	on = on[:len(on):len(on)] // each case appends its own
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"both metadata settings", append(valid, "SAML_IDP_METADATA_URL", "https://idp.example.edu/m", "SAML_IDP_METADATA", idpMetadata, "SAML_SP_KEY", rsaPair.key, "SAML_SP_CERT", rsaPair.cert),
			"SAML_IDP_METADATA_URL and SAML_IDP_METADATA are both set; set only one"},
		{"metadata over plain http", append(valid, "SAML_IDP_METADATA_URL", "http://idp.example.edu/m", "SAML_SP_KEY", rsaPair.key, "SAML_SP_CERT", rsaPair.cert),
			"SAML_IDP_METADATA_URL must be an https URL (http only for localhost)"},
		{"metadata that is not metadata", append(valid, "SAML_IDP_METADATA", "<html>hello</html>", "SAML_SP_KEY", rsaPair.key, "SAML_SP_CERT", rsaPair.cert),
			"SAML_IDP_METADATA must be the identity provider's metadata XML (an EntityDescriptor)"},
		{"no key", on, "SAML_SP_KEY and SAML_SP_CERT must be set when SAML is on"},
		{"no certificate", append(on, "SAML_SP_KEY", rsaPair.key), "SAML_SP_KEY and SAML_SP_CERT must be set when SAML is on"},
		{"key not PEM", append(on, "SAML_SP_KEY", "hunter2", "SAML_SP_CERT", rsaPair.cert), "SAML_SP_KEY must be PEM"},
		{"certificate given as the key", append(on, "SAML_SP_KEY", rsaPair.cert, "SAML_SP_CERT", rsaPair.cert), "SAML_SP_KEY must be a PEM PRIVATE KEY or RSA PRIVATE KEY block, not CERTIFICATE"},
		{"ECDSA key", append(on, "SAML_SP_KEY", ecPair.key, "SAML_SP_CERT", ecPair.cert), "SAML_SP_KEY must be an RSA key"},
		{"short RSA key", append(on, "SAML_SP_KEY", rsaSmall.key, "SAML_SP_CERT", rsaSmall.cert), "SAML_SP_KEY must be an RSA key of at least 2048 bits"},
		{"certificate of another key", append(on, "SAML_SP_KEY", rsaPair.key, "SAML_SP_CERT", rsaOther.cert), "SAML_SP_CERT must be the certificate of SAML_SP_KEY"},
		{"IdP-initiated not a boolean", append(valid, "SAML_ALLOW_IDP_INITIATED", "sometimes"), "SAML_ALLOW_IDP_INITIATED must be true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env...))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != 1 || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want one line containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "MII") {
				t.Errorf("error %q quotes key material", err)
			}
		})
	}
}

package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/xml"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crewjam/saml"

	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/internal/proctest"
)

func testSAMLKey(t *testing.T) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

// idpMetadataXML is metadata for an IdP at base, as crewjam/saml's
// IdentityProvider publishes it.
func idpMetadataXML(t *testing.T, base string) []byte {
	t.Helper()
	key, cert := testSAMLKey(t)
	u := func(p string) url.URL { v, _ := url.Parse(base + p); return *v }
	idp := saml.IdentityProvider{Key: key, Certificate: cert, MetadataURL: u("/metadata"), SSOURL: u("/sso"), LogoutURL: u("/slo")}
	b, err := xml.Marshal(idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestScanResponse(t *testing.T) {
	const (
		open   = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="r1" InResponseTo="id-42">`
		signed = `<ds:Signature></ds:Signature>`
		close_ = `</samlp:Response>`
	)
	tests := []struct {
		name    string
		xml     string
		wantErr error
		wantIRT string
	}{
		{"signed response", open + signed + `<saml:Assertion><saml:Issuer>https://idp.test</saml:Issuer></saml:Assertion>` + close_, nil, "id-42"},
		{"assertion without its Issuer (GO-2026-6909)", open + signed + `<saml:Assertion><saml:Subject><saml:NameID>ada</saml:NameID></saml:Subject></saml:Assertion>` + close_, ErrSAMLResponse, ""},
		{"Issuer only deeper in the assertion", open + signed + `<saml:Assertion><saml:Subject><saml:Issuer>x</saml:Issuer></saml:Subject></saml:Assertion>` + close_, ErrSAMLResponse, ""},
		{"NameID in a foreign namespace (GO-2026-6909)", open + signed + `<saml:Assertion><saml:Issuer>https://idp.test</saml:Issuer><saml:Subject><x:NameID xmlns:x="urn:evil">ines@example.edu</x:NameID></saml:Subject></saml:Assertion>` + close_, ErrSAMLResponse, ""},
		{"encrypted assertion only", open + `<saml:EncryptedAssertion/>` + close_, nil, "id-42"},
		{"unsolicited", strings.Replace(open, ` InResponseTo="id-42"`, "", 1) + signed + close_, nil, ""},
		{"success status", open + `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` + signed + close_, nil, "id-42"},
		{"unsigned error status", open + `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"/></samlp:StatusCode></samlp:Status>` + close_, ErrProviderRefused, ""},
		{"no signature anywhere", open + `<saml:Assertion><saml:Issuer>https://idp.test</saml:Issuer><saml:Subject/></saml:Assertion>` + close_, ErrSAMLSignature, ""},
		{"comment in a NameID", open + signed + `<saml:Assertion><saml:Issuer>https://idp.test</saml:Issuer><saml:Subject><saml:NameID>ada@example.edu<!---->.evil.example</saml:NameID></saml:Subject></saml:Assertion>` + close_, ErrSAMLResponse, ""},
		{"comment before the root", `<!-- hi -->` + open + signed + close_, ErrSAMLResponse, ""},
		{"DTD", `<!DOCTYPE r [<!ENTITY x "y">]>` + open + signed + close_, ErrSAMLResponse, ""},
		{"assertion as the root", `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></saml:Assertion>`, ErrSAMLResponse, ""},
		{"second root", open + signed + close_ + open + close_, ErrSAMLResponse, ""},
		{"not XML", "hello", ErrSAMLResponse, ""},
		{"truncated", open + signed, ErrSAMLResponse, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shape, err := scanResponse([]byte(tt.xml))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr != nil && err == nil) {
				t.Fatalf("scanResponse error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && shape.inResponseTo != tt.wantIRT {
				t.Errorf("InResponseTo = %q, want %q", shape.inResponseTo, tt.wantIRT)
			}
		})
	}
}

func TestReadAssertion(t *testing.T) {
	persistent := string(saml.PersistentNameIDFormat)
	attr := func(name string, values ...string) saml.Attribute {
		a := saml.Attribute{Name: name}
		for _, v := range values {
			a.Values = append(a.Values, saml.AttributeValue{Value: v})
		}
		return a
	}
	assertion := func(format, nameID string, attrs ...saml.Attribute) *saml.Assertion {
		return &saml.Assertion{
			Subject:             &saml.Subject{NameID: &saml.NameID{Format: format, Value: nameID, NameQualifier: "idp"}},
			AuthnStatements:     []saml.AuthnStatement{{SessionIndex: "s-1"}},
			AttributeStatements: []saml.AttributeStatement{{Attributes: attrs}},
		}
	}
	defaults := config.SAML{
		EmailAttributes:  strings.Split(config.DefaultSAMLEmailAttributes, ","),
		NameAttributes:   strings.Split(config.DefaultSAMLNameAttributes, ","),
		GroupsAttributes: strings.Split(config.DefaultSAMLGroupsAttributes, ","),
	}
	withUserID := defaults
	withUserID.UserIDAttribute = "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"
	tests := []struct {
		name        string
		cfg         config.SAML
		a           *saml.Assertion
		wantErr     error
		wantSubject string
		wantEmail   string
		wantName    string
		wantGroups  []string
	}{
		{"Shibboleth OIDs", defaults, assertion(persistent, "p-1",
			attr("urn:oid:0.9.2342.19200300.100.1.3", "ada@example.edu"),
			attr("urn:oid:2.16.840.1.113730.3.1.241", " Ada Lovelace "),
			attr("urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "member", "faculty")),
			nil, "p-1", "ada@example.edu", "Ada Lovelace", []string{"member", "faculty"}},
		{"ADFS claims", defaults, assertion(string(saml.UnspecifiedNameIDFormat), `EXAMPLE\ada`,
			attr("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "ada@example.edu"),
			attr("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "Ada Lovelace"),
			attr("http://schemas.xmlsoap.org/claims/Group", "Domain Users", "Instructors")),
			nil, `EXAMPLE\ada`, "ada@example.edu", "Ada Lovelace", []string{"Domain Users", "Instructors"}},
		{"groups from two attributes, plain names", defaults, assertion(persistent, "p-2",
			attr("mail", "b@example.edu"), attr("eduPersonAffiliation", "staff"), attr("memberOf", "cn=instructors")),
			nil, "p-2", "b@example.edu", "b@example.edu", []string{"staff", "cn=instructors"}},
		{"first email attribute wins", defaults, assertion(persistent, "p-3",
			attr("urn:oid:0.9.2342.19200300.100.1.3", "second@example.edu"), attr("mail", "first@example.edu")),
			nil, "p-3", "first@example.edu", "first@example.edu", nil},
		{"transient NameID", defaults, assertion(string(saml.TransientNameIDFormat), "_t1"), ErrNoStableID, "", "", "", nil},
		{"empty NameID", defaults, assertion(persistent, " "), ErrNoStableID, "", "", "", nil},
		{"user id attribute", withUserID, assertion(string(saml.TransientNameIDFormat), "_t2",
			attr("urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "ada@example.edu")),
			nil, "ada@example.edu", "", "", nil},
		{"user id attribute missing", withUserID, assertion(persistent, "p-4"), ErrNoStableID, "", "", "", nil},
		{"user id too long", defaults, assertion(persistent, strings.Repeat("x", 300)), ErrNoStableID, "", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := &ServiceProvider{cfg: tt.cfg}
			res, err := sp.readAssertion(tt.a, "https://idp.example.edu/idp/shibboleth")
			if !errors.Is(err, tt.wantErr) || (tt.wantErr != nil && err == nil) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			p := res.Profile
			if p.Issuer != "https://idp.example.edu/idp/shibboleth" || p.Subject != tt.wantSubject || p.Email != tt.wantEmail || p.Name != tt.wantName {
				t.Errorf("profile = %+v, want subject %q email %q name %q", p, tt.wantSubject, tt.wantEmail, tt.wantName)
			}
			if p.EmailVerified != (p.Email != "") {
				t.Errorf("EmailVerified = %v for email %q", p.EmailVerified, p.Email)
			}
			if strings.Join(p.Groups, "|") != strings.Join(tt.wantGroups, "|") {
				t.Errorf("groups = %q, want %q", p.Groups, tt.wantGroups)
			}
			if res.Session.NameID != tt.a.Subject.NameID.Value || res.Session.SessionIndex != "s-1" || res.Session.NameQualifier != "idp" {
				t.Errorf("session = %+v, want the assertion's NameID and session index", res.Session)
			}
		})
	}
}

func TestNewServiceProviderInlineMetadata(t *testing.T) {
	key, cert := testSAMLKey(t)
	good := idpMetadataXML(t, "https://idp.example.edu")
	noRedirect := []byte(strings.ReplaceAll(string(good), saml.HTTPRedirectBinding, "urn:example:other"))
	tests := []struct {
		name    string
		xml     []byte
		wantErr string
	}{
		{"good", good, ""},
		{"no HTTP-Redirect sign-on", noRedirect, "SAML_IDP_METADATA: the identity provider offers no HTTP-Redirect SingleSignOnService"},
		{"not metadata", []byte("<a/>"), "SAML_IDP_METADATA: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp, err := NewServiceProvider(SAMLOptions{SAML: config.SAML{IDPMetadata: tt.xml, SPKey: key, SPCert: cert}})
			if tt.wantErr == "" {
				if err != nil || !sp.Ready() || sp.IDPEntityID() != "https://idp.example.edu/metadata" {
					t.Fatalf("NewServiceProvider = %v (ready %v), want ready with the IdP's entity ID", err, sp != nil && sp.Ready())
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one starting %q", err, tt.wantErr)
			}
		})
	}
}

// TestFetchMetadataRetries: an IdP that is down at start-up is retried in
// the background until it answers; then sign-in can begin.
func TestFetchMetadataRetries(t *testing.T) {
	key, cert := testSAMLKey(t)
	var calls atomic.Int32
	var body atomic.Pointer[[]byte]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 3 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write(*body.Load())
	}))
	defer srv.Close()
	meta := idpMetadataXML(t, srv.URL)
	body.Store(&meta)

	logs := &proctest.Output{}
	sp, err := NewServiceProvider(SAMLOptions{
		SAML:     config.SAML{IDPMetadataURL: srv.URL + "/metadata", SPKey: key, SPCert: cert},
		Logger:   slog.New(slog.NewJSONHandler(logs, nil)),
		RetryMin: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sp.Begin("https://twelve.example.org", "/", time.Now()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Begin before the metadata = %v, want ErrUnavailable", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go sp.FetchMetadata(ctx)
	if logs.WaitEvent(5*time.Second, func(ev proctest.Event) bool { return ev["msg"] == "SAML identity provider metadata loaded" }) == nil || !sp.Ready() {
		t.Fatalf("metadata not loaded after %d fetches", calls.Load())
	}
	if calls.Load() < 4 {
		t.Errorf("loaded after %d fetches, want the 4th", calls.Load())
	}
	flow, target, err := sp.Begin("https://twelve.example.org", "/lessons/config", time.Now())
	if err != nil || !strings.HasPrefix(target, srv.URL+"/sso?SAMLRequest=") || flow.Next != "/lessons/config" || flow.RequestID == "" {
		t.Errorf("Begin = %+v %q %v", flow, target, err)
	}

	// The IdP republishes metadata under another entity ID: refused, the
	// loaded copy stays.
	other := idpMetadataXML(t, "https://elsewhere.example.org")
	body.Store(&other)
	if err := sp.fetchOnce(ctx); err == nil || !strings.Contains(err.Error(), "entity ID changed") {
		t.Errorf("fetch of another entity ID = %v, want it refused", err)
	}
	if sp.IDPEntityID() != srv.URL+"/metadata" {
		t.Errorf("entity ID = %q after a refused refresh", sp.IDPEntityID())
	}
}

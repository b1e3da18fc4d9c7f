package handlers

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crewjam/saml"
)

// testKeyPair is an RSA key with a self-signed certificate, in both forms.
type testKeyPair struct {
	key     *rsa.PrivateKey
	cert    *x509.Certificate
	keyPEM  string
	certPEM string
}

var testKeyPairs sync.Map // name → *testKeyPair, made once per test binary

// keyPair returns the named test key pair; RSA key generation is slow, so
// each name is generated once.
func keyPair(t *testing.T, name string) *testKeyPair {
	t.Helper()
	if kp, ok := testKeyPairs.Load(name); ok {
		return kp.(*testKeyPair)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kp := &testKeyPair{
		key:     key,
		cert:    cert,
		keyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})),
		certPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
	}
	actual, _ := testKeyPairs.LoadOrStore(name, kp)
	return actual.(*testKeyPair)
}

// samlUser is who signs in at the test IdP next.
type samlUser struct {
	NameID       string
	NameIDFormat string // default persistent
	Email        string
	Name         string // sent as displayName (urn:oid:2.16.840.1.113730.3.1.241)
	Groups       []string
	// Extra attributes, by name.
	Extra map[string]string
}

// samlIDP is an in-process SAML 2.0 identity provider: crewjam/saml's
// IdentityProvider, served over real HTTP, with no login form: whoever
// asks is signed in as the user set with signInAs. It fetches the service
// provider's metadata from the site it serves, as a real IdP registration
// would.
type samlIDP struct {
	t   *testing.T
	URL string
	idp *saml.IdentityProvider
	srv *httptest.Server

	siteURL atomic.Pointer[string]
	user    atomic.Pointer[samlUser]
	// encrypt makes the IdP encrypt assertions to the site's certificate.
	encrypt atomic.Bool
	// mutate, when set, changes each assertion before it is signed.
	mutate atomic.Pointer[func(*saml.Assertion)]
	// refuse makes the IdP answer with an AuthnFailed error response.
	refuse atomic.Bool

	mu         sync.Mutex
	loggedOut  []string // NameIDs whose sessions single logout ended
	sessionSeq int
}

// samlIDPOptions configure startSAMLIDP.
type samlIDPOptions struct {
	// key names the signing key pair; default "idp".
	key string
	// impersonate makes an impostor: the same entity ID and endpoints as
	// that IdP (so its responses claim to be that IdP's), another key.
	impersonate *samlIDP
}

func startSAMLIDP(t *testing.T, o samlIDPOptions) *samlIDP {
	t.Helper()
	if o.key == "" {
		o.key = "idp"
	}
	kp := keyPair(t, o.key)
	s := &samlIDP{t: t}
	s.encrypt.Store(true)
	mux := http.NewServeMux()
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL

	base := s.URL
	if o.impersonate != nil {
		base = o.impersonate.URL
	}
	at := func(path string) url.URL {
		u, err := url.Parse(base + path)
		if err != nil {
			t.Fatal(err)
		}
		return *u
	}
	s.idp = &saml.IdentityProvider{
		Key:                     kp.key,
		Certificate:             kp.cert,
		Logger:                  log.New(testLogWriter{t}, "samlidp: ", 0),
		MetadataURL:             at("/metadata"),
		SSOURL:                  at("/sso"),
		LogoutURL:               at("/slo"),
		ServiceProviderProvider: s,
		SessionProvider:         s,
		AssertionMaker:          s,
		LogoutBindings:          []string{saml.HTTPRedirectBinding},
	}
	mux.HandleFunc("/metadata", s.idp.ServeMetadata)
	mux.HandleFunc("/sso", s.idp.ServeSSO)
	mux.HandleFunc("/slo", s.idp.ServeSLO)
	// /initiate starts an IdP-initiated sign-in; ?RelayState= is passed on.
	mux.HandleFunc("/initiate", func(w http.ResponseWriter, r *http.Request) {
		s.idp.ServeIDPInitiated(w, r, s.spEntityID(), r.URL.Query().Get("RelayState"))
	})
	return s
}

// EntityID is the IdP's entity ID: its metadata URL.
func (s *samlIDP) EntityID() string { return s.idp.MetadataURL.String() }

// MetadataURL is where the IdP serves its metadata.
func (s *samlIDP) MetadataURL() string { return s.URL + "/metadata" }

// serve makes the IdP serve the site at siteURL (its SP metadata).
func (s *samlIDP) serve(siteURL string) { s.siteURL.Store(&siteURL) }

func (s *samlIDP) spEntityID() string { return *s.siteURL.Load() + "/saml/metadata" }

// signInAs sets who the IdP signs in from now on.
func (s *samlIDP) signInAs(u samlUser) { s.user.Store(&u) }

// setMutate sets (or, with nil, clears) the change made to each assertion
// before it is signed.
func (s *samlIDP) setMutate(f func(*saml.Assertion)) {
	if f == nil {
		s.mutate.Store(nil)
		return
	}
	s.mutate.Store(&f)
}

func (s *samlIDP) loggedOutNameIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.loggedOut...)
}

// GetServiceProvider fetches the site's SAML metadata from /saml/metadata,
// leaving out its encryption key unless encrypt is set.
func (s *samlIDP) GetServiceProvider(_ *http.Request, id string) (*saml.EntityDescriptor, error) {
	site := s.siteURL.Load()
	if site == nil || id != *site+"/saml/metadata" {
		return nil, os.ErrNotExist
	}
	resp, err := http.Get(*site + "/saml/metadata")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("SP metadata: HTTP %d", resp.StatusCode)
	}
	var d saml.EntityDescriptor
	if err := xml.Unmarshal(body, &d); err != nil {
		return nil, err
	}
	if !s.encrypt.Load() {
		for i := range d.SPSSODescriptors {
			var keep []saml.KeyDescriptor
			for _, kd := range d.SPSSODescriptors[i].KeyDescriptors {
				if kd.Use != "encryption" {
					keep = append(keep, kd)
				}
			}
			d.SPSSODescriptors[i].KeyDescriptors = keep
		}
	}
	return &d, nil
}

// GetSession signs in the user set with signInAs.
func (s *samlIDP) GetSession(w http.ResponseWriter, _ *http.Request, _ *saml.IdpAuthnRequest) *saml.Session {
	u := s.user.Load()
	if u == nil {
		http.Error(w, "no test user set", http.StatusForbidden)
		return nil
	}
	s.mu.Lock()
	s.sessionSeq++
	seq := s.sessionSeq
	s.mu.Unlock()
	format := u.NameIDFormat
	if format == "" {
		format = string(saml.PersistentNameIDFormat)
	}
	session := &saml.Session{
		ID:           fmt.Sprintf("session-%d", seq),
		Index:        fmt.Sprintf("index-%d", seq),
		CreateTime:   time.Now(),
		ExpireTime:   time.Now().Add(time.Hour),
		NameID:       u.NameID,
		NameIDFormat: format,
		UserEmail:    u.Email,
		Groups:       u.Groups,
	}
	attr := func(name, value string) saml.Attribute {
		return saml.Attribute{Name: name, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri", Values: []saml.AttributeValue{{Type: "xs:string", Value: value}}}
	}
	if u.Name != "" {
		session.CustomAttributes = append(session.CustomAttributes, attr("urn:oid:2.16.840.1.113730.3.1.241", u.Name))
	}
	for name, value := range u.Extra {
		session.CustomAttributes = append(session.CustomAttributes, attr(name, value))
	}
	return session
}

// InvalidateSession records single logouts.
func (s *samlIDP) InvalidateSession(_ http.ResponseWriter, _ *http.Request, req *saml.IdpLogoutRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.Request.NameID != nil {
		s.loggedOut = append(s.loggedOut, req.Request.NameID.Value)
	}
	return nil
}

// MakeAssertion is the library's assertion, changed by mutate if set.
func (s *samlIDP) MakeAssertion(req *saml.IdpAuthnRequest, session *saml.Session) error {
	if s.refuse.Load() {
		return &saml.StatusError{TopLevel: saml.StatusResponder, SecondLevel: saml.StatusAuthnFailed}
	}
	if err := (saml.DefaultAssertionMaker{}).MakeAssertion(req, session); err != nil {
		return err
	}
	if f := s.mutate.Load(); f != nil {
		(*f)(req.Assertion)
	}
	return nil
}

type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// samlPost is the IdP's auto-submitting form: where it posts and what.
type samlPost struct {
	action string
	fields url.Values
	// origin is the IdP page's origin, which a browser sends as Origin
	// with the cross-site POST.
	origin string
}

// readSAMLPost reads the HTML-POST binding form from the IdP's answer.
func readSAMLPost(t *testing.T, resp *http.Response, body string) samlPost {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the IdP answered %d at %s, want its POST form:\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	doc := parseSigninDoc(t, body)
	forms := signinAll(doc.root, "form")
	if len(forms) != 1 {
		t.Fatalf("want one form from the IdP, got %d:\n%s", len(forms), body)
	}
	p := samlPost{action: signinAttr(forms[0], "action"), fields: url.Values{}, origin: resp.Request.URL.Scheme + "://" + resp.Request.URL.Host}
	for _, in := range signinAll(forms[0], "input") {
		if name := signinAttr(in, "name"); name != "" {
			p.fields.Set(name, signinAttr(in, "value"))
		}
	}
	if p.fields.Get("SAMLResponse") == "" {
		t.Fatalf("the IdP's form has no SAMLResponse:\n%s", body)
	}
	return p
}

// xml is the decoded SAMLResponse.
func (p samlPost) xml(t *testing.T) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(p.fields.Get("SAMLResponse"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// with returns a copy carrying response instead.
func (p samlPost) with(response string) samlPost {
	fields := url.Values{}
	for k, v := range p.fields {
		fields[k] = append([]string(nil), v...)
	}
	fields.Set("SAMLResponse", base64.StdEncoding.EncodeToString([]byte(response)))
	return samlPost{action: p.action, fields: fields, origin: p.origin}
}

// submit posts the form as the browser would: a cross-site POST, with the
// IdP's Origin, which only the SAML endpoints' exemption lets through.
func (b *browser) submit(p samlPost) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.action, strings.NewReader(p.fields.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.origin)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	return b.do(req)
}

// startSAML starts a sign-in at the site (/login?next=next) and returns
// the IdP's form, not yet posted.
func (b *browser) startSAML(site *signinSite, next string) samlPost {
	b.t.Helper()
	resp, body := b.get(site.URL + "/login?next=" + url.QueryEscape(next))
	return readSAMLPost(b.t, resp, body)
}

// signInSAML runs a whole SAML sign-in and returns the page it ends on.
func (b *browser) signInSAML(site *signinSite, next string) (*http.Response, string) {
	b.t.Helper()
	return b.submit(b.startSAML(site, next))
}

// startSAMLSite serves the app with SAML sign-in from idp (and env on top),
// and registers it with idp.
func startSAMLSite(t *testing.T, idp *samlIDP, env map[string]string) *signinSite {
	t.Helper()
	sp := keyPair(t, "sp")
	all := map[string]string{
		"SAML_IDP_METADATA_URL": idp.MetadataURL(),
		"SAML_SP_KEY":           sp.keyPEM,
		"SAML_SP_CERT":          sp.certPEM,
		"INSTRUCTOR_GROUP":      "instructors",
	}
	for k, v := range env {
		all[k] = v
	}
	site := startSigninSite(t, signinSiteOptions{env: all})
	idp.serve(site.URL)
	return site
}

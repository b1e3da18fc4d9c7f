package handlers

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/auth"
)

var (
	samlStudent    = samlUser{NameID: "a1b2c3-ada", Email: "ada@example.edu", Name: "Ada Lovelace", Groups: []string{"student", "member"}}
	samlInstructor = samlUser{NameID: "d4e5f6-ines", Email: "ines@example.edu", Name: "Ines Instructor", Groups: []string{"staff", "instructors"}}
)

// TestSAMLSignInEndToEnd signs in over real HTTP through an in-process
// SAML IdP, as a student and as an instructor (by the groups attribute),
// with encrypted and with plain assertions.
func TestSAMLSignInEndToEnd(t *testing.T) {
	idp := startSAMLIDP(t, samlIDPOptions{})
	site := startSAMLSite(t, idp, nil)
	tests := []struct {
		name     string
		user     samlUser
		encrypt  bool
		wantRole string
	}{
		{"student", samlStudent, true, "student"},
		{"instructor by groups attribute", samlInstructor, true, "instructor"},
		{"student, unencrypted assertion", samlStudent, false, "student"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp.encrypt.Store(tt.encrypt)
			idp.signInAs(tt.user)
			b := newBrowser(t)
			post := b.startSAML(site, "/me")
			if encrypted := strings.Contains(post.xml(t), "EncryptedAssertion"); encrypted != tt.encrypt {
				t.Fatalf("assertion encrypted: %v, want %v", encrypted, tt.encrypt)
			}
			if post.action != site.URL+auth.SAMLACSPath {
				t.Errorf("the IdP posts to %s, want %s", post.action, site.URL+auth.SAMLACSPath)
			}
			resp, body := b.submit(post)
			if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != site.URL+"/me" {
				t.Fatalf("sign-in ended at %s with %d, want %s/me with 200:\n%s", resp.Request.URL, resp.StatusCode, site.URL, body)
			}
			name, role, ok := viewerOfPage(t, body)
			if !ok || name != tt.user.Name || role != tt.wantRole {
				t.Errorf("header shows %q %q (signed in: %v), want %q %q", name, role, ok, tt.user.Name, tt.wantRole)
			}
			if b.cookie(site.URL+auth.SAMLACSPath, auth.SAMLFlowCookie) != "" {
				t.Error("the SAML flow cookie outlived the assertion consumer")
			}
			var issuer, email string
			err := site.pool.QueryRow(context.Background(), "SELECT issuer, email FROM users WHERE subject = $1", tt.user.NameID).Scan(&issuer, &email)
			if err != nil {
				t.Fatalf("no users row with subject %q: %v", tt.user.NameID, err)
			}
			if issuer != idp.EntityID() || email != tt.user.Email {
				t.Errorf("users row = (%q, %q), want (%q, %q)", issuer, email, idp.EntityID(), tt.user.Email)
			}
		})
	}
	if got := site.userCount(t); got != 2 {
		t.Errorf("users rows = %d, want 2 (one per person, however often they sign in)", got)
	}
}

// TestSAMLMetadata checks what the IdP is given to register this site.
func TestSAMLMetadata(t *testing.T) {
	idp := startSAMLIDP(t, samlIDPOptions{})
	site := startSAMLSite(t, idp, nil)
	resp, body := newBrowser(t).get(site.URL + auth.SAMLMetadataPath)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/samlmetadata+xml" {
		t.Fatalf("GET /saml/metadata = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`entityID="` + site.URL + `/saml/metadata"`,
		`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="` + site.URL + `/saml/acs"`,
		`Location="` + site.URL + `/saml/slo"`,
		`urn:oasis:names:tc:SAML:2.0:nameid-format:persistent`,
		`use="signing"`, `use="encryption"`,
		`AuthnRequestsSigned="true"`, `WantAssertionsSigned="true"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metadata lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "PRIVATE KEY") || strings.Contains(body, "HTTP-Artifact") || strings.Contains(body, "validUntil") {
		t.Errorf("metadata shows a private key, the artifact binding or an expiry:\n%s", body)
	}
}

// TestSAMLLoginGoesStraightToIdP: with only SAML configured, /login sends
// the browser to the IdP with a signed AuthnRequest and the tracker cookie.
func TestSAMLLoginGoesStraightToIdP(t *testing.T) {
	idp := startSAMLIDP(t, samlIDPOptions{})
	site := startSAMLSite(t, idp, nil)
	resp, err := noRedirects().Get(site.URL + "/login?next=/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), idp.URL+"/sso?") {
		t.Fatalf("GET /login = %d to %v, want 303 to the IdP's SSO service", resp.StatusCode, loc)
	}
	q := loc.Query()
	if q.Get("SAMLRequest") == "" || q.Get("SigAlg") == "" || q.Get("Signature") == "" {
		t.Errorf("AuthnRequest not signed with the redirect binding: %s", loc)
	}
	relay := q.Get("RelayState")
	if relay == "" || len(relay) > 80 || strings.Contains(relay, "/me") {
		t.Errorf("RelayState = %q, want an opaque token of at most 80 bytes", relay)
	}
	flow := setCookieNamed(resp, auth.SAMLFlowCookie)
	if flow == nil || flow.Path != auth.SAMLACSPath || !flow.HttpOnly || flow.MaxAge <= 0 || flow.MaxAge > 600 {
		t.Errorf("flow cookie = %+v, want HttpOnly, Path=%s, at most 10 minutes", flow, auth.SAMLACSPath)
	}
	// Plain http: Secure is impossible and SameSite=None needs it, so the
	// attribute is left to the browser's default.
	if flow != nil && (flow.Secure || flow.SameSite != 0) {
		t.Errorf("flow cookie over http = Secure %v SameSite %v, want neither", flow.Secure, flow.SameSite)
	}
}

// TestSAMLCookiesBehindHTTPSRouter: over https the tracker cookie must
// survive the IdP's cross-site POST: SameSite=None and Secure.
func TestSAMLCookiesBehindHTTPSRouter(t *testing.T) {
	idp := startSAMLIDP(t, samlIDPOptions{})
	site := startSAMLSite(t, idp, map[string]string{"BASE_URL": "https://"})
	req, err := http.NewRequest(http.MethodGet, site.URL+"/login?next=/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := noRedirects().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	flow := setCookieNamed(resp, "__Secure-"+auth.SAMLFlowCookie)
	if flow == nil || !flow.Secure || !flow.HttpOnly || flow.SameSite != http.SameSiteNoneMode || flow.Path != auth.SAMLACSPath {
		t.Fatalf("flow cookie over https = %+v, want __Secure-%s, Secure, HttpOnly, SameSite=None, Path=%s", flow, auth.SAMLFlowCookie, auth.SAMLACSPath)
	}
	loc, _ := resp.Location()
	request := decodeRedirectRequest(t, loc.Query().Get("SAMLRequest"))
	httpsOrigin := strings.Replace(site.URL, "http://", "https://", 1)
	if !strings.Contains(request, `AssertionConsumerServiceURL="`+httpsOrigin+`/saml/acs"`) {
		t.Errorf("AuthnRequest does not name the https consumer %s/saml/acs:\n%s", httpsOrigin, request)
	}
}

// TestSAMLChooser: with OpenID Connect and SAML both configured, /login
// asks which, keeping next; each choice goes to its provider.
func TestSAMLChooser(t *testing.T) {
	oidc := startDevIDP(t, "127.0.0.1:0", nil)
	idp := startSAMLIDP(t, samlIDPOptions{})
	site := startSAMLSite(t, idp, map[string]string{"OIDC_ISSUER_URL": oidc.Issuer()})
	idp.signInAs(samlStudent)
	b := newBrowser(t)
	resp, body := b.get(site.URL + "/login?next=/me")
	doc := parseSigninDoc(t, body)
	samlLink, oidcLink := doc.byTestID("signin-with-saml"), doc.byTestID("signin-with-oidc")
	if resp.StatusCode != http.StatusOK || samlLink == nil || oidcLink == nil {
		t.Fatalf("GET /login = %d without both choices:\n%s", resp.StatusCode, body)
	}
	for _, link := range []string{signinAttr(samlLink, "href"), signinAttr(oidcLink, "href")} {
		u, err := url.Parse(link)
		if err != nil || u.Path != "/login" || u.Query().Get("next") != "/me" {
			t.Errorf("choice %q does not keep next=/me", link)
		}
	}

	resp, body = b.follow(site, samlLink)
	resp, body = b.submit(readSAMLPost(t, resp, body))
	if resp.Request.URL.Path != "/me" {
		t.Errorf("SAML choice ended at %s, want /me", resp.Request.URL)
	}
	if name, _, _ := viewerOfPage(t, body); name != samlStudent.Name {
		t.Errorf("SAML choice signed in %q, want %q", name, samlStudent.Name)
	}

	other := newBrowser(t)
	_, body = other.get(site.URL + "/login?next=/me")
	resp, body = other.follow(site, parseSigninDoc(t, body).byTestID("signin-with-oidc"))
	if !strings.HasPrefix(resp.Request.URL.String(), oidc.Issuer()) || parseSigninDoc(t, body).byTestID("account-student-ada") == nil {
		t.Errorf("OpenID Connect choice ended at %s, want the provider's chooser", resp.Request.URL)
	}
}

// follow clicks link, an <a> on a page of site.
func (b *browser) follow(site *signinSite, link *html.Node) (*http.Response, string) {
	b.t.Helper()
	if link == nil {
		b.t.Fatal("no link to follow")
	}
	return b.get(site.URL + signinAttr(link, "href"))
}

// decodeRedirectRequest inflates a SAMLRequest sent with the HTTP-Redirect binding.
func decodeRedirectRequest(t *testing.T, encoded string) string {
	t.Helper()
	compressed, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(flate.NewReader(bytes.NewReader(compressed)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSAMLUserIDAttribute: with SAML_USER_ID_ATTRIBUTE people are keyed by
// that attribute, and a transient NameID is fine.
func TestSAMLUserIDAttribute(t *testing.T) {
	const eppn = "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"
	idp := startSAMLIDP(t, samlIDPOptions{})
	site := startSAMLSite(t, idp, map[string]string{"SAML_USER_ID_ATTRIBUTE": eppn})
	for range 2 {
		u := samlStudent
		u.NameID, u.NameIDFormat = "_transient-"+rand.Text(), "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
		u.Extra = map[string]string{eppn: "ada@example.edu"}
		idp.signInAs(u)
		if resp, body := newBrowser(t).signInSAML(site, "/"); resp.StatusCode != http.StatusOK {
			t.Fatalf("sign-in = %d:\n%s", resp.StatusCode, body)
		}
	}
	var subjects []string
	rows, err := site.pool.Query(context.Background(), "SELECT subject FROM users")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, s)
	}
	if !slices.Equal(subjects, []string{"ada@example.edu"}) {
		t.Errorf("users subjects = %q, want one row keyed by eduPersonPrincipalName", subjects)
	}
}

// TestSAMLSingleLogout: signing out of a SAML sign-in sends a signed
// LogoutRequest for the right NameID to the IdP, whose signed
// LogoutResponse comes back to /saml/slo.
func TestSAMLSingleLogout(t *testing.T) {
	idp := startSAMLIDP(t, samlIDPOptions{})
	site := startSAMLSite(t, idp, nil)
	idp.signInAs(samlStudent)
	b := newBrowser(t)
	b.signInSAML(site, "/")
	b.visited = nil
	resp, body := b.postForm(site.URL+"/logout", nil)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != site.URL+"/" {
		t.Fatalf("POST /logout ended at %s with %d, want %s/:\n%s", resp.Request.URL, resp.StatusCode, site.URL, body)
	}
	if _, _, ok := viewerOfPage(t, body); ok {
		t.Error("still signed in after POST /logout")
	}
	var sawIdP, sawSLO bool
	for _, u := range b.visited {
		sawIdP = sawIdP || strings.HasPrefix(u.String(), idp.URL+"/slo?SAMLRequest=")
		sawSLO = sawSLO || (strings.HasPrefix(u.String(), site.URL+auth.SAMLSLOPath) && u.Query().Get("SAMLResponse") != "")
	}
	if !sawIdP || !sawSLO {
		t.Errorf("sign-out visited %v; want the IdP's SLO with a LogoutRequest and back to /saml/slo with a LogoutResponse", b.visited)
	}
	if got := idp.loggedOutNameIDs(); !slices.Equal(got, []string{samlStudent.NameID}) {
		t.Errorf("IdP ended sessions of %q, want %q", got, samlStudent.NameID)
	}
	for _, name := range []string{auth.IdentityCookie, auth.SAMLHintCookie, auth.SAMLSignOutCookie} {
		for _, path := range []string{"/", auth.HintPath, auth.SAMLSLOPath} {
			if b.cookie(site.URL+path, name) != "" {
				t.Errorf("cookie %s still sent to %s after sign-out", name, path)
			}
		}
	}

	// The same LogoutResponse again answers no sign-out in progress.
	var answer *url.URL
	for _, u := range b.visited {
		if strings.HasPrefix(u.String(), site.URL+auth.SAMLSLOPath) {
			answer = u
		}
	}
	if answer != nil {
		if resp, _ := b.get(answer.String()); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a replayed LogoutResponse = %d, want 400", resp.StatusCode)
		}
	}
}

// TestSAMLRoutesOffWithoutSAML: with no SAML IdP configured the SAML
// routes do not exist.
func TestSAMLRoutesOffWithoutSAML(t *testing.T) {
	oidc := startDevIDP(t, "127.0.0.1:0", nil)
	site := startSigninSite(t, signinSiteOptions{issuer: oidc.Issuer()})
	b := newBrowser(t)
	if resp, _ := b.get(site.URL + auth.SAMLMetadataPath); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /saml/metadata = %d, want 404", resp.StatusCode)
	}
	if resp, _ := b.postForm(site.URL+auth.SAMLACSPath, url.Values{"SAMLResponse": {"x"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /saml/acs = %d, want 404", resp.StatusCode)
	}
	// /login goes straight to the OpenID provider, no chooser.
	resp, _ := b.get(site.URL + "/login")
	if !strings.HasPrefix(resp.Request.URL.String(), oidc.Issuer()) {
		t.Errorf("GET /login ended at %s, want the OpenID provider", resp.Request.URL)
	}
}

// TestSAMLLogoutFromIdP: a LogoutRequest signed by the IdP (someone signed
// out elsewhere) signs this browser out and is answered with a signed
// LogoutResponse; one signed with another key changes nothing.
func TestSAMLLogoutFromIdP(t *testing.T) {
	idp := startSAMLIDP(t, samlIDPOptions{})
	site := startSAMLSite(t, idp, nil)
	idp.signInAs(samlStudent)
	b := newBrowser(t)
	b.signInSAML(site, "/")

	logoutRequest := func(keyName string) string {
		kp := keyPair(t, keyName)
		signer := &saml.ServiceProvider{
			EntityID: idp.EntityID(), Key: kp.key, Certificate: kp.cert,
			LogoutSignatureMethod: dsig.RSASHA256SignatureMethod,
			IDPMetadata:           &saml.EntityDescriptor{EntityID: site.URL + auth.SAMLMetadataPath},
		}
		req, err := signer.MakeLogoutRequest(site.URL+auth.SAMLSLOPath, samlStudent.NameID)
		if err != nil {
			t.Fatal(err)
		}
		u, err := signer.RedirectLogoutRequestURL(req, "relay-1")
		if err != nil {
			t.Fatal(err)
		}
		return u.String()
	}

	resp, _ := b.get(logoutRequest("impostor"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a LogoutRequest signed with another key = %d, want 400", resp.StatusCode)
	}
	if _, body := b.get(site.URL + "/"); !strings.Contains(body, `data-testid="viewer-name"`) {
		t.Fatal("a forged LogoutRequest signed the browser out")
	}

	b.stopAt = "/slo"
	resp, _ = b.get(logoutRequest("idp"))
	b.stopAt = ""
	answer, err := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(answer.String(), idp.URL+"/slo?") {
		t.Fatalf("LogoutRequest = %d to %v, want 303 to the IdP's SLO service", resp.StatusCode, answer)
	}
	q := answer.Query()
	if q.Get("SAMLResponse") == "" || q.Get("Signature") == "" || q.Get("RelayState") != "relay-1" {
		t.Errorf("answer %s: want a signed LogoutResponse with RelayState relay-1", answer)
	}
	if _, body := b.get(site.URL + "/"); strings.Contains(body, `data-testid="viewer-name"`) {
		t.Error("still signed in after the IdP's LogoutRequest")
	}
}

package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/twelve-course/twelve/auth"
)

// editXML parses a SAML response, lets edit change it and serialises it.
func editXML(t *testing.T, raw string, edit func(root *etree.Element)) string {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(raw); err != nil {
		t.Fatal(err)
	}
	edit(doc.Root())
	out, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// removeAll removes every element matching path under root.
func removeAll(root *etree.Element, path string) int {
	n := 0
	for _, el := range root.FindElements(path) {
		if el.Parent() != nil && el.Parent().RemoveChild(el) != nil {
			n++
		}
	}
	return n
}

// setNameID changes the NameID of every assertion under root.
func setNameID(t *testing.T, root *etree.Element, value string) {
	t.Helper()
	ids := root.FindElements("//Assertion/Subject/NameID")
	if len(ids) == 0 {
		t.Fatal("no NameID to change")
	}
	for _, id := range ids {
		id.SetText(value)
	}
}

// TestSAMLRefusesBadResponses posts spoilt or misdirected responses to the
// assertion consumer. Each must be refused with the "Sign-in failed" page
// (400, a link back to /login), set no identity cookie and write no users
// row; the controls check that the spoiling itself leaves a good response
// good, so that each refusal is for the reason named.
func TestSAMLRefusesBadResponses(t *testing.T) {
	idp := startSAMLIDP(t, samlIDPOptions{})
	impostor := startSAMLIDP(t, samlIDPOptions{key: "impostor", impersonate: idp})
	site := startSAMLSite(t, idp, nil)
	impostor.serve(site.URL)
	// Plain assertions, so that they can be spoilt; an encrypted one only
	// hides the same checks behind decryption.
	idp.encrypt.Store(false)
	impostor.encrypt.Store(false)

	const (
		notSigned = "not signed by the provider this site trusts"
		notValid  = "could not be verified"
	)
	evil := samlUser{NameID: "ada@example.edu.evil.example", Email: "mallory@evil.example", Name: "Mallory", Groups: []string{"instructors"}}

	tests := []struct {
		name string
		user samlUser // default samlStudent
		// mutate changes the assertion at the IdP, before it is signed.
		mutate func(a *saml.Assertion)
		// refuse makes the IdP answer with an error status.
		refuse bool
		// post prepares what browser b posts to the consumer; default: b
		// starts a sign-in and posts the IdP's form unchanged.
		post func(t *testing.T, b *browser) samlPost
		// wantReason is the refusal's reason; "" for a control, which must
		// be accepted.
		wantReason string
	}{
		{
			name: "control: an unchanged response is accepted",
			user: samlUser{NameID: "control-1", Email: "c1@example.edu", Name: "Control One"},
		},
		{
			name: "unsigned assertion",
			post: func(t *testing.T, b *browser) samlPost {
				p := b.startSAML(site, "/")
				return p.with(editXML(t, p.xml(t), func(root *etree.Element) {
					if removeAll(root, "//Signature") != 2 {
						t.Fatal("want a signed response and a signed assertion to unsign")
					}
				}))
			},
			wantReason: notSigned,
		},
		{
			name: "unsigned assertion claiming another person",
			post: func(t *testing.T, b *browser) samlPost {
				p := b.startSAML(site, "/")
				return p.with(editXML(t, p.xml(t), func(root *etree.Element) {
					removeAll(root, "//Signature")
					setNameID(t, root, samlInstructor.NameID)
				}))
			},
			wantReason: notSigned,
		},
		{
			name: "signed with another key",
			post: func(t *testing.T, b *browser) samlPost {
				b.stopAt = "/sso"
				resp, _ := b.get(site.URL + "/login?next=/")
				b.stopAt = ""
				loc, err := resp.Location()
				if err != nil {
					t.Fatalf("/login did not redirect to the IdP: %v", err)
				}
				// The same AuthnRequest, answered by an impostor that uses
				// the IdP's entity ID and its own key and certificate.
				impostor.signInAs(samlInstructor)
				resp, body := b.get(impostor.URL + loc.RequestURI())
				return readSAMLPost(t, resp, body)
			},
			wantReason: notSigned,
		},
		{
			name: "assertion for another audience",
			mutate: func(a *saml.Assertion) {
				a.Conditions.AudienceRestrictions = []saml.AudienceRestriction{{Audience: saml.Audience{Value: "https://other.example.org/saml/metadata"}}}
			},
			wantReason: "meant for another site",
		},
		{
			name: "expired conditions",
			mutate: func(a *saml.Assertion) {
				a.Conditions.NotBefore = time.Now().Add(-20 * time.Minute)
				a.Conditions.NotOnOrAfter = time.Now().Add(-10 * time.Minute)
			},
			wantReason: "has expired or is not valid yet",
		},
		{
			name: "expired assertion (issued an hour ago)",
			mutate: func(a *saml.Assertion) {
				past := time.Now().Add(-time.Hour)
				a.IssueInstant, a.Conditions.NotBefore = past, past
			},
			wantReason: "has expired or is not valid yet",
		},
		{
			name: "conditions not yet valid",
			mutate: func(a *saml.Assertion) {
				a.Conditions.NotBefore = time.Now().Add(10 * time.Minute)
				a.Conditions.NotOnOrAfter = time.Now().Add(20 * time.Minute)
			},
			wantReason: "has expired or is not valid yet",
		},
		{
			name: "replayed in the browser that used it",
			user: samlUser{NameID: "replay-1", Email: "r1@example.edu", Name: "Replay One"},
			post: func(t *testing.T, b *browser) samlPost {
				p := b.startSAML(site, "/")
				if resp, body := b.submit(p); resp.StatusCode != http.StatusOK {
					t.Fatalf("the first use was refused: %d\n%s", resp.StatusCode, body)
				}
				return p
			},
			wantReason: "no sign-in in progress",
		},
		{
			name: "replayed in another browser, with a sign-in of its own in progress",
			user: samlUser{NameID: "replay-2", Email: "r2@example.edu", Name: "Replay Two"},
			post: func(t *testing.T, b *browser) samlPost {
				victim := newBrowser(t)
				p := victim.startSAML(site, "/")
				if resp, _ := victim.submit(p); resp.StatusCode != http.StatusOK {
					t.Fatal("the victim's sign-in failed")
				}
				b.startSAML(site, "/") // b's own request, which p does not answer
				return p
			},
			wantReason: "belongs to another sign-in",
		},
		{
			name: "InResponseTo of another browser's request",
			post: func(t *testing.T, b *browser) samlPost {
				p := newBrowser(t).startSAML(site, "/") // never used there
				b.startSAML(site, "/")
				return p
			},
			wantReason: "belongs to another sign-in",
		},
		{
			name: "InResponseTo of a request, in a browser with no sign-in in progress",
			post: func(t *testing.T, b *browser) samlPost {
				return newBrowser(t).startSAML(site, "/")
			},
			wantReason: "no sign-in in progress",
		},
		{
			name: "control: response signature removed, assertion still signed",
			user: samlUser{NameID: "control-2", Email: "c2@example.edu", Name: "Control Two"},
			post: func(t *testing.T, b *browser) samlPost {
				p := b.startSAML(site, "/")
				return p.with(editXML(t, p.xml(t), func(root *etree.Element) {
					if removeAll(root, "./Signature") != 1 {
						t.Fatal("no response signature to remove")
					}
				}))
			},
		},
		{
			name: "signature wrapping: unsigned assertion inserted before the signed one",
			post: func(t *testing.T, b *browser) samlPost {
				p := b.startSAML(site, "/")
				return p.with(editXML(t, p.xml(t), func(root *etree.Element) {
					wrapAssertion(t, root)
				}))
			},
			wantReason: notSigned,
		},
		{
			name: "signature wrapping: response unsigned, unsigned assertion first",
			post: func(t *testing.T, b *browser) samlPost {
				p := b.startSAML(site, "/")
				return p.with(editXML(t, p.xml(t), func(root *etree.Element) {
					removeAll(root, "./Signature")
					wrapAssertion(t, root)
				}))
			},
			wantReason: notValid,
		},
		{
			name: "signature wrapping: signed assertion moved inside the forged one",
			post: func(t *testing.T, b *browser) samlPost {
				p := b.startSAML(site, "/")
				return p.with(editXML(t, p.xml(t), func(root *etree.Element) {
					removeAll(root, "./Signature")
					forged := wrapAssertion(t, root)
					signed := root.FindElement("./Assertion[Signature]")
					root.RemoveChild(signed)
					forged.CreateElement(forged.Space + ":Advice").AddChild(signed)
				}))
			},
			wantReason: notSigned,
		},
		{
			name: "comment-injected NameID",
			user: evil,
			post: func(t *testing.T, b *browser) samlPost {
				p := b.startSAML(site, "/")
				raw := p.xml(t)
				spoilt := strings.Replace(raw, ">ada@example.edu.evil.example<", ">ada@example.edu<!---->.evil.example<", 1)
				if spoilt == raw {
					t.Fatal("no NameID to inject a comment into")
				}
				return p.with(spoilt)
			},
			wantReason: notValid,
		},
		{
			name: "IdP-initiated while SAML_ALLOW_IDP_INITIATED is off",
			post: func(t *testing.T, b *browser) samlPost {
				resp, body := b.get(idp.URL + "/initiate?RelayState=/me")
				return readSAMLPost(t, resp, body)
			},
			wantReason: "started at the identity provider",
		},
		{
			name:       "the IdP refuses (AuthnFailed)",
			refuse:     true,
			wantReason: "did not let you in",
		},
		{
			name:       "transient NameID and no SAML_USER_ID_ATTRIBUTE",
			user:       samlUser{NameID: "_t-0123", NameIDFormat: string(saml.TransientNameIDFormat), Email: "t@example.edu", Name: "Transient"},
			wantReason: "did not send a lasting identifier",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user := tt.user
			if user.NameID == "" {
				user = samlStudent
			}
			idp.signInAs(user)
			idp.setMutate(tt.mutate)
			idp.refuse.Store(tt.refuse)
			defer func() { idp.setMutate(nil); idp.refuse.Store(false) }()
			b := newBrowser(t)
			var post samlPost
			if tt.post != nil {
				post = tt.post(t, b)
			} else {
				post = b.startSAML(site, "/")
			}
			before := site.userCount(t)
			signedIn := b.cookie(site.URL, auth.IdentityCookie) != ""
			resp, body := b.submit(post)

			if tt.wantReason == "" {
				if name, _, ok := viewerOfPage(t, body); resp.StatusCode != http.StatusOK || !ok || name != user.Name {
					t.Fatalf("control refused: %d, header %q (signed in %v), want %q:\n%s", resp.StatusCode, name, ok, user.Name, body)
				}
				return
			}
			checkSignInRefused(t, resp, body, tt.wantReason)
			if after := site.userCount(t); after != before {
				t.Errorf("users rows went from %d to %d; a refused sign-in must write none", before, after)
			}
			if !signedIn && b.cookie(site.URL, auth.IdentityCookie) != "" {
				t.Error("the browser holds an identity cookie after a refused sign-in")
			}
			if b.cookie(site.URL+auth.SAMLACSPath, auth.SAMLFlowCookie) != "" {
				t.Error("the SAML flow cookie survived the refused response")
			}
			if strings.Contains(body, "urn:oasis") || strings.Contains(body, "saml:") {
				t.Error("the failure page shows SAML detail")
			}
		})
	}

	// The comment injection neither signed in the address it pointed at
	// nor the one the IdP vouched for.
	var n int
	if err := site.pool.QueryRow(t.Context(), "SELECT count(*) FROM users WHERE subject LIKE 'ada@example.edu%' OR email = 'mallory@evil.example'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d users rows for the comment-injected NameID, want 0", n)
	}
}

// wrapAssertion inserts, before the signed assertion, an unsigned copy
// that names the instructor, and returns it: the classic XML signature
// wrapping, hoping the reader takes the first assertion while the verifier
// checks the signed one.
func wrapAssertion(t *testing.T, root *etree.Element) *etree.Element {
	t.Helper()
	signed := root.FindElement("./Assertion")
	if signed == nil {
		t.Fatal("no plain assertion to wrap")
	}
	forged := signed.Copy()
	removeAll(forged, "./Signature")
	forged.CreateAttr("ID", "forged-assertion")
	for _, id := range forged.FindElements("./Subject/NameID") {
		id.SetText(samlInstructor.NameID)
	}
	root.InsertChildAt(signed.Index(), forged)
	return forged
}

// TestSAMLIdPInitiated: with SAML_ALLOW_IDP_INITIATED=true, a sign-in
// started at the IdP is accepted and its RelayState is followed when it is
// a path on this site; a response that names a request still needs this
// browser's.
func TestSAMLIdPInitiated(t *testing.T) {
	idp := startSAMLIDP(t, samlIDPOptions{})
	site := startSAMLSite(t, idp, map[string]string{"SAML_ALLOW_IDP_INITIATED": "true"})
	idp.signInAs(samlStudent)

	b := newBrowser(t)
	resp, body := b.get(idp.URL + "/initiate?RelayState=" + url.QueryEscape("/me"))
	resp, body = b.submit(readSAMLPost(t, resp, body))
	if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != site.URL+"/me" {
		t.Fatalf("IdP-initiated sign-in ended at %s with %d, want %s/me", resp.Request.URL, resp.StatusCode, site.URL)
	}
	if name, _, _ := viewerOfPage(t, body); name != samlStudent.Name {
		t.Errorf("header shows %q, want %q", name, samlStudent.Name)
	}

	off := newBrowser(t)
	resp, body = off.get(idp.URL + "/initiate?RelayState=" + url.QueryEscape("https://evil.example/"))
	resp, _ = off.submit(readSAMLPost(t, resp, body))
	if resp.Request.URL.String() != site.URL+"/" {
		t.Errorf("an off-site RelayState led to %s, want %s/", resp.Request.URL, site.URL)
	}

	stray := newBrowser(t)
	p := newBrowser(t).startSAML(site, "/")
	resp, body = stray.submit(p)
	checkSignInRefused(t, resp, body, "no sign-in in progress")
}

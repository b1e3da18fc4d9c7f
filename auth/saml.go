package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/internal/backoff"
)

// Reasons a SAML response is refused, besides ErrState (it answers another
// request, or none of this browser's), ErrProviderRefused (its status is not
// Success) and ErrUnavailable (the IdP's metadata is not loaded yet). Each
// is wrapped around the detail, which is logged and never shown.
var (
	// ErrUnsolicited: the response answers no request (IdP-initiated) and
	// SAML_ALLOW_IDP_INITIATED is off.
	ErrUnsolicited = errors.New("auth: unsolicited SAML response")
	// ErrSAMLSignature: the response and its assertion are not signed, or
	// not by a key in the IdP's metadata.
	ErrSAMLSignature = errors.New("auth: SAML signature refused")
	// ErrSAMLAudience: the assertion is meant for another service provider
	// or was sent to another address.
	ErrSAMLAudience = errors.New("auth: SAML assertion is for another site")
	// ErrSAMLExpired: the response or assertion is outside its validity
	// window (expired, or not valid yet).
	ErrSAMLExpired = errors.New("auth: SAML assertion expired or not yet valid")
	// ErrSAMLResponse: anything else that fails verification: unreadable or
	// oddly shaped XML, another issuer, a missing element.
	ErrSAMLResponse = errors.New("auth: SAML response refused")
	// ErrNoStableID: the assertion identifies the person by nothing that
	// lasts (a transient NameID, or no SAML_USER_ID_ATTRIBUTE).
	ErrNoStableID = errors.New("auth: SAML assertion has no lasting user id")
)

// metadataMaxBytes bounds the IdP metadata read from SAML_IDP_METADATA_URL;
// one IdP's metadata is a few kilobytes.
const metadataMaxBytes = 10 << 20

// metadataRefresh is how often metadata fetched by URL is fetched again, so
// that an IdP's signing certificate rollover needs no restart.
const metadataRefresh = 6 * time.Hour

// SAMLOptions configures a ServiceProvider. Zero durations take the defaults.
type SAMLOptions struct {
	SAML   config.SAML
	Logger *slog.Logger
	// HTTPClient fetches the IdP metadata; default: a client with a 10 s timeout.
	HTTPClient *http.Client
	// RetryMin and RetryMax bound the wait between metadata fetches while
	// the IdP is unreachable (defaults 1 s and 30 s).
	RetryMin, RetryMax time.Duration
}

// ServiceProvider signs people in with one SAML 2.0 identity provider, on
// github.com/crewjam/saml. Its metadata, when given by URL, is fetched in
// the background (FetchMetadata), so the process binds its port and serves
// lessons while the IdP is down; until it is loaded, Ready is false.
//
// It keeps no state per person: a sign-in in progress travels in a
// SAMLFlow cookie and single logout in a SAMLSignOut cookie.
type ServiceProvider struct {
	cfg    config.SAML
	logger *slog.Logger
	client *http.Client
	retry  *backoff.Backoff

	idp atomic.Pointer[saml.EntityDescriptor]
}

// NewServiceProvider returns a service provider for o.SAML. Inline metadata
// (SAML_IDP_METADATA) is read now, and an error names the setting; metadata
// by URL waits for FetchMetadata.
func NewServiceProvider(o SAMLOptions) (*ServiceProvider, error) {
	sp := &ServiceProvider{
		cfg:    o.SAML,
		logger: o.Logger,
		client: o.HTTPClient,
	}
	// A nudge matters only while no metadata is loaded; a refresh waits.
	sp.retry = backoff.New(o.RetryMin, o.RetryMax, func() bool { return !sp.Ready() })
	if sp.logger == nil {
		sp.logger = slog.New(slog.DiscardHandler)
	}
	if sp.client == nil {
		sp.client = &http.Client{Timeout: 10 * time.Second}
	}
	if sp.cfg.SPKey == nil || sp.cfg.SPCert == nil {
		return nil, errors.New("auth: SAML needs SAML_SP_KEY and SAML_SP_CERT")
	}
	if len(sp.cfg.IDPMetadata) > 0 {
		d, err := parseIDPMetadata(sp.cfg.IDPMetadata)
		if err != nil {
			return nil, fmt.Errorf("SAML_IDP_METADATA: %w", err)
		}
		sp.idp.Store(d)
	}
	return sp, nil
}

// Ready reports whether the IdP's metadata is loaded.
func (sp *ServiceProvider) Ready() bool { return sp.idp.Load() != nil }

// IDPEntityID is the IdP's entity ID, or "" until its metadata is loaded.
// Users who sign in with SAML are keyed by it (their users.issuer).
func (sp *ServiceProvider) IDPEntityID() string {
	if d := sp.idp.Load(); d != nil {
		return d.EntityID
	}
	return ""
}

// MetadataURL is SAML_IDP_METADATA_URL, or "" for inline metadata.
func (sp *ServiceProvider) MetadataURL() string { return sp.cfg.IDPMetadataURL }

// FetchMetadata loads the IdP metadata from SAML_IDP_METADATA_URL, retrying
// with exponential backoff and jitter while it fails, then fetches it again
// every few hours (keeping what it has when that fails) until ctx ends. Run
// it in its own goroutine at start-up; with inline metadata it returns at once.
func (sp *ServiceProvider) FetchMetadata(ctx context.Context) {
	if sp.cfg.IDPMetadataURL == "" {
		return
	}
	for {
		attempts, err := sp.retry.Retry(ctx, sp.fetchOnce, func(attempt int, wait time.Duration, err error) {
			attrs := []any{"url", sp.cfg.IDPMetadataURL, "attempt", attempt, "retry_in_ms", wait.Milliseconds(), "error", err.Error()}
			if sp.Ready() {
				sp.logger.Warn("SAML identity provider metadata refresh failed; keeping the last copy", attrs...)
			} else {
				sp.logger.Warn("SAML identity provider metadata unreachable; retrying", attrs...)
			}
		})
		if err != nil {
			return
		}
		sp.logger.Info("SAML identity provider metadata loaded", "entity_id", sp.IDPEntityID(), "attempt", attempts)
		if !sp.retry.Sleep(ctx, metadataRefresh) {
			return
		}
	}
}

// Nudge asks a FetchMetadata that is waiting to retry now; it never blocks.
func (sp *ServiceProvider) Nudge() { sp.retry.Nudge() }

func (sp *ServiceProvider) fetchOnce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, sp.cfg.IDPMetadataURL, nil)
	if err != nil {
		return fmt.Errorf("auth: SAML metadata: %w", err)
	}
	resp, err := sp.client.Do(req)
	if err != nil {
		return fmt.Errorf("auth: SAML metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("auth: SAML metadata: HTTP status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, metadataMaxBytes+1))
	if err != nil {
		return fmt.Errorf("auth: SAML metadata: %w", err)
	}
	if len(data) > metadataMaxBytes {
		return fmt.Errorf("auth: SAML metadata: larger than %d bytes", metadataMaxBytes)
	}
	d, err := parseIDPMetadata(data)
	if err != nil {
		return fmt.Errorf("auth: SAML metadata: %w", err)
	}
	if old := sp.idp.Load(); old != nil && old.EntityID != d.EntityID {
		// People are keyed by the entity ID: a new one would give everyone
		// a new account. Refuse it rather than switch silently.
		return fmt.Errorf("auth: SAML metadata: entity ID changed from %q to %q; restart to accept it", old.EntityID, d.EntityID)
	}
	sp.idp.Store(d)
	return nil
}

// parseIDPMetadata reads one IdP's metadata and checks that it offers what
// Twelve uses: an HTTP-Redirect single sign-on service and a signing key.
func parseIDPMetadata(data []byte) (*saml.EntityDescriptor, error) {
	d, err := samlsp.ParseMetadata(data)
	if err != nil {
		return nil, fmt.Errorf("not SAML metadata of one identity provider: %w", err)
	}
	if d.EntityID == "" || len(d.IDPSSODescriptors) == 0 {
		return nil, errors.New("the metadata describes no identity provider (no IDPSSODescriptor)")
	}
	probe := saml.ServiceProvider{IDPMetadata: d}
	if probe.GetSSOBindingLocation(saml.HTTPRedirectBinding) == "" {
		return nil, errors.New("the identity provider offers no HTTP-Redirect SingleSignOnService")
	}
	hasSigningCert := false
	for _, desc := range d.IDPSSODescriptors {
		for _, kd := range desc.KeyDescriptors {
			if (kd.Use == "" || kd.Use == "signing") && len(kd.KeyInfo.X509Data.X509Certificates) > 0 {
				hasSigningCert = true
			}
		}
	}
	if !hasSigningCert {
		return nil, errors.New("the identity provider's metadata lists no signing certificate")
	}
	return d, nil
}

// provider is the crewjam/saml service provider for origin (BASE_URL, or
// the request's own origin when it is unset): it is cheap, made per
// request, and holds nothing that outlives the request.
func (sp *ServiceProvider) provider(origin string, idp *saml.EntityDescriptor) *saml.ServiceProvider {
	at := func(path string) url.URL {
		u, _ := url.Parse(origin + path)
		if u == nil {
			return url.URL{}
		}
		return *u
	}
	p := &saml.ServiceProvider{
		EntityID:    origin + SAMLMetadataPath,
		Key:         sp.cfg.SPKey,
		Certificate: sp.cfg.SPCert,
		MetadataURL: at(SAMLMetadataPath),
		AcsURL:      at(SAMLACSPath),
		SloURL:      at(SAMLSLOPath),
		IDPMetadata: idp,
		// Signed AuthnRequests and logout messages (RSA-SHA256): IdPs that
		// want them signed get them so, the others ignore the signature.
		SignatureMethod:                  dsig.RSASHA256SignatureMethod,
		LogoutBindings:                   []string{saml.HTTPRedirectBinding, saml.HTTPPostBinding},
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
		AllowIDPInitiated:                sp.cfg.AllowIDPInitiated,
		// A validUntil would make a copy registered by hand at the IdP
		// expire (crewjam/saml's default is two days); cacheDuration only
		// says how often to look again.
		MetadataOmitValidUntil: true,
		HTTPClient:             sp.client,
	}
	// Without SAML_USER_ID_ATTRIBUTE people are keyed by their NameID, so
	// ask for a persistent one; otherwise let the IdP pick.
	if sp.cfg.UserIDAttribute == "" {
		p.AuthnNameIDFormat = saml.PersistentNameIDFormat
	} else {
		p.AuthnNameIDFormat = saml.UnspecifiedNameIDFormat
	}
	return p
}

// Metadata is this site's service provider metadata for origin: the XML to
// register with the identity provider.
func (sp *ServiceProvider) Metadata(origin string) ([]byte, error) {
	b, err := xmlMarshalIndent(sp.provider(origin, nil).Metadata())
	if err != nil {
		return nil, fmt.Errorf("auth: SAML metadata: %w", err)
	}
	return b, nil
}

// Begin starts an SP-initiated sign-in that returns to next: it returns the
// flow to keep in the browser and the IdP URL (HTTP-Redirect binding, with
// a signed AuthnRequest) to send the browser to. It fails with
// ErrUnavailable until the IdP's metadata is loaded.
func (sp *ServiceProvider) Begin(origin, next string, now time.Time) (SAMLFlow, string, error) {
	d := sp.idp.Load()
	if d == nil {
		sp.Nudge()
		return SAMLFlow{}, "", ErrUnavailable
	}
	p := sp.provider(origin, d)
	req, err := p.MakeAuthenticationRequest(p.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return SAMLFlow{}, "", fmt.Errorf("auth: SAML request: %w", err)
	}
	// The RelayState is opaque and short (the bindings allow 80 bytes);
	// where to go back to stays in the signed cookie.
	f := SAMLFlow{RequestID: req.ID, Relay: randomToken(), Next: SafeNext(next), Expires: now.Add(FlowTTL)}
	u, err := req.Redirect(f.Relay, p)
	if err != nil {
		return SAMLFlow{}, "", fmt.Errorf("auth: SAML request: %w", err)
	}
	return f, u.String(), nil
}

// SAMLResult is a verified SAML sign-in.
type SAMLResult struct {
	Profile Profile
	// Session is what single logout will need.
	Session SAMLSession
	// Next is where to send the person: the flow's, or for an IdP-initiated
	// sign-in the RelayState when it is a path on this site.
	Next string
}

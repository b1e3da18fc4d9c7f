package config

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Default SAML attribute names, each list tried in order: the plain names
// many IdPs send, the eduPerson/Shibboleth OIDs (urn:oid:…) and the ADFS
// claim types.
const (
	DefaultSAMLEmailAttributes  = "mail,urn:oid:0.9.2342.19200300.100.1.3,http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	DefaultSAMLNameAttributes   = "displayName,urn:oid:2.16.840.1.113730.3.1.241,http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
	DefaultSAMLGroupsAttributes = "eduPersonAffiliation,memberOf,urn:oid:1.3.6.1.4.1.5923.1.1.1.1,http://schemas.xmlsoap.org/claims/Group"
)

// minSAMLKeyBits is the smallest RSA key accepted for SAML_SP_KEY.
const minSAMLKeyBits = 2048

// SAML holds the SAML 2.0 identity provider settings. SAML sign-in is off
// unless the IdP's metadata is given, by URL or inline.
type SAML struct {
	// IDPMetadataURL is where the IdP publishes its metadata; fetched at
	// start-up in the background.
	IDPMetadataURL string
	// IDPMetadata is the IdP's metadata XML, when given inline instead.
	IDPMetadata []byte
	// SPKey signs this site's SAML requests and decrypts assertions; SPCert
	// is its certificate, published in this site's metadata.
	SPKey  *rsa.PrivateKey
	SPCert *x509.Certificate
	// EmailAttributes and NameAttributes are tried in order, the first
	// present wins; the values of all GroupsAttributes count.
	EmailAttributes  []string
	NameAttributes   []string
	GroupsAttributes []string
	// UserIDAttribute names a lasting identifier for the person; "" keys
	// people by the assertion's NameID.
	UserIDAttribute string
	// AllowIDPInitiated accepts responses that answer no request of ours.
	AllowIDPInitiated bool
}

// Enabled reports whether a SAML identity provider is configured.
func (s SAML) Enabled() bool { return s.IDPMetadataURL != "" || len(s.IDPMetadata) > 0 }

// loadSAML reads the SAML_* settings; each problem is reported with fail.
func loadSAML(get func(string) string, fail func(string, ...any)) SAML {
	s := SAML{
		IDPMetadataURL:   get("SAML_IDP_METADATA_URL"),
		EmailAttributes:  splitList(get("SAML_EMAIL_ATTRIBUTE")),
		NameAttributes:   splitList(get("SAML_NAME_ATTRIBUTE")),
		GroupsAttributes: splitList(get("SAML_GROUPS_ATTRIBUTE")),
		UserIDAttribute:  get("SAML_USER_ID_ATTRIBUTE"),
	}
	if raw := get("SAML_IDP_METADATA"); raw != "" {
		s.IDPMetadata = []byte(raw)
	}
	allow, err := strconv.ParseBool(get("SAML_ALLOW_IDP_INITIATED"))
	if err != nil {
		fail("SAML_ALLOW_IDP_INITIATED must be true or false")
	}
	s.AllowIDPInitiated = allow

	if s.IDPMetadataURL != "" && len(s.IDPMetadata) > 0 {
		fail("SAML_IDP_METADATA_URL and SAML_IDP_METADATA are both set; set only one")
	}
	if s.IDPMetadataURL != "" && !metadataURLOK(s.IDPMetadataURL) {
		fail("SAML_IDP_METADATA_URL must be an https URL (http only for localhost)")
	}
	if len(s.IDPMetadata) > 0 && !looksLikeMetadata(s.IDPMetadata) {
		fail("SAML_IDP_METADATA must be the identity provider's metadata XML (an EntityDescriptor)")
	}

	keyPEM, certPEM := get("SAML_SP_KEY"), get("SAML_SP_CERT")
	if !s.Enabled() {
		return s
	}
	switch {
	case keyPEM == "" || certPEM == "":
		fail("SAML_SP_KEY and SAML_SP_CERT must be set when SAML is on (see docs/saml.md to make a pair)")
	default:
		key, keyErr := parseRSAKey(keyPEM)
		if keyErr != nil {
			fail("SAML_SP_KEY %s", keyErr)
		}
		cert, certErr := parseCert(certPEM)
		if certErr != nil {
			fail("SAML_SP_CERT %s", certErr)
		}
		if keyErr == nil && certErr == nil {
			if pub, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(key.Public()) {
				fail("SAML_SP_CERT must be the certificate of SAML_SP_KEY (their public keys differ)")
			} else {
				s.SPKey, s.SPCert = key, cert
			}
		}
	}
	return s
}

// metadataURLOK accepts https, and http for this machine only: the
// metadata names the certificates trusted to sign sign-ins, so it must not
// travel in the clear.
func metadataURLOK(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		return host == "localhost" || (ip != nil && ip.IsLoopback())
	}
	return false
}

// looksLikeMetadata reports whether b is XML whose root element is an
// EntityDescriptor or EntitiesDescriptor; the full parse happens in auth.
func looksLikeMetadata(b []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		if start, ok := tok.(xml.StartElement); ok {
			return start.Name.Local == "EntityDescriptor" || start.Name.Local == "EntitiesDescriptor"
		}
	}
}

// pemBlock decodes the one PEM block of type in raw. Values pasted into a
// one-line field often carry "\n" for newlines; those are accepted too.
func pemBlock(raw string, types ...string) (*pem.Block, error) {
	if !strings.Contains(raw, "\n") && strings.Contains(raw, `\n`) {
		raw = strings.ReplaceAll(raw, `\n`, "\n")
	}
	block, _ := pem.Decode([]byte(raw))
	if block == nil {
		return nil, errors.New("must be PEM (-----BEGIN …-----)")
	}
	for _, t := range types {
		if block.Type == t {
			return block, nil
		}
	}
	return nil, errors.New("must be a PEM " + strings.Join(types, " or ") + " block, not " + block.Type)
}

func parseRSAKey(raw string) (*rsa.PrivateKey, error) {
	block, err := pemBlock(raw, "PRIVATE KEY", "RSA PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	var key any
	if block.Type == "RSA PRIVATE KEY" {
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	} else {
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		// Never echo the error: it could quote the key.
		return nil, errors.New("could not be read as an unencrypted RSA private key")
	}
	rsaKey, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("must be an RSA key (SAML encryption needs RSA)")
	}
	if rsaKey.N.BitLen() < minSAMLKeyBits {
		return nil, errors.New("must be an RSA key of at least " + strconv.Itoa(minSAMLKeyBits) + " bits")
	}
	return rsaKey, nil
}

func parseCert(raw string) (*x509.Certificate, error) {
	block, err := pemBlock(raw, "CERTIFICATE")
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, errors.New("could not be read as an X.509 certificate")
	}
	return cert, nil
}

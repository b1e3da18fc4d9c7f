package config

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strconv"
	"strings"
)

// minLTIKeyBits is the smallest RSA key accepted for LTI_PRIVATE_KEY.
const minLTIKeyBits = 2048

// loadLTIKeys reads LTI_PRIVATE_KEY: one or more PEM RSA private keys
// (PKCS#1 or PKCS#8, unencrypted), in order; nil when unset. Each problem
// is reported with fail, naming the key by its place, never quoting it.
func loadLTIKeys(get func(string) string, fail func(string, ...any)) []*rsa.PrivateKey {
	raw := get("LTI_PRIVATE_KEY")
	if raw == "" {
		return nil
	}
	keys, err := parseRSAKeys(raw)
	if err != nil {
		fail("LTI_PRIVATE_KEY %s", err)
		return nil
	}
	return keys
}

// parseRSAKeys reads every PEM block of raw as an RSA private key of at
// least minLTIKeyBits. Values pasted into a one-line field often carry
// "\n" for newlines; those are accepted too.
func parseRSAKeys(raw string) ([]*rsa.PrivateKey, error) {
	if !strings.Contains(raw, "\n") && strings.Contains(raw, `\n`) {
		raw = strings.ReplaceAll(raw, `\n`, "\n")
	}
	var keys []*rsa.PrivateKey
	rest := []byte(raw)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		n := strconv.Itoa(len(keys) + 1)
		key, err := rsaKeyFromBlock(block)
		if err != nil {
			return nil, errors.New("key " + n + " " + err.Error())
		}
		keys = append(keys, key)
	}
	switch {
	case len(keys) == 0:
		return nil, errors.New("must be one or more PEM RSA private keys (-----BEGIN PRIVATE KEY-----)")
	case strings.TrimSpace(string(rest)) != "":
		return nil, errors.New("has text after its last PEM key that is not PEM")
	}
	return keys, nil
}

func rsaKeyFromBlock(block *pem.Block) (*rsa.PrivateKey, error) {
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, errors.New("must be a PEM PRIVATE KEY or RSA PRIVATE KEY block, not " + block.Type)
	}
	if err != nil {
		// Never echo the error: it could quote the key.
		return nil, errors.New("could not be read as an unencrypted RSA private key")
	}
	rsaKey, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("must be an RSA key (LTI signs with RS256)")
	}
	if rsaKey.N.BitLen() < minLTIKeyBits {
		return nil, errors.New("must be an RSA key of at least " + strconv.Itoa(minLTIKeyBits) + " bits")
	}
	return rsaKey, nil
}

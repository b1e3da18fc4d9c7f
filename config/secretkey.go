package config

import (
	"fmt"
	"math"
	"slices"
)

// publishedSecretKeys are SECRET_KEY values that have been written in this
// repository's files for people to copy: anyone who reads the repository
// knows them, and with one can sign an instructor's identity cookie. Load
// refuses them. TestPublishedSecretKeysAreRefused reads .env.example, the
// README, app.json, docs/ and scripts/ and fails on any SECRET_KEY value
// there that Load would accept, so a new one cannot slip in; keep every
// value that was ever published here, even after the file changes.
var publishedSecretKeys = []string{
	"replace-with-output-of-openssl-rand-hex-32",  // .env.example's placeholder
	"dev-only-secret-key-never-use-in-production", // make dev, before it generated one
	"heroku-ci-secret-key-0123456789abcdef",       // app.json's Heroku CI environment, before it generated one
	"bench-secret-key-0123456789abcdef0123",       // scripts/bench, before they generated one
}

// minSecretKeyBits is the least estimated strength of a key (see
// secretKeyBits). A random 32-character hex key (128 bits) scores about
// 115 and under 90 in fewer than one in a million draws; 64 hex
// characters (openssl rand -hex 32, Heroku's "secret" generator) about 240.
// Keys people make up by repeating a word score under 40.
const minSecretKeyBits = 80

// checkSecretKey reports why key n (counted from 1) of SECRET_KEY must not
// be used, or nil.
func checkSecretKey(n int, k string) error {
	if slices.Contains(publishedSecretKeys, k) {
		return fmt.Errorf("SECRET_KEY must be a secret: key %d is an example published with Twelve's source; generate one with openssl rand -hex 32", n)
	}
	if bits := secretKeyBits(k); bits < minSecretKeyBits {
		return fmt.Errorf("SECRET_KEY must be random: key %d is too easy to guess (about %.0f bits, want %d); generate one with openssl rand -hex 32", n, bits, minSecretKeyBits)
	}
	return nil
}

// secretKeyBits estimates how many bits of chance are in k: the Shannon
// entropy of its bytes' frequencies times its length, where a key that
// repeats a shorter string counts that string once. It is a floor against
// keys people make up ("password" four times, a row of one letter), not
// proof of randomness: only a key from a random source is that.
func secretKeyBits(k string) float64 {
	period := len(k)
	for p := 1; p <= len(k)/2; p++ {
		if k[p:] == k[:len(k)-p] {
			period = p
			break
		}
	}
	s := k[:period]
	var count [256]int
	for i := 0; i < len(s); i++ {
		count[s[i]]++
	}
	var h float64
	for _, c := range count {
		if c > 0 {
			p := float64(c) / float64(len(s))
			h -= p * math.Log2(p)
		}
	}
	return h * float64(len(s))
}

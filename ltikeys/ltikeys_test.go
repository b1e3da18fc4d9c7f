package ltikeys_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"sync"
	"testing"

	"github.com/twelve-course/twelve/lti"
	"github.com/twelve-course/twelve/ltikeys"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

var (
	oldSecret   = []byte("old-secret-key-0123456789abcdef-0123")
	newSecret   = []byte("new-secret-key-0123456789abcdef-0123")
	otherSecret = []byte("someone-elses-key-0123456789abcdef-0")
)

// stores returns n stores on one fresh database, each with its own pool:
// n processes.
func stores(t *testing.T, n int) []*store.Store {
	t.Helper()
	url := storetest.NewURL(t)
	var out []*store.Store
	for range n {
		pool, err := store.Open(context.Background(), url, 4)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		out = append(out, store.New(pool))
	}
	return out
}

func source(t *testing.T, st *store.Store, secrets [][]byte, keys ...*rsa.PrivateKey) *ltikeys.Source {
	t.Helper()
	s, err := ltikeys.New(st, secrets, keys)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGeneratedOnceAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	sts := stores(t, 4)
	var wg sync.WaitGroup
	kids := make([]string, 12)
	for i := range kids {
		wg.Go(func() {
			ks, err := source(t, sts[i%len(sts)], [][]byte{oldSecret}).KeySet(ctx)
			if err != nil {
				t.Errorf("KeySet: %v", err)
				return
			}
			kids[i] = strings.Join(ks.KeyIDs(), ",")
		})
	}
	wg.Wait()
	for _, k := range kids {
		if k == "" || k != kids[0] {
			t.Fatalf("key ids = %q, want one key, the same everywhere", kids)
		}
	}
	stored, err := sts[0].LTIKeys(ctx)
	if err != nil || len(stored) != 1 || stored[0].KID != kids[0] {
		t.Fatalf("stored keys = %+v, %v; want the one key %s", stored, err, kids[0])
	}
	if strings.Contains(stored[0].Sealed, "MII") {
		t.Errorf("the stored key is readable: %.40s…", stored[0].Sealed)
	}

	// After a SECRET_KEY rotation the key still opens; with a foreign
	// SECRET_KEY it does not, and nothing new is made.
	ks, err := source(t, sts[1], [][]byte{newSecret, oldSecret}).KeySet(ctx)
	if err != nil || ks.KeyID() != kids[0] {
		t.Errorf("after rotation: %v, %v; want key %s", ks, err, kids[0])
	}
	if _, err := source(t, sts[2], [][]byte{otherSecret}).KeySet(ctx); err == nil || !strings.Contains(err.Error(), "SECRET_KEY") {
		t.Errorf("foreign SECRET_KEY: %v, want an error naming SECRET_KEY", err)
	}
	if stored, _ := sts[0].LTIKeys(ctx); len(stored) != 1 {
		t.Errorf("%d keys stored, want 1", len(stored))
	}

	// What the key signs verifies with the published set.
	tok, err := ks.Sign(map[string]any{"iss": "twelve"})
	if err != nil || strings.Count(tok, ".") != 2 {
		t.Errorf("Sign = %q, %v", tok, err)
	}
	if jwks := ks.JWKS(); len(jwks.Keys) != 1 || !jwks.Keys[0].IsPublic() {
		t.Errorf("JWKS = %+v, want one public key", jwks)
	}

	// Retiring the key by hand: a new one signs, the old one is still
	// published (for a day).
	if _, err := sts[0].Pool().Exec(ctx, `UPDATE lti_keys SET retired_at = now()`); err != nil {
		t.Fatal(err)
	}
	ks, err = source(t, sts[3], [][]byte{oldSecret}).KeySet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ids := ks.KeyIDs(); len(ids) != 2 || ids[0] == kids[0] || ids[1] != kids[0] {
		t.Errorf("after retiring: %v; want a new key, then %s", ids, kids[0])
	}
}

func TestConfiguredKeys(t *testing.T) {
	ctx := context.Background()
	st := stores(t, 1)[0]
	var keys []*rsa.PrivateKey
	for range 2 {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	want, err := lti.NewKeySet(keys...)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := source(t, st, [][]byte{oldSecret}, keys...).KeySet(ctx)
	if err != nil || strings.Join(ks.KeyIDs(), ",") != strings.Join(want.KeyIDs(), ",") {
		t.Errorf("KeySet = %v, %v; want the configured keys in order", ks, err)
	}
	if stored, err := st.LTIKeys(ctx); err != nil || len(stored) != 0 {
		t.Errorf("stored keys = %+v, %v; want none with LTI_PRIVATE_KEY set", stored, err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ltikeys.New(st, [][]byte{oldSecret}, []*rsa.PrivateKey{small}); err == nil {
		t.Error("a 1024-bit key was accepted")
	}
}

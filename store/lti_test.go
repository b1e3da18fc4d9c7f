package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// twoStores returns two stores on one fresh database, each with a pool
// of its own: two processes.
func twoStores(t *testing.T) (*store.Store, *store.Store) {
	t.Helper()
	url := storetest.NewURL(t)
	var out [2]*store.Store
	for i := range out {
		pool, err := store.Open(context.Background(), url, 4)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		out[i] = store.New(pool)
	}
	return out[0], out[1]
}

func testPlatform(issuer string) store.LTIPlatform {
	return store.LTIPlatform{
		Issuer: issuer, ClientID: "twelve-client", Name: "Test LMS",
		AuthURL: "https://auth.lms.test/oidc/auth", TokenURL: issuer + "/token", JWKSURL: issuer + "/jwks",
		Deployments: []string{"dep-1", "dep-2", "dep-1"},
	}
}

func addPlatform(t *testing.T, st *store.Store, issuer string) store.LTIPlatform {
	t.Helper()
	p, err := st.AddLTIPlatform(context.Background(), testPlatform(issuer))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLTIPlatforms(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	p := addPlatform(t, st, "https://LMS.test")
	if p.ID == 0 || p.CreatedAt.IsZero() || p.Via != store.LTIViaAdmin {
		t.Errorf("added %+v, want an id, a creation time and via admin", p)
	}
	want := []string{"dep-1", "dep-2"}
	if !cmp.Equal(p.Deployments, want) {
		t.Errorf("deployments = %q, want %q", p.Deployments, want)
	}
	if err := st.AddLTIDeployment(ctx, p.ID, "dep-3"); err != nil {
		t.Fatal(err)
	}
	if err := st.AddLTIDeployment(ctx, p.ID, "dep-3"); err != nil {
		t.Errorf("adding a deployment twice = %v, want nil", err)
	}
	for _, o := range []string{"https://lms-cdn.test:8443", "https://lms-cdn.test:8443"} {
		if err := st.AddLTIOrigin(ctx, p.ID, o); err != nil {
			t.Errorf("AddLTIOrigin(%q) = %v", o, err)
		}
	}
	got, err := st.LTIPlatform(ctx, "https://LMS.test", "twelve-client")
	if err != nil {
		t.Fatal(err)
	}
	p.Deployments = []string{"dep-1", "dep-2", "dep-3"}
	p.Origins = []string{"https://auth.lms.test", "https://lms-cdn.test:8443", "https://lms.test"}
	if diff := cmp.Diff(p, got, cmpopts.EquateApproxTime(time.Millisecond)); diff != "" {
		t.Errorf("LTIPlatform (-want +got):\n%s", diff)
	}
	if byID, err := st.LTIPlatformByID(ctx, p.ID); err != nil || byID.Issuer != p.Issuer {
		t.Errorf("LTIPlatformByID = %+v, %v", byID, err)
	}

	// Refusals change nothing.
	dup := testPlatform("https://LMS.test")
	dup.Name = "Again"
	bad := func(f func(*store.LTIPlatform)) store.LTIPlatform {
		q := testPlatform("https://other.test")
		f(&q)
		return q
	}
	for _, tc := range []struct {
		name string
		p    store.LTIPlatform
		want error
	}{
		{"same issuer and client id", dup, store.ErrLTIPlatformExists},
		{"empty client id", bad(func(q *store.LTIPlatform) { q.ClientID = "" }), store.ErrInvalid},
		{"issuer not a URL", bad(func(q *store.LTIPlatform) { q.Issuer = "lms" }), store.ErrInvalid},
		{"auth URL not http", bad(func(q *store.LTIPlatform) { q.AuthURL = "ftp://auth.test/x" }), store.ErrInvalid},
		{"empty deployment", bad(func(q *store.LTIPlatform) { q.Deployments = []string{""} }), store.ErrInvalid},
		{"unknown via", bad(func(q *store.LTIPlatform) { q.Via = "email" }), store.ErrInvalid},
	} {
		if _, err := st.AddLTIPlatform(ctx, tc.p); !errors.Is(err, tc.want) {
			t.Errorf("%s: AddLTIPlatform = %v, want %v", tc.name, err, tc.want)
		}
	}
	for _, o := range []string{"null", "https://x.test/path", ""} {
		if err := st.AddLTIOrigin(ctx, p.ID, o); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("AddLTIOrigin(%q) = %v, want ErrInvalid", o, err)
		}
	}
	if err := st.AddLTIDeployment(ctx, p.ID+100, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deployment of no platform = %v, want ErrNotFound", err)
	}
	list, err := st.LTIPlatforms(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("LTIPlatforms = %+v, %v; want the one", list, err)
	}

	// Dynamic registration of another client id of the same issuer.
	dyn := testPlatform("https://LMS.test")
	dyn.ClientID, dyn.Via = "second", store.LTIViaDynamic
	if _, err := st.AddLTIPlatform(ctx, dyn); err != nil {
		t.Fatal(err)
	}

	// Removing cascades: deployments, origins, contexts, links; the class stays.
	res, err := st.RecordLTILaunch(ctx, launch(p, "sam", "course-1", store.RoleStudent))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveLTIPlatform(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveLTIPlatform(ctx, p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removing twice = %v, want ErrNotFound", err)
	}
	if _, err := st.LTIPlatform(ctx, p.Issuer, p.ClientID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removed platform = %v, want ErrNotFound", err)
	}
	for _, table := range []string{"lti_deployments", "lti_origins", "lti_contexts", "lti_links"} {
		var n int
		if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE platform_id = $1`, p.ID).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s rows of the removed platform = %d, %v; want 0", table, n, err)
		}
	}
	if _, err := st.ClassBySlug(ctx, res.Class.Slug); err != nil {
		t.Errorf("the platform's class = %v, want it kept", err)
	}
	if list, _ := st.LTIPlatforms(ctx); len(list) != 1 || list[0].ClientID != "second" {
		t.Errorf("left = %+v, want the dynamic one", list)
	}
}

func TestLTINonceIsSingleUseAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	a, b := twoStores(t)
	exp := time.Now().Add(10 * time.Minute)
	if err := a.UseLTINonce(ctx, "1:abc", exp); err != nil {
		t.Fatal(err)
	}
	if err := b.UseLTINonce(ctx, "1:abc", exp); !errors.Is(err, store.ErrNonceUsed) {
		t.Errorf("the other process using it again = %v, want ErrNonceUsed", err)
	}
	if err := a.UseLTINonce(ctx, "1:abc", exp); !errors.Is(err, store.ErrNonceUsed) {
		t.Errorf("using it again = %v, want ErrNonceUsed", err)
	}
	if err := b.UseLTINonce(ctx, "2:abc", exp); err != nil {
		t.Errorf("the same nonce of another platform = %v, want nil", err)
	}

	// At once from both: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 20 {
		wg.Go(func() {
			st := a
			if i%2 == 1 {
				st = b
			}
			err := st.UseLTINonce(ctx, "ticket:race", exp)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, store.ErrNonceUsed):
				t.Errorf("UseLTINonce = %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d uses of one nonce succeeded, want 1", wins)
	}

	// Pruning deletes only the expired.
	if err := a.UseLTINonce(ctx, "1:old", time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n, err := b.PruneLTINonces(ctx); err != nil || n != 1 {
		t.Errorf("PruneLTINonces = %d, %v; want 1", n, err)
	}
	if err := a.UseLTINonce(ctx, "1:abc", exp); !errors.Is(err, store.ErrNonceUsed) {
		t.Errorf("a live nonce after pruning = %v, want ErrNonceUsed", err)
	}
	if err := a.UseLTINonce(ctx, "", exp); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("empty nonce = %v, want ErrInvalid", err)
	}
}

func TestRegistrationTokenIsSingleUse(t *testing.T) {
	ctx := context.Background()
	a, b := twoStores(t)
	h := sha256.Sum256([]byte("registration token"))
	if err := a.UseRegistrationToken(ctx, h[:]); err != nil {
		t.Fatal(err)
	}
	if err := b.UseRegistrationToken(ctx, h[:]); !errors.Is(err, store.ErrNonceUsed) {
		t.Errorf("reused = %v, want ErrNonceUsed", err)
	}
	other := sha256.Sum256([]byte("another token"))
	if err := b.UseRegistrationToken(ctx, other[:]); err != nil {
		t.Errorf("another token = %v", err)
	}
	if err := b.UseRegistrationToken(ctx, []byte("raw token")); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("not a hash = %v, want ErrInvalid", err)
	}
}

func TestEnsureLTIKeyMakesOneKey(t *testing.T) {
	ctx := context.Background()
	a, b := twoStores(t)
	var mu sync.Mutex
	made := 0
	newKey := func() (string, string, error) {
		mu.Lock()
		defer mu.Unlock()
		made++
		return fmt.Sprintf("kid-%d", made), "sealed", nil
	}
	var wg sync.WaitGroup
	results := make([][]store.LTIKey, 8)
	for i := range results {
		wg.Go(func() {
			st := a
			if i%2 == 1 {
				st = b
			}
			keys, err := st.EnsureLTIKey(ctx, newKey)
			if err != nil {
				t.Errorf("EnsureLTIKey = %v", err)
			}
			results[i] = keys
		})
	}
	wg.Wait()
	if made != 1 {
		t.Errorf("%d keys made, want 1", made)
	}
	for i, keys := range results {
		if len(keys) != 1 || keys[0].KID != "kid-1" || keys[0].Sealed != "sealed" || keys[0].CreatedAt.IsZero() {
			t.Errorf("call %d got %+v, want the one key", i, keys)
		}
	}
	stored, err := a.LTIKeys(ctx)
	if err != nil || len(stored) != 1 {
		t.Errorf("LTIKeys = %+v, %v", stored, err)
	}

	// A retired key is kept (published) but a new one is made to sign.
	if _, err := a.Pool().Exec(ctx, `UPDATE lti_keys SET retired_at = now()`); err != nil {
		t.Fatal(err)
	}
	keys, err := b.EnsureLTIKey(ctx, newKey)
	if err != nil || len(keys) != 2 || keys[0].KID != "kid-2" || keys[1].KID != "kid-1" || keys[1].RetiredAt.IsZero() {
		t.Errorf("after retiring: %+v, %v; want kid-2 then the retired kid-1", keys, err)
	}
	// newKey's failure stores nothing.
	if _, err := a.Pool().Exec(ctx, `UPDATE lti_keys SET retired_at = now()`); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("no entropy")
	if _, err := a.EnsureLTIKey(ctx, func() (string, string, error) { return "", "", boom }); !errors.Is(err, boom) {
		t.Errorf("failing newKey = %v, want it", err)
	}
	if keys, _ := a.LTIKeys(ctx); len(keys) != 2 {
		t.Errorf("after a failed make: %d keys, want 2", len(keys))
	}
}

// TestLTIChangesNotify checks that platform writes are announced, once,
// to a listener of another process, and that no-op writes are not.
func TestLTIChangesNotify(t *testing.T) {
	ctx := context.Background()
	a, b := twoStores(t)
	l, err := b.ListenLTI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(ctx)
	var p store.LTIPlatform
	writes := []struct {
		name  string
		write func() error
	}{
		{"add", func() (err error) { p, err = a.AddLTIPlatform(ctx, testPlatform("https://lms.test")); return err }},
		{"deployment", func() error { return a.AddLTIDeployment(ctx, p.ID, "dep-9") }},
		{"origin", func() error { return a.AddLTIOrigin(ctx, p.ID, "https://frame.test") }},
		{"remove", func() error { return a.RemoveLTIPlatform(ctx, p.ID) }},
	}
	for _, w := range writes {
		if err := w.write(); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		wait, cancel := context.WithTimeout(ctx, 10*time.Second)
		id, err := l.Next(wait)
		cancel()
		if err != nil || id != p.ID {
			t.Fatalf("after %s: heard %d, %v; want platform %d", w.name, id, err, p.ID)
		}
	}
	// No-ops and refusals say nothing: the next one heard is the next change.
	q := addPlatform(t, a, "https://other.test")
	r := addPlatform(t, a, "https://third.test")
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, want := range []int64{q.ID, r.ID} {
		if id, err := l.Next(wait); err != nil || id != want {
			t.Fatalf("heard %d, %v; want %d", id, err, want)
		}
	}
	_ = a.AddLTIDeployment(ctx, q.ID, "dep-1")                       // there already
	_ = a.AddLTIOrigin(ctx, q.ID, "https://other.test")              // there already
	_, _ = a.AddLTIPlatform(ctx, testPlatform("https://other.test")) // exists
	_ = a.AddLTIOrigin(ctx, q.ID, "not an origin")                   // refused
	if err := a.AddLTIOrigin(ctx, r.ID, "https://new.test"); err != nil {
		t.Fatal(err)
	}
	if id, err := l.Next(wait); err != nil || id != r.ID {
		t.Errorf("heard %d, %v; want %d, for the new origin", id, err, r.ID)
	}
}

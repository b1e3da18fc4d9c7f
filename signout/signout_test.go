package signout_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/twelve-course/twelve/internal/proctest"
	"github.com/twelve-course/twelve/signout"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// TestList: a list that is not listening asks the database; once live it
// answers from memory, kept current by notifications; a sign-in made
// after a sign-out is not revoked.
func TestList(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	logs := &proctest.Output{}
	l := signout.New(signout.Options{
		Store: st, Logger: slog.New(slog.NewJSONHandler(logs, nil)), Horizon: time.Hour,
		RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
	})
	revoked := func(user int64, signedIn time.Time) bool {
		t.Helper()
		r, err := l.Revoked(ctx, user, signedIn)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ada, err := st.UpsertUser(ctx, "https://idp.test", "ada", "ada@example.edu", "Ada")
	if err != nil {
		t.Fatal(err)
	}
	if revoked(ada.ID, ada.LastLoginAt) {
		t.Fatal("revoked before any sign-out")
	}
	// Not listening (as while the listener is down): the database is asked.
	if _, err := st.SignOut(ctx, ada.ID); err != nil {
		t.Fatal(err)
	}
	if l.Live() || !revoked(ada.ID, ada.LastLoginAt) {
		t.Fatalf("without a listener, a sign-out in the database was not seen (live %v)", l.Live())
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go l.Run(runCtx)
	if logs.WaitEvent(10*time.Second, func(ev proctest.Event) bool { return ev["msg"] == "sign-out listener connected" }) == nil {
		t.Fatal("the listener did not connect")
	}
	brook, err := st.UpsertUser(ctx, "https://idp.test", "brook", "brook@example.edu", "Brook")
	if err != nil {
		t.Fatal(err)
	}
	if revoked(brook.ID, brook.LastLoginAt) {
		t.Fatal("revoked before any sign-out")
	}
	if _, err := st.SignOutEmail(ctx, "Brook@Example.edu"); err != nil {
		t.Fatal(err)
	}
	if logs.WaitEvent(10*time.Second, func(ev proctest.Event) bool {
		return ev["msg"] == "sign-out heard" && ev["user_id"] == float64(brook.ID)
	}) == nil {
		t.Fatal("the sign-out was not heard")
	}
	if !revoked(brook.ID, brook.LastLoginAt) {
		t.Error("a sign-out heard did not revoke the earlier sign-in")
	}
	again, err := st.UpsertUser(ctx, "https://idp.test", "brook", "brook@example.edu", "Brook")
	if err != nil {
		t.Fatal(err)
	}
	if revoked(brook.ID, again.LastLoginAt) {
		t.Error("a sign-in after the sign-out was revoked")
	}
	if !revoked(ada.ID, ada.LastLoginAt) {
		t.Error("a sign-out loaded at connect was forgotten")
	}
}

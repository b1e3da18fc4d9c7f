package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/store"
)

// adminGrantInstructor makes an email an instructor's. The grant is keyed
// by email, so it may precede the person's first sign-in. It opens the
// instructor pages at their next sign-in or the next instructor page they
// open, which re-reads the grants (see handlers.requireInstructor), and
// takes them out of the reports at once (see store.RecordSignIn).
func adminGrantInstructor(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	email, st, closeDB, err := roleCommand(ctx, "grant-instructor", args, getenv, stdout)
	if err != nil {
		return err
	}
	defer closeDB()
	added, err := st.GrantInstructor(ctx, email)
	if err != nil {
		return err
	}
	if added {
		fmt.Fprintf(stdout, "granted: %s is an instructor from their next sign-in or instructor page\n", email)
	} else {
		fmt.Fprintf(stdout, "unchanged: %s already had the instructor grant\n", email)
	}
	return nil
}

// adminRevokeInstructor removes an email's instructor grant. Instructor
// pages re-read the grants on every request, so the person loses them at
// once, without waiting for their sign-in to end; the
// reports list them again at once, unless INSTRUCTOR_EMAILS or
// INSTRUCTOR_GROUP made them an instructor at their last sign-in.
func adminRevokeInstructor(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	email, st, closeDB, err := roleCommand(ctx, "revoke-instructor", args, getenv, stdout)
	if err != nil {
		return err
	}
	defer closeDB()
	removed, err := st.RevokeInstructor(ctx, email)
	if err != nil {
		return err
	}
	if removed {
		fmt.Fprintf(stdout, "revoked: %s is no longer an instructor by grant; instructor pages refuse them from their next request\n", email)
	} else {
		fmt.Fprintf(stdout, "unchanged: %s had no instructor grant\n", email)
	}
	cfg, _ := config.Load(getenv) // loaded without error by roleCommand
	if slices.Contains(cfg.InstructorEmails, email) {
		fmt.Fprintf(stdout, "note: %s is still an instructor through INSTRUCTOR_EMAILS; remove it there too\n", email)
	}
	if cfg.InstructorGroup != "" {
		fmt.Fprintf(stdout, "note: members of the %q group stay instructors while the provider lists them in it\n", cfg.InstructorGroup)
	}
	return nil
}

// roleCommand parses `EMAIL`, loads the settings and opens the database.
func roleCommand(ctx context.Context, name string, args []string, getenv func(string) string, stdout io.Writer) (string, *store.Store, func(), error) {
	fs := flag.NewFlagSet("admin "+name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { fmt.Fprintf(stdout, "usage: twelve admin %s EMAIL\n", name) }
	if err := fs.Parse(args); err != nil {
		return "", nil, nil, err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return "", nil, nil, fmt.Errorf("admin %s: want exactly one EMAIL", name)
	}
	email := strings.ToLower(strings.TrimSpace(fs.Arg(0)))
	if at := strings.IndexByte(email, '@'); at <= 0 || at == len(email)-1 || strings.ContainsAny(email, " ,\t") {
		return "", nil, nil, fmt.Errorf("admin %s: %q is not an email address", name, fs.Arg(0))
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return "", nil, nil, err
	}
	pool, err := store.Open(ctx, cfg.DatabaseURL, 1)
	if err != nil {
		return "", nil, nil, err
	}
	return email, store.New(pool), pool.Close, nil
}

// adminSignOut signs a person out everywhere, as their own "Sign out
// everywhere" does: for an instructor whose laptop was lost, or an
// incident. Every web process refuses their identity cookies from the
// moment it hears of it (see package signout); signing in again works.
func adminSignOut(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	email, st, closeDB, err := roleCommand(ctx, "sign-out", args, getenv, stdout)
	if err != nil {
		return err
	}
	defer closeDB()
	done, err := st.SignOutEmail(ctx, email)
	if err != nil {
		return err
	}
	if len(done) == 0 {
		fmt.Fprintf(stdout, "unchanged: no one has signed in as %s\n", email)
		return nil
	}
	for _, so := range done {
		fmt.Fprintf(stdout, "signed out: %s (user %d) from every browser; sign-ins before %s no longer count\n", email, so.UserID, so.At.UTC().Format(time.RFC3339))
	}
	return nil
}

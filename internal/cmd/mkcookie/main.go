// Command mkcookie prints the value of a signed identity cookie for an
// instructor (listed in INSTRUCTOR_EMAILS), for scripts/bench-reports.sh. It signs with SECRET_KEY like
// every process of the app, so it grants nothing that holding the key does
// not already grant; the web process still re-checks the instructor role
// (INSTRUCTOR_EMAILS, grants) on every instructor page.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/config"
)

func main() {
	email := flag.String("email", "bench-instructor@example.edu", "the signed-in person's (verified) email")
	name := flag.String("name", "Bench Instructor", "the signed-in person's name")
	userID := flag.Int64("user-id", 1<<40, "the users row id the cookie names")
	ttl := flag.Duration("ttl", time.Hour, "how long the cookie is valid")
	flag.Parse()
	cfg, err := config.Load(os.Getenv) // the app's own settings, SECRET_KEY included
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkcookie:", err)
		os.Exit(1)
	}
	cookies, err := auth.NewCookies(cfg.SecretKeys)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkcookie:", err)
		os.Exit(1)
	}
	now := time.Now()
	value, err := cookies.EncodeIdentity(auth.Identity{
		UserID: *userID, Issuer: "bench:", Subject: "bench-" + *email, Name: *name, Email: *email,
		EmailVerified: true, SignedInAt: now, IssuedAt: now, Expires: now.Add(*ttl),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkcookie:", err)
		os.Exit(1)
	}
	fmt.Println(value)
}

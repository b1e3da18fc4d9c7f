package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/lti"
	"github.com/twelve-course/twelve/store"
)

// repeated is a flag given once per value.
type repeated []string

func (l *repeated) String() string     { return strings.Join(*l, ",") }
func (l *repeated) Set(v string) error { *l = append(*l, v); return nil }

// adminLTIAdd registers an LMS (an LTI 1.3 platform) by hand and prints
// the tool's URLs to paste into the LMS.
func adminLTIAdd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("admin lti-add", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var p store.LTIPlatform
	var deployments repeated
	fs.StringVar(&p.Issuer, "issuer", "", "the platform's issuer `URL` (the iss of its launches)")
	fs.StringVar(&p.ClientID, "client-id", "", "the client `ID` the platform gave Twelve")
	fs.StringVar(&p.AuthURL, "auth-url", "", "the platform's OIDC authorization `URL`")
	fs.StringVar(&p.TokenURL, "token-url", "", "the platform's OAuth 2 token `URL`")
	fs.StringVar(&p.JWKSURL, "jwks-url", "", "the platform's public keyset (JWKS) `URL`")
	fs.StringVar(&p.TokenAudience, "token-audience", "", "the `AUD` the token URL expects in client assertions when the platform names one (Brightspace: its OAuth2 Audience); default the token URL")
	fs.Var(&deployments, "deployment", "a deployment `ID` that may launch Twelve (repeat for several)")
	fs.StringVar(&p.Name, "name", "", "a `NAME` for the platform, shown to admins")
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: twelve admin lti-add --issuer URL --client-id ID --auth-url URL --token-url URL --jwks-url URL --deployment ID [--deployment ID]… [--name NAME] [--token-audience AUD]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errors.New("admin lti-add: takes flags only")
	}
	p.Deployments, p.Via, p.Name = deployments, store.LTIViaAdmin, strings.TrimSpace(p.Name)
	if problems := checkLTIPlatform(p); len(problems) > 0 {
		return fmt.Errorf("admin lti-add: nothing added: %w", errors.Join(problems...))
	}
	cfg, st, closeDB, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	added, err := st.AddLTIPlatform(ctx, p)
	if errors.Is(err, store.ErrLTIPlatformExists) {
		return fmt.Errorf("admin lti-add: nothing added: %s is registered already with client id %q (twelve admin lti-list)", p.Issuer, p.ClientID)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added: LTI platform %d, %s, client id %q, deployments %s\n",
		added.ID, added.Issuer, added.ClientID, strings.Join(added.Deployments, ", "))
	printToolURLs(cfg, stdout)
	return nil
}

// checkLTIPlatform returns every problem of a platform given by hand.
func checkLTIPlatform(p store.LTIPlatform) []error {
	var problems []error
	for _, u := range []struct{ flag, value string }{
		{"--issuer", p.Issuer}, {"--auth-url", p.AuthURL}, {"--token-url", p.TokenURL}, {"--jwks-url", p.JWKSURL},
	} {
		switch err := lti.CheckURL(u.value); {
		case u.value == "":
			problems = append(problems, fmt.Errorf("%s is required", u.flag))
		case err != nil:
			problems = append(problems, fmt.Errorf("%s must be an https URL (http only on this machine): %w", u.flag, err))
		}
	}
	if strings.TrimSpace(p.ClientID) == "" {
		problems = append(problems, errors.New("--client-id is required"))
	}
	if len(p.Deployments) == 0 {
		problems = append(problems, errors.New("at least one --deployment is required"))
	}
	for _, d := range p.Deployments {
		if strings.TrimSpace(d) == "" {
			problems = append(problems, errors.New("a --deployment is empty"))
		}
	}
	return problems
}

// printToolURLs prints the URLs an LMS asks for when Twelve is added to it.
func printToolURLs(cfg config.Config, stdout io.Writer) {
	base := ""
	if cfg.BaseURL != nil {
		base = cfg.BaseURL.String()
	} else {
		fmt.Fprintln(stdout, "note: BASE_URL is not set, so the URLs below lack the site's address")
	}
	fmt.Fprintln(stdout, "Give the LMS these URLs of Twelve:")
	for _, u := range [][2]string{
		{"login (OIDC initiation) URL", "/lti/login"},
		{"redirect (launch) URL", "/lti/launch"},
		{"target link URL", "/lti/launch"},
		{"public keyset (JWKS) URL", "/lti/jwks"},
		{"dynamic registration URL", "/lti/register"},
	} {
		fmt.Fprintf(stdout, "  %-28s %s%s\n", u[0]+":", base, u[1])
	}
}

// adminLTIList prints one tab-separated line per LTI platform: id,
// issuer, client id, deployments (comma-separated), via, name.
func adminLTIList(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("admin lti-list", flag.ContinueOnError)
	fs.SetOutput(stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New("admin lti-list: takes no arguments")
	}
	_, st, closeDB, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	ps, err := st.LTIPlatforms(ctx)
	if err != nil {
		return err
	}
	if len(ps) == 0 {
		fmt.Fprintln(stdout, "no LTI platforms (twelve admin lti-add registers one)")
		return nil
	}
	for _, p := range ps {
		deployments := strings.Join(p.Deployments, ",")
		if p.LearnsDeployments {
			deployments = strings.TrimPrefix(deployments+",any it launches from", ",")
		}
		fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\t%s\t%q\n", p.ID, p.Issuer, p.ClientID, deployments, p.Via, p.Name)
	}
	return nil
}

// adminLTIRemove unregisters an LTI platform: its launches stop; the
// classes it made stay.
func adminLTIRemove(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("admin lti-remove", flag.ContinueOnError)
	fs.SetOutput(stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("admin lti-remove: want the platform's ID (twelve admin lti-list)")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("admin lti-remove: %q is not a platform ID (twelve admin lti-list)", fs.Arg(0))
	}
	_, st, closeDB, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	p, err := st.LTIPlatformByID(ctx, id)
	if err == nil {
		err = st.RemoveLTIPlatform(ctx, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("admin lti-remove: no LTI platform %d", id)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "removed: LTI platform %d, %s, client id %q; its classes stay\n", p.ID, p.Issuer, p.ClientID)
	return nil
}

// adminLTIFrameOrigin lets an origin frame Twelve (CSP frame-ancestors)
// for a platform. Launches record the LMS's origins themselves when they
// are on the LMS's own site; an LMS served from a domain of its own (a
// custom domain in front of a hosted LMS) is added by hand.
func adminLTIFrameOrigin(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("admin lti-frame-origin", flag.ContinueOnError)
	fs.SetOutput(stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("admin lti-frame-origin: want the platform's ID (twelve admin lti-list) and an origin such as https://lms.example.edu")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("admin lti-frame-origin: %q is not a platform ID (twelve admin lti-list)", fs.Arg(0))
	}
	origin := fs.Arg(1)
	if err := lti.CheckURL(origin); err != nil {
		return fmt.Errorf("admin lti-frame-origin: nothing added: %s must be https (http only on this machine): %w", origin, err)
	}
	_, st, closeDB, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	switch err := st.AddLTIOrigin(ctx, id, origin); {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("admin lti-frame-origin: no LTI platform %d", id)
	case errors.Is(err, store.ErrInvalid):
		return fmt.Errorf("admin lti-frame-origin: nothing added: %q is not an origin (scheme://host[:port], no path)", origin)
	case err != nil:
		return err
	}
	fmt.Fprintf(stdout, "added: %s may frame Twelve (LTI platform %d); every web process follows within seconds\n", origin, id)
	return nil
}

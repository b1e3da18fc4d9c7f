package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/store"
)

// adminCommand is one `twelve admin …` process.
type adminCommand struct {
	summary string
	run     func(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error
}

// adminCommands lists every admin process; they ship in the same binary and
// read the same settings as the web process (factor XII).
func adminCommands() map[string]adminCommand {
	return map[string]adminCommand{
		"class-create":      {"SLUG \"NAME\" [--instructor EMAIL]… [--time-zone ZONE]: create a class with a join link; prints the link last", adminClassCreate},
		"class-list":        {"print every class: slug, name, students, archived or open, join link", adminClassList},
		"check":             {"validate the settings and reach the database; print what was found", adminCheck},
		"config":            {"print the effective settings, secrets redacted", adminConfig},
		"demo-data":         {"--students N --seed S [--force]: fill the database with synthetic students and attempts (refuses beside real users unless --force)", adminDemoData},
		"content-check":     {"[DIR]: validate the lessons (embedded, or in DIR); print every problem with file and line", adminContentCheck},
		"lti-add":           {"--issuer URL --client-id ID --auth-url URL --token-url URL --jwks-url URL --deployment ID [--deployment ID]… [--name NAME] [--token-audience AUD]: register an LMS (LTI 1.3); prints the URLs to give it", adminLTIAdd},
		"lti-list":          {"print every LTI platform: id, issuer, client id, deployments, via, name", adminLTIList},
		"lti-remove":        {"ID: unregister an LTI platform; its launches stop, its classes stay", adminLTIRemove},
		"lti-frame-origin":  {"ID ORIGIN: let ORIGIN (https://lms.example.edu) frame Twelve for LTI platform ID, for an LMS served from a site other than its issuer's", adminLTIFrameOrigin},
		"grant-instructor":  {"EMAIL: make EMAIL an instructor; takes effect on their next instructor page", adminGrantInstructor},
		"revoke-instructor": {"EMAIL: remove EMAIL's instructor grant; takes effect on their next instructor page", adminRevokeInstructor},
		"sign-out":          {"EMAIL: sign EMAIL out of every browser, on every web process, within seconds", adminSignOut},
	}
}

func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmds := adminCommands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printAdminHelp(cmds, stdout)
		if len(args) == 0 {
			return fmt.Errorf("admin: no command given")
		}
		return nil
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		printAdminHelp(cmds, stdout)
		return fmt.Errorf("admin: unknown command %q", args[0])
	}
	return cmd.run(ctx, args[1:], getenv, stdout)
}

// AdminCommandNames lists the admin commands, sorted.
func adminCommandNames() []string {
	var names []string
	for name := range adminCommands() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func printAdminHelp(cmds map[string]adminCommand, w io.Writer) {
	fmt.Fprintln(w, "usage: twelve admin <command> [flags]")
	fmt.Fprintln(w)
	for _, name := range adminCommandNames() {
		fmt.Fprintf(w, "  %-20s %s\n", name, cmds[name].summary)
	}
}

// adminCheck validates the configuration and reaches the database.
func adminCheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("admin check", flag.ContinueOnError)
	fs.SetOutput(stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintln(stdout, "config: invalid")
		return err
	}
	fmt.Fprintln(stdout, "config: ok")
	pool, err := store.Open(ctx, cfg.DatabaseURL, 1)
	if err != nil {
		return err
	}
	defer pool.Close()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st := store.New(pool)
	start := time.Now()
	if err := st.Ping(cctx); err != nil {
		fmt.Fprintln(stdout, "database: unreachable")
		return err
	}
	version, err := st.ServerVersion(cctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database: reachable (PostgreSQL %s, %d ms)\n", version, time.Since(start).Milliseconds())
	current, latest, err := store.SchemaVersion(cctx, pool)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema: version %d of %d\n", current, latest)
	if current < latest {
		return fmt.Errorf("schema is behind: run `twelve migrate`")
	}
	if cfg.OIDC.Enabled() {
		fmt.Fprintf(stdout, "sign-in: OpenID Connect via %s\n", cfg.OIDC.IssuerURL)
	}
	switch {
	case cfg.SAML.IDPMetadataURL != "":
		fmt.Fprintf(stdout, "sign-in: SAML 2.0, metadata from %s\n", cfg.SAML.IDPMetadataURL)
	case cfg.SAML.Enabled():
		fmt.Fprintln(stdout, "sign-in: SAML 2.0, metadata from SAML_IDP_METADATA")
	}
	if !cfg.SignInEnabled() {
		fmt.Fprintln(stdout, "sign-in: disabled (neither OIDC_ISSUER_URL nor SAML_IDP_METADATA_URL is set)")
	}
	return nil
}

// adminConfig prints every setting: its value when harmless, "set (secret)"
// for secrets, and whether it is the default.
func adminConfig(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("admin config", flag.ContinueOnError)
	fs.SetOutput(stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, loadErr := config.Load(getenv)
	for _, s := range config.Show(getenv) {
		fmt.Fprintf(stdout, "%-20s %s\n", s.Name, s.Value)
	}
	return loadErr
}

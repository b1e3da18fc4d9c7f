package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/store"
)

// emailList is a flag given once per email.
type emailList []string

func (l *emailList) String() string     { return strings.Join(*l, ",") }
func (l *emailList) Set(v string) error { *l = append(*l, v); return nil }

// parseInterleaved parses args with fs, flags before, between and after
// the positional arguments (Go's flag package stops at the first
// positional), and returns the positionals. After "--" everything is
// positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// adminClassCreate creates a class with a join link, adds its
// instructors (members at once if they have signed in, else invited), and
// prints the join link last, so a script can take it with `tail -1`.
func adminClassCreate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("admin class-create", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var instructors emailList
	fs.Var(&instructors, "instructor", "`EMAIL` of an instructor of the class (repeat for several)")
	zone := fs.String("time-zone", "UTC", "the class's IANA time `ZONE`, such as Europe/Berlin")
	fs.Usage = func() {
		fmt.Fprintln(stdout, `usage: twelve admin class-create SLUG "NAME" [--instructor EMAIL]… [--time-zone ZONE]`)
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		fs.Usage()
		return errors.New("admin class-create: want a SLUG and a NAME")
	}
	slug, name := pos[0], strings.TrimSpace(pos[1])
	var problems []error
	if classes.CheckSlug(slug) != nil {
		problems = append(problems, fmt.Errorf("%q is not a class slug: 1 to 40 lower-case letters, digits and dashes, starting with a letter or digit", slug))
	}
	if n := utf8.RuneCountInString(name); n == 0 || n > 200 {
		problems = append(problems, errors.New("the NAME must be 1 to 200 characters"))
	}
	if _, err := classes.Zone(*zone); err != nil {
		problems = append(problems, fmt.Errorf("%q is not an IANA time zone (such as Europe/Berlin)", *zone))
	}
	var emails []string
	for _, e := range instructors {
		email, err := classes.CheckEmail(e)
		if err != nil {
			problems = append(problems, fmt.Errorf("--instructor %q is not an email address", e))
			continue
		}
		emails = append(emails, email)
	}
	if len(problems) > 0 {
		return fmt.Errorf("admin class-create: nothing created: %w", errors.Join(problems...))
	}
	cfg, st, closeDB, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	c, err := st.CreateClass(ctx, store.Class{Slug: slug, Name: name, TimeZone: *zone, JoinCode: classes.NewJoinCode()})
	if errors.Is(err, store.ErrSlugTaken) {
		return fmt.Errorf("admin class-create: nothing created: a class with slug %q exists already", slug)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created: class %s, %q, time zone %s\n", c.Slug, c.Name, c.TimeZone)
	for _, email := range emails {
		members, _, err := st.AddRoster(ctx, c.ID, []store.Invite{{Email: email, Role: store.RoleInstructor}})
		if err != nil {
			return err
		}
		if members > 0 {
			fmt.Fprintf(stdout, "instructor: %s\n", email)
		} else {
			fmt.Fprintf(stdout, "instructor: %s, invited: joins at their first sign-in\n", email)
		}
	}
	if cfg.BaseURL == nil {
		fmt.Fprintln(stdout, "note: BASE_URL is not set, so the join link below lacks the site's address")
	}
	fmt.Fprintln(stdout, joinLink(cfg, c.JoinCode))
	return nil
}

// adminClassList prints one line per class: slug, name, students,
// whether it is archived, and its join link.
func adminClassList(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("admin class-list", flag.ContinueOnError)
	fs.SetOutput(stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New("admin class-list: takes no arguments")
	}
	cfg, st, closeDB, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	snaps, err := st.LoadClasses(ctx)
	if err != nil {
		return err
	}
	if len(snaps) == 0 {
		fmt.Fprintln(stdout, "no classes")
		return nil
	}
	for _, s := range snaps {
		students := 0
		for _, m := range s.Members {
			if m.Role == store.RoleStudent {
				students++
			}
		}
		state := "open"
		if s.Class.Archived() {
			state = "archived"
		}
		link := "join link off"
		if s.Class.JoinCode != "" {
			link = joinLink(cfg, s.Class.JoinCode)
		}
		fmt.Fprintf(stdout, "%s\t%q\t%d students\t%s\t%s\n", s.Class.Slug, s.Class.Name, students, state, link)
	}
	return nil
}

// joinLink is the address of a class's join link.
func joinLink(cfg config.Config, code string) string {
	base := ""
	if cfg.BaseURL != nil {
		base = cfg.BaseURL.String()
	}
	return base + "/join/" + code
}

// openStore loads the settings and opens the database for one command.
func openStore(ctx context.Context, getenv func(string) string) (config.Config, *store.Store, func(), error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return config.Config{}, nil, nil, err
	}
	pool, err := store.Open(ctx, cfg.DatabaseURL, 1)
	if err != nil {
		return config.Config{}, nil, nil, err
	}
	return cfg, store.New(pool), pool.Close, nil
}

package main

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

func TestAdminClassCreateAndList(t *testing.T) {
	dbURL := storetest.NewURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "SECRET_KEY": testSecret, "BASE_URL": "https://course.example.edu"}
	getenv := func(k string) string { return env[k] }
	pool, err := store.Open(context.Background(), dbURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool)
	ivy, err := st.UpsertUser(t.Context(), "https://idp.test", "ivy", "ivy@example.edu", "Ivy")
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := runAdmin(t.Context(), args, getenv, &out)
		return out.String(), err
	}
	count := func() int {
		cs, err := st.Classes(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return len(cs)
	}

	out, err := run("class-create", "cs101", "Intro to <CS>", "--instructor", "Ivy@Example.edu", "--instructor", "new@example.edu")
	if err != nil {
		t.Fatalf("class-create: %v\n%s", err, out)
	}
	c, err := st.ClassBySlug(t.Context(), "cs101")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; last != "https://course.example.edu/join/"+c.JoinCode || c.JoinCode == "" {
		t.Errorf("last line %q, want the join link of code %q", last, c.JoinCode)
	}
	if c.Name != "Intro to <CS>" || c.TimeZone != "UTC" {
		t.Errorf("class %+v", c)
	}
	members, _ := st.ClassMembers(t.Context(), c.ID)
	if len(members) != 1 || members[0].UserID != ivy.ID || members[0].Role != store.RoleInstructor {
		t.Errorf("members %+v, want ivy as instructor", members)
	}
	invites, _ := st.ClassInvites(t.Context(), c.ID)
	if len(invites) != 1 || invites[0].Email != "new@example.edu" || invites[0].Role != store.RoleInstructor {
		t.Errorf("invites %+v", invites)
	}
	if !strings.Contains(out, "instructor: new@example.edu, invited") {
		t.Errorf("output does not say new@ was invited:\n%s", out)
	}

	// Flags before the positionals, and a time zone.
	if out, err := run("class-create", "--time-zone", "Europe/Berlin", "cs102", "Second"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if c, _ := st.ClassBySlug(t.Context(), "cs102"); c.TimeZone != "Europe/Berlin" {
		t.Errorf("zone %q", c.TimeZone)
	}

	refused := []struct {
		name string
		args []string
		want string
	}{
		{"duplicate slug", []string{"cs101", "Again"}, "exists already"},
		{"bad slug", []string{"CS 101", "Bad"}, "is not a class slug"},
		{"bad zone", []string{"cs103", "Zone", "--time-zone", "Mars/Olympus"}, "is not an IANA time zone"},
		{"bad instructor email", []string{"cs104", "Email", "--instructor", "ivy"}, "is not an email address"},
		{"no name", []string{"cs105"}, "want a SLUG and a NAME"},
		{"too many", []string{"cs106", "A", "B"}, "want a SLUG and a NAME"},
	}
	for _, r := range refused {
		t.Run(r.name, func(t *testing.T) {
			before := count()
			out, err := run(append([]string{"class-create"}, r.args...)...)
			if err == nil || !strings.Contains(err.Error(), r.want) {
				t.Errorf("error %v, want one saying %q; output:\n%s", err, r.want, out)
			}
			if count() != before {
				t.Error("a refused class-create created a class")
			}
		})
	}

	if err := st.SetJoinCode(t.Context(), c.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := st.SetClassArchived(t.Context(), c.ID, true); err != nil {
		t.Fatal(err)
	}
	out, err = run("class-list")
	if err != nil {
		t.Fatal(err)
	}
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || lines[0] != "cs101\t\"Intro to <CS>\"\t0 students\tarchived\tjoin link off" || !strings.HasPrefix(lines[1], "cs102\t\"Second\"\t0 students\topen\thttps://course.example.edu/join/") {
		t.Errorf("class-list:\n%s", out)
	}
}

func TestParseInterleaved(t *testing.T) {
	for _, c := range []struct {
		args []string
		pos  string
		inst string
	}{
		{[]string{"a", "b", "--instructor", "x", "--instructor", "y"}, "a b", "x,y"},
		{[]string{"--instructor", "x", "a", "--instructor=y", "b"}, "a b", "x,y"},
		{[]string{"a", "--", "--instructor", "b"}, "a --instructor b", ""},
	} {
		var inst emailList
		fs := newTestFlagSet(&inst)
		pos, err := parseInterleaved(fs, c.args)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(pos, " ") != c.pos || inst.String() != c.inst {
			t.Errorf("%q: positionals %q, instructors %q; want %q, %q", c.args, pos, inst.String(), c.pos, c.inst)
		}
	}
}

func newTestFlagSet(inst *emailList) *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.Var(inst, "instructor", "")
	return fs
}

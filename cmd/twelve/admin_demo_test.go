package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

func TestAdminDemoData(t *testing.T) {
	dbURL := storetest.NewURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "SECRET_KEY": testSecret}
	getenv := func(k string) string { return env[k] }
	pool, err := store.Open(context.Background(), dbURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool)
	count := func(sql string) float64 {
		t.Helper()
		var n float64
		if err := pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	var out bytes.Buffer
	if err := runAdmin(t.Context(), []string{"demo-data", "--students", "50", "--seed", "7"}, getenv, &out); err != nil {
		t.Fatalf("demo-data: %v\n%s", err, &out)
	}
	if !strings.Contains(out.String(), "demo data: 50 students") {
		t.Errorf("output %q does not report 50 students", out.String())
	}
	checks := []struct {
		name     string
		sql      string
		min, max float64
	}{
		{"students", `SELECT count(*) FROM users WHERE issuer = 'demo:' AND email LIKE '%@demo.example'`, 50, 50},
		{"a gradebook row each", `SELECT count(*) FROM gradebook`, 50, 50},
		{"attempts per student", `SELECT count(*)::float8 / 50 FROM attempts`, 6, 30},
		{"eight responses per attempt", `SELECT count(*)::float8 / (SELECT count(*) FROM attempts) FROM responses`, 8, 8},
		{"an item row per attempt", `SELECT count(*) FROM attempt_items`, 1, 1e9},
		{"item rows match attempts", `SELECT (SELECT count(*) FROM attempt_items) - (SELECT count(*) FROM attempts)`, 0, 0},
		{"at most three attempts", `SELECT max(attempt_no) FROM attempts`, 2, 3},
		{"retakes improve on average", `SELECT avg(b.score - a.score) FROM attempts a JOIN attempts b ON b.user_id = a.user_id AND b.quiz = a.quiz AND b.attempt_no = a.attempt_no + 1`, 0.01, 8},
		{"mean first-attempt score", `SELECT avg(score / max_score) FROM attempts WHERE attempt_no = 1`, 0.4, 0.9},
		{"some students skip or drop out", `SELECT count(*) FROM gradebook WHERE attempted < 12`, 1, 49},
		{"grades match attempts", `SELECT count(*) FROM (SELECT DISTINCT user_id, quiz FROM attempts) x`, 1, 1e9},
		{"grades rows", `SELECT (SELECT count(*) FROM grades) - (SELECT count(*) FROM (SELECT DISTINCT user_id, quiz FROM attempts) x)`, 0, 0},
		{"highest grade kept", `SELECT count(*) FROM grades g WHERE abs(g.grade - (SELECT max(score / max_score) FROM attempts a WHERE a.user_id = g.user_id AND a.quiz = g.quiz)) > 1e-9`, 0, 0},
		{"submitted after started", `SELECT count(*) FROM attempts WHERE submitted_at <= started_at OR submitted_at > now()`, 0, 0},
		{"every question of a bank drawn", `SELECT count(DISTINCT question) FROM responses r JOIN attempts a ON a.id = r.attempt_id WHERE a.quiz = 'config'`, 10, 20},
	}
	for _, c := range checks {
		if got := count(c.sql); got < c.min || got > c.max {
			t.Errorf("%s: %v, want %v to %v", c.name, got, c.min, c.max)
		}
	}
	before := count(`SELECT sum(score) FROM attempts`)

	// Running again replaces the demo students: same seed, same answers.
	out.Reset()
	if err := runAdmin(t.Context(), []string{"demo-data", "--students", "50", "--seed", "7"}, getenv, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "removed 50 demo students") {
		t.Errorf("second run printed %q, want it to replace the first run's students", out.String())
	}
	if n := count(`SELECT count(*) FROM users`); n != 50 {
		t.Errorf("%v users after a second run, want 50", n)
	}
	if after := count(`SELECT sum(score) FROM attempts`); after != before {
		t.Errorf("same seed gave total score %v then %v", before, after)
	}

	// A real user makes it refuse, unless forced; forced, it keeps them.
	if _, err := st.UpsertUser(context.Background(), "https://idp.example.edu", "real-1", "real@example.edu", "Real Person"); err != nil {
		t.Fatal(err)
	}
	err = runAdmin(t.Context(), []string{"demo-data", "--students", "5"}, getenv, &out)
	if !errors.Is(err, errRealUsers) {
		t.Errorf("beside a real user: err = %v, want a refusal", err)
	}
	if n := count(`SELECT count(*) FROM users`); n != 51 {
		t.Errorf("a refused run changed the users: %v, want 51", n)
	}
	if err := runAdmin(t.Context(), []string{"demo-data", "--students", "5", "--force"}, getenv, &out); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT count(*) FROM users WHERE issuer <> 'demo:'`); n != 1 {
		t.Errorf("--force removed the real user")
	}
	if n := count(`SELECT count(*) FROM users WHERE issuer = 'demo:'`); n != 5 {
		t.Errorf("--force left %v demo users, want 5", n)
	}
	if err := runAdmin(t.Context(), []string{"demo-data", "--students", "0"}, getenv, &out); err == nil {
		t.Error("--students 0 was accepted")
	}
}

func TestAdminDemoDataClasses(t *testing.T) {
	dbURL := storetest.NewURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "SECRET_KEY": testSecret}
	getenv := func(k string) string { return env[k] }
	pool, err := store.Open(context.Background(), dbURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	count := func(sql string) float64 {
		t.Helper()
		var n float64
		if err := pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	args := []string{"demo-data", "--students", "70", "--seed", "3", "--classes", "3", "--class-size", "10", "--big-class", "25"}
	var out bytes.Buffer
	for run := 1; run <= 2; run++ { // the second run replaces the first's classes
		out.Reset()
		if err := runAdmin(t.Context(), args, getenv, &out); err != nil {
			t.Fatalf("run %d: %v\n%s", run, err, &out)
		}
		if run == 2 && !strings.Contains(out.String(), "removed 4 demo classes") {
			t.Errorf("second run printed %q, want it to replace the four classes", out.String())
		}
		checks := []struct {
			name string
			sql  string
			want float64
		}{
			{"classes", `SELECT count(*) FROM classes`, 4},
			{"slugs", `SELECT count(*) FROM classes WHERE slug IN ('demo-001', 'demo-002', 'demo-003', 'demo-big')`, 4},
			{"members of demo-002", `SELECT count(*) FROM class_members m JOIN classes c ON c.id = m.class_id WHERE c.slug = 'demo-002' AND m.role = 'student'`, 10},
			{"members of demo-big", `SELECT count(*) FROM class_members m JOIN classes c ON c.id = m.class_id WHERE c.slug = 'demo-big'`, 25},
			{"one class each at most", `SELECT count(*) - count(DISTINCT user_id) FROM class_members`, 0},
			{"students in no class", `SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM class_members m WHERE m.user_id = u.id)`, 15},
			{"attempts in their student's class", `SELECT count(*) FROM attempts a LEFT JOIN class_members m ON m.user_id = a.user_id WHERE a.class_id <> coalesce(m.class_id, 0)`, 0},
			{"class grades for class attempts", `SELECT (SELECT count(*) FROM class_grades) - (SELECT count(*) FROM (SELECT DISTINCT user_id, quiz FROM attempts WHERE class_id <> 0) x)`, 0},
			{"a class gradebook row per member", `SELECT count(*) FROM class_gradebook`, 55},
			{"class rows agree with the course's", `SELECT count(*) FROM class_gradebook c JOIN gradebook g USING (user_id) WHERE g.attempted > 0 AND (c.grades <> g.grades OR c.total <> g.total)`, 0},
		}
		for _, c := range checks {
			if got := count(c.sql); got != c.want {
				t.Errorf("run %d: %s: %v, want %v", run, c.name, got, c.want)
			}
		}
	}
	for _, bad := range [][]string{
		{"--students", "10", "--classes", "2", "--class-size", "6"},
		{"--students", "10", "--big-class", "11"},
		{"--students", "10", "--classes", "1", "--class-size", "0"},
		{"--students", "10", "--classes", "-1"},
	} {
		if err := runAdmin(t.Context(), append([]string{"demo-data"}, bad...), getenv, &out); err == nil {
			t.Errorf("%v was accepted", bad)
		}
	}
}

package store_test

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// sqlTracer records the SQL of every query and batched query.
type sqlTracer struct {
	mu  sync.Mutex
	sql []string
}

func (tr *sqlTracer) add(s string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.sql = append(tr.sql, s)
}

func (tr *sqlTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	tr.add(d.SQL)
	return ctx
}
func (tr *sqlTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (tr *sqlTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (tr *sqlTracer) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	tr.add(d.SQL)
}
func (tr *sqlTracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

var (
	spaces      = regexp.MustCompile(`\s+`)
	insertInto  = regexp.MustCompile(`^insert into (\w+)`)
	selectFrom  = regexp.MustCompile(`^select .*? from (\w+)`)
	selectCall  = regexp.MustCompile(`^select (\w+)\(`)
	transaction = regexp.MustCompile(`^(begin|commit|end|rollback)\b`)
)

// signature names what a statement does: "lock", "insert into T",
// "select from T" or "call F" (a SQL function); "" for transaction control.
func signature(sql string) string {
	s := strings.ToLower(strings.TrimSpace(spaces.ReplaceAllString(sql, " ")))
	switch {
	case transaction.MatchString(s):
		return ""
	case strings.Contains(s, "pg_advisory_xact_lock"):
		return "lock"
	case insertInto.MatchString(s):
		return insertInto.FindString(s)
	case selectFrom.MatchString(s):
		return "select from " + selectFrom.FindStringSubmatch(s)[1]
	case selectCall.MatchString(s):
		return "call " + selectCall.FindStringSubmatch(s)[1]
	}
	return s
}

// pgbenchStatements splits a pgbench script into its SQL statements.
func pgbenchStatements(script string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(script, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") || strings.HasPrefix(t, `\set`) {
			continue
		}
		cur.WriteString(line + "\n")
		if strings.HasSuffix(t, ";") || strings.HasSuffix(t, `\gset`) {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	return out
}

// TestSubmitPgbenchScriptFollowsSaveAttempt: scripts/bench/submit.pgbench, the
// database's own ceiling for submits in scripts/bench/submit.sh, runs the same
// statements as SaveAttempt does for a new attempt once the quiz version
// is known stored, in the same order: it fails when either changes alone.
func TestSubmitPgbenchScriptFollowsSaveAttempt(t *testing.T) {
	cfg, err := pgxpool.ParseConfig(storetest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	tracer := &sqlTracer{}
	cfg.ConnConfig.Tracer = tracer
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool)
	user := newUser(t, st, "ada")
	if _, _, err := st.SaveAttempt(context.Background(), attempt(user, 1), quiz.DefaultSettings()); err != nil {
		t.Fatal(err)
	}
	tracer.mu.Lock()
	tracer.sql = nil
	tracer.mu.Unlock()
	if _, _, err := st.SaveAttempt(context.Background(), attempt(user, 2), quiz.DefaultSettings()); err != nil {
		t.Fatal(err)
	}
	var app []string
	for _, s := range tracer.sql {
		if sig := signature(s); sig != "" {
			app = append(app, sig)
		}
	}
	script, err := os.ReadFile("../scripts/bench/submit.pgbench")
	if err != nil {
		t.Fatal(err)
	}
	var bench []string
	for _, s := range pgbenchStatements(string(script)) {
		if sig := signature(s); sig != "" {
			bench = append(bench, sig)
		}
	}
	if !slices.Equal(app, bench) {
		t.Errorf("scripts/bench/submit.pgbench runs\n  %s\nbut SaveAttempt runs\n  %s\nupdate the script to match store/attempts.go and store/reports.go",
			strings.Join(bench, "\n  "), strings.Join(app, "\n  "))
	}
}

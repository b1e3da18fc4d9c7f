-- +goose Up

-- refresh_gradebook(user_ids) recomputes the gradebook rows of the given
-- users from their grades: the one definition of a gradebook row. It runs
-- in the transaction of every submit (store.SaveAttempt), after a bulk load
-- (store.BulkSaveAttempts) and, below, once for every user.
--
-- Each user's row is computed in a LATERAL subquery that reads that user's
-- twelve grades by key, whatever the plan: refreshing one user costs the
-- same at any course size (a join over a list of users lets a generic plan
-- hash the whole grades table: 8 ms at 30,000 grades, and growing).
-- PL/pgSQL keeps the statement's plan for the session, so a submit does not
-- plan it again.
-- +goose StatementBegin
CREATE FUNCTION refresh_gradebook(user_ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO gradebook (user_id, grades, passed, total, attempted, passes, updated_at)
    SELECT u.id, r.grades, r.passed, r.total, r.attempted, r.passes, now()
    FROM unnest(user_ids) AS u(id)
    CROSS JOIN LATERAL (
        SELECT array_agg(g.grade ORDER BY l.position) AS grades,
               array_agg(g.passed ORDER BY l.position) AS passed,
               coalesce(sum(g.grade), 0) / count(*) AS total,
               count(g.grade) AS attempted,
               count(*) FILTER (WHERE g.passed) AS passes
        FROM lessons l
        LEFT JOIN grades g ON g.user_id = u.id AND g.quiz = l.slug
    ) AS r
    ON CONFLICT (user_id) DO UPDATE
    SET grades = EXCLUDED.grades, passed = EXCLUDED.passed, total = EXCLUDED.total,
        attempted = EXCLUDED.attempted, passes = EXCLUDED.passes, updated_at = EXCLUDED.updated_at;
END
$$;
-- +goose StatementEnd

-- Every user's row from their grades. On a database that 00002 filled this
-- changes nothing; on one migrated from 00001 it fills the rows that 00002
-- left blank (it no longer carries a copy of this statement).
SELECT refresh_gradebook(array_agg(id)) FROM users;

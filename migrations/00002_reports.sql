-- +goose Up

-- Instructor reports (gradebook, item statistics) read summaries that are
-- maintained in the same transaction as each attempt insert, so they are
-- never stale after a submit and cost the same at any course size.

-- The course's lessons in course order: the gradebook's columns.
-- DESIGN.md fixes the twelve slugs; a test checks content.Slugs() agrees.
CREATE TABLE lessons (
    slug     text PRIMARY KEY,
    position integer NOT NULL UNIQUE CHECK (position > 0)
);
INSERT INTO lessons (slug, position) VALUES
    ('codebase', 1), ('dependencies', 2), ('config', 3), ('backing-services', 4),
    ('build-release-run', 5), ('processes', 6), ('port-binding', 7), ('concurrency', 8),
    ('disposability', 9), ('dev-prod-parity', 10), ('logs', 11), ('admin-processes', 12);

-- One row per user who has signed in (added by a trigger on users, so a
-- student with no attempt has a row of blank cells), holding their grade
-- per lesson (fraction 0..1, indexed by lessons.position, NULL before any
-- attempt), whether it passes, the total (the mean of the lesson grades
-- with a missing grade counting 0), and how many lessons were attempted and
-- passed. Refreshed from `grades` in the transaction of every attempt.
CREATE TABLE gradebook (
    user_id    bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    grades     double precision[] NOT NULL DEFAULT '{}',
    passed     boolean[] NOT NULL DEFAULT '{}',
    total      double precision NOT NULL DEFAULT 0,
    attempted  integer NOT NULL DEFAULT 0,
    passes     integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Keyset pagination: every sortable column has an index on (value, user
-- id), so any page is one index range scan. A blank lesson cell sorts as -1,
-- below every grade.
CREATE INDEX gradebook_total_idx ON gradebook (total, user_id);
CREATE INDEX gradebook_l1_idx ON gradebook ((coalesce(grades[1], -1)), user_id);
CREATE INDEX gradebook_l2_idx ON gradebook ((coalesce(grades[2], -1)), user_id);
CREATE INDEX gradebook_l3_idx ON gradebook ((coalesce(grades[3], -1)), user_id);
CREATE INDEX gradebook_l4_idx ON gradebook ((coalesce(grades[4], -1)), user_id);
CREATE INDEX gradebook_l5_idx ON gradebook ((coalesce(grades[5], -1)), user_id);
CREATE INDEX gradebook_l6_idx ON gradebook ((coalesce(grades[6], -1)), user_id);
CREATE INDEX gradebook_l7_idx ON gradebook ((coalesce(grades[7], -1)), user_id);
CREATE INDEX gradebook_l8_idx ON gradebook ((coalesce(grades[8], -1)), user_id);
CREATE INDEX gradebook_l9_idx ON gradebook ((coalesce(grades[9], -1)), user_id);
CREATE INDEX gradebook_l10_idx ON gradebook ((coalesce(grades[10], -1)), user_id);
CREATE INDEX gradebook_l11_idx ON gradebook ((coalesce(grades[11], -1)), user_id);
CREATE INDEX gradebook_l12_idx ON gradebook ((coalesce(grades[12], -1)), user_id);
CREATE INDEX users_name_sort_idx ON users (lower(name), id);
CREATE INDEX users_email_sort_idx ON users (lower(email), id);
-- Filtering by a piece of a name or an email: a trigram index answers
-- `lower(name || E'\n' || email) LIKE '%piece%'` without reading every user.
-- pg_trgm ships with PostgreSQL and is a trusted extension (13+): the
-- database's owner may create it, on Heroku Postgres too.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_search_idx ON users USING gin (lower(name || E'\n' || email) gin_trgm_ops);

-- +goose StatementBegin
CREATE FUNCTION gradebook_add_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO gradebook (user_id) VALUES (NEW.id) ON CONFLICT (user_id) DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER users_gradebook AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION gradebook_add_user();

-- A blank row for every user; 00004's refresh_gradebook fills them from
-- grades (this migration used to carry its own copy of that statement).
INSERT INTO gradebook (user_id) SELECT id FROM users;

-- Item statistics read one row per attempt with what they need, position
-- by position: the question (a number from item_questions, which keeps the
-- rows small), the fraction of its points earned and the options chosen
-- (comma-separated ids; "true"/"false" for true/false questions; ''
-- otherwise). Partitioned by quiz, so one quiz's statistics read only that
-- quiz's rows however attempts of different quizzes interleave in time.
CREATE TABLE item_questions (
    id       integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    quiz     text NOT NULL,
    question text NOT NULL,
    UNIQUE (quiz, question)
);
CREATE TABLE attempt_items (
    attempt_id uuid NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,
    quiz       text NOT NULL,
    attempt_no integer NOT NULL,
    questions  integer[] NOT NULL, -- item_questions.id
    fractions  double precision[] NOT NULL,
    choices    text[] NOT NULL,
    PRIMARY KEY (attempt_id, quiz)
) PARTITION BY LIST (quiz);
CREATE TABLE attempt_items_codebase PARTITION OF attempt_items FOR VALUES IN ('codebase');
CREATE TABLE attempt_items_dependencies PARTITION OF attempt_items FOR VALUES IN ('dependencies');
CREATE TABLE attempt_items_config PARTITION OF attempt_items FOR VALUES IN ('config');
CREATE TABLE attempt_items_backing_services PARTITION OF attempt_items FOR VALUES IN ('backing-services');
CREATE TABLE attempt_items_build_release_run PARTITION OF attempt_items FOR VALUES IN ('build-release-run');
CREATE TABLE attempt_items_processes PARTITION OF attempt_items FOR VALUES IN ('processes');
CREATE TABLE attempt_items_port_binding PARTITION OF attempt_items FOR VALUES IN ('port-binding');
CREATE TABLE attempt_items_concurrency PARTITION OF attempt_items FOR VALUES IN ('concurrency');
CREATE TABLE attempt_items_disposability PARTITION OF attempt_items FOR VALUES IN ('disposability');
CREATE TABLE attempt_items_dev_prod_parity PARTITION OF attempt_items FOR VALUES IN ('dev-prod-parity');
CREATE TABLE attempt_items_logs PARTITION OF attempt_items FOR VALUES IN ('logs');
CREATE TABLE attempt_items_admin_processes PARTITION OF attempt_items FOR VALUES IN ('admin-processes');
CREATE TABLE attempt_items_other PARTITION OF attempt_items DEFAULT;

-- The same statements as store.recordAttemptItems, for every attempt.
INSERT INTO item_questions (quiz, question)
SELECT DISTINCT a.quiz, r.question
FROM attempts a
JOIN responses r ON r.attempt_id = a.id
ORDER BY 1, 2
ON CONFLICT (quiz, question) DO NOTHING;
INSERT INTO attempt_items (attempt_id, quiz, attempt_no, questions, fractions, choices)
SELECT a.id, a.quiz, a.attempt_no,
       array_agg(q.id ORDER BY r.position),
       array_agg(r.score / r.max_score ORDER BY r.position),
       array_agg(CASE
           WHEN jsonb_typeof(r.answer -> 'choices') = 'array'
               THEN coalesce((SELECT string_agg(c, ',' ORDER BY c) FROM jsonb_array_elements_text(r.answer -> 'choices') AS c), '')
           WHEN jsonb_typeof(r.answer -> 'truth') = 'boolean' THEN r.answer ->> 'truth'
           ELSE ''
       END ORDER BY r.position)
FROM attempts a
JOIN responses r ON r.attempt_id = a.id
JOIN item_questions q ON q.quiz = a.quiz AND q.question = r.question
GROUP BY a.id, a.quiz, a.attempt_no
ON CONFLICT (attempt_id, quiz) DO NOTHING;

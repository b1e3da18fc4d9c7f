-- +goose Up

-- One row per person who has signed in, keyed by their identity provider.
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issuer        text NOT NULL,
    subject       text NOT NULL,
    email         text NOT NULL DEFAULT '',
    name          text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (issuer, subject)
);
CREATE INDEX users_email_idx ON users (lower(email));

-- Instructor role granted by `twelve admin grant-instructor EMAIL`; keyed by
-- email so a grant can precede the person's first sign-in.
CREATE TABLE instructor_grants (
    email      text PRIMARY KEY CHECK (email = lower(email)),
    granted_at timestamptz NOT NULL DEFAULT now()
);

-- Every version of every quiz that a student was shown, content-addressed, so
-- old attempts keep grading and reviewing against what the student saw.
CREATE TABLE quiz_versions (
    hash       text PRIMARY KEY,
    quiz       text NOT NULL,
    body       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per submitted attempt. The id comes from the signed attempt token,
-- which makes submitting idempotent.
CREATE TABLE attempts (
    id           uuid PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id),
    quiz         text NOT NULL,
    version      text NOT NULL REFERENCES quiz_versions (hash),
    attempt_no   integer NOT NULL CHECK (attempt_no > 0),
    seed         bigint NOT NULL,
    started_at   timestamptz NOT NULL,
    submitted_at timestamptz NOT NULL DEFAULT now(),
    score        double precision NOT NULL CHECK (score >= 0),
    max_score    double precision NOT NULL CHECK (max_score > 0),
    UNIQUE (user_id, quiz, attempt_no)
);
CREATE INDEX attempts_quiz_idx ON attempts (quiz, attempt_no);

-- The answer given to each question of an attempt, written in the same
-- transaction as the attempt.
CREATE TABLE responses (
    attempt_id uuid NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,
    position   integer NOT NULL CHECK (position >= 0),
    question   text NOT NULL,
    answer     jsonb NOT NULL,
    score      double precision NOT NULL,
    max_score  double precision NOT NULL,
    PRIMARY KEY (attempt_id, position)
);

-- The graded result per student and quiz (by the quiz's grading method),
-- maintained in the same transaction as each attempt insert, so the
-- gradebook reads one row per cell and is never stale.
CREATE TABLE grades (
    user_id    bigint NOT NULL REFERENCES users (id),
    quiz       text NOT NULL,
    attempts   integer NOT NULL,
    grade      double precision NOT NULL, -- fraction 0..1
    passed     boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, quiz)
);
CREATE INDEX grades_quiz_idx ON grades (quiz, grade);

-- Each running process beats here; the live process formation (factor VIII)
-- is the set of rows seen recently.
CREATE TABLE processes (
    id         text PRIMARY KEY,
    kind       text NOT NULL,
    host       text NOT NULL,
    pid        integer NOT NULL,
    started_at timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL
);

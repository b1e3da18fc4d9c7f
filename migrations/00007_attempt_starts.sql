-- +goose Up

-- One row per started attempt of a quiz with an attempt limit or a time
-- limit (quiz.Settings.StartCounts), numbered per student and quiz. A
-- start is recorded once: starting the quiz again returns this row (the
-- same attempt id, paper seed and deadline) until the attempt is submitted
-- (an `attempts` row with the same id) or expires. An attempt number is
-- used by a start, or by a submitted attempt that was never recorded as a
-- start (one made before this table, or while the quiz had no limits), so
-- `start_no` never goes past the attempt limit. Quizzes with neither limit
-- write nothing here. Existing attempts need no row: they count as used
-- numbers as they are.
CREATE TABLE attempt_starts (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    quiz       text NOT NULL,
    start_no   integer NOT NULL CHECK (start_no > 0),
    id         uuid NOT NULL UNIQUE, -- the attempt id its submit stores
    version    text NOT NULL REFERENCES quiz_versions (hash),
    seed       bigint NOT NULL,
    started_at timestamptz NOT NULL,
    deadline   timestamptz,          -- NULL: no time limit
    PRIMARY KEY (user_id, quiz, start_no)
);

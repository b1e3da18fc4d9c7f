-- +goose Up

-- LMS grade sync (AGS): one row per student and quiz of an LTI class, what
-- the gradebook column at the LMS has been sent or is waiting for. The
-- delivery itself is a River job (kind lti_score) inserted in the same
-- transaction as the attempt; River's own tables come from its migrations,
-- which `twelve migrate` runs after these.
CREATE TABLE lti_scores (
    class_id   bigint NOT NULL REFERENCES classes ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    quiz       text NOT NULL,
    status     text NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    graded_at  timestamptz NOT NULL,      -- class_grades.updated_at of the grade to send / sent
    grade      double precision,          -- fraction sent (0..1), null until sent
    sent_at    timestamptz,
    error      text NOT NULL DEFAULT '',  -- the platform's message or the network error
    tries      integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (class_id, user_id, quiz)
);
CREATE INDEX lti_scores_failed_idx ON lti_scores (class_id) WHERE status = 'failed';

-- +goose Down
DROP TABLE lti_scores;

-- +goose Up

-- Classes: sections, cohorts, teams (docs/classes.md). Nothing here changes
-- what an existing deploy shows: a student in no class takes the open
-- course as before, and every attempt made so far belongs to it (class 0).

CREATE TABLE classes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    time_zone   text NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) BETWEEN 1 AND 64),
    starts_on   date,
    ends_on     date,
    -- NULL: the join link is off. Rotating replaces it: the old link stops.
    join_code   text UNIQUE CHECK (join_code ~ '^[A-Za-z0-9_-]{16,64}$'),
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on)
);

CREATE TABLE class_members (
    class_id  bigint NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role      text NOT NULL CHECK (role IN ('student', 'ta', 'instructor')),
    via       text NOT NULL CHECK (via IN ('link', 'roster', 'admin', 'staff', 'lti')),
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (class_id, user_id)
);
CREATE INDEX class_members_user_idx ON class_members (user_id);

-- People added by email before they have signed in (roster uploads, staff
-- added by email, `class-create --instructor`): each becomes a member at
-- their next sign-in with that email, verified.
CREATE TABLE class_invites (
    class_id   bigint NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    email      text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    role       text NOT NULL CHECK (role IN ('student', 'ta', 'instructor')),
    name       text NOT NULL DEFAULT '',
    invited_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (class_id, email)
);
CREATE INDEX class_invites_email_idx ON class_invites (email);

-- A class's overrides of a quiz's settings; NULL keeps the quiz's own.
CREATE TABLE class_quiz_settings (
    class_id           bigint NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    quiz               text NOT NULL,
    opens_at           timestamptz,
    due_at             timestamptz,
    closes_at          timestamptz,
    attempt_limit      integer CHECK (attempt_limit >= 0),
    time_limit_minutes integer CHECK (time_limit_minutes >= 0),
    pass_mark          integer CHECK (pass_mark BETWEEN 0 AND 100),
    grading            text CHECK (grading IN ('highest', 'latest', 'first', 'average')),
    review             jsonb,
    late_policy        text NOT NULL DEFAULT 'accept' CHECK (late_policy IN ('accept', 'penalty', 'refuse')),
    penalty_per_day    integer NOT NULL DEFAULT 0 CHECK (penalty_per_day BETWEEN 0 AND 100),
    penalty_floor      integer NOT NULL DEFAULT 0 CHECK (penalty_floor BETWEEN 0 AND 100),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (class_id, quiz),
    CHECK (closes_at IS NULL OR due_at IS NULL OR closes_at >= due_at),
    CHECK (opens_at IS NULL OR due_at IS NULL OR due_at > opens_at),
    CHECK (opens_at IS NULL OR closes_at IS NULL OR closes_at > opens_at)
);

-- One student's accommodation in a class, for one quiz or (quiz '') for
-- every quiz of the class.
CREATE TABLE accommodations (
    class_id       bigint NOT NULL,
    user_id        bigint NOT NULL,
    quiz           text NOT NULL DEFAULT '',
    time_factor    double precision NOT NULL DEFAULT 1 CHECK (time_factor BETWEEN 1 AND 10),
    extra_minutes  integer NOT NULL DEFAULT 0 CHECK (extra_minutes BETWEEN 0 AND 10080),
    extra_attempts integer NOT NULL DEFAULT 0 CHECK (extra_attempts BETWEEN 0 AND 100),
    due_at         timestamptz,
    closes_at      timestamptz,
    note           text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (class_id, user_id, quiz),
    FOREIGN KEY (class_id, user_id) REFERENCES class_members (class_id, user_id) ON DELETE CASCADE,
    CHECK (closes_at IS NULL OR due_at IS NULL OR closes_at >= due_at)
);

-- The class an attempt was taken in (0: the open course), whether it came
-- after its due date, and the fraction of its grade taken off for that.
ALTER TABLE attempts ADD COLUMN class_id bigint NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN late boolean NOT NULL DEFAULT false;
ALTER TABLE attempts ADD COLUMN penalty double precision NOT NULL DEFAULT 0 CHECK (penalty >= 0 AND penalty <= 1);
-- Attempt numbers count per class: a student in two classes has an
-- attempt 1 in each.
ALTER TABLE attempts DROP CONSTRAINT attempts_user_id_quiz_attempt_no_key;
ALTER TABLE attempts ADD CONSTRAINT attempts_user_class_quiz_no_key UNIQUE (user_id, quiz, class_id, attempt_no);
CREATE INDEX attempts_class_idx ON attempts (class_id, quiz) WHERE class_id <> 0;

ALTER TABLE attempt_starts ADD COLUMN class_id bigint NOT NULL DEFAULT 0;
-- The class's rules the start's token carries (due, late policy, close,
-- attempt limit: store.ClassRules), so that starting again returns the
-- attempt with the rules it began with, and its submit must agree with
-- them. NULL for none (the open course).
ALTER TABLE attempt_starts ADD COLUMN rules jsonb;
ALTER TABLE attempt_starts DROP CONSTRAINT attempt_starts_pkey;
ALTER TABLE attempt_starts ADD PRIMARY KEY (user_id, quiz, class_id, start_no);

-- A student's grade per class and quiz, by that class's rules, kept in the
-- transaction of every attempt taken in the class. `grades` stays the
-- course-wide grade over every attempt ("all students").
CREATE TABLE class_grades (
    class_id   bigint NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    quiz       text NOT NULL,
    attempts   integer NOT NULL,
    grade      double precision NOT NULL,
    passed     boolean NOT NULL,
    late       boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (class_id, user_id, quiz)
);

-- A class's gradebook: one row per student member (added when they join,
-- so a student with no attempt has blank cells), as `gradebook` is for the
-- whole course, with the same keyset indexes prefixed by the class.
CREATE TABLE class_gradebook (
    class_id   bigint NOT NULL,
    user_id    bigint NOT NULL,
    grades     double precision[] NOT NULL DEFAULT '{}',
    passed     boolean[] NOT NULL DEFAULT '{}',
    total      double precision NOT NULL DEFAULT 0,
    attempted  integer NOT NULL DEFAULT 0,
    passes     integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (class_id, user_id),
    FOREIGN KEY (class_id, user_id) REFERENCES class_members (class_id, user_id) ON DELETE CASCADE
);
CREATE INDEX class_gradebook_total_idx ON class_gradebook (class_id, total, user_id);
CREATE INDEX class_gradebook_l1_idx ON class_gradebook (class_id, (coalesce(grades[1], -1)), user_id);
CREATE INDEX class_gradebook_l2_idx ON class_gradebook (class_id, (coalesce(grades[2], -1)), user_id);
CREATE INDEX class_gradebook_l3_idx ON class_gradebook (class_id, (coalesce(grades[3], -1)), user_id);
CREATE INDEX class_gradebook_l4_idx ON class_gradebook (class_id, (coalesce(grades[4], -1)), user_id);
CREATE INDEX class_gradebook_l5_idx ON class_gradebook (class_id, (coalesce(grades[5], -1)), user_id);
CREATE INDEX class_gradebook_l6_idx ON class_gradebook (class_id, (coalesce(grades[6], -1)), user_id);
CREATE INDEX class_gradebook_l7_idx ON class_gradebook (class_id, (coalesce(grades[7], -1)), user_id);
CREATE INDEX class_gradebook_l8_idx ON class_gradebook (class_id, (coalesce(grades[8], -1)), user_id);
CREATE INDEX class_gradebook_l9_idx ON class_gradebook (class_id, (coalesce(grades[9], -1)), user_id);
CREATE INDEX class_gradebook_l10_idx ON class_gradebook (class_id, (coalesce(grades[10], -1)), user_id);
CREATE INDEX class_gradebook_l11_idx ON class_gradebook (class_id, (coalesce(grades[11], -1)), user_id);
CREATE INDEX class_gradebook_l12_idx ON class_gradebook (class_id, (coalesce(grades[12], -1)), user_id);

-- refresh_class_gradebook(class, user_ids): the class's gradebook rows of
-- the given students from their class grades, as refresh_gradebook is for
-- the whole course (00004). Only members with a row are refreshed.
-- +goose StatementBegin
CREATE FUNCTION refresh_class_gradebook(class bigint, user_ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE class_gradebook gb
    SET grades = r.grades, passed = r.passed, total = r.total,
        attempted = r.attempted, passes = r.passes, updated_at = now()
    FROM unnest(user_ids) AS u(id)
    CROSS JOIN LATERAL (
        SELECT array_agg(g.grade ORDER BY l.position) AS grades,
               array_agg(g.passed ORDER BY l.position) AS passed,
               coalesce(sum(g.grade), 0) / count(*) AS total,
               count(g.grade) AS attempted,
               count(*) FILTER (WHERE g.passed) AS passes
        FROM lessons l
        LEFT JOIN class_grades g ON g.class_id = class AND g.user_id = u.id AND g.quiz = l.slug
    ) AS r
    WHERE gb.class_id = class AND gb.user_id = u.id;
END
$$;
-- +goose StatementEnd

-- A student member gets a gradebook row when they join (blank, or with
-- the class grades they had should they rejoin); a member made staff loses
-- it (the foreign key removes it when they leave). Once per statement, not
-- per row: a roster of thousands is a few set-based statements.
-- +goose StatementBegin
CREATE FUNCTION class_gradebook_members() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    c bigint;
    ids bigint[];
BEGIN
    DELETE FROM class_gradebook gb USING changed_members m
    WHERE gb.class_id = m.class_id AND gb.user_id = m.user_id AND m.role <> 'student';
    INSERT INTO class_gradebook (class_id, user_id)
    SELECT class_id, user_id FROM changed_members WHERE role = 'student'
    ON CONFLICT (class_id, user_id) DO NOTHING;
    -- Only a student with class grades (one who rejoins) has more than
    -- a blank row to show.
    FOR c, ids IN
        SELECT m.class_id, array_agg(m.user_id) FROM changed_members m
        WHERE m.role = 'student'
          AND EXISTS (SELECT 1 FROM class_grades g WHERE g.class_id = m.class_id AND g.user_id = m.user_id)
        GROUP BY m.class_id
    LOOP
        PERFORM refresh_class_gradebook(c, ids);
    END LOOP;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER class_members_gradebook_insert AFTER INSERT ON class_members
    REFERENCING NEW TABLE AS changed_members
    FOR EACH STATEMENT EXECUTE FUNCTION class_gradebook_members();
CREATE TRIGGER class_members_gradebook_update AFTER UPDATE ON class_members
    REFERENCING NEW TABLE AS changed_members
    FOR EACH STATEMENT EXECUTE FUNCTION class_gradebook_members();

-- Calendar feeds (/me/calendar.ics?token=…) are signed with the user's
-- feed generation: "revoke" increments it, and every older link stops.
ALTER TABLE users ADD COLUMN calendar_generation integer NOT NULL DEFAULT 0;

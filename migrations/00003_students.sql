-- +goose Up

-- The gradebook and the cohort figures are about students: a user's role as
-- of their last sign-in (or instructor page, or admin grant) is kept here so
-- those reports can leave instructors out. Identity itself never reads it.
ALTER TABLE users ADD COLUMN instructor boolean NOT NULL DEFAULT false;

-- +goose Up

-- users.instructor keeps reports to students (00003). It is written at
-- sign-in, by grant-instructor and by revoke-instructor, never by a page
-- view (see store.RecordSignIn). For revoke-instructor to set it right
-- without the sign-in's groups claim, each sign-in also keeps the role its
-- settings alone gave (INSTRUCTOR_EMAILS, INSTRUCTOR_GROUP), grant aside.
ALTER TABLE users ADD COLUMN instructor_by_setting boolean NOT NULL DEFAULT false;

-- Until their next sign-in, count today's instructors as instructors by
-- setting: a later revoke then leaves them out of the reports, as before,
-- rather than listing someone who may still be one by setting.
UPDATE users SET instructor_by_setting = instructor WHERE instructor;

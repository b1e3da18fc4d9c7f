-- +goose Up

-- "Sign out" and "sign out everywhere" (and `twelve admin sign-out`) set
-- signed_out_at: every identity cookie of a sign-in made at or before it
-- is refused by every web process (see store.SignOut and package signout).
-- Web processes load the recent ones at start and after a reconnect, and
-- hear of new ones by NOTIFY twelve_sign_out.
ALTER TABLE users ADD COLUMN signed_out_at timestamptz;
CREATE INDEX users_signed_out_at_idx ON users (signed_out_at) WHERE signed_out_at IS NOT NULL;

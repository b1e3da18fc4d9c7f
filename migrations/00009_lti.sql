-- +goose Up

-- LTI 1.3 (issue 17): Twelve as a tool inside an LMS. An LMS
-- user is an ordinary `users` row keyed by (issuer = the platform's issuer,
-- subject = the launch's sub); an LMS course (context) is a class whose
-- members have via 'lti'.

-- Platforms (LMS registrations), added by `twelve admin lti-add` or by
-- dynamic registration.
CREATE TABLE lti_platforms (
    id          bigserial PRIMARY KEY,
    issuer      text NOT NULL CHECK (issuer <> ''),
    client_id   text NOT NULL CHECK (client_id <> ''),
    name        text NOT NULL DEFAULT '',
    auth_url    text NOT NULL,
    token_url   text NOT NULL,
    jwks_url    text NOT NULL,
    -- The aud a client assertion must carry when the platform names one
    -- (Brightspace's "OAuth2 Audience"); '' means token_url.
    token_audience text NOT NULL DEFAULT '',
    -- A dynamic registration that named no deployment: the deployments
    -- its signed launches name are accepted and recorded.
    learns_deployments boolean NOT NULL DEFAULT false,
    via         text NOT NULL CHECK (via IN ('dynamic', 'admin')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (issuer, client_id)
);

-- The deployments of a platform that may launch Twelve.
CREATE TABLE lti_deployments (
    platform_id   bigint NOT NULL REFERENCES lti_platforms ON DELETE CASCADE,
    deployment_id text NOT NULL CHECK (deployment_id <> ''),
    PRIMARY KEY (platform_id, deployment_id)
);

-- Origins allowed to frame Twelve (CSP frame-ancestors): each platform's
-- issuer and auth URL origins, plus the Origin of launches that succeeded.
CREATE TABLE lti_origins (
    platform_id bigint NOT NULL REFERENCES lti_platforms ON DELETE CASCADE,
    origin      text NOT NULL CHECK (origin <> ''),
    PRIMARY KEY (platform_id, origin)
);

-- The tool's own signing keys when LTI_PRIVATE_KEY is unset: generated once,
-- sealed with SECRET_KEY (internal/seal, purpose "lti-key").
CREATE TABLE lti_keys (
    kid        text PRIMARY KEY,
    sealed     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz
);

-- Single-use values (launch nonces, continue tickets) across every process.
CREATE TABLE lti_nonces (
    nonce      text PRIMARY KEY,   -- platform id || ':' || nonce, or 'ticket:' || id
    expires_at timestamptz NOT NULL
);
CREATE INDEX lti_nonces_expires_idx ON lti_nonces (expires_at);

-- Dynamic registration tokens seen (sha256), refused if reused.
CREATE TABLE lti_registrations (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    used_at    timestamptz NOT NULL DEFAULT now()
);

-- An LMS course (context) is a class.
CREATE TABLE lti_contexts (
    platform_id     bigint NOT NULL REFERENCES lti_platforms ON DELETE CASCADE,
    deployment_id   text NOT NULL,
    context_id      text NOT NULL,
    class_id        bigint NOT NULL UNIQUE REFERENCES classes ON DELETE CASCADE,
    lineitems_url   text NOT NULL DEFAULT '',   -- AGS endpoint claim, last launch
    ags_scopes      text[] NOT NULL DEFAULT '{}',
    memberships_url text NOT NULL DEFAULT '',   -- NRPS, last launch
    roster_synced_at timestamptz,
    PRIMARY KEY (platform_id, deployment_id, context_id)
);

-- Resource links: where a link lands (a lesson, its quiz, or '' = the class).
CREATE TABLE lti_links (
    platform_id      bigint NOT NULL REFERENCES lti_platforms ON DELETE CASCADE,
    deployment_id    text NOT NULL,
    resource_link_id text NOT NULL,
    class_id         bigint NOT NULL REFERENCES classes ON DELETE CASCADE,
    lesson           text NOT NULL DEFAULT '',
    quiz             boolean NOT NULL DEFAULT false,
    PRIMARY KEY (platform_id, deployment_id, resource_link_id)
);
CREATE INDEX lti_links_class_idx ON lti_links (class_id);

-- The LMS gradebook column of a class's quiz (from a launch's lineitem claim,
-- from deep linking, or found/created by resourceId = quiz slug).
CREATE TABLE lti_lineitems (
    class_id     bigint NOT NULL REFERENCES classes ON DELETE CASCADE,
    quiz         text NOT NULL,
    lineitem_url text NOT NULL CHECK (lineitem_url <> ''),
    PRIMARY KEY (class_id, quiz)
);

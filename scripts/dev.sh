#!/usr/bin/env bash
# dev.sh — the whole site on this machine: a project-local PostgreSQL (unless
# DATABASE_URL is set), the development OpenID provider with demo accounts
# and the test LMS (LTI 1.3 platform, registered with Twelve), migrations,
# then the web process on http://localhost:${PORT:-8080} and the worker
# that delivers grades to the LMS.
# Settings already in the environment win over these defaults.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$(dirname "$0")/.."

if [ -z "${DATABASE_URL:-}" ]; then
	admin=$(scripts/pg.sh start)
	if ! psql "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname = 'twelve'" | grep -q 1; then
		psql "$admin" -qc "CREATE DATABASE twelve" >/dev/null
	fi
	export DATABASE_URL=${admin%/postgres*}/twelve
fi
# A key of this checkout's own, made once and kept in the git-ignored .dev/
# (a key written in the repository would be known to everyone, and Twelve
# refuses it), so sign-ins survive a restart of make dev.
if [ -z "${SECRET_KEY:-}" ]; then
	if [ ! -s .dev/secret_key ]; then
		mkdir -p .dev
		(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >.dev/secret_key)
	fi
	SECRET_KEY=$(cat .dev/secret_key)
fi
export SECRET_KEY
export PORT=${PORT:-8080}
export DEVIDP_ADDR=${DEVIDP_ADDR:-127.0.0.1:5556}
export OIDC_ISSUER_URL=${OIDC_ISSUER_URL:-http://$DEVIDP_ADDR/oidc}
export OIDC_CLIENT_ID=${OIDC_CLIENT_ID:-twelve-dev}
export OIDC_CLIENT_SECRET=${OIDC_CLIENT_SECRET:-twelve-dev-secret}
export INSTRUCTOR_GROUP=${INSTRUCTOR_GROUP:-instructors}
export BASE_URL=${BASE_URL:-http://localhost:$PORT}
# The test LMS runs on another site (127.0.0.1, not localhost) than Twelve,
# so its embedded launches are cross-site, as in a real LMS.
export LTIPLATFORM_ADDR=${LTIPLATFORM_ADDR:-127.0.0.1:5557}
export LTIPLATFORM_TOOL_URL=${LTIPLATFORM_TOOL_URL:-$BASE_URL}

pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

lms=
if [ "$OIDC_ISSUER_URL" = "http://$DEVIDP_ADDR/oidc" ]; then
	bin/devidp &
	pids+=($!)
	bin/ltiplatform &
	pids+=($!)
	lms=http://$LTIPLATFORM_ADDR
fi
bin/twelve migrate
# The test LMS, registered once (its client and deployment are fixed).
if [ -n "$lms" ] && bin/twelve admin help 2>&1 | grep -q lti-add; then
	if ! bin/twelve admin lti-list | awk -F'\t' -v iss="$lms" '$2 == iss { found = 1 } END { exit !found }'; then
		bin/twelve admin lti-add --issuer "$lms" --client-id twelve-lti-dev --deployment dep-1 --name "Twelve test LMS" \
			--auth-url "$lms/auth" --token-url "$lms/token" --jwks-url "$lms/jwks" >/dev/null
	fi
fi
# A class to try the class pages with: Ines teaches it; a student joins by
# its link (made once; the link stays the same across restarts).
if ! bin/twelve admin class-list | grep -q '^demo-section	'; then
	bin/twelve admin class-create demo-section "Demo section" --time-zone Europe/London --instructor ines@example.edu >/dev/null
fi
join=$(bin/twelve admin class-list | awk -F'\t' '$1 == "demo-section" { print $NF }')
echo "Twelve: http://localhost:$PORT  (demo accounts: Ada and Brook, students; Ines, instructor)"
echo "Demo class \"Demo section\", taught by Ines: students join at $join"
if [ -n "$lms" ]; then
	echo "LMS: $lms — launch Twelve as a student or an instructor from there"
fi
bin/twelve web &
pids+=($!)
# The second process type: it delivers quiz grades to the LMS (factor VIII).
bin/twelve worker &
pids+=($!)
wait -n "${pids[@]}"

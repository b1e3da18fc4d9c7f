#!/usr/bin/env bash
# dev.sh — the whole site on this machine: a project-local PostgreSQL (unless
# DATABASE_URL is set), the development OpenID provider with demo accounts,
# migrations, then the web process on http://localhost:${PORT:-8080}.
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

pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if [ "$OIDC_ISSUER_URL" = "http://$DEVIDP_ADDR/oidc" ]; then
	bin/devidp &
	pids+=($!)
fi
bin/twelve migrate
# A class to try the class pages with: Ines teaches it; a student joins by
# its link (made once; the link stays the same across restarts).
export BASE_URL=${BASE_URL:-http://localhost:$PORT}
if ! bin/twelve admin class-list | grep -q '^demo-section	'; then
	bin/twelve admin class-create demo-section "Demo section" --time-zone Europe/London --instructor ines@example.edu >/dev/null
fi
join=$(bin/twelve admin class-list | awk -F'\t' '$1 == "demo-section" { print $NF }')
echo "Twelve: http://localhost:$PORT  (demo accounts: Ada and Brook, students; Ines, instructor)"
echo "Demo class \"Demo section\", taught by Ines: students join at $join"
bin/twelve web &
pids+=($!)
wait -n "${pids[@]}"

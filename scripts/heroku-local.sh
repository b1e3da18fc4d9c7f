#!/usr/bin/env bash
# heroku-local.sh — rehearse a Heroku deploy on this machine, end to end:
#
#   1. build what Heroku's Go buildpack builds (`go install -tags heroku` of
#      go.mod's `// +heroku install` packages, -ldflags -X $GO_LINKER_SYMBOL=<commit>)
#      into a temporary slug folder beside a copy of the Procfile;
#   2. write that slug's .env from the development database (scripts/pg.sh)
#      and .env.example;
#   3. `heroku local release`, then `heroku local web`: the Procfile run by the
#      Heroku CLI's own Procfile runner;
#   4. wait for /healthz, press Ctrl-C (SIGINT to the process group, as a
#      terminal does) and check everything stopped cleanly.
#
# The Heroku CLI comes from the npm registry (pinned below) and is installed
# into $HEROKU_CLI_DIR (default /tmp/herokucli) when missing, so the first run
# needs npm's registry; `heroku local` itself needs no network and no Heroku
# account. The CLI's telemetry, update check and self-update (which would call
# Heroku's servers) are switched off, and it runs with a temporary HOME and
# only the variables a dyno would have.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$(dirname "$0")/.."
root=$(pwd)

cli_version=11.10.0
cli_dir=${HEROKU_CLI_DIR:-/tmp/herokucli}
heroku="$cli_dir/node_modules/.bin/heroku"

say() { printf 'heroku-local: %s\n' "$*"; }
fail() {
	printf 'heroku-local: FAIL: %s\n' "$*" >&2
	exit 1
}
for tool in go node npm curl; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed"
done

# 1. The Heroku CLI, from npm.
if [ ! -x "$heroku" ] || [ "$(node -p "require('$cli_dir/node_modules/heroku/package.json').version" 2>/dev/null)" != "$cli_version" ]; then
	say "installing heroku@$cli_version from npm into $cli_dir"
	mkdir -p "$cli_dir"
	HOME=$(mktemp -d) npm install --prefix "$cli_dir" --no-audit --no-fund --no-update-notifier --ignore-scripts --loglevel=error "heroku@$cli_version" >/dev/null
fi

work=$(mktemp -d /tmp/twelve-heroku-local.XXXXXX)
slug="$work/app"
mkdir -p "$slug" "$work/home"
pgid=""
db_started=""
cleanup() {
	if [ -n "$pgid" ] && kill -0 -- "-$pgid" 2>/dev/null; then
		kill -KILL -- "-$pgid" 2>/dev/null || true
	fi
	if [ -n "$db_started" ]; then scripts/pg.sh stop; fi
	rm -rf "$work"
}
trap cleanup EXIT

# The environment of every heroku command: what a dyno has, nothing of ours.
cli_env=(env -i "PATH=$PATH" "HOME=$work/home" "TERM=dumb" "NO_COLOR=1"
	DISABLE_TELEMETRY=true HEROKU_SKIP_NEW_VERSION_CHECK=true HEROKU_DISABLE_AUTOUPDATE=1)
say "$("${cli_env[@]}" "$heroku" --version)"

# 2. The build, as the Go buildpack runs it.
read -r -a packages <<<"$(sed -n 's|^// +heroku install ||p' go.mod)"
[ ${#packages[@]} -gt 0 ] || fail "go.mod has no '// +heroku install' comment"
symbol=$(node -p "(require('./app.json').env.GO_LINKER_SYMBOL || {}).value || ''")
[ -n "$symbol" ] || fail "app.json sets no GO_LINKER_SYMBOL"
revision=$(git rev-parse HEAD 2>/dev/null || echo local)
say "build: GOBIN=$slug/bin go install -tags heroku -buildvcs=false -ldflags '-X $symbol=$revision' ${packages[*]}"
GOBIN="$slug/bin" go install -tags heroku -buildvcs=false -ldflags "-X $symbol=$revision" "${packages[@]}"
cp Procfile "$slug/Procfile"
say "slug: $(cd "$slug" && find . -type f | sort | tr '\n' ' ')"

# 3. A .env from .env.example, pointed at the development database.
if ! scripts/pg.sh status; then db_started=yes; fi
admin=$(scripts/pg.sh start)
if ! psql "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname = 'twelve'" | grep -q 1; then
	psql "$admin" -qc "CREATE DATABASE twelve" >/dev/null
fi
port=${HEROKU_LOCAL_PORT:-$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })')}
database_url="${admin%/postgres*}/twelve"
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
sed -e "s|^PORT=.*|PORT=$port|" \
	-e "s|^DATABASE_URL=.*|DATABASE_URL=$database_url|" \
	-e "s|^SECRET_KEY=.*|SECRET_KEY=$secret|" \
	-e "s|^OIDC_ISSUER_URL=.*|OIDC_ISSUER_URL=|" \
	.env.example >"$slug/.env"
say ".env (from .env.example; sign-in off, no provider runs here):"
grep -v -e '^#' -e '^$' "$slug/.env" | sed -e 's|^SECRET_KEY=.*|SECRET_KEY=<random, 64 hex>|' -e 's|^|    |'

cd "$slug"
# 4a. The release phase.
say "\$ heroku local release"
"${cli_env[@]}" "$heroku" local release || fail "the release process failed"

# 4b. The web process, in its own process group so Ctrl-C can be sent as a terminal does.
say "\$ heroku local web --port $port"
setsid "${cli_env[@]}" "$heroku" local web --port "$port" >"$work/web.log" 2>&1 &
pgid=$!
status=""
for _ in $(seq 1 150); do
	status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
	[ "$status" = 200 ] && break
	kill -0 "$pgid" 2>/dev/null || fail "heroku local web exited before /healthz answered"
	sleep 0.1
done
[ "$status" = 200 ] || fail "/healthz did not answer 200 within 15 s (last: $status)"
say "GET http://127.0.0.1:$port/healthz -> $status $(curl -s "http://127.0.0.1:$port/healthz")"
say "GET http://[::1]:$port/healthz -> $(curl -s -o /dev/null -w '%{http_code}' "http://[::1]:$port/healthz")"
say "Ctrl-C: SIGINT to process group $pgid"
kill -INT -- "-$pgid"
code=0
wait "$pgid" || code=$?
# A terminal's Ctrl-C reaches every process in the group at once: the CLI
# exits at once (130, "killed by SIGINT", as Node does by default) while its
# Procfile runner and the app finish stopping; wait for the group to empty.
left=yes
for _ in $(seq 1 100); do
	if ! kill -0 -- "-$pgid" 2>/dev/null; then
		left=no
		break
	fi
	sleep 0.1
done
sed 's|^|    |' "$work/web.log"
say "heroku local exited with status $code; processes left in its group after 10 s: $left"
case "$code" in 0 | 130) ;; *) fail "heroku local web exited with $code after Ctrl-C, want 0 or 130 (SIGINT)" ;; esac
[ "$left" = no ] || fail "processes outlived heroku local by 10 s"
pgid=""
if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz"; then
	fail "port $port still answers after Ctrl-C"
fi
grep -q '"msg":"listening"' "$work/web.log" || fail "the web process logged no listening event"
grep -q '"msg":"stopped"' "$work/web.log" || fail "the web process did not log a clean stop"
cd "$root"
say "OK: release ran, web served /healthz on \$PORT and stopped cleanly on Ctrl-C"

#!/usr/bin/env bash
# test.sh [go test args] — run the tests against a real PostgreSQL: the
# server at TEST_DATABASE_URL, else the project-local cluster of scripts/pg.sh
# (the one `make dev` uses), started here if need be and stopped afterwards if
# this script started it. Each test gets a fresh database (store/storetest).
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$(dirname "$0")/.."

started=""
if [ -z "${TEST_DATABASE_URL:-}" ]; then
	if ! scripts/pg.sh status; then
		started=yes
	fi
	TEST_DATABASE_URL=$(scripts/pg.sh start)
	export TEST_DATABASE_URL
fi
# The browser journeys (./browser) skip themselves when there is no
# chromium; `go test` hides a passing package's output, so say it here, loudly,
# before and after the run.
no_chromium=""
if [ ! -x /usr/bin/chromium ] && ! command -v chromium >/dev/null 2>&1; then
	no_chromium=yes
fi
warn_no_chromium() {
	if [ -n "$no_chromium" ]; then
		cat >&2 <<'MSG'
##############################################################################
# WARNING: chromium is not installed: the browser journeys and accessibility
# checks in ./browser are SKIPPED. Install Debian's chromium (and nodejs and
# npm, for axe-core): apt-get install chromium nodejs npm   (.ci/run does)
##############################################################################
MSG
	fi
}
warn_no_chromium

cleanup() {
	warn_no_chromium
	if [ -n "$started" ]; then scripts/pg.sh stop; fi
}
trap cleanup EXIT

if [ $# -gt 0 ]; then
	go test "$@"
	exit
fi
# Every package once; the packages with shared state between goroutines
# (caches, pools, retriers, concurrent submits) under the race detector.
race_pkgs=(./store ./handlers ./auth ./quiz ./live ./signout ./internal/backoff ./ratelimit)
race=()
for p in "${race_pkgs[@]}"; do [ -d "$p" ] && race+=("$p"); done
mapfile -t others < <(go list ./... | grep -v -x -F -f <(cd . && go list "${race[@]}"))
status=0
go test -count=1 -race "${race[@]}" || status=1
# The browser journeys take about 8 minutes on a busy machine, close to go
# test's default limit of 10 minutes per package.
go test -count=1 -timeout 20m "${others[@]}" || status=1
exit $status

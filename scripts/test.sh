#!/usr/bin/env bash
# test.sh [go test args] — run the tests against a real PostgreSQL: the
# server at TEST_DATABASE_URL, else a project-local throwaway cluster that is
# started here and stopped afterwards if this script started it.
set -euo pipefail
cd "$(dirname "$0")/.."

started=""
if [ -z "${TEST_DATABASE_URL:-}" ]; then
	if ! scripts/pg.sh status; then
		started=yes
	fi
	TEST_DATABASE_URL=$(scripts/pg.sh start)
	export TEST_DATABASE_URL
fi
cleanup() { if [ -n "$started" ]; then scripts/pg.sh stop; fi; }
trap cleanup EXIT

if [ $# -eq 0 ]; then
	set -- -count=1 ./...
fi
go test "$@"

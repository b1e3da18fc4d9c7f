#!/usr/bin/env bash
# lti-scores.sh — measure LMS grade delivery (LTI AGS) by `twelve worker`.
#
# Builds bin/twelve and internal/cmd/ltiscorebench, starts the project-local
# PostgreSQL cluster (scripts/pg.sh) and runs the benchmark in a database
# of its own, dropped afterwards:
#   phase 1: 10,000 queued scores (1,000 LMS students × 10 quizzes)
#            delivered by 2 worker processes to the test LMS over HTTP;
#            goal < 30 s;
#   phase 2: a new grade for each, the LMS's score endpoint answering 500
#            for a minute, then back: the backlog drains, and the LMS
#            holds every latest grade, posted once per grade (no loss, no
#            duplicate).
# SCORES, PROCESSES, WORKERS and OUTAGE override the figures. Not part of
# `make test`.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
source scripts/toolchain.sh
out=$(mktemp -d /tmp/twelve-lti-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
go build -o "$out/twelve" ./cmd/twelve
go build -o "$out/ltiscorebench" ./internal/cmd/ltiscorebench
admin=${TEST_DATABASE_URL:-$(scripts/pg.sh start)}
"$out/ltiscorebench" -admin-url "$admin" -twelve "$out/twelve" \
	-scores "${SCORES:-10000}" -processes "${PROCESSES:-2}" -workers "${WORKERS:-20}" -outage "${OUTAGE:-1m}"

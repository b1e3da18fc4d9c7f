#!/usr/bin/env bash
# bench-reports.sh [STUDENTS] — measure the instructor reports at scale.
#
# Creates a dedicated database (twelve_bench) in the project-local cluster,
# migrates it, loads `twelve admin demo-data --students STUDENTS --seed 1`
# (default 100000; SEED overrides the seed), starts `twelve web` on a free
# port, signs in as an instructor with a cookie minted from SECRET_KEY
# (internal/cmd/mkcookie), then times the gradebook over ~200 requests (p50/p95),
# the item statistics page, the overview and student pages, and the CSV
# export while sampling the web process's memory. The database is dropped
# afterwards unless KEEP=1.
#
# Goals: gradebook p95 < 150 ms; statistics page < 1 s; CSV of 100,000 rows
# < 5 s with memory flat. Not part of `make test`.
#
# With BENCH=classes (scripts/bench/classes.sh) it measures a class's
# reports instead, on demo data with classes, in twelve_bench_classes; and
# REUSE=1 measures a database kept from before (KEEP=1) without loading it.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$(dirname "$0")/.."

seed=${SEED:-1}
requests=${REQUESTS:-200}
if [ "${BENCH:-}" = classes ]; then
	classes=${CLASSES:-1000}
	size=${CLASS_SIZE:-100}
	big=${BIG_CLASS:-20000}
	students=$((classes * size + big))
	db=twelve_bench_classes
	demo=(--students "$students" --classes "$classes" --class-size "$size" --big-class "$big")
	measure=classes
else
	students=${1:-${STUDENTS:-100000}}
	db=twelve_bench
	demo=(--students "$students")
	measure=run
fi
work=$(mktemp -d)
web_pid=""
admin=$(scripts/pg.sh start)

cleanup() {
	if [ -n "$web_pid" ]; then kill "$web_pid" 2>/dev/null || true; wait "$web_pid" 2>/dev/null || true; fi
	if [ "${KEEP:-}" != 1 ] && [ -x "$work/benchreports" ]; then "$work/benchreports" dropdb "$admin" "$db" || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "== build"
go build -o "$work/twelve" ./cmd/twelve
go build -o "$work/benchreports" ./internal/cmd/benchreports
go build -o "$work/mkcookie" ./internal/cmd/mkcookie
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg); $(go version | cut -d' ' -f3)"

echo "== database"
if [ "${REUSE:-}" = 1 ]; then
	DATABASE_URL=$(printf '%s' "$admin" | sed "s#/postgres?#/$db?#")
else
	DATABASE_URL=$("$work/benchreports" createdb "$admin" "$db")
fi
SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
INSTRUCTOR_EMAILS=bench-instructor@example.edu
PORT=$("$work/benchreports" port)
LOG_LEVEL=warn
export DATABASE_URL SECRET_KEY INSTRUCTOR_EMAILS PORT LOG_LEVEL
"$work/twelve" migrate >/dev/null

if [ "${REUSE:-}" != 1 ]; then
	echo "== twelve admin demo-data ${demo[*]} --seed $seed"
	start=$(date +%s%N)
	"$work/twelve" admin demo-data "${demo[@]}" --seed "$seed"
	echo "demo-data took $(( ($(date +%s%N) - start) / 1000000 )) ms (wall clock, including VACUUM ANALYZE)"
fi

echo "== twelve web on port $PORT"
"$work/twelve" web >"$work/web.log" 2>&1 &
web_pid=$!
"$work/benchreports" wait "http://127.0.0.1:$PORT/healthz"
cookie=$("$work/mkcookie" -email "$INSTRUCTOR_EMAILS")

"$work/benchreports" "$measure" -base "http://127.0.0.1:$PORT" -cookie "$cookie" -pid "$web_pid" \
	-db "$DATABASE_URL" -requests "$requests"

if grep -q '"level":"ERROR"' "$work/web.log"; then
	echo "web process logged errors:" >&2
	grep '"level":"ERROR"' "$work/web.log" >&2
	exit 1
fi

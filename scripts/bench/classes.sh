#!/usr/bin/env bash
# classes.sh — measure the class reports at scale.
#
# Creates a dedicated database (twelve_bench_classes) in the project-local
# cluster, migrates it and loads
#   twelve admin demo-data --students 120000 --classes 1000 --class-size 100 --big-class 20000
# (100,000 students in 1,000 classes of 100, and 20,000 more in one class,
# demo-big; CLASSES, CLASS_SIZE, BIG_CLASS and SEED override the figures).
# Then `benchreports classes` times, in its own process, the store calls of
# a class gradebook page (Gradebook + CountStudentsIn) in random classes of
# 100 and, kind by kind, in demo-big (sorts by name, email, total and a
# lesson, deep pages, filters), and the big class's CSV through
# EachGradebookRowIn with the Go heap sampled; then the same pages and the
# CSV through `twelve web` (signed in as course staff with a cookie minted
# from SECRET_KEY), sampling the web process's RSS. The database is dropped
# afterwards unless KEEP=1; REUSE=1 measures a database kept from before
# without loading it again.
#
# Goals: a class page p95 < 50 ms; the 20,000-student class's pages p95 <
# 150 ms; its CSV < 1 s with memory flat. Not part of `make test`.
set -euo pipefail
source "$(dirname "$0")/../toolchain.sh"
cd "$(dirname "$0")/../.."

classes=${CLASSES:-1000}
size=${CLASS_SIZE:-100}
big=${BIG_CLASS:-20000}
students=$((classes * size + big))
seed=${SEED:-1}
requests=${REQUESTS:-200}
work=$(mktemp -d)
web_pid=""
admin=$(scripts/pg.sh start)

cleanup() {
	if [ -n "$web_pid" ]; then kill "$web_pid" 2>/dev/null || true; wait "$web_pid" 2>/dev/null || true; fi
	if [ "${KEEP:-}" != 1 ] && [ -x "$work/benchreports" ]; then "$work/benchreports" dropdb "$admin" twelve_bench_classes || true; fi
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
	DATABASE_URL=$(printf '%s' "$admin" | sed 's#/postgres?#/twelve_bench_classes?#')
else
	DATABASE_URL=$("$work/benchreports" createdb "$admin" twelve_bench_classes)
fi
SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
INSTRUCTOR_EMAILS=bench-instructor@example.edu
PORT=$("$work/benchreports" port)
LOG_LEVEL=warn
export DATABASE_URL SECRET_KEY INSTRUCTOR_EMAILS PORT LOG_LEVEL
"$work/twelve" migrate >/dev/null

if [ "${REUSE:-}" != 1 ]; then
	echo "== twelve admin demo-data --students $students --classes $classes --class-size $size --big-class $big --seed $seed"
	start=$(date +%s%N)
	"$work/twelve" admin demo-data --students "$students" --classes "$classes" --class-size "$size" --big-class "$big" --seed "$seed"
	echo "demo-data took $(( ($(date +%s%N) - start) / 1000000 )) ms (wall clock, including VACUUM ANALYZE)"
fi

echo "== twelve web on port $PORT"
"$work/twelve" web >"$work/web.log" 2>&1 &
web_pid=$!
"$work/benchreports" wait "http://127.0.0.1:$PORT/healthz"
cookie=$("$work/mkcookie" -email "$INSTRUCTOR_EMAILS")

"$work/benchreports" classes -db "$DATABASE_URL" -requests "$requests" \
	-base "http://127.0.0.1:$PORT" -cookie "$cookie" -pid "$web_pid"

if grep -q '"level":"ERROR"' "$work/web.log"; then
	echo "web process logged errors:" >&2
	grep '"level":"ERROR"' "$work/web.log" >&2
	exit 1
fi

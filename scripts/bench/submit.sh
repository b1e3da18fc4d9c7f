#!/usr/bin/env bash
# submit.sh — quiz submissions through `twelve web` against pgbench running
# the same statements (scripts/bench/submit.pgbench) on the same database, with the
# same concurrency, side by side; then quiz starts, counting the database
# statements they cause (none: the course's quizzes have neither an attempt
# limit nor a time limit, whose starts alone are recorded).
#
#   scripts/bench/submit.sh [-n SUBMITS] [-c CLIENTS] [-p PAIRS] [-s STUDENTS]
#
# HTTP side: internal/cmd/loadgen with many simulated students, each with its
# own identity cookie (minted with the site's SECRET_KEY) and its own
# attempt tokens, fetched by GETting the quiz first (untimed); the timed
# part is the POST: token check, grading and the whole transaction. pgbench
# side: -M prepared (pgx prepares and caches statements too), its own fresh
# students each run. Runs alternate pgbench, HTTP, pgbench, HTTP …
set -euo pipefail
source "$(dirname "$0")/lib.sh"

submits=8000 clients=16 pairs=2 students=1000 pool=""
while getopts n:c:p:s:P: opt; do
	case $opt in
	n) submits=$OPTARG ;;
	c) clients=$OPTARG ;;
	p) pairs=$OPTARG ;;
	s) students=$OPTARG ;;
	P) pool=$OPTARG ;;
	*) exit 2 ;;
	esac
done
pool=${pool:-$clients}
need initdb postgresql
pgbench=$(pgbin pgbench)
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

admin=$(bench_cluster)
db=$(fresh_db "$admin" twelve_bench_submit)
build
env -i PATH="$PATH" DATABASE_URL="$db" SECRET_KEY="$secret" "$work/twelve" migrate >/dev/null
port=$(free_port)
start_web "$port" "$work/web.log" DATABASE_URL="$db" SECRET_KEY="$secret" DATABASE_POOL_SIZE="$pool" LOG_LEVEL=warn
app="http://127.0.0.1:$port"
for _ in $(seq 1 100); do # the web process records the quiz versions just after start
	if [ "$(psql "$db" -Atc "SELECT count(*) FROM quiz_versions")" -ge 12 ]; then break; fi
	sleep 0.1
done
vhash=$(psql "$db" -Atc "SELECT hash FROM quiz_versions WHERE quiz = 'config'")
answers='{"{\"choices\":[\"a\"]}","{\"choices\":[\"b\"]}","{\"truth\":true}","{\"choices\":[\"a\",\"c\"]}","{\"choices\":[\"d\"]}","{\"truth\":false}","{\"number\":30,\"raw\":\"30\"}","{\"raw\":\"stdout\"}"}'

echo "# Quiz submissions: twelve web vs pgbench, same statements, same database"
echo "machine: $(nproc) cores; $(go version | cut -d' ' -f3); PostgreSQL $(psql "$db" -Atc 'SHOW server_version') (scripts/pg.sh cluster: fsync=off); $clients clients; $submits submits per run; DATABASE_POOL_SIZE=$pool"
echo
echo "| pair | pgbench tps | twelve web tps | ratio | web p50 ms | web p95 ms |"
echo "| --- | --- | --- | --- | --- | --- |"
ratios=()
for p in $(seq 1 "$pairs"); do
	range=$(psql "$db" -qAtc "WITH u AS (INSERT INTO users (issuer, subject, email, name)
		SELECT 'https://pgbench.test', 'pgbench-$p-' || g, 'pgbench-$p-' || g || '@example.test', 'P ' || g
		FROM generate_series(1, $students) g RETURNING id) SELECT min(id) || ' ' || max(id) FROM u")
	read -r lo hi <<<"$range"
	out=$("$pgbench" -n -M prepared -c "$clients" -j 2 -t $((submits / clients)) -f "$root/scripts/bench/submit.pgbench" \
		-D minuid="$lo" -D maxuid="$hi" -D vhash="$vhash" -D answers="$answers" "$db" 2>&1) || {
		log "$out"
		exit 1
	}
	if grep -q "failed transactions: [1-9]" <<<"$out"; then log "$out"; exit 1; fi
	pg=$(awk '/^tps = / {print $3}' <<<"$out")
	web=$("$work/loadgen" submit -base "$app" -db "$db" -secret "$secret" -students "$students" -n "$submits" -c "$clients" | tail -1)
	tps=$(sed -nE 's/.* tps=([0-9.]+).*/\1/p' <<<"$web")
	p50=$(sed -nE 's/.* p50_ms=([0-9.]+).*/\1/p' <<<"$web")
	p95=$(sed -nE 's/.* p95_ms=([0-9.]+).*/\1/p' <<<"$web")
	r=$(awk -v a="$tps" -v b="$pg" 'BEGIN {printf "%.3f", a/b}')
	ratios+=("$r")
	printf '| %s | %.0f | %s | %s | %s | %s |\n' "$p" "$pg" "$tps" "$r" "$p50" "$p95"
done
echo "median ratio (twelve web / pgbench): $(printf '%s\n' "${ratios[@]}" | median)"
echo
echo "## Quiz start: database statements during 1,000 starts"
"$work/loadgen" starts -base "$app" -db "$db" -secret "$secret" -n 1000

#!/usr/bin/env bash
# lti-launch.sh — time LTI 1.3 launches: `twelve web` and the test LMS
# (bin/ltiplatform) as separate processes on this machine, the LMS
# registered with `twelve admin lti-add`, then internal/cmd/ltibench runs
# N launches as browsers would and times the id_token post to /lti/launch
# (verification with the LMS's keys cached, nonce, user/class/membership/
# link upserts, redirect), sequentially and then C at once.
#
#   scripts/bench/lti-launch.sh [-n LAUNCHES] [-c CLIENTS] [-u USERS]
#
# Goal: launch p95 < 20 ms. Not part of `make test`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

launches=2000 clients=$(nproc) users=200
while getopts n:c:u: opt; do
	case $opt in
	n) launches=$OPTARG ;;
	c) clients=$OPTARG ;;
	u) users=$OPTARG ;;
	*) exit 2 ;;
	esac
done
need initdb postgresql
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

admin=$(bench_cluster)
db=$(fresh_db "$admin" twelve_bench_lti)
build
(cd "$root" && go build -o "$work/ltiplatform" ./internal/cmd/ltiplatform && go build -o "$work/ltibench" ./internal/cmd/ltibench)
env -i PATH="$PATH" DATABASE_URL="$db" SECRET_KEY="$secret" "$work/twelve" migrate >/dev/null

port=$(free_port) lms_port=$(free_port)
app="http://127.0.0.1:$port" lms="http://127.0.0.1:$lms_port"
"$work/ltiplatform" -addr "127.0.0.1:$lms_port" -tool "$app" >"$work/lms.log" 2>&1 &
bench_pids+=("$!")
for _ in $(seq 1 200); do
	if curl -fsS -o /dev/null "$lms/jwks" 2>/dev/null; then break; fi
	sleep 0.05
done
env -i PATH="$PATH" DATABASE_URL="$db" SECRET_KEY="$secret" "$work/twelve" admin lti-add \
	--issuer "$lms" --client-id twelve-lti-dev --auth-url "$lms/auth" --token-url "$lms/token" \
	--jwks-url "$lms/jwks" --deployment dep-1 --name "Test LMS" >/dev/null
start_web "$port" "$work/web.log" DATABASE_URL="$db" SECRET_KEY="$secret" LOG_LEVEL=warn

echo "# LTI launches: POST /lti/launch through twelve web, from the test LMS"
echo "machine: $(nproc) cores; $(go version | cut -d' ' -f3); PostgreSQL $(psql "$db" -Atc 'SHOW server_version') (scripts/pg.sh cluster: fsync=off); $users LMS students, one course"
echo
echo "sequential: $("$work/ltibench" -base "$app" -lms "$lms" -n "$launches" -c 1 -users "$users")"
echo "concurrent: $("$work/ltibench" -base "$app" -lms "$lms" -n "$launches" -c "$clients" -users "$users")"
echo "rows: $(psql "$db" -Atc "SELECT 'users=' || (SELECT count(*) FROM users) || ' classes=' || (SELECT count(*) FROM classes) || ' members=' || (SELECT count(*) FROM class_members) || ' nonces=' || (SELECT count(*) FROM lti_nonces)")"

#!/usr/bin/env bash
# lesson.sh — lesson pages served by `twelve web` against nginx serving the
# very same bytes, on this machine, side by side.
#
#   scripts/bench/lesson.sh [-d SECONDS] [-p PAIRS] [-c CONNECTIONS] [-e VAR=value]… [-q]
#
# -e adds a setting to the web process's environment (e.g. -e GOGC=200).
# -q turns nginx's access log off (the app still logs every request).
#
# The twelve lesson pages are fetched once from the app (signed out, and
# signed in with a minted identity cookie), written to files and served by
# a private nginx on loopback (config in a temp folder, access log on, like
# the app's request log). wrk (-t2) then loads app and nginx in turn, A B A
# B …, each run cycling through all twelve lessons, and the script prints
# each pair's ratio and the median. It also prints the web process's peak
# RSS (VmHWM) after the runs. Needs wrk, nginx and PostgreSQL's server
# binaries (installed with apt-get when missing).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

duration=10 pairs=3 conns=64 extra=() access_log=on
while getopts d:p:c:e:q opt; do
	case $opt in
	d) duration=$OPTARG ;;
	p) pairs=$OPTARG ;;
	c) conns=$OPTARG ;;
	e) extra+=("$OPTARG") ;;
	q) access_log=off ;;
	*) exit 2 ;;
	esac
done

need wrk wrk
need nginx nginx
need initdb postgresql
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

admin=$(bench_cluster)
db=$(fresh_db "$admin" twelve_bench_lesson)
build
env -i PATH="$PATH" DATABASE_URL="$db" SECRET_KEY="$secret" "$work/twelve" migrate >/dev/null
app_port=$(free_port)
start_web "$app_port" "$work/web.log" DATABASE_URL="$db" SECRET_KEY="$secret" "${extra[@]}"
app="http://127.0.0.1:$app_port"
cookie=$("$work/loadgen" cookie -base "$app" -db "$db" -secret "$secret")

slugs=(codebase dependencies config backing-services build-release-run processes port-binding concurrency disposability dev-prod-parity logs admin-processes)
mkdir -p "$work/www/out/lessons" "$work/www/in/lessons"
for slug in "${slugs[@]}"; do
	curl -fsS -o "$work/www/out/lessons/$slug" "$app/lessons/$slug"
	curl -fsS -o "$work/www/in/lessons/$slug" -H "Cookie: twelve_id=$cookie" "$app/lessons/$slug"
	if ! grep -q 'data-testid="viewer-name"' "$work/www/in/lessons/$slug"; then
		log "the signed-in page of $slug does not show the viewer"
		exit 1
	fi
done
chmod -R a+rX "$work/www"
bytes_out=$(cat "$work"/www/out/lessons/* | wc -c)
bytes_in=$(cat "$work"/www/in/lessons/* | wc -c)

ngx_out=$(free_port) ngx_in=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
    access_log $([ "$access_log" = on ] && echo "$work/nginx/access.log" || echo off);
    client_body_temp_path $work/nginx/tmp;
    proxy_temp_path $work/nginx/tmp;
    fastcgi_temp_path $work/nginx/tmp;
    uwsgi_temp_path $work/nginx/tmp;
    scgi_temp_path $work/nginx/tmp;
    default_type "text/html; charset=utf-8";
    keepalive_requests 10000000;
    server { listen 127.0.0.1:$ngx_out; root $work/www/out; }
    server { listen 127.0.0.1:$ngx_in; root $work/www/in; }
}
CONF
nginx -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
bench_pids+=($!)
for _ in $(seq 1 100); do
	if curl -fsS -o /dev/null "http://127.0.0.1:$ngx_out/lessons/codebase" 2>/dev/null; then break; fi
	sleep 0.05
done
cmp -s "$work/www/out/lessons/codebase" <(curl -fsS "http://127.0.0.1:$ngx_out/lessons/codebase")

# One wrk run cycles through the twelve lessons.
lua="$work/lessons.lua"
{
	echo 'local paths = {'
	for slug in "${slugs[@]}"; do echo "  \"/lessons/$slug\","; done
	echo '}'
	echo 'local i = 0'
	echo 'request = function() i = i % #paths + 1; return wrk.format("GET", paths[i]) end'
} >"$lua"

run() { # run URL [HEADER]
	if [ -n "${2:-}" ]; then
		wrk -t2 -c"$conns" -d"${duration}s" -s "$lua" -H "$2" "$1"
	else
		wrk -t2 -c"$conns" -d"${duration}s" -s "$lua" "$1"
	fi
}

echo "# Lesson pages: twelve web vs nginx serving the same bytes"
echo "machine: $(nproc) cores; $(uname -r); $(go version | cut -d' ' -f3); $(nginx -v 2>&1 | cut -d/ -f2); wrk -t2 -c$conns -d${duration}s, all twelve lessons in turn; nginx access log $access_log"
echo "page bytes, all twelve: signed out $bytes_out, signed in $bytes_in${extra:+; web process environment adds ${extra[*]}}"
run "$app" >/dev/null # warm up
for variant in out in; do
	if [ "$variant" = out ]; then
		header="" ngx="http://127.0.0.1:$ngx_out" label="signed out (no cookies)"
	else
		header="Cookie: twelve_id=$cookie" ngx="http://127.0.0.1:$ngx_in" label="signed in (identity cookie)"
	fi
	echo
	echo "## $label"
	echo "| pair | twelve web rps | nginx rps | ratio |"
	echo "| --- | --- | --- | --- |"
	ratios=()
	for p in $(seq 1 "$pairs"); do
		a=$(rps "$(run "$app" "$header")")
		b=$(rps "$(run "$ngx" "$header")")
		r=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", a/b}')
		ratios+=("$r")
		echo "| $p | $a | $b | $r |"
	done
	echo "median ratio ($label): $(printf '%s\n' "${ratios[@]}" | median)"
done
echo
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$web_pid/status")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$web_pid/status")
echo "twelve web memory after the runs: peak RSS (VmHWM) $((hwm / 1024)) MB, RSS now $((rss / 1024)) MB"
echo "requests logged by twelve web: $(wc -l <"$work/web.log")"

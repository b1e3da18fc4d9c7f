# lib.sh — sourced by the scripts/bench/ scripts: tools, a benchmark PostgreSQL
# cluster, the binaries, and processes that are stopped by their PIDs when
# the script ends. Everything listens on 127.0.0.1 only.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/toolchain.sh"
bench_pids=()
work=$(mktemp -d /tmp/twelve-bench.XXXXXX)
chmod 755 "$work" # nginx's workers run as another user when started as root

bench_cleanup() {
	local pid
	for pid in "${bench_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${bench_pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ -e "$work/started-db" ]; then # bench_cluster runs in a subshell: a file tells
		PG_STATE_DIR="$root/.pg-bench" "$root/scripts/pg.sh" stop || true
	fi
	rm -rf "$work"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }

# need CMD PACKAGE: install a Debian package when CMD is missing.
need() {
	local cmd=$1 pkg=$2 sudo=""
	if command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/lib/postgresql/15/bin/$cmd" ]; then
		return
	fi
	if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
	log "installing $pkg (for $cmd)"
	$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$pkg" >/dev/null
}

pgbin() {
	local d
	if command -v "$1" >/dev/null 2>&1; then command -v "$1"; return; fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/$1" ]; then echo "$d/$1"; return; fi
	done
	echo "$1"
}

# bench_cluster: the benchmark cluster in .pg-bench/ (scripts/pg.sh, as the
# postgres user when root), with pg_stat_statements loaded; prints its
# admin URL. It is stopped at the end if this script started it.
bench_cluster() {
	local pg=("$root/scripts/pg.sh") url
	export PG_STATE_DIR="$root/.pg-bench"
	export PG_EXTRA_OPTS="-c shared_preload_libraries=pg_stat_statements"
	if ! "${pg[@]}" status; then
		touch "$work/started-db"
	fi
	url=$("${pg[@]}" start)
	if ! psql "$url" -Atc "SHOW shared_preload_libraries" | grep -q pg_stat_statements; then
		"${pg[@]}" stop
		url=$("${pg[@]}" start)
		touch "$work/started-db"
	fi
	unset PG_STATE_DIR PG_EXTRA_OPTS
	echo "$url"
}

# fresh_db ADMIN_URL NAME: a new empty database; prints its URL.
fresh_db() {
	psql "$1" -qc "DROP DATABASE IF EXISTS $2 WITH (FORCE)" -c "CREATE DATABASE $2" >/dev/null
	echo "${1%/postgres*}/$2?sslmode=disable"
}

# build: bin/twelve and the load generator into $work.
build() {
	(cd "$root" && go build -o "$work/twelve" ./cmd/twelve && go build -o "$work/loadgen" ./internal/cmd/loadgen)
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_web PORT LOGFILE [VAR=value…]: `twelve web` on PORT with the given
# settings, waiting for /healthz; sets web_pid.
start_web() {
	local port=$1 logfile=$2 i
	shift 2
	env -i PATH="$PATH" PORT="$port" "$@" "$work/twelve" web >"$logfile" 2>&1 &
	web_pid=$!
	bench_pids+=("$web_pid")
	for i in $(seq 1 200); do
		if curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then return; fi
		sleep 0.05
	done
	log "twelve web did not start:"
	tail -20 "$logfile" >&2
	exit 1
}

# rps WRK_OUTPUT: the Requests/sec figure; fails on socket errors or non-2xx.
rps() {
	if grep -q "Non-2xx\|Socket errors" <<<"$1"; then
		log "wrk reported errors:"
		log "$1"
		exit 1
	fi
	awk '/Requests\/sec/ {print $2}' <<<"$1"
}

# median of the numbers on stdin.
median() {
	sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2}'
}

#!/usr/bin/env bash
# pg.sh — a project-local PostgreSQL cluster for `make dev` and `make test`,
# started from the machine's own PostgreSQL binaries. No Docker.
#
#   scripts/pg.sh start   start the cluster (initdb on first use); prints its admin URL
#   scripts/pg.sh stop    stop it cleanly (fast shutdown)
#   scripts/pg.sh url     print the admin URL of the running cluster
#   scripts/pg.sh status  exit 0 when it is running
#
# Data lives in .pg/ (git-ignored). PostgreSQL's server tools refuse to run as
# root, so as root they run as the `postgres` user, who owns .pg/.
#
# PG_STATE_DIR puts a second cluster elsewhere (scripts/bench/ uses .pg-bench/, with
# its own port), and PG_EXTRA_OPTS adds server options at start, e.g.
# "-c shared_preload_libraries=pg_stat_statements".
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state="${PG_STATE_DIR:-$root/.pg}"
data="$state/data"
# A port derived from the checkout's path (or the cluster's own folder, for
# a second cluster), so two checkouts or clusters do not collide.
port_key=$root
if [ -n "${PG_STATE_DIR:-}" ]; then port_key=$state; fi
port="${PGPORT_LOCAL:-$((54000 + $(printf '%s' "$port_key" | cksum | cut -d' ' -f1) % 900))}"

find_bin() {
	local name=$1 dir
	if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
	for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$dir/$name" ]; then echo "$dir/$name"; return; fi
	done
	cat >&2 <<MSG
pg.sh: PostgreSQL server binaries ($name) were not found on PATH or under /usr/lib/postgresql/*/bin.
Install them, then run this again:
    Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y postgresql
    macOS:          brew install postgresql@15
Or point DATABASE_URL (make dev) / TEST_DATABASE_URL (make test) at a PostgreSQL server you already have.
MSG
	exit 1
}

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

socket_dir() {
	# Unix socket paths are limited to about 100 bytes.
	local dir="$state/run"
	if [ ${#dir} -gt 80 ]; then
		dir="/tmp/twelve-pg-$(printf '%s' "$root" | cksum | cut -d' ' -f1)"
	fi
	echo "$dir"
}

admin_url() {
	echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}

running() {
	[ -f "$data/postmaster.pid" ] && as_owner "$(find_bin pg_ctl)" -D "$data" status >/dev/null 2>&1
}

start() {
	local initdb pg_ctl sock
	initdb=$(find_bin initdb)
	pg_ctl=$(find_bin pg_ctl)
	sock=$(socket_dir)
	mkdir -p "$state" "$sock"
	if [ "$(id -u)" = 0 ]; then
		if ! id postgres >/dev/null 2>&1; then
			echo "pg.sh: running as root needs a 'postgres' user to own the cluster (apt-get install postgresql creates it)" >&2
			exit 1
		fi
		chown postgres: "$state" "$sock"
		if ! runuser -u postgres -- test -w "$state"; then
			echo "pg.sh: the postgres user cannot write $state (a parent folder is not searchable by it)" >&2
			exit 1
		fi
	fi
	if [ ! -f "$data/PG_VERSION" ]; then
		as_owner "$initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$state/initdb.log" 2>&1 ||
			as_owner "$initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$state/initdb.log" 2>&1 || {
			cat "$state/initdb.log" >&2
			exit 1
		}
	fi
	if ! running; then
		# fsync off: this cluster is throwaway, and tests and demo data load faster.
		as_owner "$pg_ctl" -D "$data" -l "$state/server.log" -w -t 30 \
			-o "-c listen_addresses=127.0.0.1 -p $port -k $sock -c fsync=off -c full_page_writes=off -c max_connections=200 ${PG_EXTRA_OPTS:-}" \
			start >/dev/null || {
			tail -20 "$state/server.log" >&2
			exit 1
		}
	fi
	admin_url
}

stop() {
	if running; then
		as_owner "$(find_bin pg_ctl)" -D "$data" -m fast -w stop >/dev/null
	fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
url) running && admin_url ;;
status) running ;;
*)
	echo "usage: scripts/pg.sh start|stop|url|status" >&2
	exit 2
	;;
esac

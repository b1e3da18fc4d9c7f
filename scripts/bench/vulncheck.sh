#!/usr/bin/env bash
# vulncheck.sh — govulncheck (pinned in go.mod as a tool) over the whole
# module, working offline when vuln.go.dev cannot be reached: it then
# builds the vulnerability database from a pinned version of the
# golang.org/x/vulndb module (its data/osv folder, taken through the Go
# module proxy like any module) with that module's own cmd/indexdb, and
# points govulncheck at it with -db file://.
#
#   scripts/bench/vulncheck.sh              # exit status is govulncheck's
#   VULNDB=v0.0.0-… scripts/bench/vulncheck.sh
set -euo pipefail
source "$(dirname "$0")/../toolchain.sh"
cd "$(dirname "$0")/../.."
vulndb=${VULNDB:-v0.0.0-20261105234957-e22db6528018}
work=$(mktemp -d /tmp/twelve-vulndb.XXXXXX)
trap 'rm -rf "$work"' EXIT

if timeout 20 go tool govulncheck -version >/dev/null 2>&1 && timeout 10 curl -fsS -o /dev/null https://vuln.go.dev/index/db.json 2>/dev/null; then
	echo "# govulncheck with the online database (vuln.go.dev)"
	exec go tool govulncheck ./...
fi
echo "# vuln.go.dev cannot be reached: building the database from golang.org/x/vulndb@$vulndb"
# Outside this module, so that neither go.mod nor go.sum changes.
dir=$(cd "$work" && GOFLAGS= go mod download -json "golang.org/x/vulndb@$vulndb" | sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p')
(cd "$work" && GOFLAGS= GOBIN="$work/bin" go install "golang.org/x/vulndb/cmd/indexdb@$vulndb")
"$work/bin/indexdb" -vulns "$dir/data/osv" -out "$work/db"
echo "# $(ls "$dir/data/osv" | wc -l) OSV entries; $(go version)"
go tool govulncheck -db "file://$work/db" ./...

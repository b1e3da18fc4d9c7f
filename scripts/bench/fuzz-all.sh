#!/usr/bin/env bash
# fuzz-all.sh — run every fuzz target in the module (every `func Fuzz…` in a
# _test.go file) for FUZZTIME each (default 2m), one after another, and
# print one line per target: its package, name, executions and outcome.
# Exits non-zero when any target finds a crash; the failing input is then
# in that package's testdata/fuzz/<target>/ and reproduces with go test.
#
#   scripts/bench/fuzz-all.sh            # 2 minutes per target
#   FUZZTIME=10s scripts/bench/fuzz-all.sh
set -euo pipefail
source "$(dirname "$0")/../toolchain.sh"
cd "$(dirname "$0")/../.."
fuzztime=${FUZZTIME:-2m}
log=$(mktemp -d /tmp/twelve-fuzz.XXXXXX)
trap 'rm -rf "$log"' EXIT

targets=$(grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+' . | sed -E 's#^\./(.*)/[^/]+:func (Fuzz.*)$#\1 \2#' | sort -u)
echo "# Fuzzing: $(echo "$targets" | wc -l) targets, $fuzztime each, $(go version | cut -d' ' -f3), $(nproc) cores, $(date -u +%FT%TZ)"
echo "| package | target | executions | new coverage | result |"
echo "| --- | --- | --- | --- | --- |"
failed=0
while read -r pkg name; do
	out="$log/$name.txt"
	if go test "./$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" >"$out" 2>&1; then
		result="no crash"
	else
		result="FAILED (see $pkg/testdata/fuzz/$name)"
		failed=1
		tail -30 "$out" >&2
	fi
	last=$(grep -E '^fuzz: elapsed' "$out" | tail -1)
	execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
	interesting=$(sed -nE 's/.*new interesting: ([0-9]+) \(total: ([0-9]+)\).*/\1 (corpus \2)/p' <<<"$last")
	echo "| $pkg | $name | ${execs:-?} | ${interesting:-?} | $result |"
done <<<"$targets"
exit $failed

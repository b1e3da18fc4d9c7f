#!/usr/bin/env bash
# check.sh — fail when go.mod/go.sum are not tidy, gofmt or templ fmt would
# change a file, go vet complains, or the committed templ output is stale.
# Every check runs; the script fails if any did.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$(dirname "$0")/.."

status=0
if ! out=$(go mod tidy -diff 2>&1); then
	echo "go.mod/go.sum are not tidy: run 'go mod tidy' and commit the result" >&2
	echo "$out" >&2
	status=1
fi
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	status=1
fi
if ! go tool templ fmt -fail -stdout=false . >/dev/null 2>&1; then
	echo "templ fmt had to reformat a .templ file (done in place): commit the result" >&2
	git status --short -- '*.templ' >&2
	status=1
fi
go vet ./... || status=1
go tool templ generate >/dev/null 2>&1 || go tool templ generate
if ! git diff --quiet -- '*_templ.go' || [ -n "$(git ls-files --others --exclude-standard -- '*_templ.go')" ]; then
	echo "templ generate changed committed files: run 'make generate' and commit the result" >&2
	git status --short -- '*_templ.go' >&2
	status=1
fi
if [ $status -eq 0 ]; then echo "check: go.mod tidy, gofmt, templ fmt, go vet, templ generate: all clean"; fi
exit $status

#!/usr/bin/env bash
# check.sh — fail when gofmt would change a file, go vet complains, or the
# committed templ output is stale.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	status=1
fi
go vet ./... || status=1
go tool templ generate >/dev/null 2>&1 || go tool templ generate
if ! git diff --quiet -- '*_templ.go' || [ -n "$(git ls-files --others --exclude-standard -- '*_templ.go')" ]; then
	echo "templ generate changed committed files: run 'make generate' and commit the result" >&2
	git status --short -- '*_templ.go' >&2
	status=1
fi
exit $status

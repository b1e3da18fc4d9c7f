# Twelve — the two commands a newcomer needs are `make dev` and `make test`.
SHELL := /bin/bash
GO    ?= go
# The Go toolchain is the one go.mod's go line names, fetched once by the go
# command when this machine's is older (scripts/toolchain.sh says why).
export GOTOOLCHAIN := go$(shell sed -n 's/^go //p' go.mod)
# Stamp the VCS revision into the binary (factor I); this machine's go env
# sets -buildvcs=false, and auto still builds outside a git checkout.
BUILDFLAGS := -buildvcs=auto -trimpath

.PHONY: build devtools dev test check generate bench-startup bench reliability fuzz vulncheck db-start db-stop clean

## build: bin/twelve, the one program of the app (what the Procfile runs)
build: generate
	$(GO) build $(BUILDFLAGS) -o bin/twelve ./cmd/twelve

## devtools: bin/devidp and bin/ltiplatform, the development OpenID provider and LTI platform (not part of the app)
devtools:
	$(GO) build -o bin/devidp ./internal/cmd/devidp
	$(GO) build -o bin/ltiplatform ./internal/cmd/ltiplatform

## generate: templ views (generated files are committed)
generate:
	$(GO) tool templ generate >/dev/null 2>&1 || $(GO) tool templ generate

## dev: a working site on http://localhost:8080 with demo accounts
dev: build devtools
	scripts/dev.sh

## test: every test, against a real PostgreSQL and the dev OpenID provider
test: generate
	scripts/test.sh

## check: formatting, vet and stale generated files (CI runs it)
check:
	scripts/check.sh

## bench-startup: exec → first 200 on /healthz
bench-startup:
	scripts/test.sh -run '^$$' -bench Startup -benchtime 30x ./cmd/twelve

## bench: lesson pages against nginx, quiz submits against pgbench (docs/PERFORMANCE.md)
bench:
	scripts/bench/lesson.sh
	scripts/bench/submit.sh

## reliability: the process-level fault tests alone, verbose, three times over (docs/RELIABILITY.md)
reliability:
	scripts/test.sh -count=3 -v -run . ./tests/reliability

## fuzz: every fuzz target for 2 minutes (FUZZTIME=… to change)
fuzz:
	scripts/bench/fuzz-all.sh

## vulncheck: govulncheck, offline from a pinned vulnerability database when vuln.go.dev is out of reach
vulncheck:
	scripts/bench/vulncheck.sh

db-start:
	@scripts/pg.sh start
db-stop:
	scripts/pg.sh stop

clean:
	rm -rf bin

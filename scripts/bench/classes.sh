#!/usr/bin/env bash
# classes.sh — measure the class reports at scale.
#
# scripts/bench-reports.sh with BENCH=classes: it creates a dedicated
# database (twelve_bench_classes) in the project-local
# cluster, migrates it and loads
#   twelve admin demo-data --students 120000 --classes 1000 --class-size 100 --big-class 20000
# (100,000 students in 1,000 classes of 100, and 20,000 more in one class,
# demo-big; CLASSES, CLASS_SIZE, BIG_CLASS and SEED override the figures).
# Then `benchreports classes` times, in its own process, the store calls of
# a class gradebook page (Gradebook + CountStudentsIn) in random classes of
# 100 and, kind by kind, in demo-big (sorts by name, email, total and a
# lesson, deep pages, filters), and the big class's CSV through
# EachGradebookRowIn with the Go heap sampled; then the same pages and the
# CSV through `twelve web` (signed in as course staff with a cookie minted
# from SECRET_KEY), sampling the web process's RSS. The database is dropped
# afterwards unless KEEP=1; REUSE=1 measures a database kept from before
# without loading it again.
#
# Goals: a class page p95 < 50 ms; the 20,000-student class's pages p95 <
# 150 ms; its CSV < 1 s with memory flat. Not part of `make test`.
set -euo pipefail
BENCH=classes exec "$(dirname "$0")/../bench-reports.sh"

// Package reliability holds tests that run the real twelve binary as
// separate processes against real PostgreSQL, under a steady, bounded load
// of quiz submissions from many simulated students (internal/student), and
// break things on purpose: SIGTERM and SIGKILL mid-load, a PostgreSQL
// restart, three processes behind a round-robin proxy with one killed, and
// hostile requests to every route. Each test fails when an acknowledged
// submission is lost, stored twice or stored in part.
//
// Together they take about 15 s on two cores and run with `make test`;
// `make reliability` runs them alone, verbosely, three times over, and
// TWELVE_RELIABILITY=off skips them. docs/RELIABILITY.md records results.
package reliability

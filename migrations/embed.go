// Package migrations holds the numbered, up-only SQL migrations of Twelve's
// schema, embedded in the binary so `twelve migrate` needs no files.
package migrations

import "embed"

// FS holds the goose SQL files.
//
//go:embed *.sql
var FS embed.FS

// Package migrations holds PFF's database migrations, embedded in the binary.
//
// SQL migrations are goose files in this directory. River's own schema is a Go
// migration in the same history (see river.go), so `pff migrate` is the only
// migration tool an operator needs.
package migrations

import (
	"embed"

	"github.com/pressly/goose/v3"
)

//go:embed *.sql
var sqlFiles embed.FS

// SQL returns the embedded SQL migrations.
func SQL() embed.FS { return sqlFiles }

// Go returns the migrations written in Go, to be registered beside the SQL ones.
func Go() []*goose.Migration {
	return []*goose.Migration{riverMigration()}
}

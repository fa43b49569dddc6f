// Package migrations holds Herald's SQL schema history, one directory per
// database dialect with identical file names, embedded into the binary.
//
// Files follow bun's migrate naming: YYYYMMDDHHMMSS_name.tx.up.sql runs in a
// transaction. An applied migration is never edited; add a new one instead.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// FS returns the migration files for dialect "postgres" or "sqlite".
func FS(dialect string) (fs.FS, error) {
	return fs.Sub(files, dialect)
}

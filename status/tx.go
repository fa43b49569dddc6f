package status

import (
	"database/sql"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status/db"
)

// snapshotTx returns options for a consistent multi-query read: repeatable
// read on PostgreSQL; SQLite's single connection is consistent already.
func snapshotTx(bdb *bun.DB) *sql.TxOptions {
	if db.DialectOf(bdb) == db.Postgres {
		return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	return nil
}

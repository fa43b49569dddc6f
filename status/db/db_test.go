package db_test

import (
	"context"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status/db"
	"github.com/herald-status/herald/status/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestParseURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, dialect, wantErr string
	}{
		{"sqlite relative", "sqlite://herald.db", db.SQLite, ""},
		{"sqlite absolute", "sqlite:///var/lib/herald/h.db", db.SQLite, ""},
		{"postgres", "postgres://u:p@127.0.0.1:5432/herald", db.Postgres, ""},
		{"postgresql scheme", "postgresql://u@localhost/herald", db.Postgres, ""},
		{"empty", "", "", "must start with"},
		{"mysql", "mysql://x", "", "must start with"},
		{"sqlite without path", "sqlite://", "", "needs a file path"},
		{"sqlite with options", "sqlite://h.db?_pragma=x", "", "takes no options"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.ParseURL(tc.in)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.dialect, got.Dialect)
		})
	}
}

func TestMigrateUpDownUp(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			bdb, err := db.Open(ctx, dbtest.EmptyURL(t, d))
			require.NoError(t, err)
			defer func() { require.NoError(t, bdb.Close()) }()
			m, err := db.NewMigrator(bdb, nil)
			require.NoError(t, err)

			require.NoError(t, m.Up(ctx))
			n, err := m.Pending(ctx)
			require.NoError(t, err)
			require.Zero(t, n)
			states, riverOK, err := m.Status(ctx)
			require.NoError(t, err)
			require.True(t, riverOK)
			require.NotEmpty(t, states)
			for _, s := range states {
				require.True(t, s.Applied, s.Name)
			}

			// Applying again is a no-op.
			require.NoError(t, m.Up(ctx))

			names, err := m.Down(ctx)
			require.NoError(t, err)
			require.NotEmpty(t, names)
			n, err = m.Pending(ctx)
			require.NoError(t, err)
			require.Equal(t, len(states), n)
			_, err = bdb.ExecContext(ctx, "SELECT 1 FROM pages")
			require.Error(t, err, "tables must be gone after down")

			require.NoError(t, m.Up(ctx))
			_, err = bdb.ExecContext(ctx, "SELECT 1 FROM pages")
			require.NoError(t, err)
		})
	}
}

// A migration that fails halfway must leave neither its first statements
// nor an "applied" record behind.
func TestMigrationFailingHalfwayIsNotRecorded(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			bdb, err := db.Open(ctx, dbtest.EmptyURL(t, d))
			require.NoError(t, err)
			defer func() { require.NoError(t, bdb.Close()) }()
			fsys := fstest.MapFS{
				"20260101000000_good.tx.up.sql": {Data: []byte("CREATE TABLE good (id integer PRIMARY KEY);")},
				"20260102000000_bad.tx.up.sql": {Data: []byte(
					"CREATE TABLE half (id integer PRIMARY KEY);\n--bun:split\nINSERT INTO no_such_table VALUES (1);")},
			}
			m := db.NewMigratorFS(bdb, fsys, nil)
			require.Error(t, m.Up(ctx))
			n, err := m.Pending(ctx)
			require.NoError(t, err)
			require.Equal(t, 1, n, "the failed migration stays pending")
			_, err = bdb.ExecContext(ctx, "SELECT 1 FROM good")
			require.NoError(t, err)
			_, err = bdb.ExecContext(ctx, "SELECT 1 FROM half")
			require.Error(t, err, "the failed migration's first statement must be rolled back")
		})
	}
}

// Replicas starting together on an empty database: one migrates, the
// others wait for it and then find nothing to do.
func TestConcurrentReplicasMigrateOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u := dbtest.EmptyURL(t, db.Postgres)
	const replicas = 5
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bdb, err := db.Open(ctx, u)
			if err != nil {
				errs[i] = err
				return
			}
			defer func() { require.NoError(t, bdb.Close()) }()
			m, err := db.NewMigrator(bdb, nil)
			if err != nil {
				errs[i] = err
				return
			}
			errs[i] = m.Up(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	bdb, err := db.Open(ctx, u)
	require.NoError(t, err)
	defer func() { require.NoError(t, bdb.Close()) }()
	var applied int
	require.NoError(t, bdb.NewSelect().Table("herald_migrations").ColumnExpr("count(*)").Scan(ctx, &applied))
	m, err := db.NewMigrator(bdb, nil)
	require.NoError(t, err)
	states, _, err := m.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, len(states), applied, "each migration recorded exactly once")
}
func TestConstraintErrors(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		_, err := bdb.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('a', '1')")
		require.NoError(t, err)
		_, err = bdb.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('a', '2')")
		require.True(t, db.IsUniqueViolation(err), "got %v", err)
		_, err = bdb.ExecContext(ctx, "INSERT INTO page_hosts (host, page_id) VALUES ('x', 'nope')")
		require.True(t, db.IsForeignKeyViolation(err), "got %v", err)
		require.False(t, db.IsUniqueViolation(err))
	})
}

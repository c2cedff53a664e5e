package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

func TestMigrateUpDownUpGivesTheSameSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.NewEmptyDatabase(t)
	migrator, err := store.OpenMigrator(url, nil)
	require.NoError(t, err)
	t.Cleanup(func() { migrator.Close() })

	pending, err := migrator.Pending(ctx)
	require.NoError(t, err)
	require.Positive(t, pending)

	applied, err := migrator.Up(ctx)
	require.NoError(t, err)
	require.Len(t, applied, pending)
	first := dumpSchema(t, url)
	require.Contains(t, first, "table river_job", "River's schema is part of the same history")
	require.Contains(t, first, "extension vector")

	version, err := migrator.Version(ctx)
	require.NoError(t, err)
	require.Equal(t, applied[len(applied)-1], version)

	rolledBack, err := migrator.Reset(ctx)
	require.NoError(t, err)
	require.Len(t, rolledBack, pending)
	require.Empty(t, userObjects(dumpSchema(t, url)), "reset leaves no PFF or River object behind")
	version, err = migrator.Version(ctx)
	require.NoError(t, err)
	require.Zero(t, version)

	_, err = migrator.Up(ctx)
	require.NoError(t, err)
	require.Equal(t, first, dumpSchema(t, url))

	redone, err := migrator.Redo(ctx)
	require.NoError(t, err)
	require.Equal(t, applied[len(applied)-1], redone, "versions need not be consecutive")
	require.Equal(t, first, dumpSchema(t, url))

	statuses, err := migrator.Status(ctx)
	require.NoError(t, err)
	require.Len(t, statuses, pending)
	for _, s := range statuses {
		require.True(t, s.Applied, "migration %d %s", s.Version, s.Name)
	}
}

func TestConcurrentMigrationsApplyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.NewEmptyDatabase(t)

	const replicas = 3
	applied := make([][]int64, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			migrator, err := store.OpenMigrator(url, nil)
			if err != nil {
				errs[i] = err
				return
			}
			defer migrator.Close()
			applied[i], errs[i] = migrator.Up(ctx)
		})
	}
	wg.Wait()
	total := 0
	for i := range replicas {
		require.NoError(t, errs[i])
		total += len(applied[i])
	}
	migrator, err := store.OpenMigrator(url, nil)
	require.NoError(t, err)
	defer migrator.Close()
	statuses, err := migrator.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, len(statuses), total, "each migration applied by exactly one replica")
}

// dumpSchema describes every object in the public schema as sorted lines, so
// two schemas compare as strings.
func dumpSchema(t *testing.T, url string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `
		SELECT 'extension ' || extname FROM pg_extension WHERE extname <> 'plpgsql'
		UNION ALL
		SELECT 'table ' || table_name FROM information_schema.tables WHERE table_schema = 'public'
		UNION ALL
		SELECT format('column %s.%s %s null=%s default=%s', table_name, column_name, data_type, is_nullable, column_default)
		FROM information_schema.columns WHERE table_schema = 'public'
		UNION ALL
		SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
		UNION ALL
		SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
		FROM pg_constraint WHERE connamespace = 'public'::regnamespace
		UNION ALL
		SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
		UNION ALL
		SELECT 'function ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc)
		FROM pg_proc p LEFT JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
		WHERE p.pronamespace = 'public'::regnamespace AND d.objid IS NULL
		UNION ALL
		SELECT 'type ' || t.typname FROM pg_type t LEFT JOIN pg_depend d ON d.objid = t.oid AND d.deptype = 'e'
		WHERE t.typnamespace = 'public'::regnamespace AND t.typtype = 'e' AND d.objid IS NULL
		ORDER BY 1`)
	require.NoError(t, err)
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return strings.Join(lines, "\n")
}

// userObjects drops goose's own bookkeeping table from a schema dump.
func userObjects(dump string) []string {
	var out []string
	for _, line := range strings.Split(dump, "\n") {
		if line != "" && !strings.Contains(line, "goose_db_version") {
			out = append(out, line)
		}
	}
	return out
}

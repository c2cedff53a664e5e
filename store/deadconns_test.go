package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// TestEndedConnectionsFailOneRequestNotOneEach ends every connection of a
// pool, as a restart of PostgreSQL does, and asks at once for more than
// the pool held: the first request reads the news and fails; the pool then
// replaces the other dead connections instead of handing them out.
func TestEndedConnectionsFailOneRequestNotOneEach(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.NewDatabase(t)
	pool, err := store.Connect(ctx, store.PoolConfig{URL: url, MaxConns: 4})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	conns := make([]*pgxpool.Conn, 4)
	for i := range conns {
		conns[i], err = pool.Acquire(ctx)
		require.NoError(t, err)
	}
	for _, c := range conns {
		c.Release()
	}

	admin, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close(context.Background()) })
	var ended int
	require.NoError(t, admin.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&ended))
	require.Equal(t, 4, ended)
	require.Eventually(t, func() bool {
		var left int
		require.NoError(t, admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&left))
		return left == 0
	}, 10*time.Second, 10*time.Millisecond, "the backends never ended")

	failed := 0
	for range 8 {
		var one int
		if err := pool.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil {
			failed++
		}
	}
	require.LessOrEqual(t, failed, 1, "each dead connection failed a request")
}

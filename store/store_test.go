package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/pgvector/pgvector-go"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

func TestConnectRegistersPgvectorTypes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := store.Connect(ctx, store.PoolConfig{URL: storetest.NewDatabase(t)})
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	var v pgvector.Vector
	require.NoError(t, pool.QueryRow(ctx, "SELECT '[1,2,3]'::vector").Scan(&v))
	require.Equal(t, []float32{1, 2, 3}, v.Slice())
}

func TestConnectGivesUpOnAnUnreachableServerWithoutLeakingSecrets(t *testing.T) {
	t.Parallel()
	start := time.Now()
	_, err := store.Connect(context.Background(), store.PoolConfig{
		URL:            "postgres://pff:s3cret-password@127.0.0.1:1/pff?sslmode=disable",
		ConnectTimeout: 700 * time.Millisecond,
	})
	require.Error(t, err)
	require.Less(t, time.Since(start), 5*time.Second)
	require.Contains(t, err.Error(), "unreachable")
	require.Contains(t, err.Error(), "connection refused")
	require.NotContains(t, err.Error(), "s3cret-password")
	require.NotContains(t, err.Error(), "pff:")
}

func TestConnectRejectsAMalformedURLWithoutEchoingIt(t *testing.T) {
	t.Parallel()
	_, err := store.Connect(context.Background(), store.PoolConfig{URL: "postgres://pff:s3cret@127.0.0.1:notaport/pff"})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cret")
}

func TestConnectStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := store.Connect(ctx, store.PoolConfig{
		URL:            "postgres://pff@127.0.0.1:1/pff?sslmode=disable",
		ConnectTimeout: time.Minute,
	})
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

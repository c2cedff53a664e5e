package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// TestCollectorsReportZerosAndAges checks what the alerting rules rely on:
// every kind of job and every state is a series (0 before the first job),
// the oldest available job's age is reported per kind, models by state,
// the pool's saturation, and Redis up or down.
func TestCollectorsReportZerosAndAges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := store.Connect(ctx, store.PoolConfig{URL: storetest.NewDatabase(t)})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	st := store.New(pool)
	registry := NewRegistry(pool, st, slog.New(slog.DiscardHandler))

	value := func(name, labels string) float64 {
		t.Helper()
		families, err := registry.Gather()
		require.NoError(t, err)
		for _, f := range families {
			if f.GetName() != name {
				continue
			}
			for _, m := range f.GetMetric() {
				var parts []string
				for _, l := range m.GetLabel() {
					parts = append(parts, l.GetName()+"="+l.GetValue())
				}
				if strings.Join(parts, ",") == labels {
					return m.GetGauge().GetValue() + m.GetCounter().GetValue()
				}
			}
		}
		t.Fatalf("no series %s{%s}", name, labels)
		return 0
	}

	for _, kind := range jobs.Kinds() {
		for _, state := range []string{"available", "retryable", "discarded", "running"} {
			require.Zero(t, value("pff_jobs", "kind="+kind+",state="+state))
		}
		require.Zero(t, value("pff_jobs_oldest_seconds", "kind="+kind+",state=available"))
		require.Zero(t, value("pff_jobs_oldest_seconds", "kind="+kind+",state=running"))
	}
	for _, state := range store.ModelStates() {
		require.Zero(t, value("pff_models", "state="+state))
	}
	require.Equal(t, float64(pool.Stat().MaxConns()), value("pff_db_pool_max_connections", ""))
	require.GreaterOrEqual(t, value("pff_db_pool_empty_acquire_wait_seconds_total", ""), 0.0)

	// A validation queued a while ago is the backlog, and its age.
	queue, err := jobs.New(pool, jobs.Config{})
	require.NoError(t, err)
	_, err = queue.River().Insert(ctx, jobs.ValidateRecordsArgs{RecordIDs: []int64{1}}, &river.InsertOpts{})
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `UPDATE river_job SET scheduled_at = now() - interval '90 seconds'`)
	require.NoError(t, err)
	require.Equal(t, 1.0, value("pff_jobs", "kind=validate_records,state=available"))
	age := value("pff_jobs_oldest_seconds", "kind=validate_records,state=available")
	require.InDelta(t, 90, age, 10)
	require.Zero(t, value("pff_jobs_oldest_seconds", "kind=train_model,state=available"))

	// Redis: up while it answers, down when it does not.
	redisUp := func(ping func(context.Context) error) float64 {
		reg := prometheus.NewRegistry()
		reg.MustRegister(NewRedisCollector(ping, slog.New(slog.DiscardHandler)))
		families, err := reg.Gather()
		require.NoError(t, err)
		require.Len(t, families, 1)
		require.Equal(t, "pff_redis_up", families[0].GetName())
		return families[0].GetMetric()[0].GetGauge().GetValue()
	}
	require.Equal(t, 1.0, redisUp(func(context.Context) error { return nil }))
	start := time.Now()
	require.Equal(t, 0.0, redisUp(func(ctx context.Context) error {
		<-ctx.Done() // a Redis that hangs counts as down within the second
		return errors.New("timeout")
	}))
	require.Less(t, time.Since(start), 3*time.Second)
}

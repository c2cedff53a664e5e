// Package store is all of PFF's SQL: the connection pool, migrations and the
// queries the application runs. Nothing outside it writes SQL.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxvec "github.com/pgvector/pgvector-go/pgx"
	"go.opentelemetry.io/otel/trace"
)

// PoolConfig configures the connection pool. Zero values mean defaults.
type PoolConfig struct {
	// URL is a PostgreSQL connection string (URL or key=value form).
	URL string
	// MaxConns caps open connections; 0 means pgx's default (max(4, CPUs)).
	MaxConns int32
	// MinConns connections are kept open even when idle.
	MinConns int32
	// ConnectTimeout bounds how long Connect keeps retrying an unreachable
	// server at start-up; 0 means 30 s.
	ConnectTimeout time.Duration
	// Logger receives one line per failed attempt; nil discards them.
	Logger *slog.Logger
	// TracerProvider, when set, traces the statements run on behalf of a
	// traced request or job (tracing.go); nil means no tracer on the pool.
	TracerProvider trace.TracerProvider
}

// Connect opens a pool and waits, retrying with backoff, until PostgreSQL
// answers or cfg.ConnectTimeout passes. Every connection registers pgvector's
// types, so the vector extension must exist: run the migrations first.
// What waiting cannot mend (a bad URL, a missing database, a refused login,
// no pgvector types) is a *ConnectError at once.
func Connect(ctx context.Context, cfg PoolConfig) (*pgxpool.Pool, error) {
	poolConfig, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, badURLError()
	}
	if cfg.MaxConns > 0 {
		poolConfig.MaxConns = cfg.MaxConns
	}
	poolConfig.MinConns = cfg.MinConns
	replaceDeadConns(poolConfig)
	if t := newQueryTracer(cfg.TracerProvider); t != nil {
		poolConfig.ConnConfig.Tracer = t
	}
	poolConfig.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		if err := pgxvec.RegisterTypes(ctx, conn); err != nil {
			return fmt.Errorf("register pgvector types (has `pff migrate up` run?): %w: %w", errNoVectorTypes, err)
		}
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, poolConfig)
	if err != nil {
		return nil, fmt.Errorf("store: open pool: %s", Describe(err))
	}
	if err := waitReachable(ctx, cfg, poolConfig.ConnConfig.Database, pool.Ping); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// waitReachable calls ping until it succeeds, backing off from 250 ms to 5 s
// between attempts, for at most cfg.ConnectTimeout. A failure that retrying
// cannot mend ends it at once (see lastingFailure); database names the
// database for its message.
func waitReachable(ctx context.Context, cfg PoolConfig, database string, ping func(context.Context) error) error {
	timeout := cfg.ConnectTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	deadline := time.Now().Add(timeout)
	backoff := 250 * time.Millisecond
	// The last attempt may be cut short by the deadline; the reason worth
	// reporting is the last one that was not such a cut.
	var reason error
	for attempt := 1; ; attempt++ {
		attemptCtx, cancel := context.WithTimeout(ctx, min(5*time.Second, time.Until(deadline)))
		err := ping(attemptCtx)
		cancel()
		if err == nil {
			return nil
		}
		if reason == nil || !errors.Is(err, context.DeadlineExceeded) {
			reason = err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("store: connect: %w", ctx.Err())
		}
		if lasting := lastingFailure(err, database); lasting != nil {
			return lasting
		}
		if time.Until(deadline) <= 0 {
			return fmt.Errorf("store: PostgreSQL unreachable after %s (%d attempts): %s", timeout, attempt, Describe(reason))
		}
		logger.Warn("PostgreSQL not reachable yet; retrying", "attempt", attempt, "error", Describe(reason), "retry_in", backoff)
		select {
		case <-ctx.Done():
			return fmt.Errorf("store: connect: %w", ctx.Err())
		case <-time.After(min(backoff, time.Until(deadline))):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

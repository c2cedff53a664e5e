package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/pff/pff/migrations"
)

// migrationLockID is the advisory lock that serialises migrations, so two
// replicas starting at once never both migrate. Any fixed number works; this
// one is "pff" in ASCII.
const migrationLockID = 0x706666

// MigrationStatus is one migration and whether it has been applied.
type MigrationStatus struct {
	Version int64
	Name    string
	Applied bool
}

// Migrator applies PFF's embedded migrations (SQL files and River's schema)
// through goose, under a PostgreSQL advisory lock.
type Migrator struct {
	db       *sql.DB
	database string // the database the URL names, for messages
	provider *goose.Provider
	logger   *slog.Logger
}

// OpenMigrator prepares to migrate the database at url. It does not connect
// yet: see WaitReachable. Close it when done.
func OpenMigrator(url string, logger *slog.Logger) (*Migrator, error) {
	connConfig, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, badURLError()
	}
	db := stdlib.OpenDB(*connConfig)
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID))
	if err != nil {
		_ = db.Close() // nothing is connected yet
		return nil, fmt.Errorf("store: migration lock: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrations.SQL(),
		goose.WithGoMigrations(migrations.Go()...),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(logger),
	)
	if err != nil {
		_ = db.Close() // nothing is connected yet
		return nil, fmt.Errorf("store: load migrations: %w", err)
	}
	return &Migrator{db: db, database: connConfig.Database, provider: provider, logger: logger}, nil
}

// WaitReachable retries, with backoff, until the database answers or timeout
// passes, so a process started before PostgreSQL still comes up. What
// waiting cannot mend (a missing database, a refused login) is a
// *ConnectError at once.
func (m *Migrator) WaitReachable(ctx context.Context, timeout time.Duration) error {
	return waitReachable(ctx, PoolConfig{ConnectTimeout: timeout, Logger: m.logger}, m.database, m.db.PingContext)
}

// Close releases the migrator's connection.
func (m *Migrator) Close() error { return m.db.Close() }

// Up applies every pending migration and returns the versions applied.
func (m *Migrator) Up(ctx context.Context) ([]int64, error) {
	results, err := m.provider.Up(ctx)
	if err != nil {
		return versions(results), fmt.Errorf("store: migrate up: %w", err)
	}
	return versions(results), nil
}

// Down rolls back the most recent migration and returns its version.
func (m *Migrator) Down(ctx context.Context) (int64, error) {
	result, err := m.provider.Down(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: migrate down: %w", err)
	}
	return result.Source.Version, nil
}

// Redo rolls back the most recent migration and applies it again.
func (m *Migrator) Redo(ctx context.Context) (int64, error) {
	version, err := m.Down(ctx)
	if err != nil {
		return 0, err
	}
	if _, err := m.provider.UpByOne(ctx); err != nil {
		return version, fmt.Errorf("store: migrate redo %d: %w", version, err)
	}
	return version, nil
}

// Reset rolls back every migration, River's schema included.
func (m *Migrator) Reset(ctx context.Context) ([]int64, error) {
	results, err := m.provider.DownTo(ctx, 0)
	if err != nil {
		return versions(results), fmt.Errorf("store: migrate reset: %w", err)
	}
	return versions(results), nil
}

// Version is the highest applied migration version, 0 for none.
func (m *Migrator) Version(ctx context.Context) (int64, error) {
	version, err := m.provider.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: migration version: %w", err)
	}
	return version, nil
}

// Status lists every known migration and whether it is applied.
func (m *Migrator) Status(ctx context.Context) ([]MigrationStatus, error) {
	statuses, err := m.provider.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migration status: %w", err)
	}
	out := make([]MigrationStatus, len(statuses))
	for i, s := range statuses {
		name := path.Base(s.Source.Path)
		if s.Source.Type == goose.TypeGo {
			name = "river schema (Go)"
		}
		out[i] = MigrationStatus{Version: s.Source.Version, Name: name, Applied: s.State == goose.StateApplied}
	}
	return out, nil
}

// HasPending reports whether any migration is not applied yet. Unlike
// Status it takes no lock, so it is the cheap check for start-up.
func (m *Migrator) HasPending(ctx context.Context) (bool, error) {
	pending, err := m.provider.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("store: look for pending migrations: %w", err)
	}
	return pending, nil
}

// Pending counts the migrations not yet applied.
func (m *Migrator) Pending(ctx context.Context) (int, error) {
	statuses, err := m.Status(ctx)
	if err != nil {
		return 0, err
	}
	pending := 0
	for _, s := range statuses {
		if !s.Applied {
			pending++
		}
	}
	return pending, nil
}

func versions(results []*goose.MigrationResult) []int64 {
	out := make([]int64, 0, len(results))
	for _, r := range results {
		if r.Error == nil {
			out = append(out, r.Source.Version)
		}
	}
	return out
}

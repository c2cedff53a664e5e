package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
)

// riverSchemaVersion is River's own migration version that this goose version
// installs. It is pinned so that upgrading River never changes what an
// already-applied migration means: a newer River schema gets a new migration.
const riverSchemaVersion = 8

// riverMigration applies River's schema (its job, leader and queue tables)
// through goose, so River shares PFF's single history and lock. It runs
// outside goose's transaction because River's own steps need one transaction
// each (one adds an enum value that the next uses); River records each step,
// so an interrupted run resumes where it stopped.
func riverMigration() *goose.Migration {
	return goose.NewGoMigration(2,
		&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error {
			return migrateRiver(ctx, db, rivermigrate.DirectionUp, riverSchemaVersion)
		}},
		&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error {
			return migrateRiver(ctx, db, rivermigrate.DirectionDown, -1)
		}},
	)
}

func migrateRiver(ctx context.Context, db *sql.DB, direction rivermigrate.Direction, target int) error {
	// River logs each step at info; goose already reports the migration.
	migrator, err := rivermigrate.New(riverdatabasesql.New(db), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, direction, &rivermigrate.MigrateOpts{TargetVersion: target}); err != nil {
		return fmt.Errorf("river schema %s to %d: %w", direction, target, err)
	}
	return nil
}

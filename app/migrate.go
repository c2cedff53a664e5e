package app

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/pff/pff/store"
)

func migrateCommand() *command {
	return &command{
		name:    "migrate",
		args:    "up|down|status|version|redo|reset",
		summary: "Apply or roll back the database migrations embedded in pff.",
		details: `  up       apply every pending migration
  down     roll back the most recent migration
  status   list migrations and whether each is applied
  version  print the current schema version
  redo     roll back the most recent migration and apply it again
  reset    roll back every migration (deletes all data)

River's job tables are part of the same history. An advisory lock makes
concurrent runs (several replicas starting at once) apply each migration once.`,
		run: func(ctx context.Context, inv *invocation) error {
			if len(inv.args) != 1 {
				return usagef("expected one of up, down, status, version, redo, reset")
			}
			action := inv.args[0]
			switch action {
			case "up", "down", "status", "version", "redo", "reset":
			default:
				return usagef("unknown migrate action %q", action)
			}
			cfg, err := inv.config()
			if err != nil {
				return err
			}
			logger := newLogger(cfg, inv.Stderr)
			migrator, err := store.OpenMigrator(cfg.Database.URL, logger)
			if err != nil {
				return err
			}
			defer migrator.Close() //nolint:errcheck // closes the migration pool when done; nothing is left to lose
			if err := migrator.WaitReachable(ctx, cfg.Database.ConnectTimeout); err != nil {
				return err
			}
			return runMigration(ctx, inv, migrator, action)
		},
	}
}

func runMigration(ctx context.Context, inv *invocation, m *store.Migrator, action string) error {
	switch action {
	case "up":
		applied, err := m.Up(ctx)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(inv.Stdout, "no pending migrations")
			return nil
		}
		fmt.Fprintf(inv.Stdout, "applied %d migration(s): %v\n", len(applied), applied)
	case "down":
		version, err := m.Down(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(inv.Stdout, "rolled back migration %d\n", version)
	case "redo":
		version, err := m.Redo(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(inv.Stdout, "rolled back and reapplied migration %d\n", version)
	case "reset":
		rolledBack, err := m.Reset(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(inv.Stdout, "rolled back %d migration(s)\n", len(rolledBack))
	case "version":
		version, err := m.Version(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(inv.Stdout, version)
	case "status":
		statuses, err := m.Status(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(inv.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "VERSION\tSTATE\tMIGRATION")
		for _, s := range statuses {
			state := "pending"
			if s.Applied {
				state = "applied"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\n", s.Version, state, s.Name)
		}
		return w.Flush()
	}
	return nil
}

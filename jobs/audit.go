package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/store"
)

// PruneAuditLogArgs deletes audit entries older than the retention period.
type PruneAuditLogArgs struct {
	OlderThanDays int `json:"older_than_days"`
}

// Kind is the job kind stored in river_job.
func (PruneAuditLogArgs) Kind() string { return "prune_audit_log" }

// InsertOpts makes concurrent schedules of the prune collapse into one job.
func (PruneAuditLogArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: time.Hour}}
}

// PruneAuditLogWorker keeps the audit log from growing without bound.
type PruneAuditLogWorker struct {
	river.WorkerDefaults[PruneAuditLogArgs]
	Store *store.Store
}

// Work deletes the expired entries, and the login attempts the lockout no
// longer needs, and records how many in the job's output.
func (w *PruneAuditLogWorker) Work(ctx context.Context, job *river.Job[PruneAuditLogArgs]) error {
	deleted, err := w.Store.PruneAuditLog(ctx, job.Args.OlderThanDays)
	if err != nil {
		return err
	}
	now, policy := time.Now(), auth.DefaultLockoutPolicy()
	logins, err := w.Store.PruneLoginAttempts(ctx, now, now.Add(-policy.Window), now.Add(-policy.TrustFor))
	if err != nil {
		return err
	}
	if err := river.RecordOutput(ctx, map[string]int64{"deleted": deleted, "login_attempts_deleted": logins}); err != nil {
		return fmt.Errorf("record output: %w", err)
	}
	return nil
}

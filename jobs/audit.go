package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/pff/pff/app/records"
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

// Work deletes the expired entries and records how many in the job's output.
func (w *PruneAuditLogWorker) Work(ctx context.Context, job *river.Job[PruneAuditLogArgs]) error {
	deleted, err := w.Store.PruneAuditLog(ctx, job.Args.OlderThanDays)
	if err != nil {
		return err
	}
	if err := river.RecordOutput(ctx, map[string]int64{"deleted": deleted}); err != nil {
		return fmt.Errorf("record output: %w", err)
	}
	return nil
}

// Deps are what PFF's workers need.
type Deps struct {
	Store *store.Store
	// AuditRetentionDays is how long audit entries are kept.
	AuditRetentionDays int
	// Validators gives the active validator; nil means the embedded defaults.
	Validators records.ValidatorSource
	// TrainTimeout bounds one attempt of a training; 0 means 2 hours.
	TrainTimeout time.Duration
}

// DefaultTrainTimeout is how long one attempt of a training may run.
const DefaultTrainTimeout = 2 * time.Hour

// Register returns the function that adds PFF's workers to a River bundle.
func Register(deps Deps) func(*river.Workers) {
	return func(workers *river.Workers) {
		river.AddWorker(workers, &PruneAuditLogWorker{Store: deps.Store})
		river.AddWorker(workers, &ValidateRecordsWorker{Store: deps.Store, Validators: deps.Validators})
		river.AddWorker(workers, &RevalidateWorker{Store: deps.Store})
		river.AddWorker(workers, &BuildKGWorker{Store: deps.Store})
		river.AddWorker(workers, &MineRulesWorker{Store: deps.Store})
		timeout := deps.TrainTimeout
		if timeout == 0 {
			timeout = DefaultTrainTimeout
		}
		river.AddWorker(workers, &TrainModelWorker{Store: deps.Store, AttemptTimeout: timeout})
	}
}

// PeriodicJobs are PFF's scheduled jobs.
func PeriodicJobs(deps Deps) []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
			func() (river.JobArgs, *river.InsertOpts) {
				return PruneAuditLogArgs{OlderThanDays: deps.AuditRetentionDays}, nil
			},
			&river.PeriodicJobOpts{RunOnStart: true}),
	}
}

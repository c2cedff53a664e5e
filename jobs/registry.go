package jobs

import (
	"time"

	"github.com/riverqueue/river"

	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/store"
)

// Deps are what PFF's workers need.
type Deps struct {
	Store *store.Store
	// AuditRetentionDays is how long audit entries are kept.
	AuditRetentionDays int
	// Validators gives the active validator; nil means the embedded defaults.
	Validators validation.ValidatorSource
	// TrainTimeout bounds one attempt of a training; 0 means 2 hours.
	TrainTimeout time.Duration
	// Flows runs the lines of fix-flow executions; nil leaves them to
	// processes that have one.
	Flows *executions.Engine
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
		river.AddWorker(workers, &LearnConstraintsWorker{Store: deps.Store})
		timeout := deps.TrainTimeout
		if timeout == 0 {
			timeout = DefaultTrainTimeout
		}
		river.AddWorker(workers, &TrainModelWorker{Store: deps.Store, AttemptTimeout: timeout})
		if deps.Flows != nil {
			river.AddWorker(workers, &FlowLineWorker{Engine: deps.Flows})
		}
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

package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/mine"
	"github.com/pff/pff/store"
)

// activeStates are the states in which a job is queued or running: unique
// jobs collapse into one while they last, and can run again once it ended.
var activeStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// BuildKGArgs rebuilds the corpus knowledge graph.
type BuildKGArgs struct {
	// MaxCategoryValues is the learning view's cut-off; 0 means the default.
	MaxCategoryValues int `json:"max_category_values"`
}

// Kind is the job kind stored in river_job.
func (BuildKGArgs) Kind() string { return "build_kg" }

// InsertOpts collapse requests made while a build is queued or running.
func (BuildKGArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: activeStates}}
}

// BuildKGWorker writes the triples of all current records.
type BuildKGWorker struct {
	river.WorkerDefaults[BuildKGArgs]
	Store *store.Store
}

// Work builds the graph and records what it wrote as the job's output.
func (w *BuildKGWorker) Work(ctx context.Context, job *river.Job[BuildKGArgs]) error {
	b, skipped, err := learn.BuildKG(ctx, w.Store, learn.CorpusConfig{MaxCategoryValues: job.Args.MaxCategoryValues})
	if err != nil {
		return err
	}
	out := struct {
		store.KGBuild
		Skipped int `json:"skipped_records"`
	}{b, skipped}
	if err := river.RecordOutput(ctx, out); err != nil {
		return fmt.Errorf("record output: %w", err)
	}
	return nil
}

// TrainModelArgs trains a TransE model on the corpus's learning view.
type TrainModelArgs struct {
	// Fingerprint is the corpus build the request was made for: the same
	// request for the same corpus is one job while it is queued or running.
	Fingerprint     string                `json:"fingerprint" river:"unique"`
	Hyperparameters learn.Hyperparameters `json:"hyperparameters" river:"unique"`
	// CreatedBy does not make a request unique: two people asking for the
	// same training get one.
	CreatedBy string `json:"created_by"`
}

// Kind is the job kind stored in river_job.
func (TrainModelArgs) Kind() string { return "train_model" }

// InsertOpts make a training unique per corpus and hyperparameters, and
// retry it from its last checkpoint a few times.
func (TrainModelArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: activeStates}}
}

// TrainModelWorker trains models. Its timeout is finite so that River
// rescues the job of a worker that died, and the rescued job resumes from
// the model's last checkpoint.
type TrainModelWorker struct {
	river.WorkerDefaults[TrainModelArgs]
	Store *store.Store
	// AttemptTimeout bounds one attempt.
	AttemptTimeout time.Duration
}

// Timeout bounds one attempt.
func (w *TrainModelWorker) Timeout(*river.Job[TrainModelArgs]) time.Duration { return w.AttemptTimeout }

// Work trains, resuming the job's model if an earlier attempt began it. A
// cancelled job or one out of attempts leaves its model failed.
func (w *TrainModelWorker) Work(ctx context.Context, job *river.Job[TrainModelArgs]) error {
	m, err := learn.Train(ctx, w.Store, learn.TrainRequest{
		Hyperparameters: job.Args.Hyperparameters, JobID: job.ID, CreatedBy: job.Args.CreatedBy,
	})
	if err != nil {
		cancelled := errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely)
		if cancelled || job.Attempt >= job.MaxAttempts {
			reason := err.Error()
			if cancelled {
				reason = "cancelled"
			}
			// The job's context may be done; the failure must still be written.
			failCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if m.ID == 0 {
				m, _ = w.Store.ModelByJob(failCtx, job.ID)
			}
			if m.ID != 0 {
				if ferr := w.Store.FailModel(failCtx, m.ID, reason); ferr != nil {
					return errors.Join(err, ferr)
				}
			}
		}
		return err
	}
	out := map[string]any{"model": m.Version, "phase": "done"}
	if m, err = w.Store.ModelByVersion(ctx, m.Version); err == nil {
		out["metrics"] = m.Metrics
	}
	if err := river.RecordOutput(ctx, out); err != nil {
		return fmt.Errorf("record output: %w", err)
	}
	return nil
}

// MineRulesArgs mines Horn rules from the current records and stores them
// as a new, inactive version of the rule set "mined".
type MineRulesArgs struct {
	MinSupport    int     `json:"min_support,omitempty" river:"unique"`
	MinConfidence float64 `json:"min_confidence,omitempty" river:"unique"`
	MaxRules      int     `json:"max_rules,omitempty" river:"unique"`
	Seed          uint64  `json:"seed,omitempty" river:"unique"`
	CreatedBy     string  `json:"created_by,omitempty"`
}

// Kind is the job kind stored in river_job.
func (MineRulesArgs) Kind() string { return "mine_rules" }

// InsertOpts collapse equal requests made while one is queued or running.
func (MineRulesArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: activeStates}}
}

// Config is the miner's configuration.
func (a MineRulesArgs) Config() mine.Config {
	return mine.Config{MinSupport: a.MinSupport, MinConfidence: a.MinConfidence, MaxRules: a.MaxRules, Seed: a.Seed}
}

// MinedRulesName is the name mined rule sets are stored under.
const MinedRulesName = "mined"

// MineRulesWorker mines rules.
type MineRulesWorker struct {
	river.WorkerDefaults[MineRulesArgs]
	Store *store.Store
}

// Timeout lets mining a large corpus take its time.
func (w *MineRulesWorker) Timeout(*river.Job[MineRulesArgs]) time.Duration { return time.Hour }

// Work mines the corpus and stores the rules; activating them is an admin's
// decision.
func (w *MineRulesWorker) Work(ctx context.Context, job *river.Job[MineRulesArgs]) error {
	cfg := job.Args.Config()
	if err := cfg.Check(); err != nil {
		return river.JobCancel(err)
	}
	miner := mine.New(cfg)
	builder := kg.Builder{}
	if _, err := w.Store.ReadCorpus(ctx, func(doc []byte) error {
		if g, err := builder.Build(doc); err == nil {
			miner.Add(g)
		}
		return nil
	}); err != nil {
		return err
	}
	res, err := miner.Mine(ctx)
	if err != nil {
		return err
	}
	out := map[string]any{"rules": len(res.Rules), "stats": res.Stats}
	if len(res.Rules) > 0 {
		var tsv strings.Builder
		if err := res.WriteTSV(&tsv); err != nil {
			return err
		}
		k, _, err := w.Store.CreateKnowledge(ctx, store.NewKnowledge{Kind: string(knowledge.KindRules),
			Name: MinedRulesName, Format: "tsv", Content: tsv.String(), CreatedBy: job.Args.CreatedBy})
		if err != nil {
			return err
		}
		out["rules_id"], out["version"] = k.ID, k.Version
	}
	if err := river.RecordOutput(ctx, out); err != nil {
		return fmt.Errorf("record output: %w", err)
	}
	return nil
}

package jobs

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/pff/pff/app/constraints"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/store"
)

// LearnConstraintsArgs learns constraints from the current records and
// stores them as a new, inactive version of the constraint set "learned".
type LearnConstraintsArgs struct {
	MinSupport int     `json:"min_support,omitempty" river:"unique"`
	HoldOut    float64 `json:"held_out,omitempty" river:"unique"`
	Seed       uint64  `json:"seed,omitempty" river:"unique"`
	CreatedBy  string  `json:"created_by,omitempty"`
}

// Kind is the job kind stored in river_job.
func (LearnConstraintsArgs) Kind() string { return "learn_constraints" }

// InsertOpts collapse equal requests made while one is queued or running.
func (LearnConstraintsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: activeStates}}
}

// LearnedConstraintsName is the name learned constraint sets are stored
// under.
const LearnedConstraintsName = "learned"

// LearnConstraintsWorker learns constraints.
type LearnConstraintsWorker struct {
	river.WorkerDefaults[LearnConstraintsArgs]
	Store *store.Store
}

// Timeout lets learning from a large corpus take its time.
func (w *LearnConstraintsWorker) Timeout(*river.Job[LearnConstraintsArgs]) time.Duration {
	return time.Hour
}

// Work reads the corpus once, keeping the held-out records' documents for
// the learner's second reading, so both readings see one snapshot; storing
// the set is an admin's decision away from activating it.
func (w *LearnConstraintsWorker) Work(ctx context.Context, job *river.Job[LearnConstraintsArgs]) error {
	cfg := constraints.Config{MinSupport: job.Args.MinSupport, HoldOut: job.Args.HoldOut, Seed: job.Args.Seed}
	if err := cfg.Check(); err != nil {
		return river.JobCancel(err)
	}
	builder := kg.Builder{}
	var heldOut [][]byte
	read := false
	corpus := func(yield func(*kg.Graph) error) error {
		if read {
			for _, doc := range heldOut {
				if g, err := builder.Build(doc); err == nil {
					if err := yield(g); err != nil {
						return err
					}
				}
			}
			return nil
		}
		read = true
		_, err := w.Store.ReadCorpus(ctx, func(doc []byte) error {
			g, err := builder.Build(doc)
			if err != nil {
				return nil //nolint:nilerr // not a record; validation says why
			}
			if cfg.HeldOut(g.Root) {
				heldOut = append(heldOut, bytes.Clone(doc))
			}
			return yield(g)
		})
		return err
	}
	doc, err := constraints.Learn(ctx, cfg, corpus)
	if err != nil {
		return err
	}
	out := map[string]any{"constraints": len(doc.Constraints), "learned": doc.Learned}
	if len(doc.Constraints) > 0 {
		content, err := doc.Marshal()
		if err != nil {
			return err
		}
		k, _, err := w.Store.CreateKnowledge(ctx, store.NewKnowledge{Kind: string(knowledge.KindConstraints),
			Name: LearnedConstraintsName, Format: "json", Content: string(content), CreatedBy: job.Args.CreatedBy})
		if err != nil {
			return err
		}
		out["constraints_id"], out["version"] = k.ID, k.Version
	}
	if err := river.RecordOutput(ctx, out); err != nil {
		return fmt.Errorf("record output: %w", err)
	}
	return nil
}

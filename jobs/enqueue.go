package jobs

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/pff/pff/app/constraints"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/mine"
	"github.com/pff/pff/app/records"
)

// The domain services queue their long work through these methods: the
// Client is their records.Queue and learn.Queue.

// EnqueueRevalidation queues the re-validation of the current records that
// match the filter.
func (c *Client) EnqueueRevalidation(ctx context.Context, f records.RevalidateRequest) (int64, error) {
	res, err := c.river.Insert(ctx, RevalidateArgs(f), nil)
	if err != nil {
		return 0, fmt.Errorf("jobs: enqueue re-validation: %w", err)
	}
	return res.Job.ID, nil
}

// EnqueueGraphBuild queues a rebuild of the corpus knowledge graph.
func (c *Client) EnqueueGraphBuild(ctx context.Context, maxCategoryValues int) (learn.Queued, error) {
	return c.insertUnique(ctx, BuildKGArgs{MaxCategoryValues: maxCategoryValues})
}

// EnqueueTraining queues a training on the corpus whose build has the
// fingerprint.
func (c *Client) EnqueueTraining(ctx context.Context, fingerprint string, hp learn.Hyperparameters, createdBy string) (learn.Queued, error) {
	return c.insertUnique(ctx, TrainModelArgs{Fingerprint: fingerprint, Hyperparameters: hp, CreatedBy: createdBy})
}

// EnqueueMining queues the mining of rules from the current records.
func (c *Client) EnqueueMining(ctx context.Context, cfg mine.Config, createdBy string) (learn.Queued, error) {
	return c.insertUnique(ctx, MineRulesArgs{MinSupport: cfg.MinSupport, MinConfidence: cfg.MinConfidence,
		MaxRules: cfg.MaxRules, Seed: cfg.Seed, CreatedBy: createdBy})
}

// EnqueueConstraintLearning queues the learning of constraints from the
// current records.
func (c *Client) EnqueueConstraintLearning(ctx context.Context, cfg constraints.Config, createdBy string) (learn.Queued, error) {
	return c.insertUnique(ctx, LearnConstraintsArgs{MinSupport: cfg.MinSupport, HoldOut: cfg.HoldOut, Seed: cfg.Seed, CreatedBy: createdBy})
}

// insertUnique inserts a job whose kind is unique while queued or running,
// and says whether an equal one was there already.
func (c *Client) insertUnique(ctx context.Context, args river.JobArgs) (learn.Queued, error) {
	res, err := c.river.Insert(ctx, args, nil)
	if err != nil {
		return learn.Queued{}, fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return learn.Queued{JobID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate}, nil
}

package records

import (
	"context"

	"github.com/pff/pff/store"
)

// Overview counts the current records by decision, score (in bins equal
// bins) and ingest time (in about buckets buckets), in one pass.
func (s *Service) Overview(ctx context.Context, bins, buckets int) (store.RecordOverview, error) {
	return s.cfg.Store.RecordOverview(ctx, min(max(bins, 1), 100), min(max(buckets, 1), 200))
}

// TopFindings names the findings of the most current records, with their
// source (rule, check, constraint, model) and category.
func (s *Service) TopFindings(ctx context.Context, top int) ([]store.FindingCount, error) {
	return s.cfg.Store.TopFindings(ctx, min(max(top, 1), 100))
}

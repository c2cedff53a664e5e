package learn

import (
	"context"

	"github.com/pff/pff/store"
)

// EntitySample returns about n of a model's entity vectors, the same ones
// each time, with their types, for a map of the embedding space.
func (s *Service) EntitySample(ctx context.Context, version string, n int) (store.Model, []store.TypedVector, error) {
	m, err := s.Model(ctx, version)
	if err != nil {
		return m, nil, err
	}
	vectors, err := s.cfg.Store.SampleEntityVectors(ctx, m.ID, min(max(n, 1), 20000), m.Entities)
	return m, vectors, err
}

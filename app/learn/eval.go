package learn

import (
	"context"
	"fmt"

	"github.com/pff/pff/embed"
	"github.com/pff/pff/store"
)

// Evaluate ranks a dataset's split ("test" or "valid") with a stored model
// under the filtered protocol. Entities and relations of the dataset the
// model does not know get zero vectors, so their triples rank badly.
func Evaluate(ctx context.Context, st *store.Store, m store.Model, ds *embed.Dataset, split string) (embed.Metrics, error) {
	ents, err := st.EntityVectors(ctx, m.ID, ds.Entities.Names())
	if err != nil {
		return embed.Metrics{}, fmt.Errorf("learn: %w", err)
	}
	rels, err := st.RelationVectors(ctx, m.ID)
	if err != nil {
		return embed.Metrics{}, fmt.Errorf("learn: %w", err)
	}
	entities := make([]float32, ds.Entities.Len()*m.Dim)
	for i, name := range ds.Entities.Names() {
		if e, ok := ents[name]; ok {
			copy(entities[i*m.Dim:], e.Vector)
		}
	}
	relations := make([]float32, ds.Relations.Len()*m.Dim)
	for i, name := range ds.Relations.Names() {
		copy(relations[i*m.Dim:], rels[name])
	}
	model, err := embed.NewModel(normOf(m), m.Dim, entities, relations)
	if err != nil {
		return embed.Metrics{}, fmt.Errorf("learn: %w", err)
	}
	triples := ds.Test
	if split == "valid" {
		triples = ds.Valid
	}
	metrics, err := model.Evaluate(ctx, triples, embed.EvalConfig{Filter: embed.NewFilter(ds.Train, ds.Valid, ds.Test)})
	if err != nil {
		return metrics, fmt.Errorf("learn: evaluate %s: %w", m.Version, err)
	}
	return metrics, nil
}

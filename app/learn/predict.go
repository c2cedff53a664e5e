package learn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pff/pff/embed"
	"github.com/pff/pff/store"
)

// Predictor answers questions about facts with a stored model.
type Predictor struct {
	Store *store.Store
	// EfSearch is pgvector's hnsw.ef_search for the queries; 0 means 100.
	EfSearch int
}

// ErrUnknown is wrapped by errors about names a model does not know.
var ErrUnknown = errors.New("unknown to the model")

// ScoredTriple is a fact with its distance and calibrated probability.
type ScoredTriple struct {
	Head        string  `json:"head"`
	Relation    string  `json:"relation"`
	Tail        string  `json:"tail"`
	Distance    float64 `json:"distance"`
	Probability float64 `json:"probability"`
}

func (p Predictor) efSearch() int {
	if p.EfSearch == 0 {
		return 100
	}
	return p.EfSearch
}

// DirectCalibration is the calibration of facts scored with the model's
// own entity vectors.
func DirectCalibration(m store.Model) (*CalibrationFit, error) {
	var cal Calibrations
	if err := json.Unmarshal(m.Calibration, &cal); err != nil {
		return nil, fmt.Errorf("learn: calibration of model %s: %w", m.Version, err)
	}
	if cal.Direct == nil {
		return nil, fmt.Errorf("learn: model %s has no calibration", m.Version)
	}
	return cal.Direct, nil
}

func normOf(m store.Model) embed.Norm {
	if m.Norm == embed.L2.String() {
		return embed.L2
	}
	return embed.L1
}

// Score returns the plausibility of each triple under model m.
func (p Predictor) Score(ctx context.Context, m store.Model, triples []embed.NamedTriple) ([]ScoredTriple, error) {
	cal, err := DirectCalibration(m)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, 2*len(triples))
	for _, t := range triples {
		names = append(names, t.Head, t.Tail)
	}
	ents, err := p.Store.EntityVectors(ctx, m.ID, names)
	if err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	rels, err := p.Store.RelationVectors(ctx, m.ID)
	if err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	sp := &space{dim: m.Dim, norm: normOf(m)}
	out := make([]ScoredTriple, len(triples))
	sum := make([]float32, m.Dim)
	for i, t := range triples {
		h, okH := ents[t.Head]
		r, okR := rels[t.Relation]
		tl, okT := ents[t.Tail]
		switch {
		case !okH:
			return nil, fmt.Errorf("triple %d: entity %q: %w", i, t.Head, ErrUnknown)
		case !okR:
			return nil, fmt.Errorf("triple %d: relation %q: %w", i, t.Relation, ErrUnknown)
		case !okT:
			return nil, fmt.Errorf("triple %d: entity %q: %w", i, t.Tail, ErrUnknown)
		}
		for j := range sum {
			sum[j] = h.Vector[j] + r[j]
		}
		d := sp.distance(sum, tl.Vector)
		out[i] = ScoredTriple{Head: t.Head, Relation: t.Relation, Tail: t.Tail, Distance: float64(d), Probability: cal.Probability(d)}
	}
	return out, nil
}

// Candidate is a completion of a fact.
type Candidate struct {
	Entity      string  `json:"entity"`
	Distance    float64 `json:"distance"`
	Probability float64 `json:"probability"`
	// Known says the completed fact is in the corpus's knowledge graph.
	Known bool `json:"known"`
}

// Complete returns the k likeliest tails of relation(anchor, ?) when tail is
// true, or heads of relation(?, anchor), by a vector search for anchor + r
// (or anchor − r) with the model's distance. With filterKnown, completions
// already in the knowledge graph are left out.
func (p Predictor) Complete(ctx context.Context, m store.Model, anchor, relation string, tail bool, k int, filterKnown bool) ([]Candidate, error) {
	cal, err := DirectCalibration(m)
	if err != nil {
		return nil, err
	}
	ents, err := p.Store.EntityVectors(ctx, m.ID, []string{anchor})
	if err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	a, ok := ents[anchor]
	if !ok {
		return nil, fmt.Errorf("entity %q: %w", anchor, ErrUnknown)
	}
	rels, err := p.Store.RelationVectors(ctx, m.ID)
	if err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	r, ok := rels[relation]
	if !ok {
		return nil, fmt.Errorf("relation %q: %w", relation, ErrUnknown)
	}
	query := make([]float32, m.Dim)
	sign := float32(1)
	if !tail {
		sign = -1
	}
	for i := range query {
		query[i] = a.Vector[i] + sign*r[i]
	}
	known, err := p.Store.KnownObjects(ctx, anchor, relation, tail)
	if err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	fetch := k
	if filterKnown {
		fetch += len(known)
	}
	ns, err := p.Store.NearestEntities(ctx, m, query, store.ModelDistance, fetch, max(p.efSearch(), fetch))
	if err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	out := make([]Candidate, 0, k)
	for _, n := range ns {
		if len(out) == k {
			break
		}
		if filterKnown && known[n.Entity] {
			continue
		}
		out = append(out, Candidate{Entity: n.Entity, Distance: n.Distance, Probability: cal.Probability(float32(n.Distance)), Known: known[n.Entity]})
	}
	return out, nil
}

// Similar returns the k entities nearest to entity by cosine distance.
func (p Predictor) Similar(ctx context.Context, m store.Model, entity string, k int) ([]store.Neighbor, error) {
	ents, err := p.Store.EntityVectors(ctx, m.ID, []string{entity})
	if err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	e, ok := ents[entity]
	if !ok {
		return nil, fmt.Errorf("entity %q: %w", entity, ErrUnknown)
	}
	ns, err := p.Store.NearestEntities(ctx, m, e.Vector, store.Cosine, k+1, max(p.efSearch(), k+1))
	if err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	out := make([]store.Neighbor, 0, k)
	for _, n := range ns {
		if n.Entity != entity && len(out) < k {
			out = append(out, n)
		}
	}
	return out, nil
}

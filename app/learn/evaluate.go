package learn

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/pff/pff/embed"
	"github.com/pff/pff/store"
)

// Calibrations turn distances into probabilities. Direct is for facts
// scored with the entities' trained vectors (the predict API), Records for
// the facts of records scored by fold-in (validation reports).
type Calibrations struct {
	Direct  *CalibrationFit `json:"direct,omitempty"`
	Records *CalibrationFit `json:"records,omitempty"`
}

// CalibrationFit is a Platt scaling, P(true | d) = 1 / (1 + exp(A·d + B)),
// and how well it fits: lower Brier score, log loss and expected
// calibration error are better.
type CalibrationFit struct {
	A         float64 `json:"a"`
	B         float64 `json:"b"`
	Brier     float64 `json:"brier"`
	LogLoss   float64 `json:"log_loss"`
	ECE       float64 `json:"ece"`
	Positives int     `json:"positives"`
	Negatives int     `json:"negatives"`
}

func fitOf(c embed.Calibration) *CalibrationFit {
	q := c.Quality
	return &CalibrationFit{A: c.A, B: c.B, Brier: q.Brier, LogLoss: q.LogLoss, ECE: q.ECE, Positives: q.Positives, Negatives: q.Negatives}
}

// Probability returns P(true | distance).
func (f *CalibrationFit) Probability(distance float32) float64 {
	return embed.Calibration{A: f.A, B: f.B}.Probability(distance)
}

// evaluate measures the model on test with the filtered protocol and fits
// its calibrations.
func evaluate(ctx context.Context, m *embed.Model, d *trainingData, metrics *TrainMetrics, cfg embed.Config) (Calibrations, error) {
	var cal Calibrations
	known := embed.NewFilter(d.ds.Train, d.ds.Valid, d.ds.Test)
	started := time.Now()
	if test := testSample(d, cfg.Seed); len(test) > 0 {
		test, err := m.Evaluate(ctx, test, embed.EvalConfig{Filter: known})
		if err != nil {
			return cal, err
		}
		metrics.Test = linkMetrics(&test)
	}
	metrics.EvalSeconds = time.Since(started).Seconds()
	held := d.ds.Valid
	if len(held) < 2 {
		held = slices.Concat(d.ds.Valid, d.ds.Test)
	}
	if len(held) >= 2 {
		c, err := m.Calibrate(held, embed.CalibrationConfig{Known: known, Seed: cfg.Seed})
		if err != nil {
			return cal, err
		}
		cal.Direct = fitOf(c)
	}
	if len(d.heldOut) > 0 {
		sp := spaceOf(m, d.ds, d.values, d.ranges)
		c, err := calibrateRecords(sp, d.heldOut, cfg.Seed)
		if err != nil {
			return cal, err
		}
		cal.Records = c
	}
	return cal, nil
}

// maxCorpusTest bounds the test triples a corpus model is ranked on: a
// corpus of 1,000 records has 23,000, and ranking them all took twice as
// long as training. 5,000 pin MRR to about ±0.01. Benchmark datasets are
// always ranked whole, as published results are.
const maxCorpusTest = 5000

// testSample is the test split, or for a corpus a seeded sample of it.
func testSample(d *trainingData, seed uint64) []embed.Triple {
	if d.source != "corpus" || len(d.ds.Test) <= maxCorpusTest {
		return d.ds.Test
	}
	sample := slices.Clone(d.ds.Test)
	rng := rand.New(rand.NewPCG(seed, 0x7e57)) // #nosec G404 -- sampling, not secrets
	rng.Shuffle(len(sample), func(i, j int) { sample[i], sample[j] = sample[j], sample[i] })
	return sample[:maxCorpusTest]
}

// calibrateRecords fits how far a value fact's recorded value is behind the
// best other value of its relation (its margin, see scoredFact.margin) for
// the held-out records' true facts against the same facts with another
// value of the relation: the corruptions a wrong value in a record looks
// like. Both classes are equally many, so the fit's odds are likelihood
// ratios; Plausibility adds the prior.
func calibrateRecords(sp *space, records [][]fact, seed uint64) (*CalibrationFit, error) {
	rng := rand.New(rand.NewPCG(seed, 0x70ff)) // #nosec G404 -- sampling, not secrets
	var (
		margins []float32
		labels  []bool
	)
	for _, rec := range records {
		for _, sf := range sp.scoreRecord(rec, maxTails) {
			if sf.unseen || len(sf.alternatives) == 0 {
				continue
			}
			wrong := rng.IntN(len(sf.alternatives))
			margins = append(margins, sf.margin(), sf.marginOf(wrong))
			labels = append(labels, true, false)
		}
	}
	if len(margins) < 4 {
		return nil, nil
	}
	c, err := embed.FitPlatt(margins, labels)
	if err != nil {
		return nil, fmt.Errorf("calibrate records: %w", err)
	}
	return fitOf(c), nil
}

// spaceOf is the scoring space of a trained model.
func spaceOf(m *embed.Model, ds *embed.Dataset, values map[string]bool, ranges map[string]relationRange) *space {
	sp := &space{dim: m.Dim(), norm: m.Norm(), values: map[string][]float32{}, relations: map[string]relationVector{}}
	for i, name := range ds.Entities.Names() {
		if values[name] {
			sp.values[name] = m.Entity(int32(i))
		}
	}
	for i, name := range ds.Relations.Names() {
		sp.relations[name] = relationVector{vec: m.Relation(int32(i)), relationRange: ranges[name]}
	}
	return sp
}

// trainedModel is what SaveTrainedModel writes.
func trainedModel(m *embed.Model, d *trainingData, metrics TrainMetrics, cal Calibrations) (store.TrainedModel, error) {
	var tm store.TrainedModel
	var err error
	if tm.Metrics, err = json.Marshal(metrics); err != nil {
		return tm, err
	}
	if tm.Calibration, err = json.Marshal(cal); err != nil {
		return tm, err
	}
	for i, name := range d.ds.Entities.Names() {
		kind := "entity"
		if d.values[name] {
			kind = "value"
		}
		// The vector shares the model's memory (nothing changes the model
		// any more): a copy was 200 MB on the corpus of 14,550 records at
		// dimension 128, a third of the training's peak.
		tm.Entities = append(tm.Entities, store.EntityVector{Name: name, Kind: kind, Vector: m.Entity(int32(i))})
	}
	for i, name := range d.ds.Relations.Names() {
		rr := d.ranges[name]
		if rr.tails == nil {
			rr.tails = []string{}
		}
		tm.Relations = append(tm.Relations, store.RelationVector{Name: name, Vector: slices.Clone(m.Relation(int32(i))),
			Tails: rr.tails, Facts: rr.facts, Singletons: rr.singletons})
	}
	return tm, nil
}

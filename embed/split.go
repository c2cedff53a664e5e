package embed

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// SplitConfig configures SplitTriples. Zero fields take their defaults.
type SplitConfig struct {
	// ValidFraction and TestFraction are the shares of distinct triples to
	// hold out for validation and test; default 0.1 each, negative for none.
	ValidFraction float64
	TestFraction  float64
	// Seed selects the split; the same triples and seed always give the same split.
	Seed uint64
}

func (c SplitConfig) fractions() (valid, test float64, err error) {
	valid, test = resolveFraction(c.ValidFraction), resolveFraction(c.TestFraction)
	if valid > 1 || test > 1 || valid+test >= 1 {
		return 0, 0, fmt.Errorf("valid fraction %g and test fraction %g leave nothing to train on", valid, test)
	}
	return valid, test, nil
}

func resolveFraction(f float64) float64 {
	switch {
	case f == 0:
		return 0.1
	case f < 0:
		return 0
	}
	return f
}

// SplitTriples splits triples into train, valid and test without leaks:
// duplicates are dropped, no held-out triple is in train, and every entity
// and relation of valid and test occurs in train. A triple is only held out
// if that keeps all its entities and its relation in train, so a sparse graph
// may yield fewer held-out triples than asked for. The split depends only on
// the set of triples and the seed, not on their order.
func SplitTriples(triples []NamedTriple, cfg SplitConfig) (*Dataset, error) {
	validFrac, testFrac, err := cfg.fractions()
	if err != nil {
		return nil, fmt.Errorf("embed: split: %w", err)
	}
	for i, t := range triples {
		if err := t.check(); err != nil {
			return nil, fmt.Errorf("embed: split: triple %d: %w", i, err)
		}
	}
	distinct := slices.Clone(triples)
	slices.SortFunc(distinct, compareNamed)
	distinct = slices.Compact(distinct)
	if len(distinct) == 0 {
		return nil, fmt.Errorf("embed: split: no triples")
	}
	rng := newRNG(cfg.Seed)
	for i := len(distinct) - 1; i > 0; i-- {
		j := rng.intn(i + 1)
		distinct[i], distinct[j] = distinct[j], distinct[i]
	}

	// inTrain counts the train triples that mention each entity and relation;
	// a triple may leave train only if no count would drop to zero.
	inTrain := trainCounts{entities: make(map[string]int), relations: make(map[string]int)}
	for _, t := range distinct {
		inTrain.add(t, 1)
	}
	nValid := int(math.Round(validFrac * float64(len(distinct))))
	nHeld := nValid + int(math.Round(testFrac*float64(len(distinct))))
	var train, held []NamedTriple
	for _, t := range distinct {
		if len(held) < nHeld && inTrain.canRemove(t) {
			inTrain.add(t, -1)
			held = append(held, t)
		} else {
			train = append(train, t)
		}
	}
	nValid = min(nValid, len(held))
	return NewDataset(train, held[:nValid], held[nValid:], DatasetOptions{})
}

func compareNamed(a, b NamedTriple) int {
	return cmp.Or(cmp.Compare(a.Head, b.Head), cmp.Compare(a.Relation, b.Relation), cmp.Compare(a.Tail, b.Tail))
}

type trainCounts struct {
	entities, relations map[string]int
}

func (c trainCounts) add(t NamedTriple, delta int) {
	c.entities[t.Head] += delta
	if t.Tail != t.Head {
		c.entities[t.Tail] += delta
	}
	c.relations[t.Relation] += delta
}

func (c trainCounts) canRemove(t NamedTriple) bool {
	return c.entities[t.Head] > 1 && c.entities[t.Tail] > 1 && c.relations[t.Relation] > 1
}

// SplitIndexed is SplitTriples for triples already indexed by ids below
// entities and relations, which it sorts, deduplicates and shuffles in
// place (the returned train shares its memory): on a graph of millions of
// triples, copies of named triples cost gigabytes. The split depends only on
// the set of triples, their ids and the seed.
func SplitIndexed(triples []Triple, entities, relations int, cfg SplitConfig) (train, valid, test []Triple, err error) {
	validFrac, testFrac, err := cfg.fractions()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("embed: split: %w", err)
	}
	for i, t := range triples {
		if t.Head < 0 || int(t.Head) >= entities || t.Tail < 0 || int(t.Tail) >= entities || t.Relation < 0 || int(t.Relation) >= relations {
			return nil, nil, nil, fmt.Errorf("embed: split: triple %d %v is out of the ids' range", i, t)
		}
	}
	slices.SortFunc(triples, compareByHead)
	distinct := slices.Compact(triples)
	if len(distinct) == 0 {
		return nil, nil, nil, fmt.Errorf("embed: split: no triples")
	}
	rng := newRNG(cfg.Seed)
	for i := len(distinct) - 1; i > 0; i-- {
		j := rng.intn(i + 1)
		distinct[i], distinct[j] = distinct[j], distinct[i]
	}
	entCount, relCount := make([]int32, entities), make([]int32, relations)
	for _, t := range distinct {
		entCount[t.Head]++
		if t.Tail != t.Head {
			entCount[t.Tail]++
		}
		relCount[t.Relation]++
	}
	nValid := int(math.Round(validFrac * float64(len(distinct))))
	nHeld := nValid + int(math.Round(testFrac*float64(len(distinct))))
	var held []Triple
	train = distinct[:0]
	for _, t := range distinct {
		if len(held) < nHeld && entCount[t.Head] > 1 && entCount[t.Tail] > 1 && relCount[t.Relation] > 1 {
			entCount[t.Head]--
			if t.Tail != t.Head {
				entCount[t.Tail]--
			}
			relCount[t.Relation]--
			held = append(held, t)
		} else {
			train = append(train, t) // never ahead of the loop: train is a prefix of what was read
		}
	}
	nValid = min(nValid, len(held))
	return train, held[:nValid:nValid], held[nValid:], nil
}

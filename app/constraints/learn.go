package constraints

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/pff/pff/app/kg"
)

// Config says what the learner keeps. Zero values mean the defaults.
type Config struct {
	// MinSupport is the fewest entities (values, for formats and domains;
	// records, for uniqueness) a constraint must have held for. Default 50.
	MinSupport int
	// HoldOut is the share of records kept out of learning to check every
	// candidate on; one that a held-out record breaks is dropped. Default
	// 0.2.
	HoldOut float64
	// Seed picks the held-out records.
	Seed uint64
	// MaxValues is the most values a domain lists. Default 50.
	MaxValues int
	// MinPerValue is how often every value of a domain (shape of a format)
	// must have been seen. Default 5.
	MinPerValue int
	// Significance is the chance below which entities with a condition
	// keeping a constraint that those without it break is taken for a law
	// rather than luck. Default 0.01.
	Significance float64
}

func (c Config) resolved() Config {
	if c.MinSupport == 0 {
		c.MinSupport = 50
	}
	if c.HoldOut == 0 {
		c.HoldOut = 0.2
	}
	if c.MaxValues == 0 {
		c.MaxValues = 50
	}
	if c.MinPerValue == 0 {
		c.MinPerValue = 5
	}
	if c.Significance == 0 {
		c.Significance = 0.01
	}
	return c
}

// Check says what is wrong with a configuration.
func (c Config) Check() error {
	switch {
	case c.MinSupport < 0:
		return errors.New("min support must not be negative")
	case c.HoldOut < 0 || c.HoldOut >= 1:
		return fmt.Errorf("held-out share %v outside [0, 1)", c.HoldOut)
	case c.MaxValues < 0 || c.MinPerValue < 0:
		return errors.New("max values and min per value must not be negative")
	case c.Significance < 0 || c.Significance >= 1:
		return fmt.Errorf("significance %v outside [0, 1)", c.Significance)
	}
	return nil
}

// ErrNoRecords says a corpus held no record to learn from.
var ErrNoRecords = errors.New("constraints: no records to learn from")

// Corpus calls yield with the graph of every record, in any order; Learn
// calls it twice and needs the same records both times.
type Corpus func(yield func(g *kg.Graph) error) error

// Learn learns a constraint set from a corpus of records taken to be
// correct: it counts the records not held out, keeps the candidates they
// support (see stats.candidates), then drops every candidate a held-out
// record breaks. Each kept constraint's confidence is Laplace's rule of
// succession over the entities it held for: (n+1)/(n+2).
func Learn(ctx context.Context, cfg Config, corpus Corpus) (*Document, error) {
	if err := cfg.Check(); err != nil {
		return nil, fmt.Errorf("constraints: %w", err)
	}
	cfg = cfg.resolved()
	st := newStats(cfg.MaxValues)
	heldOut := 0
	err := corpus(func(g *kg.Graph) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if held(g.Root, cfg) {
			heldOut++
			return nil
		}
		st.add(g)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("constraints: read the corpus: %w", err)
	}
	if st.records == 0 {
		return nil, ErrNoRecords
	}
	cands := st.candidates(cfg)
	for i := range cands {
		cands[i].ID = fmt.Sprintf("c%d", i+1) // for now: Compile needs ids
	}
	set, err := Compile(cands)
	if err != nil {
		return nil, fmt.Errorf("constraints: %w", err)
	}
	tally := newTally(set)
	err = corpus(func(g *kg.Graph) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if held(g.Root, cfg) {
			tally.add(g)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("constraints: read the corpus: %w", err)
	}
	doc := &Document{Learned: &Provenance{Records: st.records, HeldOut: heldOut, Candidates: set.Len(), Seed: cfg.Seed}}
	for i, c := range set.constraints {
		if tally.violated[i] > 0 {
			doc.Learned.Dropped++
			continue
		}
		c.HeldOut = tally.bound[i]
		n := float64(c.Support + c.HeldOut)
		c.Confidence = round4((n + 1) / (n + 2))
		c.Description = c.Text()
		doc.Constraints = append(doc.Constraints, c)
	}
	sortConstraints(doc.Constraints)
	for i := range doc.Constraints {
		doc.Constraints[i].ID = fmt.Sprintf("%s-%d", doc.Constraints[i].Kind, i+1)
	}
	return doc, nil
}

func round4(x float64) float64 { return float64(int64(x*1e4)) / 1e4 }

// HeldOut says whether Learn holds a record out, by its customer id: a
// corpus read twice may keep only those records for the second reading.
func (c Config) HeldOut(root string) bool { return held(root, c.resolved()) }

// held says a record is held out, by a seeded hash of its customer id.
func held(root string, cfg Config) bool {
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(cfg.Seed >> (8 * i))
	}
	h.Write(b[:])
	h.Write([]byte(root))
	return float64(h.Sum64()%1_000_000)/1_000_000 < cfg.HoldOut
}

// tally counts, per constraint of a set, the entities it bound and those
// that broke it, over many records.
type tally struct {
	set             *Set
	bound, violated []int
}

func newTally(s *Set) *tally {
	return &tally{set: s, bound: make([]int, s.Len()), violated: make([]int, s.Len())}
}

func (t *tally) add(g *kg.Graph) {
	ix := indexRecord(g)
	for i := range t.set.constraints {
		c := &t.set.constraints[i]
		bound := 0
		for _, e := range ix.byType[c.Type] {
			if !ix.meets(e, c.When) {
				continue
			}
			bound++
			if c.Kind != Unique {
				t.violated[i] += len(ix.check(c, e))
			}
		}
		switch {
		case c.Kind == Unique && bound > 1:
			t.bound[i]++
			t.violated[i] += len(ix.duplicates(c))
		case c.Kind != Unique:
			t.bound[i] += bound
		}
	}
}

package mine

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"
)

// Config says what rules to keep and how long to look for them. Zero values
// mean the defaults.
type Config struct {
	// MinSupport is the fewest correct predictions (body bindings for which
	// the head holds) a rule needs. Default 20.
	MinSupport int
	// MinConfidence is the lowest share of correct predictions a rule needs,
	// in [0, 1]. Default 0.95.
	MinConfidence float64
	// MaxRules caps the rules returned, best first (by confidence, then
	// support, then shorter bodies). Default 10,000; negative means no cap.
	MaxRules int
	// MaxBodyLength is 1 or 2 body atoms. Default 2.
	MaxBodyLength int
	// Seed makes the sampling reproducible.
	Seed uint64
	// Samples is the number of anchors drawn; each yields the bodies of
	// all paths from it. Default 20,000, which generated records never need:
	// mining saturates first.
	Samples int
	// Batch is the number of anchors drawn before their new bodies are
	// judged, on all workers. Mining stops early, saturated, when a whole
	// batch yields no body not seen before. Default 1,000.
	Batch int
	// MaxDuration stops sampling once it has run this long, keeping what was
	// found; the result then depends on the machine's speed. Zero means no
	// limit (the context still ends the run).
	MaxDuration time.Duration
	// MaxFacts bounds memory: once the corpus holds this many facts, later
	// records replace earlier ones at random (reservoir sampling), so the
	// corpus stays a uniform sample of the records added. Default 5,000,000
	// (some 200 MB).
	MaxFacts int
	// Workers judge rule bodies in parallel. Default GOMAXPROCS.
	Workers int
	// Progress, if set, is called after each batch with the run's figures
	// so far (a job reports them); Mine waits for it to return.
	Progress func(Stats)
}

// Check reports settings out of range; zeros are fine (they mean the
// defaults).
func (c Config) Check() error {
	switch {
	case c.MinSupport < 0:
		return fmt.Errorf("mine: min support %d is negative", c.MinSupport)
	case math.IsNaN(c.MinConfidence) || c.MinConfidence < 0 || c.MinConfidence > 1:
		return fmt.Errorf("mine: min confidence %v: want 0 to 1", c.MinConfidence)
	case c.MaxBodyLength < 0 || c.MaxBodyLength > 2:
		return fmt.Errorf("mine: max body length %d: want 1 or 2", c.MaxBodyLength)
	case c.Samples < 0 || c.Batch < 0 || c.MaxFacts < 0 || c.Workers < 0 || c.MaxDuration < 0:
		return errors.New("mine: samples, batch, max facts, workers and max duration must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MinSupport == 0 {
		c.MinSupport = 20
	}
	if c.MinConfidence == 0 {
		c.MinConfidence = 0.95
	}
	if c.MaxRules == 0 {
		c.MaxRules = 10_000
	}
	if c.MaxBodyLength == 0 {
		c.MaxBodyLength = 2
	}
	if c.Samples == 0 {
		c.Samples = 20_000
	}
	if c.Batch == 0 {
		c.Batch = 1_000
	}
	if c.MaxFacts == 0 {
		c.MaxFacts = 5_000_000
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c
}

package learn

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/pff/pff/embed"
	"github.com/pff/pff/internal/tracing"
)

// PhaseStat is one phase of a training (load, train, evaluate, calibrate,
// save): its wall time and the most memory the Go runtime held from the
// operating system during it, which is most of the process's RSS.
type PhaseStat struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	PeakMiB float64 `json:"peak_mib"`
}

// EpochStat is one epoch of a training's history, for plots: its mean
// loss, its learning rate, the validation metrics if it was validated, and
// the time since training began.
type EpochStat struct {
	Epoch        int      `json:"epoch"`
	Loss         float64  `json:"loss"`
	LearningRate float32  `json:"learning_rate"`
	ValidMRR     *float64 `json:"valid_mrr,omitempty"`
	ValidHits10  *float64 `json:"valid_hits10,omitempty"`
	Seconds      float64  `json:"seconds"`
}

func epochStat(p embed.Progress) EpochStat {
	e := EpochStat{Epoch: p.Epoch, Loss: p.Loss, LearningRate: p.LearningRate, Seconds: p.Elapsed.Seconds()}
	if p.Valid != nil {
		mrr, hits := p.Valid.MRR, p.Valid.Hits10
		e.ValidMRR, e.ValidHits10 = &mrr, &hits
	}
	return e
}

// phaseMemoryInterval is how often phases sample memory: often enough to
// catch a peak that lasts as long as copying a model.
const phaseMemoryInterval = 10 * time.Millisecond

// phaseClock times the phases of a training and samples the memory the
// runtime holds while they run. Between phases it returns freed memory to
// the operating system, so that one phase's garbage does not raise the
// next one's peak.
type phaseClock struct {
	mu      sync.Mutex
	name    string
	started time.Time
	samples []memorySample // of the phase under way
	phases  []PhaseStat
	onPhase func(PhaseStat)
	// ctx holds the span of the training's job, under which each phase is
	// a span too.
	ctx  context.Context
	stop context.CancelFunc
	done chan struct{}
}

func newPhaseClock(traced context.Context, onPhase func(PhaseStat)) *phaseClock {
	// The sampling stops with the clock, not with the training's context.
	ctx, cancel := context.WithCancel(context.WithoutCancel(traced))
	c := &phaseClock{onPhase: onPhase, ctx: traced, stop: cancel, done: make(chan struct{})}
	go c.sample(ctx)
	return c
}

type memorySample struct {
	at   time.Time
	held uint64
}

// heldBytes is the memory the runtime has mapped and not released: heap,
// stacks and its own structures.
func heldBytes(s []metrics.Sample) uint64 {
	metrics.Read(s)
	total, released := s[0].Value.Uint64(), s[1].Value.Uint64()
	return total - released
}

func memorySamples() []metrics.Sample {
	return []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
}

func (c *phaseClock) sample(ctx context.Context) {
	defer close(c.done)
	s := memorySamples()
	tick := time.NewTicker(phaseMemoryInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			held := heldBytes(s)
			c.mu.Lock()
			if c.name != "" {
				c.samples = append(c.samples, memorySample{time.Now(), held})
			}
			c.mu.Unlock()
		}
	}
}

// begin ends the phase under way, if any, and starts the named one.
func (c *phaseClock) begin(name string) {
	c.end()
	debug.FreeOSMemory()
	held := heldBytes(memorySamples())
	c.mu.Lock()
	c.name, c.started = name, time.Now()
	c.samples = append(c.samples[:0], memorySample{c.started, held})
	c.mu.Unlock()
}

// end records the phase under way, if any.
func (c *phaseClock) end() {
	c.split("", 0, "")
}

// split ends the phase under way as two phases, first until after has
// passed since it began and second for the rest, each with the peak of its
// own samples: for a step that does two things with no place to mark
// between them. With first empty it ends the phase as one.
func (c *phaseClock) split(first string, after time.Duration, second string) {
	held := heldBytes(memorySamples())
	c.mu.Lock()
	if c.name == "" {
		c.mu.Unlock()
		return
	}
	now := time.Now()
	c.samples = append(c.samples, memorySample{now, held})
	total := now.Sub(c.started)
	if first == "" {
		first, after = c.name, total
	}
	cut := c.started.Add(after)
	var peak [2]uint64
	for _, s := range c.samples {
		i := 0
		if s.at.After(cut) {
			i = 1
		}
		peak[i] = max(peak[i], s.held)
	}
	out := []PhaseStat{{Name: first, Seconds: after.Seconds(), PeakMiB: float64(peak[0]) / (1 << 20)}}
	if second != "" {
		out = append(out, PhaseStat{Name: second, Seconds: (total - after).Seconds(), PeakMiB: float64(max(peak[1], held)) / (1 << 20)})
	}
	c.phases = append(c.phases, out...)
	c.name = ""
	started := c.started
	c.mu.Unlock()
	c.trace(started, out)
	if c.onPhase != nil {
		for _, p := range out {
			c.onPhase(p)
		}
	}
}

// list returns the phases done so far.
func (c *phaseClock) list() []PhaseStat {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.phases)
}

// close ends the phase under way and the sampling, and returns the phases.
func (c *phaseClock) close() []PhaseStat {
	c.end()
	c.stop()
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.phases
}

// trace makes a span of each phase just ended, one after the other from
// started, under the span in the clock's context (none without one).
func (c *phaseClock) trace(started time.Time, phases []PhaseStat) {
	parent := trace.SpanFromContext(c.ctx)
	if !parent.SpanContext().IsValid() {
		return
	}
	tracer := parent.TracerProvider().Tracer(tracing.Scope)
	at := started
	for _, p := range phases {
		end := at.Add(time.Duration(p.Seconds * float64(time.Second)))
		_, span := tracer.Start(c.ctx, "train."+p.Name, trace.WithTimestamp(at),
			trace.WithAttributes(attribute.Float64("pff.peak_mib", p.PeakMiB)))
		span.End(trace.WithTimestamp(end))
		at = end
	}
}

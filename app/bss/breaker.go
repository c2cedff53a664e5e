package bss

import (
	"sync"
	"time"
)

// BreakerState is a circuit breaker's state.
type BreakerState int

// The states; the numbers are the pff_bss_breaker_state gauge's values.
const (
	BreakerClosed   BreakerState = 0
	BreakerHalfOpen BreakerState = 1
	BreakerOpen     BreakerState = 2
)

func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerHalfOpen:
		return "half-open"
	case BreakerOpen:
		return "open"
	}
	return "invalid"
}

// breaker stops calls to a failing system: cfg.Failures failed calls in a
// row open it; after cfg.CoolDown it lets cfg.Probes calls through; a
// successful probe closes it and a failed one opens it again.
type breaker struct {
	cfg      BreakerConfig
	now      func() time.Time
	onChange func(from, to BreakerState)

	mu       sync.Mutex
	state    BreakerState
	failures int       // in a row, while closed
	openedAt time.Time // when it last opened
	probes   int       // let through in this half-open period
	gen      uint64    // bumped on every change, so stale calls are ignored
}

// ticket is a call's permission; done reports its health back.
type ticket struct {
	gen   uint64
	probe bool
}

func newBreaker(cfg BreakerConfig, now func() time.Time, onChange func(from, to BreakerState)) *breaker {
	return &breaker{cfg: cfg, now: now, onChange: onChange}
}

// allow lets a call through, or says how long until the breaker probes.
func (b *breaker) allow() (ticket, time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerOpen {
		wait := b.openedAt.Add(b.cfg.CoolDown).Sub(b.now())
		if wait > 0 {
			return ticket{}, wait, false
		}
		b.set(BreakerHalfOpen)
	}
	if b.state == BreakerHalfOpen {
		if b.probes >= b.cfg.Probes {
			return ticket{}, 0, false
		}
		b.probes++
		return ticket{gen: b.gen, probe: true}, 0, true
	}
	return ticket{gen: b.gen}, 0, true
}

// done records a call's health.
func (b *breaker) done(t ticket, h health) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.gen != b.gen {
		return // the breaker changed state since the call began
	}
	switch {
	case t.probe && h == healthy:
		b.set(BreakerClosed)
	case t.probe && h == failing:
		b.set(BreakerOpen)
	case t.probe:
		b.probes-- // a neutral probe frees its slot
	case h == healthy:
		b.failures = 0
	case h == failing:
		if b.failures++; b.failures >= b.cfg.Failures {
			b.set(BreakerOpen)
		}
	}
}

// set changes state; the caller holds mu.
func (b *breaker) set(to BreakerState) {
	from := b.state
	b.state, b.failures, b.probes = to, 0, 0
	b.gen++
	if to == BreakerOpen {
		b.openedAt = b.now()
	}
	if b.onChange != nil && from != to {
		b.onChange(from, to)
	}
}

// current returns the state, as a call would see it now.
func (b *breaker) current() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerOpen && !b.now().Before(b.openedAt.Add(b.cfg.CoolDown)) {
		return BreakerHalfOpen
	}
	return b.state
}

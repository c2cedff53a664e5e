package testkit

import (
	"sync"
	"time"
)

// Clock is a settable clock for injectable Now functions, so tests move
// time forward instead of sleeping. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a clock at a fixed moment.
func NewClock() *Clock {
	return NewClockAt(time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC))
}

// NewClockAt starts a clock at t.
func NewClockAt(t time.Time) *Clock { return &Clock{now: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

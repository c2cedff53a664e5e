package auth

import (
	"sync"
	"sync/atomic"
	"time"
)

// Blocklist remembers, in one process, keys that are refused until some
// time: a check that costs no round trip, made before work a refused
// client must not cause. When nothing is blocked, the check is one atomic
// load. It holds at most max keys; when full, expired keys are dropped, and
// then the key blocked for the shortest time.
type Blocklist struct {
	now     func() time.Time
	max     int
	blocked atomic.Int64 // keys held, for the fast path
	mu      sync.RWMutex
	until   map[string]time.Time
}

// NewBlocklist returns an empty blocklist of at most max keys (0 means
// DefaultMemoryLimiterKeys); now is its clock, nil meaning time.Now.
func NewBlocklist(maxKeys int, now func() time.Time) *Blocklist {
	if maxKeys <= 0 {
		maxKeys = DefaultMemoryLimiterKeys
	}
	if now == nil {
		now = time.Now
	}
	return &Blocklist{now: now, max: maxKeys, until: map[string]time.Time{}}
}

// Block refuses key for d from now.
func (b *Blocklist) Block(key string, d time.Duration) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.until[key]; !ok && len(b.until) >= b.max {
		b.makeRoom(now)
	}
	b.until[key] = now.Add(d)
	b.blocked.Store(int64(len(b.until)))
}

// Blocked reports whether key is refused, and for how long still.
func (b *Blocklist) Blocked(key string) (time.Duration, bool) {
	if b.blocked.Load() == 0 {
		return 0, false
	}
	b.mu.RLock()
	until, ok := b.until[key]
	b.mu.RUnlock()
	if !ok {
		return 0, false
	}
	left := until.Sub(b.now())
	if left <= 0 {
		b.mu.Lock()
		if u, ok := b.until[key]; ok && !u.After(b.now()) {
			delete(b.until, key)
			b.blocked.Store(int64(len(b.until)))
		}
		b.mu.Unlock()
		return 0, false
	}
	return left, true
}

func (b *Blocklist) makeRoom(now time.Time) {
	var soonest string
	for key, until := range b.until {
		if !until.After(now) {
			delete(b.until, key)
		} else if soonest == "" || until.Before(b.until[soonest]) {
			soonest = key
		}
	}
	if len(b.until) >= b.max {
		delete(b.until, soonest)
	}
}

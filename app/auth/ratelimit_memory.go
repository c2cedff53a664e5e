package auth

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// DefaultMemoryLimiterKeys is the default bound on keys a MemoryLimiter
// tracks, about 10 MB of state.
const DefaultMemoryLimiterKeys = 100_000

const (
	limiterShards = 64 // a power of two, so a hash picks one with a mask
	// evictionSample is how many entries are looked at to choose one to
	// drop when a shard is full, as Redis does for its LRU.
	evictionSample = 8
)

// MemoryLimiter is a Limiter for a single process. Memory is bounded: a
// key whose full burst has come back holds no information (GCRA treats it
// like a key never seen), so such idle keys are swept away as the limiter
// is used; and if MaxKeys active keys are tracked, a new key displaces the
// one, among a small sample, closest to becoming idle — at worst that key
// gets its full burst back early. It is safe for concurrent use; keys are
// spread over shards so that requests for different keys rarely contend.
type MemoryLimiter struct {
	now         func() time.Time
	seed        maphash.Seed
	maxPerShard int
	shards      [limiterShards]limiterShard
}

type limiterShard struct {
	mu sync.Mutex
	// tats maps each key to its theoretical arrival time in Unix
	// nanoseconds: when it will have earned back its latest request.
	tats map[string]int64
	// opsSinceSweep counts requests since idle keys were last removed. A
	// sweep costs O(keys) and runs once this reaches half the keys, so it
	// costs O(1) per request, and it keeps running while new keys pour in
	// (as they double, at the latest).
	opsSinceSweep int
}

// MemoryLimiterConfig configures a MemoryLimiter.
type MemoryLimiterConfig struct {
	// MaxKeys bounds the keys tracked; zero means DefaultMemoryLimiterKeys.
	MaxKeys int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewMemoryLimiter returns an empty MemoryLimiter.
func NewMemoryLimiter(cfg MemoryLimiterConfig) *MemoryLimiter {
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultMemoryLimiterKeys
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := &MemoryLimiter{
		now:         cfg.Now,
		seed:        maphash.MakeSeed(),
		maxPerShard: max(1, cfg.MaxKeys/limiterShards),
	}
	for i := range m.shards {
		m.shards[i].tats = make(map[string]int64)
	}
	return m
}

// Allow implements Limiter. It fails only for an invalid limit.
func (m *MemoryLimiter) Allow(_ context.Context, key string, limit Limit) (Decision, error) {
	if err := limit.Validate(); err != nil {
		return Decision{}, err
	}
	now := m.now().UnixNano()
	s := &m.shards[maphash.String(m.seed, key)&(limiterShards-1)]

	s.mu.Lock()
	defer s.mu.Unlock()
	s.opsSinceSweep++
	if 2*s.opsSinceSweep >= len(s.tats) {
		s.sweep(now)
	}
	tat, known := s.tats[key]
	tat = max(tat, now)
	next := tat + int64(limit.interval())
	if next-now > int64(limit.tolerance()) {
		return decide(limit, false, time.Duration(tat-now)), nil
	}
	if !known && len(s.tats) >= m.maxPerShard {
		s.evictOne()
	}
	s.tats[key] = next
	return decide(limit, true, time.Duration(next-now)), nil
}

// Len returns the number of keys tracked.
func (m *MemoryLimiter) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.tats)
		s.mu.Unlock()
	}
	return n
}

// sweep removes the keys that have their full burst back.
func (s *limiterShard) sweep(now int64) {
	for key, tat := range s.tats {
		if tat <= now {
			delete(s.tats, key)
		}
	}
	s.opsSinceSweep = 0
}

// evictOne removes, among a few keys in map order (which Go randomises),
// the one closest to idle.
func (s *limiterShard) evictOne() {
	var victim string
	var earliest int64
	seen := 0
	for key, tat := range s.tats {
		if seen == 0 || tat < earliest {
			victim, earliest = key, tat
		}
		if seen++; seen == evictionSample {
			break
		}
	}
	delete(s.tats, victim)
}

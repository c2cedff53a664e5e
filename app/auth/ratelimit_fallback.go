package auth

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"
)

// FallbackLimiter limits in Redis, so replicas share budgets, and in memory
// while Redis cannot answer: a cache outage must not take the API down, nor
// slow it. One failed or slow answer of the primary (Timeout) switches to
// the fallback for Backoff; then a single background probe asks the primary
// again, every Backoff, and requests keep to the fallback until a probe
// succeeds. So a Redis that stops answering costs the requests in flight
// at most Timeout once, and the others nothing.
//
// The zero values of the optional fields mean their defaults. A
// FallbackLimiter must not be copied after first use.
type FallbackLimiter struct {
	Primary, Fallback Limiter
	Logger            *slog.Logger
	// Timeout bounds one decision of the primary (default 250 ms; Redis
	// answers in well under a millisecond).
	Timeout time.Duration
	// Backoff is how long the fallback is used before the primary is probed
	// again (default 5 s).
	Backoff time.Duration
	// Probe asks whether the primary answers again; nil spends a unit of a
	// probe key on the primary.
	Probe func(context.Context) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// downUntil (unix nanoseconds) is when the primary may be probed
	// again; 0 while it is in use.
	downUntil atomic.Int64
	probing   atomic.Bool
	// lastWarning (unix nanoseconds) keeps an outage to one log line a minute.
	lastWarning atomic.Int64
}

const (
	defaultFallbackTimeout = 250 * time.Millisecond
	defaultFallbackBackoff = 5 * time.Second
)

// Allow asks the primary limiter, or the fallback while the primary is
// taken for down.
func (l *FallbackLimiter) Allow(ctx context.Context, key string, limit Limit) (Decision, error) {
	if until := l.downUntil.Load(); until != 0 {
		if l.now().UnixNano() >= until {
			l.probe() //nolint:contextcheck // the probe runs in the background, past this request
		}
		return l.Fallback.Allow(ctx, key, limit)
	}
	pctx, cancel := context.WithTimeout(ctx, l.timeout())
	d, err := l.Primary.Allow(pctx, key, limit)
	cancel()
	if err == nil || errors.Is(err, ErrInvalidLimit) {
		return d, err
	}
	if ctx.Err() != nil {
		return Decision{}, ctx.Err() // the caller gave up, not the primary
	}
	l.fail(err)
	return l.Fallback.Allow(ctx, key, limit)
}

// fail takes the primary for down for a Backoff.
func (l *FallbackLimiter) fail(err error) {
	now := l.now().UnixNano()
	l.downUntil.Store(now + int64(l.backoff()))
	if last := l.lastWarning.Load(); now-last > int64(time.Minute) && l.lastWarning.CompareAndSwap(last, now) {
		l.logger().Warn("Redis rate limiter unavailable; limiting in memory", "error", err, "retry_in", l.backoff())
	}
}

// probe asks the primary, in the background and one probe at a time,
// whether it answers again.
func (l *FallbackLimiter) probe() {
	if !l.probing.CompareAndSwap(false, true) {
		return
	}
	// The probe has its own deadline; nothing waits for it.
	go func() {
		defer l.probing.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), l.timeout())
		defer cancel()
		var err error
		if l.Probe != nil {
			err = l.Probe(ctx)
		} else {
			_, err = l.Primary.Allow(ctx, "fallback-probe", PerSecond(1000))
		}
		if err != nil {
			l.downUntil.Store(l.now().UnixNano() + int64(l.backoff()))
			return
		}
		l.downUntil.Store(0)
		l.logger().Info("Redis rate limiter answers again; limiting in Redis")
	}()
}

func (l *FallbackLimiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *FallbackLimiter) timeout() time.Duration {
	if l.Timeout > 0 {
		return l.Timeout
	}
	return defaultFallbackTimeout
}

func (l *FallbackLimiter) backoff() time.Duration {
	if l.Backoff > 0 {
		return l.Backoff
	}
	return defaultFallbackBackoff
}

func (l *FallbackLimiter) logger() *slog.Logger {
	if l.Logger != nil {
		return l.Logger
	}
	return slog.New(slog.DiscardHandler)
}

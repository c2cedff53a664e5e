package auth

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"
)

// FallbackLimiter limits in Redis, so replicas share budgets, and in memory
// while Redis cannot answer: a cache outage must not take the API down.
type FallbackLimiter struct {
	Primary, Fallback Limiter
	Logger            *slog.Logger
	// lastWarning (unix nanoseconds) keeps an outage to one log line a minute.
	lastWarning atomic.Int64
}

// Allow asks the primary limiter, or the fallback when the primary fails.
func (l *FallbackLimiter) Allow(ctx context.Context, key string, limit Limit) (Decision, error) {
	d, err := l.Primary.Allow(ctx, key, limit)
	if err == nil || errors.Is(err, ErrInvalidLimit) {
		return d, err
	}
	now := time.Now().UnixNano()
	if last := l.lastWarning.Load(); now-last > int64(time.Minute) && l.lastWarning.CompareAndSwap(last, now) {
		l.Logger.Warn("Redis rate limiter unavailable; limiting in memory", "error", err)
	}
	return l.Fallback.Allow(ctx, key, limit)
}

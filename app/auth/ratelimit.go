package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limit is a rate: Rate requests per Period, of which up to Burst may come
// at once. Limiters enforce it with GCRA (the generic cell rate algorithm):
// a key earns one request every Period/Rate and can save up to Burst of
// them, which behaves like a token bucket but needs only one timestamp of
// state per key.
type Limit struct {
	Rate   int
	Period time.Duration
	// Burst is the most requests allowed back to back; zero means Rate, so
	// PerMinute(60) allows 60 at once and then one per second.
	Burst int
}

// PerSecond returns a limit of n requests per second, all of which may
// come at once.
func PerSecond(n int) Limit { return Limit{Rate: n, Period: time.Second} }

// PerMinute returns a limit of n requests per minute, all of which may come
// at once.
func PerMinute(n int) Limit { return Limit{Rate: n, Period: time.Minute} }

// maxLimitWindow bounds Burst × Period/Rate, which keeps all arithmetic far
// from overflow and exact in the Redis script's doubles.
const maxLimitWindow = 366 * 24 * time.Hour

// ErrInvalidLimit is returned by limiters given a Limit that fails Validate.
var ErrInvalidLimit = errors.New("auth: invalid rate limit")

// Validate reports whether l can be enforced.
func (l Limit) Validate() error {
	switch {
	case l.Rate < 1:
		return fmt.Errorf("%w: rate %d, want at least 1", ErrInvalidLimit, l.Rate)
	case l.Burst < 0:
		return fmt.Errorf("%w: burst %d is negative", ErrInvalidLimit, l.Burst)
	case l.Period/time.Duration(l.Rate) < time.Microsecond:
		return fmt.Errorf("%w: %d per %v is more than one per microsecond", ErrInvalidLimit, l.Rate, l.Period)
	case l.Period/time.Duration(l.Rate) > maxLimitWindow/time.Duration(l.burst()):
		return fmt.Errorf("%w: burst %d of %d per %v spans more than %v", ErrInvalidLimit, l.burst(), l.Rate, l.Period, maxLimitWindow)
	}
	return nil
}

func (l Limit) burst() int {
	if l.Burst == 0 {
		return l.Rate
	}
	return l.Burst
}

// interval is the time it takes to earn one request.
func (l Limit) interval() time.Duration { return l.Period / time.Duration(l.Rate) }

// tolerance is how far ahead of now a key's theoretical arrival time may
// run: the time it takes to earn a full burst.
func (l Limit) tolerance() time.Duration { return l.interval() * time.Duration(l.burst()) }

// Decision is a limiter's answer for one request, with what the
// RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset and Retry-After
// response headers need (round durations up to whole seconds there).
type Decision struct {
	Allowed bool
	// Limit is the burst: the most requests the key can make at once.
	Limit int
	// Remaining is how many more requests would be allowed right now.
	Remaining int
	// ResetAfter is how long until the key has its full burst again.
	ResetAfter time.Duration
	// RetryAfter is, when the request was refused, how long until one
	// would be allowed; zero when it was allowed.
	RetryAfter time.Duration
}

// Limiter decides whether a request under key may go ahead within limit.
// Keys are the caller's, namespaced by purpose ("login:ip:203.0.113.7").
// An error means the limiter could not decide (for example Redis is down);
// whether to fail open or closed is the caller's choice.
type Limiter interface {
	Allow(ctx context.Context, key string, limit Limit) (Decision, error)
}

// decide builds the Decision for a GCRA step that left the key's
// theoretical arrival time ahead of now by ahead.
func decide(l Limit, allowed bool, ahead time.Duration) Decision {
	interval, tolerance := l.interval(), l.tolerance()
	d := Decision{
		Allowed:    allowed,
		Limit:      l.burst(),
		Remaining:  max(0, int((tolerance-ahead)/interval)),
		ResetAfter: max(0, ahead),
	}
	if !allowed {
		d.RetryAfter = max(0, ahead+interval-tolerance)
	}
	return d
}

package auth

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

//go:embed gcra.lua
var gcraSource string

// RedisLimiter is a Limiter whose state lives in Redis, so every replica
// of the service draws on the same budget. Each decision is one atomic Lua
// script call (EVALSHA, falling back to EVAL once after a Redis restart)
// touching one key, which also makes it safe on Redis Cluster. Keys expire
// on their own once idle.
//
// The current time comes from the limiter's clock, not from Redis, so
// replicas' clocks should agree to well within a request interval (NTP
// does). It is safe for concurrent use.
type RedisLimiter struct {
	client redis.Scripter
	prefix string
	now    func() time.Time
	script *redis.Script
}

// NewRedisLimiter returns a limiter storing its keys, with prefix in front
// of them, through client (a *redis.Client, *redis.ClusterClient or
// *redis.Ring). now is the clock; nil means time.Now.
func NewRedisLimiter(client redis.Scripter, prefix string, now func() time.Time) *RedisLimiter {
	if now == nil {
		now = time.Now
	}
	return &RedisLimiter{client: client, prefix: prefix, now: now, script: redis.NewScript(gcraSource)}
}

// Allow implements Limiter.
func (r *RedisLimiter) Allow(ctx context.Context, key string, limit Limit) (Decision, error) {
	if err := limit.Validate(); err != nil {
		return Decision{}, err
	}
	res, err := r.script.Run(ctx, r.client, []string{r.prefix + key},
		r.now().UnixMicro(), limit.interval().Microseconds(), limit.tolerance().Microseconds(),
	).Int64Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("auth: rate limit %q in redis: %w", key, err)
	}
	if len(res) != 2 {
		return Decision{}, fmt.Errorf("auth: rate limit %q in redis: script returned %d values, want 2", key, len(res))
	}
	return decide(limit, res[0] == 1, time.Duration(res[1])*time.Microsecond), nil
}

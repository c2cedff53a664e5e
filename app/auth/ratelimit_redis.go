package auth

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/pff/pff/app/resp"
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
	client ScriptRunner
	prefix string
	now    func() time.Time
	script *resp.Script
}

// ScriptRunner runs a Lua script in Redis; *resp.Client is one.
type ScriptRunner interface {
	RunScript(ctx context.Context, script *resp.Script, keys []string, args ...any) (resp.Value, error)
}

// NewRedisLimiter returns a limiter storing its keys, with prefix in front
// of them, through client. now is the clock; nil means time.Now.
func NewRedisLimiter(client ScriptRunner, prefix string, now func() time.Time) *RedisLimiter {
	if now == nil {
		now = time.Now
	}
	return &RedisLimiter{client: client, prefix: prefix, now: now, script: resp.NewScript(gcraSource)}
}

// Allow implements Limiter.
func (r *RedisLimiter) Allow(ctx context.Context, key string, limit Limit) (Decision, error) {
	if err := limit.Validate(); err != nil {
		return Decision{}, err
	}
	reply, err := r.client.RunScript(ctx, r.script, []string{r.prefix + key},
		r.now().UnixMicro(), limit.interval().Microseconds(), limit.tolerance().Microseconds(),
	)
	var res []int64
	if err == nil {
		res, err = reply.Int64s()
	}
	if err != nil {
		return Decision{}, fmt.Errorf("auth: rate limit %q in redis: %w", key, err)
	}
	if len(res) != 2 {
		return Decision{}, fmt.Errorf("auth: rate limit %q in redis: script returned %d values, want 2", key, len(res))
	}
	return decide(limit, res[0] == 1, time.Duration(res[1])*time.Microsecond), nil
}

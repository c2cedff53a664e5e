package flows

import (
	"math"
	"slices"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// retryable reports whether a retry policy may name an outcome code.
func retryable(code string) bool {
	switch code {
	case CodeTransient, CodeUnknown, CodeRejected, CodeTimeout:
		return true
	}
	return false
}

// RetryPolicy says how the runtime retries a failed call. Only the runtime
// knows whether resending a write is safe, so it may retry less.
type RetryPolicy struct {
	// Attempts in all, the first included.
	Attempts int
	// Backoff is the wait before the first retry; it doubles for each
	// further retry, up to MaxBackoff.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Jitter, between 0 and 1, is the fraction by which a wait may be
	// randomly shortened, so that lines failing together do not retry
	// together.
	Jitter float64
	// On lists the outcome codes that are retried.
	On []string
}

// Retry policy defaults, for keys a policy leaves out.
const (
	DefaultBackoff    = time.Second
	DefaultMaxBackoff = 30 * time.Second
	DefaultJitter     = 0.2
)

// defaultRetryOn are the outcomes retried when a policy does not say:
// those that had no effect, or none that could be seen.
func defaultRetryOn() []string { return []string{CodeTransient, CodeTimeout} }

// Retries reports whether a failure with code is retried.
func (p *RetryPolicy) Retries(code string) bool { return slices.Contains(p.On, code) }

// Wait returns how long to wait before retry number n (1 for the first
// retry), given u drawn uniformly from [0, 1) for the jitter.
func (p *RetryPolicy) Wait(n int, u float64) time.Duration {
	wait := float64(p.Backoff) * math.Pow(2, float64(max(n, 1)-1))
	wait = min(wait, float64(p.MaxBackoff))
	return time.Duration(wait * (1 - p.Jitter*u))
}

// retry reads `retry: N` (attempts) or a mapping of the policy's keys.
func (p *parser) retry(n *yaml.Node) *RetryPolicy {
	r := &RetryPolicy{Backoff: DefaultBackoff, MaxBackoff: DefaultMaxBackoff, Jitter: DefaultJitter, On: defaultRetryOn()}
	switch n.Kind {
	case yaml.ScalarNode:
		r.Attempts = p.attempts(n)
		return r
	case yaml.MappingNode:
	default:
		p.errorf(p.pos(n), CodeStructure, "retry: want a number of attempts or a mapping, found %s", kindName(n))
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		switch k.Value {
		case "attempts":
			r.Attempts = p.attempts(v)
		case "backoff":
			r.Backoff = p.duration(v, "retry.backoff")
		case "max_backoff":
			r.MaxBackoff = p.duration(v, "retry.max_backoff")
		case "jitter":
			j, err := strconv.ParseFloat(v.Value, 64)
			if v.Kind != yaml.ScalarNode || err != nil || j < 0 || j > 1 {
				p.errorf(p.pos(v), CodeStructure, "retry.jitter: want a number between 0 and 1")
			}
			r.Jitter = j
		case "on":
			r.On = p.retryOn(v)
		default:
			p.errorf(p.pos(k), CodeStructure, "retry: unknown key %q (want attempts, backoff, max_backoff, jitter, on)", k.Value)
		}
	}
	if r.Attempts == 0 {
		p.errorf(p.pos(n), CodeStructure, "retry: want attempts")
	}
	if r.MaxBackoff < r.Backoff {
		p.errorf(p.pos(n), CodeStructure, "retry: max_backoff %s is less than backoff %s", r.MaxBackoff, r.Backoff)
	}
	return r
}

func (p *parser) attempts(n *yaml.Node) int {
	a, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || a < 1 || a > 100 {
		p.errorf(p.pos(n), CodeStructure, "retry: want a number of attempts from 1 to 100")
		return 1
	}
	return a
}

func (p *parser) retryOn(n *yaml.Node) []string {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var on []string
	for _, it := range items {
		it = resolve(it)
		if it.Kind != yaml.ScalarNode || !retryable(it.Value) {
			p.errorf(p.pos(it), CodeStructure, "retry.on: want outcome codes among %s, %s, %s, %s",
				CodeTransient, CodeTimeout, CodeUnknown, CodeRejected)
			continue
		}
		on = append(on, it.Value)
	}
	return on
}

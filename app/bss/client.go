package bss

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/semaphore"

	"github.com/pff/pff/app/auth"
)

// Client calls BSS systems safely: rate-limited, bounded in flight, behind a
// circuit breaker per system, failing over between clusters only when that
// cannot duplicate a write. It never retries a write. Safe for concurrent
// use.
type Client struct {
	cat     *Catalogue
	systems map[string]*system
	log     *slog.Logger
	metrics *Metrics
	tracer  trace.Tracer // nil when tracing is off
}

// system is one BSS system's clusters and guards.
type system struct {
	name     string
	cfg      SystemConfig
	clusters []*cluster
	http     transports
	creds    credentials
	breaker  *breaker
	sem      *semaphore.Weighted
	limiter  auth.Limiter
	limit    auth.Limit
	log      *slog.Logger
	metrics  *Metrics

	mu sync.Mutex
	// pausedUntil is when the system's 429 Retry-After ends.
	pausedUntil time.Time
}

// cluster is one base URL of a system.
type cluster struct {
	base string // without a trailing slash

	mu sync.Mutex
	// pausedUntil is when the cluster's 503 Retry-After ends.
	pausedUntil time.Time
	// downUntil is when a cluster that could not be reached is tried first
	// again.
	downUntil time.Time
}

// pacingSlack stretches the rate limit's second: a call arrives at BSS a
// little after the limiter let it go (scheduling, the Redis round trip), and
// with exact pacing a late first call and a prompt last one would put
// Rate+1 arrivals in one second. Pacing Rate calls per 1.02 s leaves 20 ms
// for that jitter, at 2% of the budget.
const pacingSlack = 20 * time.Millisecond

// NewClient returns a client for the catalogue's operations. Every system
// the catalogue calls must be configured.
func NewClient(cat *Catalogue, cfg Config) (*Client, error) {
	if cat == nil {
		return nil, errors.New("bss: NewClient: no catalogue")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var errs []error
	for _, s := range cat.Systems() {
		if _, ok := cfg.Systems[s]; !ok {
			errs = append(errs, fmt.Errorf("bss.systems.%s: the catalogue calls %s, which is not configured", s, s))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "bss")
	limiter := cfg.Limiter
	if limiter == nil {
		limiter = auth.NewMemoryLimiter(auth.MemoryLimiterConfig{})
	}
	lookup := cfg.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	c := &Client{cat: cat, systems: map[string]*system{}, log: log, metrics: cfg.Metrics}
	if cfg.TracerProvider != nil {
		c.tracer = cfg.TracerProvider.Tracer(tracerScope)
	}
	for name, sc := range cfg.Systems {
		s, err := newSystem(name, sc.withDefaults(), limiter, lookup, log, cfg.Metrics)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if c.tracer != nil {
			s.http = s.http.traced(c.tracer, name)
		}
		c.systems[name] = s
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, errors.Join(errs...)
	}
	cfg.Metrics.start(cat, c.systems)
	return c, nil
}

func newSystem(name string, cfg SystemConfig, limiter auth.Limiter, lookup func(string) (string, bool),
	log *slog.Logger, metrics *Metrics) (*system, error) {
	key := "bss.systems." + name
	t, err := newTransports(cfg, key)
	if err != nil {
		return nil, err
	}
	creds, err := loadCredentials(cfg.Auth, key, lookup)
	if err != nil {
		return nil, err
	}
	s := &system{
		name: name, cfg: cfg, http: t, creds: creds,
		sem:     semaphore.NewWeighted(int64(cfg.MaxInFlight)),
		limiter: limiter,
		limit:   auth.Limit{Rate: cfg.Rate, Period: time.Second + pacingSlack, Burst: cfg.Burst},
		log:     log.With("system", name),
		metrics: metrics,
	}
	for _, u := range cfg.Clusters {
		s.clusters = append(s.clusters, &cluster{base: strings.TrimRight(u, "/")})
		if strings.HasPrefix(u, "http:") && (creds.basic || creds.token != "") {
			s.log.Warn("credentials will cross the network in clear text", "cluster", u)
		}
	}
	s.breaker = newBreaker(cfg.Breaker, time.Now, func(from, to BreakerState) {
		s.log.Warn("circuit breaker changed", "from", from.String(), "to", to.String())
		metrics.setBreaker(name, to)
	})
	metrics.setBreaker(name, BreakerClosed)
	return s, nil
}

// Catalogue returns the client's catalogue.
func (c *Client) Catalogue() *Catalogue { return c.cat }

// BreakerState returns a system's breaker state, and false for a system
// that is not configured.
func (c *Client) BreakerState(systemName string) (BreakerState, bool) {
	s, ok := c.systems[systemName]
	if !ok {
		return 0, false
	}
	return s.breaker.current(), true
}

// Close releases idle connections.
func (c *Client) Close() {
	for _, s := range c.systems {
		s.http.closeIdle()
	}
}

// Call resolves method with args and does it. The error is only for a call
// that could not be resolved (ErrUnknownMethod, *ArgsError): nothing was
// sent. idempotencyKey is sent on writes (see Request.IdempotencyKey).
func (c *Client) Call(ctx context.Context, method string, args map[string]any, idempotencyKey string) (Result, error) {
	req, err := c.cat.Resolve(method, args)
	if err != nil {
		return Result{}, err
	}
	req.IdempotencyKey = idempotencyKey
	return c.Do(ctx, req), nil
}

// Do sends a resolved request and classifies how it ended. It waits for the
// system's rate limit and in-flight bound, up to ctx's deadline.
func (c *Client) Do(ctx context.Context, req Request) (res Result) {
	start := time.Now()
	if c.tracer != nil {
		var span trace.Span
		ctx, span = c.startCall(ctx, req)
		defer func() { endCall(span, res) }()
	}
	s, ok := c.systems[req.System]
	if !ok {
		res = Result{Outcome: Rejected, Err: fmt.Errorf("bss: system %q is not configured (bss.systems.%s)", req.System, req.System)}
	} else {
		res = s.do(ctx, req)
	}
	res.Duration = time.Since(start)
	c.metrics.observeCall(req.System, req.Operation, res.Outcome, res.Duration)
	if res.Outcome == Unknown {
		c.log.Warn("write outcome unknown: it may or may not have been applied",
			"operation", req.Operation, "request", req.String(), "cluster", res.Cluster,
			"idempotency_key", req.IdempotencyKey, "err", res.Err)
	}
	return res
}

// do guards a call: breaker, in-flight bound, then the clusters in turn.
func (s *system) do(ctx context.Context, req Request) Result {
	t, wait, ok := s.breaker.allow()
	if !ok {
		return Result{Outcome: Transient, RetryAfter: wait, Err: fmt.Errorf("%w for %s", ErrBreakerOpen, s.name)}
	}
	res, h := s.guarded(ctx, req)
	s.breaker.done(t, h)
	return res
}

func (s *system) guarded(ctx context.Context, req Request) (Result, health) {
	if err := s.sem.Acquire(ctx, 1); err != nil {
		return Result{Outcome: Transient, Err: fmt.Errorf("bss: waiting for a free slot to %s: %w", s.name, err)}, neutral
	}
	defer s.sem.Release(1)

	order, wait := s.order(time.Now())
	if len(order) == 0 {
		return Result{Outcome: Transient, RetryAfter: wait, Err: fmt.Errorf("%w: %s for %v more", ErrBackingOff, s.name, wait.Round(time.Millisecond))}, neutral
	}
	var res Result
	var h health
	sent := false
	for i, cl := range order {
		if i > 0 {
			s.metrics.failover(s.name)
			s.log.Info("failing over", "operation", req.Operation, "from", order[i-1].base, "to", cl.base,
				"write", req.IsWrite(), "err", res.Err)
		}
		if err := s.waitTurn(ctx); err != nil {
			if i == 0 {
				return Result{Outcome: Transient, Err: err}, neutral
			}
			break // keep the last attempt's result
		}
		var a attempt
		res, h, a = s.attempt(ctx, cl, req)
		res.Attempts = i + 1
		sent = sent || res.Sent
		res.Sent = sent
		s.note(cl, res, a)
		if ctx.Err() != nil || i == len(order)-1 {
			break
		}
		if req.IsWrite() {
			// A write moves on only when it certainly did not leave.
			if a.unreached {
				continue
			}
			break
		}
		if res.Outcome != Transient || res.Status == 429 {
			break
		}
	}
	return res, h
}

// order returns the clusters to try: those not paused by a Retry-After,
// reachable ones first, in configured order. When every cluster is paused
// it returns none and how long until the first is free.
func (s *system) order(now time.Time) ([]*cluster, time.Duration) {
	s.mu.Lock()
	sysPause := s.pausedUntil.Sub(now)
	s.mu.Unlock()
	if sysPause > 0 {
		return nil, sysPause
	}
	var up, down []*cluster
	var wait time.Duration
	for _, cl := range s.clusters {
		cl.mu.Lock()
		paused, isDown := cl.pausedUntil.Sub(now), now.Before(cl.downUntil)
		cl.mu.Unlock()
		switch {
		case paused > 0:
			if wait == 0 || paused < wait {
				wait = paused
			}
		case isDown:
			down = append(down, cl)
		default:
			up = append(up, cl)
		}
	}
	return append(up, down...), wait
}

// note records what an attempt says about its cluster or system.
func (s *system) note(cl *cluster, res Result, a attempt) {
	now := time.Now()
	if res.RetryAfter > 0 {
		if res.Status == 429 {
			// Rate limiting is the system's, whichever cluster said it.
			s.mu.Lock()
			s.pausedUntil = now.Add(res.RetryAfter)
			s.mu.Unlock()
		} else {
			cl.mu.Lock()
			cl.pausedUntil = now.Add(res.RetryAfter)
			cl.mu.Unlock()
		}
	}
	cl.mu.Lock()
	switch {
	case a.unreached:
		cl.downUntil = now.Add(s.cfg.ClusterDownFor)
	case res.Status != 0:
		cl.downUntil = time.Time{}
	}
	cl.mu.Unlock()
}

// waitTurn waits for the system's rate limit to allow a call. A call whose
// deadline would pass first gives up at once; a limiter that cannot decide
// (Redis down) fails the call closed, as BSS's budget cannot be checked.
func (s *system) waitTurn(ctx context.Context) error {
	start := time.Now()
	defer func() { s.metrics.waitedFor(s.name, time.Since(start)) }()
	key := "bss:" + s.name
	for {
		d, err := s.limiter.Allow(ctx, key, s.limit)
		if err != nil {
			return fmt.Errorf("bss: rate limit of %s cannot be checked: %w", s.name, err)
		}
		if d.Allowed {
			return nil
		}
		wait := max(d.RetryAfter, time.Millisecond)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return fmt.Errorf("%w (%s)", ErrRateLimited, s.name)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%w (%s): %w", ErrRateLimited, s.name, ctx.Err())
		case <-timer.C:
		}
	}
}

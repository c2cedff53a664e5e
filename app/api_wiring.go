package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/auth"
)

// newAPI is the HTTP server of `pff serve`: probes, documentation and the
// API. Background work it needs runs until ctx ends.
func newAPI(ctx context.Context, s *services, build BuildInfo) (*echo.Echo, error) {
	a, err := newAPIHandlers(ctx, s, build, time.Now)
	if err != nil {
		return nil, err
	}
	e := newEcho(s.logger, newHTTPMetrics(s.registry))
	if err := a.register(e, probeRoutes(s, build)); err != nil {
		return nil, err
	}
	return e, nil
}

// newAPIHandlers makes the API's dependencies from the services, with now as
// the clock of tokens, keys, rate limits and lockouts.
func newAPIHandlers(ctx context.Context, s *services, build BuildInfo, now func() time.Time) (*api, error) {
	cfg := s.cfg
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte(cfg.Auth.JWTSecret), Issuer: cfg.Auth.Issuer, TTL: cfg.Auth.TokenTTL, Now: now})
	if err != nil {
		return nil, fmt.Errorf("access tokens: %w", err)
	}
	hasher, err := newPasswordHasher()
	if err != nil {
		return nil, err
	}
	lockout, err := auth.NewLockout(auth.DefaultLockoutPolicy(), now)
	if err != nil {
		return nil, fmt.Errorf("login lockout: %w", err)
	}
	proxies, err := auth.ParseTrustedProxies(cfg.HTTP.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("http.trusted_proxies: %w", err)
	}
	var limiter auth.Limiter = auth.NewMemoryLimiter(auth.MemoryLimiterConfig{Now: now})
	if s.redis != nil {
		limiter = &fallbackLimiter{
			primary:  auth.NewRedisLimiter(s.redis, "pff:ratelimit:", now),
			fallback: limiter,
			logger:   s.logger,
		}
	}
	versions := newTokenVersions(s.store, s.logger)
	go versions.listen(ctx)
	return &api{
		cfg: cfg, logger: s.logger, store: s.store, jobs: s.jobs, versions: versions,
		tokens: tokens, hasher: hasher, policy: auth.DefaultPasswordPolicy(),
		keys:    auth.NewAPIKeyVerifier(apiKeyStore{store: s.store}, now),
		keyUse:  &keyUse{store: s.store, now: now},
		lockout: lockout, limiter: limiter, proxies: proxies, now: now, build: build, validators: s.knowledge,
		knowledge: s.knowledge,
	}, nil
}

// newPasswordHasher hashes with PFF's argon2id parameters, at most one hash
// per core at a time.
func newPasswordHasher() (*auth.PasswordHasher, error) {
	hasher, err := auth.NewPasswordHasher(auth.DefaultArgon2Params(), runtime.GOMAXPROCS(0))
	if err != nil {
		return nil, fmt.Errorf("password hasher: %w", err)
	}
	return hasher, nil
}

// register mounts the API, its documentation and extra (the probes) on e,
// with CORS and the client-IP rule.
func (a *api) register(e *echo.Echo, extra []route) error {
	e.IPExtractor = a.clientIP
	if len(a.cfg.HTTP.CORSOrigins) > 0 {
		e.Use(cors(a.cfg.HTTP.CORSOrigins))
	}
	routes := append(extra, a.routes()...)
	docs, err := newAPIDocs(append(routes, (&apiDocs{}).routes()...), a.build)
	if err != nil {
		return err
	}
	a.mount(e, append(routes, docs.routes()...))
	return nil
}

// clientIP is the socket's peer, or what a trusted proxy says the client was.
func (a *api) clientIP(req *http.Request) string {
	ip, err := a.proxies.ClientIP(req.RemoteAddr, req.Header)
	if err != nil {
		return req.RemoteAddr
	}
	return ip.String()
}

// fallbackLimiter limits in Redis, so replicas share budgets, and in memory
// while Redis cannot answer: a cache outage must not take the API down.
type fallbackLimiter struct {
	primary, fallback auth.Limiter
	logger            *slog.Logger
	// lastWarning (unix nanoseconds) keeps an outage to one log line a minute.
	lastWarning atomic.Int64
}

func (l *fallbackLimiter) Allow(ctx context.Context, key string, limit auth.Limit) (auth.Decision, error) {
	d, err := l.primary.Allow(ctx, key, limit)
	if err == nil || errors.Is(err, auth.ErrInvalidLimit) {
		return d, err
	}
	now := time.Now().UnixNano()
	if last := l.lastWarning.Load(); now-last > int64(time.Minute) && l.lastWarning.CompareAndSwap(last, now) {
		l.logger.Warn("Redis rate limiter unavailable; limiting in memory", "error", err)
	}
	return l.fallback.Allow(ctx, key, limit)
}

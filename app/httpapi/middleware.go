package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

const principalKey = "pff.principal"

func principalOf(c echo.Context) (accounts.Principal, bool) {
	p, ok := c.Get(principalKey).(accounts.Principal)
	return p, ok
}

// mount registers the routes on e, each behind the middleware its
// declaration asks for, in this order: request timeout and body limit;
// authentication (401); the audit entry of a mutating call; the rate limit
// (429); the role check (403); the check that every path and query
// parameter is text (400).
func (a *api) mount(e *echo.Echo, routes []route) {
	authenticate := a.authenticator()
	for _, r := range routes {
		if r.group() == groupNone {
			// Probes and documentation stay as cheap as a route can be.
			e.Add(r.Method, r.Path, r.Handler)
			continue
		}
		limit := int64(a.cfg.HTTP.MaxBodySize)
		if r.MaxBody > 0 {
			limit = r.MaxBody
		}
		timeout := a.cfg.HTTP.RequestTimeout
		if r.Timeout > 0 {
			timeout = r.Timeout
		}
		mws := []echo.MiddlewareFunc{requestTimeout(timeout, r.Timeout > 0), limitBody(limit)}
		if !r.Public {
			mws = append(mws, authenticate)
		}
		if r.mutating() {
			mws = append(mws, a.audit(r))
		}
		mws = append(mws, a.rateLimit(r.group()))
		if !r.Public {
			mws = append(mws, requireRole(r.Role))
		}
		mws = append(mws, checkParams)
		e.Add(r.Method, r.Path, r.Handler, mws...)
	}
}

// setSecurityHeaders sets the headers every response carries. JSON gets a
// CSP that forbids everything; HTML pages set their own, still strict, one.
// Canonical keys and shared, never-modified values: no allocation.
func setSecurityHeaders(h http.Header, path string) {
	h["X-Content-Type-Options"] = headerNosniff
	h["X-Frame-Options"] = headerDeny
	h["Referrer-Policy"] = headerNoReferrer
	h["Cross-Origin-Opener-Policy"] = headerSameOrigin
	h["Content-Security-Policy"] = headerCSP
	if strings.HasPrefix(path, Prefix) {
		h["Cache-Control"] = headerNoStore
	}
}

var (
	headerNosniff    = []string{"nosniff"}
	headerDeny       = []string{"DENY"}
	headerNoReferrer = []string{"no-referrer"}
	headerSameOrigin = []string{"same-origin"}
	headerCSP        = []string{"default-src 'none'; frame-ancestors 'none'"}
	headerNoStore    = []string{"no-store"}
	headerJSON       = []string{echo.MIMEApplicationJSON}
)

// cors lets the configured origins, and only those, call the API from a
// browser. Credentials are bearer tokens, not cookies, so none are allowed.
func cors(origins []string) echo.MiddlewareFunc {
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:     origins,
		AllowMethods:     []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete},
		AllowHeaders:     []string{echo.HeaderAuthorization, echo.HeaderContentType, "X-API-Key", requestIDHeader},
		ExposeHeaders:    []string{requestIDHeader, "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"},
		AllowCredentials: false,
		MaxAge:           600,
	})
}

// requestTimeout bounds the request's work. With extendDeadlines it also
// moves the connection's read and write deadlines (http.read_timeout and
// http.write_timeout) out to the same time, for routes that take long uploads.
func requestTimeout(timeout time.Duration, extendDeadlines bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if extendDeadlines {
				rc := http.NewResponseController(c.Response().Writer)
				deadline := time.Now().Add(timeout)
				// Writers that cannot set deadlines (tests' recorders) have none to lift.
				_ = rc.SetReadDeadline(deadline)
				_ = rc.SetWriteDeadline(deadline)
			}
			ctx, cancel := context.WithTimeout(c.Request().Context(), timeout)
			defer cancel()
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

// authenticator is the middleware that accepts an access token
// (Authorization: Bearer <jwt>) or an API key (X-API-Key: <key>, or
// Authorization: Bearer <key>).
//
// Failed authentications are limited per client IP, before they cost the
// database anything: each spends a unit of the client's budget of
// rate_limit.auth_per_minute (shared by the replicas through Redis), and a
// client whose budget is spent is refused with 429 by every request, in
// this process's memory, until it has earned one again.
func (a *api) authenticator() echo.MiddlewareFunc {
	blocked := auth.NewBlocklist(0, nil)
	limit := auth.PerMinute(a.cfg.RateLimit.AuthPerMinute)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			client := "authfail:" + clientKey(c.RealIP())
			if wait, ok := blocked.Blocked(client); ok {
				return tooManyFailures(c, wait)
			}
			creds := accounts.CredentialsFromHeaders(req.Header.Get(echo.HeaderAuthorization), req.Header.Get("X-API-Key"))
			p, err := a.accounts.Authenticate(req.Context(), creds)
			if err == nil {
				c.Set(principalKey, p)
				return next(c)
			}
			if !problem.Is(err, problem.Unauthenticated) {
				return fmt.Errorf("authenticate: %w", err)
			}
			a.logger.Debug("authentication refused", "reason", err, "request_id", requestIDOf(c))
			decision, lerr := a.limiter.Allow(req.Context(), client, limit)
			if lerr != nil {
				return fmt.Errorf("rate limit failed authentications: %w", lerr)
			}
			if !decision.Allowed {
				blocked.Block(client, decision.RetryAfter)
				return tooManyFailures(c, decision.RetryAfter)
			}
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="pff"`)
			return accounts.ErrUnauthenticated
		}
	}
}

// clientKey is what a client is counted by: its IPv4 address or IPv6 /64.
func clientKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	return auth.ClientKey(addr)
}

func tooManyFailures(c echo.Context, wait time.Duration) error {
	c.Response().Header().Set("Retry-After", seconds(wait))
	return &problem.Error{Kind: problem.TooMany, Code: "rate_limited",
		Message: fmt.Sprintf("too many failed authentications from this address; retry in %s s", seconds(wait))}
}

func requireRole(role auth.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p, _ := principalOf(c)
			if !p.Role.Allows(role) {
				return problem.Forbiddenf("this route needs the %s role; you have %s", role, p.Role)
			}
			return next(c)
		}
	}
}

// rateLimit spends one unit of the caller's budget for the route group: per
// credential for authenticated routes, per client IP for public ones.
func (a *api) rateLimit(group string) echo.MiddlewareFunc {
	perMinute := map[string]int{
		groupAuth:  a.cfg.RateLimit.AuthPerMinute,
		groupRead:  a.cfg.RateLimit.ReadPerMinute,
		groupWrite: a.cfg.RateLimit.WritePerMinute,
	}[group]
	limit := auth.PerMinute(perMinute)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			key := group + ":ip:" + c.RealIP()
			if p, ok := principalOf(c); ok {
				key = group + ":user:" + p.UserID
			}
			decision, err := a.limiter.Allow(c.Request().Context(), key, limit)
			if err != nil {
				return fmt.Errorf("rate limit: %w", err)
			}
			h := c.Response().Header()
			h.Set("RateLimit-Limit", strconv.Itoa(decision.Limit))
			h.Set("RateLimit-Remaining", strconv.Itoa(decision.Remaining))
			h.Set("RateLimit-Reset", seconds(decision.ResetAfter))
			if !decision.Allowed {
				h.Set("Retry-After", seconds(decision.RetryAfter))
				return &problem.Error{Kind: problem.TooMany, Code: "rate_limited",
					Message: fmt.Sprintf("too many requests; retry in %s s", seconds(decision.RetryAfter))}
			}
			return next(c)
		}
	}
}

// seconds rounds up, as the RateLimit and Retry-After headers want.
func seconds(d time.Duration) string { return strconv.Itoa(ceilSeconds(d)) }

func ceilSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// audit writes one audit entry per call of a mutating route, after the
// response is decided, with who called, what, on which target and how it
// ended. Unauthenticated calls are not audited (the access log has them),
// except the login routes, which audit the username tried.
func (a *api) audit(r route) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			status := c.Response().Status
			entry := store.AuditEntry{
				Method:     r.Method,
				Route:      r.Path,
				Action:     r.Summary,
				Target:     c.Param("id"),
				Status:     outcome(status),
				StatusCode: &status,
				RequestID:  requestIDOf(c),
				ClientIP:   c.RealIP(),
			}
			if p, ok := principalOf(c); ok {
				entry.ActorID, entry.Actor = &p.UserID, p.Actor()
			} else if tried, ok := c.Get(attemptedUserKey).(string); ok {
				entry.Actor = "login:" + tried
			}
			if detail, ok := c.Get(auditDetailKey).(map[string]any); ok {
				entry.Detail, _ = json.Marshal(detail)
			}
			// The entry is written even when the client has gone away.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), 5*time.Second)
			defer cancel()
			if err := a.accounts.Record(ctx, entry); err != nil {
				a.logger.Error("audit entry lost", "error", err, "route", entry.Route, "request_id", entry.RequestID)
			}
			return nil
		}
	}
}

const (
	attemptedUserKey = "pff.attempted_user"
	auditDetailKey   = "pff.audit_detail"
)

func outcome(status int) string {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "denied"
	case status < 400:
		return "succeeded"
	default:
		return "failed"
	}
}

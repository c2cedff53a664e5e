package httpapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/config"
)

// TestFailedAuthenticationIsLimitedBeforeTheDatabase sends a well-formed
// API key that does not exist, over and over, from one address: after
// rate_limit.auth_per_minute failures the address gets 429 with
// Retry-After, and those answers cost the database nothing.
func TestFailedAuthenticationIsLimitedBeforeTheDatabase(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(cfg *config.Config) { cfg.RateLimit.AuthPerMinute = 5 })
	unknown := map[string]string{"X-API-Key": auth.GenerateAPIKey().Reveal()}
	probe := func(remote string) int {
		return ts.do(request{method: http.MethodGet, path: Prefix + "/records", header: unknown, remoteAddr: remote}).Code
	}
	for range 5 {
		require.Equal(t, http.StatusUnauthorized, probe("203.0.113.50:1"))
	}
	rec := ts.do(request{method: http.MethodGet, path: Prefix + "/records", header: unknown, remoteAddr: "203.0.113.50:2"})
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	require.Equal(t, "rate_limited", errorCode(t, rec))
	require.Equal(t, "12", rec.Header().Get("Retry-After"), "one failure earned back every 12 s")

	acquired := ts.store.Pool().Stat().AcquireCount()
	for range 1000 {
		require.Equal(t, http.StatusTooManyRequests, probe("203.0.113.50:3"))
	}
	require.Equal(t, acquired, ts.store.Pool().Stat().AcquireCount(), "refused before any query")
	require.Equal(t, http.StatusTooManyRequests, ts.do(request{method: http.MethodGet, path: Prefix + "/records",
		header: bearer(ts.bearers[auth.RoleViewer]), remoteAddr: "203.0.113.50:4"}).Code, "the address is refused whatever it sends")

	require.Equal(t, http.StatusUnauthorized, probe("203.0.113.51:1"), "another address has its own budget")
	require.Equal(t, http.StatusOK, ts.do(request{method: http.MethodGet, path: Prefix + "/records",
		header: bearer(ts.bearers[auth.RoleViewer]), remoteAddr: "203.0.113.52:1"}).Code)
}

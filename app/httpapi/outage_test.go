package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/config"
	"github.com/pff/pff/internal/testkit"
)

// TestDatabaseOutageIsA503ThatHealsByItself cuts PostgreSQL off under a
// running API: requests that need it answer 503 unavailable with
// Retry-After (not 500), and once it is back the same requests succeed,
// without a restart.
func TestDatabaseOutageIsA503ThatHealsByItself(t *testing.T) {
	t.Parallel()
	var proxy *testkit.TCPProxy
	ts := newTestServer(t, func(cfg *config.Config) {
		u, err := url.Parse(cfg.Database.URL)
		require.NoError(t, err)
		proxy = testkit.NewTCPProxy(t, u.Host)
		u.Host = proxy.Addr
		cfg.Database.URL = u.String()
	})
	list := request{method: http.MethodGet, path: "/api/v1/records", header: bearer(ts.bearers[auth.RoleViewer])}
	require.Equal(t, http.StatusOK, ts.do(list).Code)

	proxy.Stop()
	for _, r := range []request{
		list,
		{method: http.MethodGet, path: "/api/v1/users", header: bearer(ts.bearers[auth.RoleAdmin])},
		{method: http.MethodPost, path: "/api/v1/auth/login", body: `{"username":"admin1","password":"` + testPassword + `"}`},
	} {
		rec := ts.do(r)
		require.Equal(t, http.StatusServiceUnavailable, rec.Code, "%s %s: %s", r.method, r.path, rec.Body.String())
		require.Equal(t, "unavailable", errorCode(t, rec))
		require.Equal(t, "5", rec.Header().Get("Retry-After"))
	}
	rec := ts.do(request{method: http.MethodGet, path: "/health/detailed"})
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)

	proxy.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		rec := ts.do(list)
		if rec.Code == http.StatusOK {
			break
		}
		require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
		select {
		case <-ctx.Done():
			require.NoError(t, errors.New("the API did not recover once the database was back"))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestHeadHealthAnswersLikeGet(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	for _, path := range []string{"/health", "/health/detailed"} {
		get := ts.do(request{method: http.MethodGet, path: path})
		head := ts.do(request{method: http.MethodHead, path: path})
		require.Equal(t, get.Code, head.Code, path)
		require.Equal(t, get.Header().Get("Content-Type"), head.Header().Get("Content-Type"), path)
		require.Empty(t, head.Body.String(), path)
	}
}

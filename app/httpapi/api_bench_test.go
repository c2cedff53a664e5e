package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/config"
)

// BenchmarkAuthOverhead times a no-op route behind the whole API middleware
// (access token check with a cached token version, rate limit, role check,
// request timeout, body limit) against the same no-op route without it, in
// one run, and reports the difference per request.
//
//	go test -run '^$' -bench AuthOverhead -benchtime 200000x ./app
func BenchmarkAuthOverhead(b *testing.B) {
	ts := newTestServer(b, func(cfg *config.Config) { cfg.RateLimit.ReadPerMinute = 1_000_000 })
	noop := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	ts.api.mount(ts.e, []route{{Method: http.MethodGet, Path: "/bench/protected", Role: auth.RoleViewer, Handler: noop}})
	ts.e.GET("/bench/open", noop)
	token := ts.bearers[auth.RoleViewer]
	deadline := time.Now().Add(10 * time.Second)
	for !ts.versions.Listening() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}

	run := func(path string, n int) time.Duration {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		for range n {
			rec := httptest.NewRecorder()
			ts.e.ServeHTTP(rec, req)
			if rec.Code != http.StatusNoContent {
				b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
			}
		}
		return time.Since(start)
	}
	run("/bench/protected", 100) // warm the token version cache
	b.ResetTimer()
	// Alternate in slices so both see the same machine load.
	var open, protected time.Duration
	const slice = 1000
	for done := 0; done < b.N; done += slice {
		n := min(slice, b.N-done)
		open += run("/bench/open", n)
		protected += run("/bench/protected", n)
	}
	b.StopTimer()
	perOpen := float64(open.Nanoseconds()) / float64(b.N)
	perProtected := float64(protected.Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOpen, "open-ns/req")
	b.ReportMetric(perProtected, "protected-ns/req")
	b.ReportMetric(perProtected-perOpen, "auth-overhead-ns/req")
	b.ReportMetric(0, "ns/op")
}

package httpapi

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pff/pff/store"
)

// probeRoutes are the health and metrics endpoints every process serves.
func probeRoutes(h Health, registry *prometheus.Registry) []route {
	const tag = "operations"
	return []route{
		{Method: http.MethodGet, Path: "/health", Public: true, Group: groupNone, Tag: tag,
			Summary:  "Liveness: 200 {\"status\":\"ok\"} while the process serves HTTP; touches nothing",
			Response: map[string]string{"status": "ok"}, Handler: health},
		{Method: http.MethodHead, Path: "/health", Public: true, Group: groupNone, Tag: tag,
			Summary: "Liveness, as GET /health answers it, without a body", Handler: health},
		{Method: http.MethodGet, Path: "/health/detailed", Public: true, Group: groupNone, Tag: tag,
			Summary:  "Readiness: PostgreSQL, River and Redis checks; 503 when PostgreSQL is down, degraded when only Redis is",
			Response: detailedHealthExample, AlsoStatus: http.StatusServiceUnavailable, Handler: h.detailed},
		{Method: http.MethodHead, Path: "/health/detailed", Public: true, Group: groupNone, Tag: tag,
			Summary: "Readiness, as GET /health/detailed answers it (200 or 503), without a body", Handler: h.detailed},
		{Method: http.MethodGet, Path: "/metrics", Public: true, Group: groupNone, Tag: tag, ResponseType: "text/plain",
			Summary: "Prometheus metrics", Handler: echo.WrapHandler(promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))},
	}
}

// Health states, from the point of view of a load balancer: healthy and
// degraded both serve traffic; unhealthy does not.
const (
	healthy   = "healthy"
	degraded  = "degraded"
	unhealthy = "unhealthy"
	disabled  = "disabled"
)

// Health are the dependencies /health/detailed looks at.
type Health struct {
	Version string
	// Postgres pings the database.
	Postgres func(context.Context) error
	// Redis pings the cache; nil when Redis is not configured.
	Redis func(context.Context) error
	// Workers is the job concurrency; 0 for an insert-only process.
	Workers int
}

type checkResult struct {
	Status    string  `json:"status"`
	LatencyMS float64 `json:"latency_ms,omitempty"`
	Error     string  `json:"error,omitempty"`
	Mode      string  `json:"mode,omitempty"`
	Workers   *int    `json:"workers,omitempty"`
}

type detailedHealth struct {
	Status         string                 `json:"status"`
	Timestamp      string                 `json:"timestamp"`
	Version        string                 `json:"version"`
	Checks         map[string]checkResult `json:"checks"`
	ResponseTimeMS float64                `json:"response_time_ms"`
}

// health answers the liveness probe: it touches nothing, so it stays cheap
// and says only that the process serves HTTP.
func health(c echo.Context) error {
	res := c.Response()
	res.Header()[echo.HeaderContentType] = headerJSON
	res.WriteHeader(http.StatusOK)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	_, err := io.WriteString(res, `{"status":"ok"}`)
	return err
}

// detailed checks every dependency. Postgres down makes the process
// unhealthy (503); Redis down only degrades it (200), since Redis is a cache.
func (h Health) detailed(c echo.Context) error {
	start := time.Now()
	ctx := c.Request().Context()
	pg := probe(ctx, 2*time.Second, h.Postgres)
	river := checkResult{Status: healthy, Mode: "workers", Workers: &h.Workers}
	if h.Workers == 0 {
		river.Mode = "insert-only"
	}
	if pg.Status != healthy {
		// River keeps its jobs in Postgres: without it no job moves.
		river.Status = unhealthy
		river.Error = "postgres unavailable"
	}
	rd := checkResult{Status: disabled}
	if h.Redis != nil {
		rd = probe(ctx, time.Second, h.Redis)
	}

	report := detailedHealth{
		Status:    healthy,
		Timestamp: time.Now().UTC().Format(time.RFC3339),
		Version:   h.Version,
		Checks:    map[string]checkResult{"postgres": pg, "river": river, "redis": rd},
	}
	status := http.StatusOK
	switch {
	case pg.Status != healthy:
		report.Status, status = unhealthy, http.StatusServiceUnavailable
	case rd.Status == unhealthy:
		report.Status = degraded
	}
	report.ResponseTimeMS = milliseconds(time.Since(start))
	if c.Request().Method == http.MethodHead {
		c.Response().Header()[echo.HeaderContentType] = headerJSON
		return c.NoContent(status)
	}
	return c.JSON(status, report)
}

// probe runs check with a timeout and reports its outcome in words that
// never include a connection string or password.
func probe(ctx context.Context, timeout time.Duration, check func(context.Context) error) checkResult {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	err := check(ctx)
	result := checkResult{Status: healthy, LatencyMS: milliseconds(time.Since(start))}
	if err != nil {
		result.Status, result.Error = unhealthy, store.Describe(err)
	}
	return result
}

func milliseconds(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

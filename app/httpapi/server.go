// Package httpapi is PFF's HTTP front end: the echo server, its middleware,
// the route table, the handlers, the OpenAPI document and its browsable
// reference, health probes and metrics. A handler is a thin adapter: it
// decodes and checks the request, calls one operation of a domain service,
// and encodes the result or maps the service's problem to a status. It is the
// only package of PFF that imports echo.
package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/flows"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/jobs"
)

// Deps are what the HTTP front end serves.
type Deps struct {
	Config   config.Config
	Build    config.BuildInfo
	Logger   *slog.Logger
	Registry *prometheus.Registry
	Health   Health

	Accounts *accounts.Accounts
	Records  *records.Service
	Library  *knowledge.Library
	Learn    *learn.Service
	Jobs     *jobs.Client
	// Executions runs fix flows; nil when BSS is not configured.
	Executions *executions.Service
	// FlowCatalog is what flow files may call, for their lint.
	FlowCatalog flows.Catalog
	// Limiter enforces the rate limits; nil limits in this process's memory.
	Limiter auth.Limiter
	// Console is the operator console (app/console), served under /console
	// with / sending browsers to it; nil serves none.
	Console http.Handler
	// TracerProvider, when set, makes a span of each request; nil means no
	// tracing.
	TracerProvider trace.TracerProvider
}

// tracer is d's tracer, nil when tracing is off.
func (d Deps) tracer() trace.Tracer {
	if d.TracerProvider == nil {
		return nil
	}
	return d.TracerProvider.Tracer(tracerScope)
}

// New is the HTTP handler of `pff serve`: probes, documentation and the API.
func New(d Deps) (http.Handler, error) {
	_, e, err := newServer(d)
	return e, err
}

// newServer builds the API's handlers and mounts them on a new echo.
func newServer(d Deps) (*api, *echo.Echo, error) {
	proxies, err := auth.ParseTrustedProxies(d.Config.HTTP.TrustedProxies)
	if err != nil {
		return nil, nil, fmt.Errorf("http.trusted_proxies: %w", err)
	}
	limiter := d.Limiter
	if limiter == nil {
		limiter = auth.NewMemoryLimiter(auth.MemoryLimiterConfig{})
	}
	a := &api{cfg: d.Config, logger: d.Logger, build: d.Build, accounts: d.Accounts, records: d.Records,
		library: d.Library, learn: d.Learn, jobs: d.Jobs, executions: d.Executions, flowCatalog: d.FlowCatalog,
		limiter: limiter, proxies: proxies}
	e := newTracedEcho(d.Logger, newHTTPMetrics(d.Registry), d.tracer())
	e.IPExtractor = a.clientIP
	if len(d.Config.HTTP.CORSOrigins) > 0 {
		e.Use(cors(d.Config.HTTP.CORSOrigins))
	}
	routes := append(probeRoutes(d.Health, d.Registry), a.routes()...)
	docs, err := newAPIDocs(append(routes, (&apiDocs{}).routes()...), d.Build)
	if err != nil {
		return nil, nil, err
	}
	a.table = append(routes, docs.routes()...)
	a.mount(e, a.table)
	mountConsole(e, d.Console)
	return a, e, nil
}

// mountConsole serves the console's own handler under /console: it checks
// its sessions, CSRF tokens and roles itself and sets its own CSP, so none
// of the API's middleware but the envelope (request id, access log,
// metrics, recovery) applies.
func mountConsole(e *echo.Echo, console http.Handler) {
	if console == nil {
		return
	}
	h := echo.WrapHandler(console)
	e.Any("/console", h)
	e.Any("/console/*", h)
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/console/") })
}

// NewProbes is the HTTP handler of `pff worker`: health and metrics only.
func NewProbes(d Deps) http.Handler {
	e := newTracedEcho(d.Logger, newHTTPMetrics(d.Registry), d.tracer())
	for _, r := range probeRoutes(d.Health, d.Registry) {
		e.Add(r.Method, r.Path, r.Handler)
	}
	return e
}

// clientIP is the socket's peer, or what a trusted proxy says the client was.
func (a *api) clientIP(req *http.Request) string {
	ip, err := a.proxies.ClientIP(req.RemoteAddr, req.Header)
	if err != nil {
		return req.RemoteAddr
	}
	return ip.String()
}

// Package console is PFF's operator console: server-rendered pages for the
// people who look for a customer's line, see what is wrong with it and why,
// fix it and watch runs of thousands of lines. It is plain net/http (the
// HTTP API mounts it under /console), renders html/template pages from
// templates and assets embedded in the binary, and calls the same typed
// operations of the domain services as the API does; it runs no SQL of its
// own but its sessions'.
//
// Pages work without JavaScript; htmx (partial updates, server-sent events)
// and uPlot (interactive plots) are progressive enhancements, served from
// the binary under a strict Content-Security-Policy: no inline script or
// style, nothing from another origin.
package console

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/flows"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

// Prefix is where the console is mounted.
const Prefix = "/console"

// Defaults of a session's lifetime.
const (
	DefaultSessionIdle = 30 * time.Minute
	DefaultSessionMax  = 12 * time.Hour
)

// Health is how the overview learns whether the dependencies are up.
type Health struct {
	Postgres func(context.Context) error
	// Redis is nil when Redis is not configured.
	Redis func(context.Context) error
	// Workers is how many jobs this process works at once.
	Workers int
}

// Config are the console's dependencies.
type Config struct {
	// Store keeps the console's sessions and counts jobs; pages read
	// through the services below.
	Store      *store.Store
	Accounts   *accounts.Accounts
	Records    *records.Service
	Library    *knowledge.Library
	Learn      *learn.Service
	Jobs       *jobs.Client
	Executions *executions.Service // nil when fix flows are off
	// FlowCatalog lints flow files.
	FlowCatalog flows.Catalog
	Health      Health
	Version     string
	Logger      *slog.Logger
	// TrustedProxies are the CIDRs whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (http.trusted_proxies).
	TrustedProxies []string
	// SessionIdle ends a session unused for that long; SessionMax ends any
	// session that old. Zero means the defaults.
	SessionIdle, SessionMax time.Duration
	// OverviewTTL is how long the overview's record figures are shown
	// before they are counted again (in the background); zero means 10 s.
	OverviewTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Console serves the console's pages.
type Console struct {
	cfg      Config
	logger   *slog.Logger
	now      func() time.Time
	proxies  auth.TrustedProxies
	handler  http.Handler
	pages    *pages
	assets   *assets
	sessions *sessions
	figures  *refreshed[recordFigures]
	graph    *refreshed[store.KGStats]
	maps     *lru[projection]
	lints    *lru[[]knowledge.Problem]
	gzip     *gzipPool
}

// New builds the console.
func New(cfg Config) (*Console, error) {
	if cfg.Store == nil || cfg.Accounts == nil || cfg.Records == nil || cfg.Library == nil || cfg.Learn == nil || cfg.Jobs == nil {
		return nil, errors.New("console: Config needs Store, Accounts, Records, Library, Learn and Jobs")
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = DefaultSessionIdle
	}
	if cfg.SessionMax <= 0 {
		cfg.SessionMax = DefaultSessionMax
	}
	if cfg.OverviewTTL <= 0 {
		cfg.OverviewTTL = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	proxies, err := auth.ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	as, err := loadAssets()
	if err != nil {
		return nil, err
	}
	c := &Console{cfg: cfg, logger: cfg.Logger, now: cfg.Now, proxies: proxies, assets: as,
		maps: newLRU[projection](8), lints: newLRU[[]knowledge.Problem](64), gzip: newGzipPool()}
	c.figures = newRefreshed(cfg.OverviewTTL, cfg.Now, c.countRecords)
	c.graph = newRefreshed(time.Hour, cfg.Now, c.graphStats)
	c.sessions = &sessions{store: cfg.Store, idle: cfg.SessionIdle, max: cfg.SessionMax, now: cfg.Now}
	if c.pages, err = loadPages(as); err != nil {
		return nil, err
	}
	c.handler = c.routes()
	return c, nil
}

// ServeHTTP serves a request under Prefix.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	c.handler.ServeHTTP(w, r)
}

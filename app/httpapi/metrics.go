package httpapi

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river/rivertype"

	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

// NewRegistry is a process's Prometheus registry: the Go runtime, the
// process, the database pool and the jobs by kind and state. Each process has
// its own: no global registry.
func NewRegistry(pool *pgxpool.Pool, st *store.Store, logger *slog.Logger) *prometheus.Registry {
	registry := prometheus.NewRegistry()
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newPoolCollector(pool),
		newJobCollector(st, logger),
		newFlowCollector(st, logger),
		newModelCollector(st, logger),
	)
	return registry
}

// NewRedisCollector exports pff_redis_up: 1 when Redis answers a ping
// within a second at scrape time, 0 when it does not (PFF is then degraded:
// it works without its cache). Register it only when Redis is configured.
func NewRedisCollector(ping func(context.Context) error, logger *slog.Logger) prometheus.Collector {
	return &redisCollector{ping: ping, logger: logger,
		up: prometheus.NewDesc("pff_redis_up", "1 when Redis answers a ping within a second, 0 when it does not.", nil, nil)}
}

type redisCollector struct {
	ping   func(context.Context) error
	logger *slog.Logger
	up     *prometheus.Desc
}

func (c *redisCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.up }

func (c *redisCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	up := 1.0
	if err := c.ping(ctx); err != nil {
		c.logger.Debug("metrics: ping redis", "error", err)
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
}

// modelCollector exports the models of the registry by state: a training
// that fails leaves its model failed.
type modelCollector struct {
	store  *store.Store
	logger *slog.Logger
	models *prometheus.Desc
}

func newModelCollector(st *store.Store, logger *slog.Logger) *modelCollector {
	return &modelCollector{store: st, logger: logger,
		models: prometheus.NewDesc("pff_models", "Models of the registry by state (training, ready, failed, active).", []string{"state"}, nil)}
}

func (c *modelCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.models }

func (c *modelCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.store.ModelCounts(ctx)
	if err != nil {
		c.logger.Warn("metrics: count models", "error", store.Describe(err))
		return
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.models, prometheus.GaugeValue, float64(n), state)
	}
}

// httpMetrics counts requests by route, method and status class, and times
// them. Every label comes from a closed set (registered routes and
// "unmatched", known methods and "other", 1xx to 5xx), so that no request,
// however odd, adds a series.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// series caches each label combination's counter and histogram: the
	// vectors' own lookup hashes the labels and allocates on every request.
	// The map is read without a lock and replaced, under mu, by a copy with
	// a new series: the label sets are closed, so that happens a few
	// hundred times at most.
	series atomic.Pointer[map[seriesKey]*httpSeries]
	mu     sync.Mutex
	// routes are the registered route templates, read from the router at
	// the first request: every route is registered before serving starts.
	routes     map[string]bool
	routesOnce sync.Once
}

// routeOf is the request's registered route template, or "unmatched": a
// label of bounded cardinality. A registered route keeps its name whatever
// it answers, 404 included.
func (m *httpMetrics) routeOf(c echo.Context) string {
	m.routesOnce.Do(func() {
		m.routes = map[string]bool{}
		for _, r := range c.Echo().Routes() {
			m.routes[r.Path] = true
		}
	})
	if p := c.Path(); m.routes[p] {
		return p
	}
	return "unmatched"
}

type seriesKey struct {
	route, method, class string
}

type httpSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

func newHTTPMetrics(registry prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pff_http_requests_total",
			Help: "HTTP requests by route template, method and status class (2xx, 4xx, ...).",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pff_http_request_duration_seconds",
			Help:    "HTTP request latency by route template and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
	}
	registry.MustRegister(m.requests, m.duration)
	return m
}

// observe counts one request; route must be a registered route template or
// "unmatched" (routeOf).
func (m *httpMetrics) observe(route, method string, status int, elapsed time.Duration) {
	key := seriesKey{route, knownMethod(method), statusClass(status)}
	var series *httpSeries
	if known := m.series.Load(); known != nil {
		series = (*known)[key]
	}
	if series == nil {
		series = m.addSeries(key)
	}
	series.requests.Inc()
	series.duration.Observe(elapsed.Seconds())
}

// addSeries makes the series of key, once.
func (m *httpMetrics) addSeries(key seriesKey) *httpSeries {
	m.mu.Lock()
	defer m.mu.Unlock()
	known := map[seriesKey]*httpSeries{}
	if old := m.series.Load(); old != nil {
		if s := (*old)[key]; s != nil {
			return s
		}
		known = maps.Clone(*old)
	}
	s := &httpSeries{
		requests: m.requests.WithLabelValues(key.route, key.method, key.class),
		duration: m.duration.WithLabelValues(key.route, key.method),
	}
	known[key] = s
	m.series.Store(&known)
	return s
}

// knownMethod is method when it is one of HTTP's, and "other" otherwise: a
// client may send any token as a method.
func knownMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

var statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// statusClass is 2xx for 200 to 299, and so on; a status outside 100 to 599
// counts as 5xx, a server's fault.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return statusClasses[4]
	}
	return statusClasses[status/100-1]
}

// poolCollector exports pgxpool's statistics at scrape time.
type poolCollector struct {
	pool                                        *pgxpool.Pool
	total, idle, acquired, max                  *prometheus.Desc
	acquires, emptyAcquires, canceled, acquireS *prometheus.Desc
	emptyWait                                   *prometheus.Desc
}

func newPoolCollector(pool *pgxpool.Pool) *poolCollector {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("pff_db_pool_"+name, help, nil, nil)
	}
	return &poolCollector{
		pool:          pool,
		total:         desc("connections", "Open connections."),
		idle:          desc("idle_connections", "Idle connections."),
		acquired:      desc("acquired_connections", "Connections in use."),
		max:           desc("max_connections", "Most connections the pool opens."),
		acquires:      desc("acquires_total", "Connections acquired."),
		emptyAcquires: desc("empty_acquires_total", "Acquires that had to wait for a connection."),
		canceled:      desc("canceled_acquires_total", "Acquires cancelled while waiting."),
		acquireS:      desc("acquire_seconds_total", "Time spent acquiring connections."),
		emptyWait:     desc("empty_acquire_wait_seconds_total", "Time acquires waited because every connection was in use: the pool's saturation."),
	}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	prometheus.DescribeByCollect(c, ch)
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(c.total, float64(s.TotalConns()))
	gauge(c.idle, float64(s.IdleConns()))
	gauge(c.acquired, float64(s.AcquiredConns()))
	gauge(c.max, float64(s.MaxConns()))
	counter(c.acquires, float64(s.AcquireCount()))
	counter(c.emptyAcquires, float64(s.EmptyAcquireCount()))
	counter(c.canceled, float64(s.CanceledAcquireCount()))
	counter(c.acquireS, s.AcquireDuration().Seconds())
	counter(c.emptyWait, s.EmptyAcquireWaitTime().Seconds())
}

// jobCollector exports River's jobs by kind and state, counted at scrape
// time, and the age of the oldest available and running job of each kind.
// Every kind of PFF's (jobs.Kinds) and every state is reported, 0 when
// empty, so that a first failure is a rise from 0 that rules can see.
type jobCollector struct {
	store      *store.Store
	logger     *slog.Logger
	jobs, ages *prometheus.Desc
}

func newJobCollector(st *store.Store, logger *slog.Logger) *jobCollector {
	return &jobCollector{store: st, logger: logger,
		jobs: prometheus.NewDesc("pff_jobs", "River jobs by kind and state.", []string{"kind", "state"}, nil),
		ages: prometheus.NewDesc("pff_jobs_oldest_seconds",
			"Age of the oldest job of a kind in a state: available since it became runnable, running since its attempt started; 0 when there is none.",
			[]string{"kind", "state"}, nil),
	}
}

func (c *jobCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.jobs
	ch <- c.ages
}

func (c *jobCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.store.JobCounts(ctx)
	if err != nil {
		// A scrape must not fail because the database is down; /health says so.
		c.logger.Warn("metrics: count jobs", "error", store.Describe(err))
		return
	}
	ages, err := c.store.JobAges(ctx)
	if err != nil {
		c.logger.Warn("metrics: job ages", "error", store.Describe(err))
		return
	}
	type key struct{ kind, state string }
	kinds := jobs.Kinds()
	n := map[key]int64{}
	for _, jc := range counts {
		if !slices.Contains(kinds, jc.Kind) {
			kinds = append(kinds, jc.Kind)
		}
		n[key{jc.Kind, jc.State}] = jc.Count
	}
	age := map[key]time.Duration{}
	for _, a := range ages {
		age[key{a.Kind, a.State}] = a.Age
	}
	for _, kind := range kinds {
		for _, state := range rivertype.JobStates() {
			ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(n[key{kind, string(state)}]), kind, string(state))
		}
		for _, state := range []string{string(rivertype.JobStateAvailable), string(rivertype.JobStateRunning)} {
			ch <- prometheus.MustNewConstMetric(c.ages, prometheus.GaugeValue, age[key{kind, state}].Seconds(), kind, state)
		}
	}
}

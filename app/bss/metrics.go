package bss

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the client's Prometheus series. One Metrics may serve several
// clients.
type Metrics struct {
	calls     *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	breaker   *prometheus.GaugeVec
	failovers *prometheus.CounterVec
	waited    *prometheus.HistogramVec
}

// NewMetrics creates the series and registers them on reg:
//
//	pff_bss_calls_total{system, operation, outcome}
//	pff_bss_call_duration_seconds{system, operation}
//	pff_bss_breaker_state{system}         0 closed, 1 half-open, 2 open
//	pff_bss_failovers_total{system}       moves to the next cluster
//	pff_bss_rate_limit_wait_seconds{system}
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pff_bss_calls_total",
			Help: "Calls to BSS systems by system, flow method and outcome.",
		}, []string{"system", "operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pff_bss_call_duration_seconds",
			Help:    "Time of a call to a BSS system, waiting for its turn and failovers included.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"system", "operation"}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pff_bss_breaker_state",
			Help: "Circuit breaker state per BSS system: 0 closed, 1 half-open, 2 open.",
		}, []string{"system"}),
		failovers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pff_bss_failovers_total",
			Help: "Calls moved on to the next cluster of a BSS system.",
		}, []string{"system"}),
		waited: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pff_bss_rate_limit_wait_seconds",
			Help:    "Time a call waited for its turn within a BSS system's rate limit.",
			Buckets: []float64{.001, .01, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"system"}),
	}
	for _, c := range []prometheus.Collector{m.calls, m.duration, m.breaker, m.failovers, m.waited} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("bss: register metrics: %w", err)
		}
	}
	return m, nil
}

// The methods below accept a nil *Metrics, which records nothing.

// start makes the client's series at 0 before its first call: a call count
// per system, operation and outcome and a duration histogram for every
// operation of the catalogue on a configured system, and the failovers and
// rate-limit waits per system. rate() then sees a
// first failure as a rise from 0, not as a series that appears.
func (m *Metrics) start(cat *Catalogue, configured map[string]*system) {
	if m == nil {
		return
	}
	for _, name := range cat.names {
		for _, v := range cat.methods[name].variants {
			if configured[v.system] == nil {
				continue
			}
			for _, o := range Outcomes() {
				m.calls.WithLabelValues(v.system, v.method, string(o))
			}
			m.duration.WithLabelValues(v.system, v.method)
		}
	}
	for name := range configured {
		m.failovers.WithLabelValues(name)
		m.waited.WithLabelValues(name)
	}
}

func (m *Metrics) observeCall(system, operation string, o Outcome, d time.Duration) {
	if m == nil {
		return
	}
	m.calls.WithLabelValues(system, operation, string(o)).Inc()
	m.duration.WithLabelValues(system, operation).Observe(d.Seconds())
}

func (m *Metrics) setBreaker(system string, s BreakerState) {
	if m != nil {
		m.breaker.WithLabelValues(system).Set(float64(s))
	}
}

func (m *Metrics) failover(system string) {
	if m != nil {
		m.failovers.WithLabelValues(system).Inc()
	}
}

func (m *Metrics) waitedFor(system string, d time.Duration) {
	if m != nil {
		m.waited.WithLabelValues(system).Observe(d.Seconds())
	}
}

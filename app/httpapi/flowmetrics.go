package httpapi

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pff/pff/store"
)

// flowCollector exports the lines of executions that have not ended, by
// flow and state, and the execution lag: how long the oldest queued line of
// a running execution has waited for a worker.
type flowCollector struct {
	store      *store.Store
	logger     *slog.Logger
	lines, lag *prometheus.Desc
}

func newFlowCollector(st *store.Store, logger *slog.Logger) *flowCollector {
	return &flowCollector{store: st, logger: logger,
		lines: prometheus.NewDesc("pff_flow_lines", "Lines of executions that have not ended, by flow and state.", []string{"flow", "state"}, nil),
		lag:   prometheus.NewDesc("pff_flow_execution_lag_seconds", "How long the oldest queued line of a running execution has waited.", nil, nil),
	}
}

func (c *flowCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lines
	ch <- c.lag
}

func (c *flowCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, lag, err := c.store.FlowLineCounts(ctx)
	if err != nil {
		// A scrape must not fail because the database is down; /health says so.
		c.logger.Warn("metrics: count flow lines", "error", store.Describe(err))
		return
	}
	// Every state of a flow that has lines is reported, 0 when empty, so
	// that the first line in needs_review is a rise from 0.
	type key struct{ flow, state string }
	n := map[key]int64{}
	var flows []string
	for _, lc := range counts {
		if !slices.Contains(flows, lc.Flow) {
			flows = append(flows, lc.Flow)
		}
		n[key{lc.Flow, lc.State}] = lc.Count
	}
	for _, flow := range flows {
		for _, state := range store.LineStates() {
			ch <- prometheus.MustNewConstMetric(c.lines, prometheus.GaugeValue, float64(n[key{flow, state}]), flow, state)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, lag.Seconds())
}

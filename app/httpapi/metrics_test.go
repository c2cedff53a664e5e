package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/auth"
)

// TestMetricsLabelsComeFromClosedSets sends what a prober sends (any token
// as a method, any path, errors of every kind) and checks that /metrics
// gains no series for it: routes are the registered templates or
// "unmatched", methods HTTP's or "other", statuses classes.
func TestMetricsLabelsComeFromClosedSets(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	scrape := func() string {
		t.Helper()
		rec := ts.do(request{method: http.MethodGet, path: "/metrics"})
		require.Equal(t, http.StatusOK, rec.Code)
		return rec.Body.String()
	}
	for i := range 300 {
		req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/nowhere/%d", i), nil)
		req.Method = fmt.Sprintf("XYZ%d", i)
		ts.e.ServeHTTP(httptest.NewRecorder(), req)
		ts.do(request{method: http.MethodGet, path: fmt.Sprintf("/api/v1/nothing-%d", i)})
		ts.do(request{method: http.MethodGet, path: fmt.Sprintf("/api/v1/records/%d", 1000+i), header: bearer(ts.bearers[auth.RoleViewer])})
		ts.e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPatch, "/health", nil))
	}
	scrape() // counts itself from the next scrape on
	before := seriesOf(scrape())
	for i := range 300 {
		req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/elsewhere/%d", i), nil)
		req.Method = fmt.Sprintf("ABC%d", i)
		ts.e.ServeHTTP(httptest.NewRecorder(), req)
		ts.do(request{method: http.MethodGet, path: fmt.Sprintf("/api/v1/nothing-else-%d", i)})
	}
	after := seriesOf(scrape())
	require.Equal(t, before, after, "the same kinds of requests add no series")

	routes := map[string]bool{"unmatched": true}
	for _, r := range ts.api.table {
		routes[r.Path] = true
	}
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "other"}
	classes := []string{"1xx", "2xx", "3xx", "4xx", "5xx"}
	for _, series := range after {
		labels := parseLabels(t, series)
		require.True(t, routes[labels["route"]], "route label %q", labels["route"])
		require.Contains(t, methods, labels["method"])
		require.Contains(t, classes, labels["status"])
	}
	require.Contains(t, after, `pff_http_requests_total{method="other",route="unmatched",status="4xx"}`)
	require.Contains(t, after, `pff_http_requests_total{method="GET",route="/api/v1/records/:id",status="4xx"}`,
		"a registered route that answers 404 keeps its name")
}

// seriesOf lists the pff_http_requests_total series of a scrape.
func seriesOf(scrape string) []string {
	var out []string
	for line := range strings.Lines(scrape) {
		if strings.HasPrefix(line, "pff_http_requests_total{") {
			out = append(out, line[:strings.IndexByte(line, '}')+1])
		}
	}
	slices.Sort(out)
	return out
}

func parseLabels(t *testing.T, series string) map[string]string {
	t.Helper()
	inner := series[strings.IndexByte(series, '{')+1 : len(series)-1]
	labels := map[string]string{}
	for pair := range strings.SplitSeq(inner, ",") {
		k, v, ok := strings.Cut(pair, "=")
		require.True(t, ok, series)
		labels[k] = strings.Trim(v, `"`)
	}
	return labels
}

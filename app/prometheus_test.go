package app

// TestRulesAndDashboardsAgainstARealPrometheus runs Debian's Prometheus
// against a running `pff serve` and evaluates, through Prometheus's HTTP
// API, every expression of deploy/prometheus/rules and of the dashboards
// under deploy/grafana: each must parse, and every metric it names must
// have series that PFF exports (or be a recording rule of the rules, which
// must evaluate without error and return series). A query naming a metric
// PFF does not export fails the test.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/pff/pff/internal/testkit"
	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// prometheusBinary returns the prometheus server's path. Without it the
// test skips, unless PFF_REQUIRE_PROMETHEUS is set (make test sets it).
func prometheusBinary(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("PFF_REQUIRE_PROMETHEUS") != "" {
			t.Fatal("prometheus is not installed and PFF_REQUIRE_PROMETHEUS is set: run scripts/setup-prometheus.sh")
		}
		t.Skip("prometheus is not installed (Debian's prometheus package; scripts/setup-prometheus.sh installs it)")
	}
	return path
}

// prometheusOwn are series Prometheus makes itself rather than scrapes:
// they may be queried without PFF exporting them (ALERTS has none while
// nothing fires).
var prometheusOwn = map[string]bool{"up": true, "ALERTS": true}

func TestRulesAndDashboardsAgainstARealPrometheus(t *testing.T) {
	t.Parallel()
	binary := prometheusBinary(t)
	ctx := t.Context()

	// pff serve with workers, Redis and the BSS simulator, so that every
	// family of metrics it can export is there.
	dbURL := storetest.NewDatabase(t)
	apiAddr := testkit.FreeAddr(t)
	environ, _ := simulator(t, 2)
	redisURL := os.Getenv("REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	environ = append(environ, "DATABASE_URL="+dbURL, "PFF_HTTP__ADDR="+apiAddr, "REDIS_URL="+redisURL)
	serveCtx, stop := context.WithCancel(context.Background())
	stderr := &testkit.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- Main(serveCtx, []string{"serve", "--workers", "2"}, Env{Stdout: &testkit.Buffer{}, Stderr: stderr, Environ: environ})
	}()
	t.Cleanup(func() {
		stop()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("pff serve did not stop")
		}
	})
	waitHealthy(t, "http://"+apiAddr+"/health", stderr)
	seedFlowLines(t, ctx, dbURL)
	for _, path := range []string{"/health/detailed", "/api/v1/records", "/api/v1/nowhere", "/metrics"} {
		get(t, "http://"+apiAddr+path)
	}

	// Prometheus scraping it every 200 ms and evaluating PFF's rules as
	// often: the rules' own group intervals (30 s) are dropped from a copy.
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	require.NoError(t, os.Mkdir(rules, 0o700))
	files, err := filepath.Glob("../deploy/prometheus/rules/*.yml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	groupInterval := regexp.MustCompile(`(?m)^    interval: .*\n`)
	for _, path := range files {
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(rules, filepath.Base(path)), groupInterval.ReplaceAll(src, nil), 0o600))
	}
	config := fmt.Sprintf(`global:
  scrape_interval: 200ms
  evaluation_interval: 200ms
rule_files: [%q]
scrape_configs:
  - job_name: pff-api
    static_configs:
      - targets: [%q]
`, filepath.Join(rules, "*.yml"), apiAddr)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o600))
	promAddr := testkit.FreeAddr(t)
	promLog := &testkit.Buffer{}
	cmd := exec.Command(binary, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+promAddr)
	cmd.Stdout, cmd.Stderr = promLog, promLog
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	api := promAPI{t: t, base: "http://" + promAddr}
	deadline := time.Now().Add(30 * time.Second)
	for !api.ready() {
		require.True(t, time.Now().Before(deadline), "prometheus never became ready:\n%s", promLog)
		time.Sleep(100 * time.Millisecond)
	}

	exprs := ruleExpressions(t, "../deploy/prometheus/rules")
	recorded := map[string]bool{}
	for _, e := range exprs {
		if e.record != "" {
			recorded[e.record] = true
		}
	}
	exprs = append(exprs, dashboardExpressions(t, "../deploy/grafana/dashboards")...)
	require.Greater(t, len(exprs), 60)

	// Rates need two scrapes, and recording rules one evaluation after that:
	// wait until every recording rule has series.
	deadline = time.Now().Add(30 * time.Second)
	for {
		var missing []string
		for name := range recorded {
			if len(api.query(name)) == 0 {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 {
			break
		}
		slices.Sort(missing)
		require.True(t, time.Now().Before(deadline), "recording rules without series: %v\nprometheus:\n%s", missing, promLog)
		time.Sleep(200 * time.Millisecond)
	}
	for _, r := range api.rules() {
		require.Equal(t, "ok", r.Health, "rule %s: %s", r.Name, r.LastError)
	}

	exported := map[string]bool{}
	for _, e := range exprs {
		api.query(e.expr) // parses and evaluates, or fails the test
		for _, name := range metricNames(e.expr) {
			switch {
			case recorded[name], prometheusOwn[name], exported[name]:
			case strings.Contains(name, ":"):
				t.Errorf("%s: %q names %s, which no recording rule records", e.where, e.expr, name)
			default:
				// Over the last minute: a scrape that timed out on a busy
				// machine marks every series stale until the next one.
				if len(api.query(fmt.Sprintf(`count(last_over_time({__name__=%q}[1m]))`, name))) == 0 {
					t.Errorf("%s: %q names %s, which PFF does not export", e.where, e.expr, name)
					continue
				}
				exported[name] = true
			}
		}
	}
	t.Logf("%d expressions evaluated; %d metrics PFF exports are used", len(exprs), len(exported))
}

// seedFlowLines stores an execution that waits for its approval, so that
// pff serve exports pff_flow_lines.
func seedFlowLines(t *testing.T, ctx context.Context, dbURL string) {
	t.Helper()
	pool, err := store.Connect(ctx, store.PoolConfig{URL: dbURL})
	require.NoError(t, err)
	defer pool.Close()
	st := store.New(pool)
	k, _, err := st.CreateKnowledge(ctx, store.NewKnowledge{Kind: "flows", Name: "ops", Format: "yaml", CreatedBy: "test",
		Content: "Enquiry:\n  - method: line.get_customer_enquiry\n    args: {msisdn: \"{{msisdn}}\"}\n"})
	require.NoError(t, err)
	_, err = st.CreateExecution(ctx, store.NewExecution{Name: "metrics", FlowsID: k.ID, Mode: "run", State: store.ExecAwaitingApproval,
		Approval: "destructive", CreatedBy: "test", Lines: []store.NewLine{{MSISDN: "5511999990001", Flow: "Enquiry"}}}, nil)
	require.NoError(t, err)
}

type expression struct {
	where, expr string
	record      string // the name it records, for a recording rule
}

func ruleExpressions(t *testing.T, dir string) []expression {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out []expression
	for _, path := range files {
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		var f struct {
			Groups []struct {
				Rules []struct {
					Record, Alert, Expr string
				} `yaml:"rules"`
			} `yaml:"groups"`
		}
		require.NoError(t, yaml.Unmarshal(src, &f), path)
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				out = append(out, expression{where: filepath.Base(path) + ": " + r.Record + r.Alert, expr: r.Expr, record: r.Record})
			}
		}
	}
	return out
}

func dashboardExpressions(t *testing.T, dir string) []expression {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out []expression
	for _, path := range files {
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		var d struct {
			Panels []struct {
				Title   string `json:"title"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
		}
		require.NoError(t, json.Unmarshal(src, &d), path)
		for _, p := range d.Panels {
			for _, target := range p.Targets {
				require.NotContains(t, target.Expr, "$", "%s: %q: Grafana variables would not evaluate here", path, p.Title)
				out = append(out, expression{where: filepath.Base(path) + ": " + p.Title, expr: target.Expr})
			}
		}
	}
	return out
}

var (
	promqlStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promqlMatchers = regexp.MustCompile(`\{[^}]*\}|\[[^\]]*\]`)
	promqlGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promqlName     = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	promqlKeywords = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true,
		"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true, "inf": true, "nan": true}
)

// metricNames returns the metric names an expression selects: identifiers
// outside strings, label matchers, ranges and grouping clauses that are not
// keywords and not called as functions or aggregations.
func metricNames(expr string) []string {
	s := promqlStrings.ReplaceAllString(expr, `""`)
	s = promqlMatchers.ReplaceAllString(s, " ")
	s = promqlGrouping.ReplaceAllString(s, " ")
	var names []string
	for _, loc := range promqlName.FindAllStringIndex(s, -1) {
		name := s[loc[0]:loc[1]]
		if loc[0] > 0 && (s[loc[0]-1] >= '0' && s[loc[0]-1] <= '9' || s[loc[0]-1] == '.') {
			continue // the exponent or unit of a number: 1e3, 0.5
		}
		if promqlKeywords[strings.ToLower(name)] || strings.HasPrefix(strings.TrimLeft(s[loc[1]:], " \t\n"), "(") {
			continue
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

func TestMetricNames(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"pff_http_requests_total"},
		metricNames(`(sum(rate(pff_http_requests_total{status="5xx"}[5m])) or vector(0)) / sum by (route) (rate(pff_http_requests_total[5m]))`))
	require.Equal(t, []string{"pff:http_errors:ratio_rate1h", "pff:http_errors:ratio_rate5m"},
		metricNames("(pff:http_errors:ratio_rate1h > (14.4 * 0.005) and pff:http_errors:ratio_rate5m > 1e-3)"))
	require.Equal(t, []string{"pff_db_pool_acquired_connections", "pff_db_pool_max_connections"},
		metricNames("pff_db_pool_acquired_connections / on (instance) group_left pff_db_pool_max_connections offset 5m"))
	require.Equal(t, []string{"ALERTS"}, metricNames(`count(ALERTS{alertstate="firing", alertname=~"PFF.*"}) or vector(0)`))
}

type promAPI struct {
	t    *testing.T
	base string
}

func (p promAPI) ready() bool {
	res, err := http.Get(p.base + "/-/ready")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// query evaluates expr now and returns its result's series (or the scalar
// as one). A parse or evaluation error fails the test.
func (p promAPI) query(expr string) []json.RawMessage {
	p.t.Helper()
	res, err := http.Get(p.base + "/api/v1/query?query=" + url.QueryEscape(expr))
	require.NoError(p.t, err)
	defer res.Body.Close()
	var body struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	require.NoError(p.t, json.NewDecoder(res.Body).Decode(&body))
	require.Equal(p.t, "success", body.Status, "%q: %s: %s", expr, body.ErrorType, body.Error)
	if body.Data.ResultType == "scalar" || body.Data.ResultType == "string" {
		return []json.RawMessage{body.Data.Result}
	}
	var series []json.RawMessage
	require.NoError(p.t, json.Unmarshal(body.Data.Result, &series))
	return series
}

type promRule struct {
	Name      string `json:"name"`
	Health    string `json:"health"`
	LastError string `json:"lastError"`
}

func (p promAPI) rules() []promRule {
	p.t.Helper()
	res, err := http.Get(p.base + "/api/v1/rules")
	require.NoError(p.t, err)
	defer res.Body.Close()
	var body struct {
		Data struct {
			Groups []struct {
				Rules []promRule `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	require.NoError(p.t, json.NewDecoder(res.Body).Decode(&body))
	var out []promRule
	for _, g := range body.Data.Groups {
		out = append(out, g.Rules...)
	}
	require.NotEmpty(p.t, out, "prometheus loaded no rules")
	return out
}

package console

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/store"
)

// TestBenchmarkConsolePages measures every page's server time and size with
// 100,000 records stored (PFF_BENCH_CONSOLE=1; about ten minutes, most of
// it seeding):
//
//	PFF_BENCH_CONSOLE=1 go test ./app/console -run TestBenchmarkConsolePages -v -timeout 60m
//
// It generates 1,000 records (a tenth faulty), has the job workers validate
// them, builds the graph and trains a model on them, then copies the records
// with their reports 99 times under new customer ids, MSISDNs and ingest
// times (one copy every six hours back), adds a 10,000-line execution,
// 10,000 audit entries, and measures each page from a client over loopback:
// PFF_BENCH_ROUNDS rounds (default 3) of PFF_BENCH_REQUESTS requests a page
// (default 30), gzip accepted. Server time is to the last byte; size is the
// compressed page, and the page with its stylesheet and scripts the first
// time (nothing cached).
func TestBenchmarkConsolePages(t *testing.T) {
	if os.Getenv("PFF_BENCH_CONSOLE") != "1" {
		t.Skip("set PFF_BENCH_CONSOLE=1 to measure the console with 100,000 records")
	}
	e := newEnv(t)
	start := time.Now()
	b := e.seedLarge(1000, 100)
	t.Logf("seeded %d records in %s", b.records, time.Since(start).Round(time.Second))
	rounds, requests := envInt("PFF_BENCH_ROUNDS", 3), envInt("PFF_BENCH_REQUESTS", 30)

	c := e.client(t)
	c.http.Transport = &http.Transport{DisableCompression: true}
	c.signIn("admin1")
	pages := []struct{ name, path string }{
		{"overview", "/"},
		{"records", "/records"},
		{"records, REJECT", "/records?decision=REJECT"},
		{"records, by MSISDN", "/records?msisdn=" + url.QueryEscape(b.msisdn)},
		{"records, by customer", "/records?customer_id=" + url.QueryEscape(b.customer)},
		{"records, page 1,000", fmt.Sprintf("/records?after=%d", b.deepAfter)},
		{"record (largest document)", fmt.Sprintf("/records/%d", b.largest)},
		{"record, rejected", fmt.Sprintf("/records/%d", b.rejected)},
		{"record diff", fmt.Sprintf("/records/%d/diff", b.changed)},
		{"knowledge", "/knowledge?kind=checks"},
		{"knowledge version (default checks)", fmt.Sprintf("/knowledge/checks/%d", b.checks)},
		{"knowledge diff", fmt.Sprintf("/knowledge/checks/%d/diff", b.checks)},
		{"learning", "/learning"},
		{"model", "/learning/models/" + e.model},
		{"embedding map", "/learning/models/" + e.model + "/map"},
		{"fix flows", "/flows"},
		{"execution (10,000 lines)", fmt.Sprintf("/flows/executions/%d", b.execution)},
		{"execution, failed lines", fmt.Sprintf("/flows/executions/%d?state=failed", b.execution)},
		{"jobs", "/jobs"},
		{"jobs, completed validations", "/jobs?kind=validate_records&state=completed"},
		{"job", fmt.Sprintf("/jobs/%d", e.trainJob)},
		{"administration", "/admin"},
		{"audit log", "/admin/audit"},
		{"audit log, filtered", "/admin/audit?status=denied"},
	}
	// p95 of each round, by page; the first request of a page in a round
	// counts (the overview's figures are counted again every 10 s).
	p95s := map[string][]time.Duration{}
	sizes := map[string]int{}
	for round := range rounds {
		for _, p := range pages {
			var times []time.Duration
			for range requests {
				d, size := c.timed(p.path)
				times = append(times, d)
				sizes[p.name] = size
			}
			slices.Sort(times)
			p95s[p.name] = append(p95s[p.name], times[(len(times)*95+99)/100-1])
		}
		t.Logf("round %d done", round+1)
	}
	// The overview counting 100,000 records on every request, no cache.
	e.console.cfg.OverviewTTL = time.Nanosecond
	var cold []time.Duration
	for range requests {
		d, _ := c.timed("/")
		cold = append(cold, d)
	}
	slices.Sort(cold)

	assets := c.assetBytes()
	load, _ := os.ReadFile("/proc/loadavg")
	commit, _ := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	var out strings.Builder
	fmt.Fprintf(&out, "\n%s, commit %s, load average %s, %d records, %d rounds of %d requests a page\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), strings.TrimSpace(string(commit)), strings.Join(strings.Fields(string(load))[:3], " "),
		b.records, rounds, requests)
	fmt.Fprintf(&out, "| page | p95 server time, median of rounds (range) | compressed page | with CSS and scripts, first visit |\n|---|---|---|---|\n")
	for _, p := range pages {
		ds := p95s[p.name]
		slices.Sort(ds)
		fmt.Fprintf(&out, "| %s | %s (%s–%s) | %s | %s |\n", p.name, ms(ds[len(ds)/2]), ms(ds[0]), ms(ds[len(ds)-1]),
			kb(sizes[p.name]), kb(sizes[p.name]+assets))
	}
	fmt.Fprintf(&out, "| overview, counted on every request (no 10 s cache) | %s (p50 %s) | | |\n", ms(cold[(len(cold)*95+99)/100-1]), ms(cold[len(cold)/2]))
	t.Log(out.String())
}

func envInt(name string, def int) int {
	var n int
	if _, err := fmt.Sscan(os.Getenv(name), &n); err != nil || n <= 0 {
		return def
	}
	return n
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
func kb(n int) string           { return fmt.Sprintf("%.1f KB", float64(n)/1000) }

// timed fetches a page and returns the time to its last byte and its size
// as sent (gzip).
func (c *client) timed(path string) (time.Duration, int) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.e.url(path), nil)
	require.NoError(c.t, err)
	req.Header.Set("Accept-Encoding", "gzip")
	start := time.Now()
	res, err := c.http.Do(req)
	require.NoError(c.t, err)
	body, err := io.ReadAll(res.Body)
	d := time.Since(start)
	require.NoError(c.t, err)
	_ = res.Body.Close()
	require.Equal(c.t, http.StatusOK, res.StatusCode, "%s: %s", path, body)
	return d, len(body)
}

var assetRef = regexp.MustCompile(`(?:href|src)="(/console/assets/[^"]+)"`)

// assetBytes is what a first visit also fetches: the stylesheets and
// scripts of a page, gzip accepted.
func (c *client) assetBytes() int {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.e.url("/"), nil)
	require.NoError(c.t, err)
	res, err := c.http.Do(req)
	require.NoError(c.t, err)
	page, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	total := 0
	for _, m := range assetRef.FindAllStringSubmatch(string(page), -1) {
		req, err := http.NewRequest(http.MethodGet, c.e.server.URL+strings.ReplaceAll(m[1], "&amp;", "&"), nil)
		require.NoError(c.t, err)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := c.http.Do(req)
		require.NoError(c.t, err)
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		total += len(body)
	}
	return total
}

// large is what the benchmark's pages are about.
type large struct {
	records                               int
	msisdn, customer                      string
	deepAfter, largest, rejected, changed int64
	checks, execution                     int64
}

// seedLarge stores n generated records, validated, a graph and model of
// them, then copies records and reports until there are n*copies.
func (e *env) seedLarge(n, copies int) large {
	t := e.t
	t.Helper()
	ctx := context.Background()
	var docs bytes.Buffer
	_, err := gen.WriteNDJSON(ctx, &docs, io.Discard, gen.Config{N: n, Seed: 11, FaultRate: 0.1, Compact: true})
	require.NoError(t, err)
	_, err = e.records.Upload(ctx, bytes.NewReader(docs.Bytes()), "bench.ndjson", "application/x-ndjson")
	require.NoError(t, err)
	e.waitJobs("validate_records")
	_, _, err = learn.BuildKG(ctx, e.store, learn.CorpusConfig{})
	require.NoError(t, err)
	q, err := e.learn.Train(ctx, learn.Hyperparameters{Dim: 32, Epochs: 40, EvalEvery: 5, Seed: 3}, "user:bench")
	require.NoError(t, err)
	e.trainJob = q.JobID
	require.Equal(t, "completed", e.waitJob(q.JobID).State)
	models, err := e.learn.Models(ctx)
	require.NoError(t, err)
	e.model = models[0].Version

	pool := e.store.Pool()
	var b large
	// Copies under new ids and numbers, ingested every six hours back.
	_, err = pool.Exec(ctx, `
		INSERT INTO customer_records (customer_id, document, msisdns, content_hash, source, created_at, version, current, file_msisdn)
		SELECT c.customer_id || '-' || g, c.document,
			ARRAY(SELECT left(m, 4) || lpad(g::text, 2, '0') || substr(m, 7) FROM unnest(c.msisdns) AS m),
			sha256(c.content_hash || int4send(g)), c.source, c.created_at - make_interval(hours => 6 * g), 1, true, ''
		FROM customer_records c, generate_series(1, $1::int - 1) AS g WHERE c.current`, copies)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `
		INSERT INTO validation_reports (record_id, latest, decision, score, violated, report, versions, created_at)
		SELECT n.id, true, r.decision, r.score, r.violated, r.report, r.versions, r.created_at
		FROM customer_records n
		JOIN customer_records o ON o.customer_id = split_part(n.customer_id, '-', 1) AND o.current
		JOIN validation_reports r ON r.record_id = o.id AND r.latest
		WHERE n.customer_id LIKE '%-%'`)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `ANALYZE`)
	require.NoError(t, err)

	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM customer_records WHERE current`).Scan(&b.records))
	require.NoError(t, pool.QueryRow(ctx, `SELECT id FROM customer_records WHERE current ORDER BY pg_column_size(document) DESC LIMIT 1`).Scan(&b.largest))
	require.NoError(t, pool.QueryRow(ctx, `SELECT c.id FROM customer_records c JOIN validation_reports r ON r.record_id = c.id AND r.latest
		WHERE r.decision = 'REJECT' ORDER BY cardinality(r.violated) DESC, c.id DESC LIMIT 1`).Scan(&b.rejected))
	require.NoError(t, pool.QueryRow(ctx, `SELECT customer_id, msisdns[1] FROM customer_records WHERE current AND cardinality(msisdns) > 0 ORDER BY id DESC LIMIT 1`).Scan(&b.customer, &b.msisdn))
	require.NoError(t, pool.QueryRow(ctx, `SELECT id FROM customer_records WHERE current ORDER BY id OFFSET 50000 LIMIT 1`).Scan(&b.deepAfter))

	// A second version of one record.
	list, err := e.records.List(ctx, records.Filter{Decision: "ACCEPT", Limit: 1})
	require.NoError(t, err)
	rec, err := e.records.Get(ctx, list[0].ID)
	require.NoError(t, err)
	changed := bytes.Replace(rec.Document, []byte(`"CustomerActive"`), []byte(`"CustomerSuspended"`), 1)
	_, err = e.records.Upload(ctx, bytes.NewReader(changed), "changed.json", "application/json")
	require.NoError(t, err)
	versions, err := e.records.Versions(ctx, rec.ID)
	require.NoError(t, err)
	b.changed = versions[0].ID

	// The default checks as two versions of a check set; the flows file.
	checks, err := os.ReadFile("../validation/defaults/checks.yaml")
	require.NoError(t, err)
	_, err = e.library.Create(ctx, knowledge.KindChecks, knowledge.CreateRequest{Name: "defaults", Content: string(checks)}, "user:bench")
	require.NoError(t, err)
	created, err := e.library.Create(ctx, knowledge.KindChecks, knowledge.CreateRequest{Name: "defaults",
		Content: strings.Replace(string(checks), "confidence: 0.99", "confidence: 0.98", 1)}, "user:bench")
	require.NoError(t, err)
	b.checks = created.Knowledge.ID
	flowFile, err := os.ReadFile("../executions/testdata/fix-flows.yaml")
	require.NoError(t, err)
	flows, err := e.library.Create(ctx, knowledge.KindFlows, knowledge.CreateRequest{Name: "ops", Content: string(flowFile)}, "user:bench")
	require.NoError(t, err)
	_, err = e.library.Activate(ctx, knowledge.KindFlows, flows.Knowledge.ID, "user:bench")
	require.NoError(t, err)

	// An execution of 10,000 lines that waits for approval (no job runs
	// them); a tenth of them marked failed.
	lines := make([]store.NewLine, 10_000)
	for i := range lines {
		lines[i] = store.NewLine{MSISDN: fmt.Sprintf("119%08d", i), Flow: "Three_Writes", Columns: map[string]any{"row": i}}
	}
	ex, err := e.store.CreateExecution(ctx, store.NewExecution{Name: "bench", FlowsID: flows.Knowledge.ID, Mode: "run",
		State: store.ExecAwaitingApproval, Approval: "10,000 lines", CreatedBy: "user:bench", Lines: lines},
		func(context.Context, pgx.Tx, []int64) error { return nil })
	require.NoError(t, err)
	b.execution = ex.ID
	_, err = pool.Exec(ctx, `UPDATE execution_lines SET state = 'failed', error_code = 'bss_error', error_message = 'BSS answered 500'
		WHERE execution_id = $1 AND line_no % 10 = 0`, ex.ID)
	require.NoError(t, err)

	// 10,000 audit entries.
	_, err = pool.Exec(ctx, `
		INSERT INTO audit_log (actor, method, route, action, target, status, status_code, request_id, detail, client_ip)
		SELECT 'user:' || gen_random_uuid(), 'POST', '/api/v1/records', 'Upload records', '', (ARRAY['succeeded', 'failed', 'denied'])[1 + g % 3],
			200, md5(g::text), '{}', '10.0.0.' || (g % 250)
		FROM generate_series(1, 10000) AS g`)
	require.NoError(t, err)
	return b
}

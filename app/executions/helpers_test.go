package executions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// bench is a database, a simulated BSS seeded with generated records, and
// the engine, the service and job workers running lines against it.
type bench struct {
	t       testing.TB
	store   *store.Store
	sim     *bsssim.Sim
	servers *bsssim.Servers
	client  *bss.Client
	engine  *executions.Engine
	svc     *executions.Service
	jobs    *jobs.Client
	seeded  []bsssim.Seeded
	// rec sees every BSS request with its body, when benchConfig.record.
	rec *recorder
	// dbURL is the test's database.
	dbURL string
	pool  *pgxpool.Pool
	// cat and urls are what a process's BSS client is made of.
	cat  *bss.Catalogue
	urls []string
}

type benchConfig struct {
	records   int
	faultRate float64
	workers   int
	// retry is the engine's default retry of calls.
	retry *executions.EngineConfig
	// approvalLines is flows.approval_lines.
	approvalLines int
	// noWorkers leaves the lines queued, for tests that start workers
	// themselves.
	noWorkers bool
	// record puts a recorder in front of the simulator: the client calls
	// it, and it keeps each request's body and answer.
	record bool
	// system adjusts every system's configuration.
	system func(*bss.SystemConfig)
	// engine adjusts the engine's configuration.
	engine func(*executions.EngineConfig)
	// catalogue is a catalogue file extending the built-in one.
	catalogue string
	// bss adjusts the BSS client's configuration (its limiter, metrics).
	bss func(*bss.Config)
	// clusters is how many clusters the simulator serves; a process calls
	// the one numbered cluster, so the simulator's request log tells
	// processes apart.
	clusters, cluster int
	// tracer traces the BSS client and the jobs; nil traces nothing.
	tracer trace.TracerProvider
}

func newBench(t testing.TB, cfg benchConfig) *bench {
	t.Helper()
	ctx := context.Background()
	dbURL := storetest.NewDatabase(t)
	pool, err := store.Connect(ctx, store.PoolConfig{URL: dbURL, MaxConns: 20})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	st := store.New(pool)

	sim := bsssim.New(bsssim.Config{Seed: 1})
	seeded, err := sim.AddGenerated(gen.Config{N: max(cfg.records, 1), Seed: 3, FaultRate: cfg.faultRate})
	require.NoError(t, err)
	servers, err := sim.Start(bsssim.StartOptions{Clusters: max(cfg.clusters, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = servers.Close() })

	var extra [][]byte
	if cfg.catalogue != "" {
		data, err := os.ReadFile(cfg.catalogue)
		require.NoError(t, err)
		extra = append(extra, data)
	}
	cat, err := bss.LoadCatalogue(extra...)
	require.NoError(t, err)
	urls := servers.URLs[:1]
	var rec *recorder
	if cfg.record {
		rec = &recorder{next: sim.Handler()}
		front := httptest.NewServer(rec)
		t.Cleanup(front.Close)
		urls = []string{front.URL}
	}
	b := &bench{t: t, store: st, sim: sim, servers: servers, seeded: seeded, rec: rec, dbURL: dbURL, pool: pool, cat: cat, urls: urls}
	b.client, b.engine, b.jobs = b.newProcess(cfg)
	svc, err := executions.NewService(executions.ServiceConfig{Store: st, Queue: b.jobs, Engine: b.engine, ApprovalLines: cfg.approvalLines})
	require.NoError(t, err)
	b.svc = svc
	return b
}

// newProcess makes what one PFF process adds to the bench's database and
// simulator: a BSS client, an engine and job workers (started unless
// cfg.noWorkers). A second one is a second process sharing the queue.
func (b *bench) newProcess(cfg benchConfig) (*bss.Client, *executions.Engine, *jobs.Client) {
	t := b.t
	t.Helper()
	systems := map[string]bss.SystemConfig{}
	urls := b.urls
	if cfg.cluster > 0 {
		urls = b.servers.URLs[cfg.cluster : cfg.cluster+1]
	}
	for _, name := range b.cat.Systems() {
		sc := bss.SystemConfig{Clusters: urls, Rate: 100_000, Burst: 1000, MaxInFlight: 64, Timeout: 2 * time.Second}
		if cfg.system != nil {
			cfg.system(&sc)
		}
		systems[name] = sc
	}
	bssCfg := bss.Config{Systems: systems, Logger: slog.New(slog.DiscardHandler), TracerProvider: cfg.tracer}
	if cfg.bss != nil {
		cfg.bss(&bssCfg)
	}
	client, err := bss.NewClient(b.cat, bssCfg)
	require.NoError(t, err)
	t.Cleanup(client.Close)
	validators, err := validation.DefaultSource()
	require.NoError(t, err)
	engineCfg := executions.EngineConfig{Store: b.store, Client: client, Validators: validators}
	if cfg.retry != nil {
		engineCfg.DefaultRetry = cfg.retry.DefaultRetry
	}
	if cfg.engine != nil {
		cfg.engine(&engineCfg)
	}
	engine, err := executions.NewEngine(engineCfg)
	require.NoError(t, err)
	workers := cfg.workers
	if workers == 0 {
		workers = 8
	}
	jobsCfg := jobs.Config{Workers: workers, FetchCooldown: 5 * time.Millisecond,
		Register: func(w *river.Workers) { river.AddWorker(w, &jobs.FlowLineWorker{Engine: engine}) }}
	if cfg.noWorkers {
		jobsCfg = jobs.Config{}
	}
	jobsCfg.TracerProvider = cfg.tracer
	queue, err := jobs.New(b.pool, jobsCfg)
	require.NoError(t, err)
	if !cfg.noWorkers {
		require.NoError(t, queue.Start(context.Background()))
		t.Cleanup(func() { _ = queue.Stop(context.Background(), 5*time.Second, 5*time.Second) })
	}
	return client, engine, queue
}

// upload stores a flow file as a new version, activates it, and returns its id.
func (b *bench) upload(name, content string) int64 {
	b.t.Helper()
	ctx := context.Background()
	lib := knowledge.NewLibrary(b.store, nil, b.svc.Catalog())
	created, err := lib.Create(ctx, knowledge.KindFlows, knowledge.CreateRequest{Name: name, Content: content}, "user:test")
	require.NoError(b.t, err)
	_, err = b.store.ActivateKnowledge(ctx, string(knowledge.KindFlows), created.ID, "user:test")
	require.NoError(b.t, err)
	return created.ID
}

func (b *bench) uploadFile(name, path string) int64 {
	b.t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(b.t, err)
	return b.upload(name, string(data))
}

// wait waits for an execution to stop moving: a final state, paused or
// waiting for an approval.
func (b *bench) wait(id int64, timeout time.Duration) store.Execution {
	b.t.Helper()
	var e store.Execution
	settled := func() bool {
		var err error
		e, err = b.store.ExecutionByID(context.Background(), id)
		require.NoError(b.t, err)
		return e.Final() || e.State == store.ExecPaused || e.State == store.ExecAwaitingApproval && e.Done == 0
	}
	for deadline := time.Now().Add(timeout); !settled(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			views, _ := b.jobs.List(context.Background(), jobs.Filter{Limit: 20})
			for _, v := range views {
				b.t.Logf("job %d %s %s attempt %d errors %v", v.ID, v.Kind, v.State, v.Attempt, v.Errors)
			}
			for _, l := range b.lines(id) {
				b.t.Log(describeLine(l))
			}
			b.t.Fatalf("execution %d never settled: %+v", id, e)
		}
	}
	return e
}

func (b *bench) lines(id int64) []store.Line {
	b.t.Helper()
	lines, err := b.store.ExecutionLines(context.Background(), id, store.LineFilter{Limit: 100_000})
	require.NoError(b.t, err)
	return lines
}

func msisdns(seeded []bsssim.Seeded, n int) []executions.LineInput {
	lines := make([]executions.LineInput, n)
	for i := range lines {
		lines[i] = executions.LineInput{MSISDN: seeded[i%len(seeded)].MSISDN}
	}
	return lines
}

func describeLine(l store.Line) string {
	return fmt.Sprintf("line %d %s: %s %s %s", l.LineNo, l.MSISDN, l.State, l.ErrorCode, l.ErrorMessage)
}

// recorder serves BSS through next and keeps what it saw of each BSS
// request: method, path, query, body and the answer's status.
type recorder struct {
	next  http.Handler
	mu    sync.Mutex
	calls []recordedCall
}

type recordedCall struct {
	Method, Path, Query, Body string
	Status                    int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	r.next.ServeHTTP(sw, req)
	if strings.HasPrefix(req.URL.Path, "/_sim/") {
		return
	}
	r.mu.Lock()
	r.calls = append(r.calls, recordedCall{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery,
		Body: string(body), Status: sw.status})
	r.mu.Unlock()
}

// take returns the calls seen since the last take.
func (r *recorder) take() []recordedCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls = nil
	return out
}

// String writes a call on one line: method, path, sorted query, body as
// canonical JSON, and the status answered.
func (c recordedCall) String() string {
	line := c.Method + " " + c.Path
	if c.Query != "" {
		if q, err := url.ParseQuery(c.Query); err == nil {
			line += "?" + q.Encode()
		} else {
			line += "?" + c.Query
		}
	}
	if c.Body != "" {
		var v any
		if json.Unmarshal([]byte(c.Body), &v) == nil {
			canonical, _ := json.Marshal(v)
			line += " " + string(canonical)
		} else {
			line += " " + c.Body
		}
	}
	return fmt.Sprintf("%s -> %d", line, c.Status)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

package console

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

const testPassword = "correct horse battery staple"

// env is a console on a fresh database with the services built as `pff
// serve` builds them and job workers running, seeded with records and
// their reports, knowledge versions, a trained model, a fix-flow execution
// and users of every role.
type env struct {
	t        testing.TB
	store    *store.Store
	accounts *accounts.Accounts
	records  *records.Service
	library  *knowledge.Library
	learn    *learn.Service
	jobs     *jobs.Client
	flows    *executions.Service
	console  *Console
	server   *httptest.Server
	// sim holds the customers fix flows run on: their MSISDNs.
	msisdns []string
	users   map[auth.Role]store.User
	model   string
	// trainJob trained the model; flowsID is the active flow file.
	trainJob, flowsID int64
	// rejected is a record with findings; changed has two versions.
	rejected, changed int64
	clock             *settableClock
}

// settableClock is the console's clock: the time, moved on when a test
// says so.
type settableClock struct{ ahead atomic.Int64 }

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(config.Sources{Environ: []string{"DATABASE_URL=" + storetest.NewDatabase(t)}})
	require.NoError(t, err)
	pool, err := store.Connect(ctx, store.PoolConfig{URL: cfg.Database.URL, MaxConns: 12})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	st := store.New(pool)
	logger := slog.New(slog.DiscardHandler)
	source, err := knowledge.NewSource(knowledge.SourceConfig{Store: st, Recheck: time.Second,
		Validation: validation.Config{ModelPolicy: validation.ModelPolicy(cfg.Learn.ModelFindings)}})
	require.NoError(t, err)

	// A simulated BSS holding a few customers, for fix flows.
	sim := bsssim.New(bsssim.Config{Seed: 1})
	seeded, err := sim.AddGenerated(gen.Config{N: 4, Seed: 3})
	require.NoError(t, err)
	servers, err := sim.Start(bsssim.StartOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = servers.Close() })
	cat, err := bss.LoadCatalogue()
	require.NoError(t, err)
	systems := map[string]bss.SystemConfig{}
	for _, name := range cat.Systems() {
		systems[name] = bss.SystemConfig{Clusters: servers.URLs, Rate: 10_000}
	}
	client, err := bss.NewClient(cat, bss.Config{Systems: systems, Logger: logger})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	engine, err := executions.NewEngine(executions.EngineConfig{Store: st, Client: client, Validators: source})
	require.NoError(t, err)

	deps := jobs.Deps{Store: st, Validators: source, Flows: engine, TrainTimeout: 5 * time.Minute}
	queue, err := jobs.New(pool, jobs.Config{Workers: 4, Register: jobs.Register(deps), FetchCooldown: 20 * time.Millisecond,
		Queues: map[string]int{river.QueueDefault: 2, jobs.QueueFlows: 2}})
	require.NoError(t, err)
	require.NoError(t, queue.Start(context.WithoutCancel(ctx)))
	t.Cleanup(func() { _ = queue.Stop(context.Background(), time.Second, 5*time.Second) })

	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte(cfg.Auth.JWTSecret), Issuer: cfg.Auth.Issuer})
	require.NoError(t, err)
	accts, err := accounts.New(accounts.Config{Store: st, Tokens: tokens, Logger: logger})
	require.NoError(t, err)
	recs, err := records.NewService(records.Config{Store: st, Queue: queue, Validators: source, Limits: cfg.Ingest.Limits()})
	require.NoError(t, err)
	lrn, err := learn.NewService(learn.ServiceConfig{Store: st, Queue: queue, Activated: source.Invalidate,
		MaxCategoryValues: cfg.Learn.MaxCategoryValues, EfSearch: cfg.Learn.EfSearch,
		Gate: learn.GateConfig{Records: 20}})
	require.NoError(t, err)
	flowsSvc, err := executions.NewService(executions.ServiceConfig{Store: st, Queue: queue, Engine: engine, ApprovalLines: 2})
	require.NoError(t, err)
	library := knowledge.NewLibrary(st, source, engine.Catalog())

	e := &env{t: t, store: st, accounts: accts, records: recs, library: library, learn: lrn, jobs: queue, flows: flowsSvc,
		users: map[auth.Role]store.User{}, clock: &settableClock{}}
	for _, s := range seeded {
		e.msisdns = append(e.msisdns, s.MSISDN)
	}
	e.console, err = New(Config{Store: st, Accounts: accts, Records: recs, Library: library, Learn: lrn, Jobs: queue,
		Executions: flowsSvc, FlowCatalog: engine.Catalog(), Version: "test", Logger: logger,
		Health: Health{Postgres: pool.Ping, Workers: 4}, Now: e.clock.now, OverviewTTL: time.Millisecond})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle(Prefix+"/", e.console)
	mux.Handle(Prefix, e.console)
	e.server = httptest.NewServer(mux)
	t.Cleanup(e.server.Close)
	for _, role := range []auth.Role{auth.RoleViewer, auth.RoleOperator, auth.RoleAdmin} {
		e.users[role] = e.createUser(role.String()+"1", role)
	}
	return e
}

func (c *settableClock) now() time.Time { return time.Now().Add(time.Duration(c.ahead.Load())) }

func (c *settableClock) advance(d time.Duration) { c.ahead.Add(int64(d)) }

func (e *env) createUser(name string, role auth.Role) store.User {
	e.t.Helper()
	u, err := e.accounts.CreateUser(context.Background(),
		accounts.CreateUserRequest{Username: name, Email: name + "@example.com", Role: role.String(), Password: testPassword})
	require.NoError(e.t, err)
	return u
}

// seed stores generated records (a tenth faulty) and waits for their
// validation jobs, stores a second version of one, uploads knowledge,
// trains and measures a model and starts a fix-flow execution.
func (e *env) seed() {
	t := e.t
	t.Helper()
	ctx := context.Background()
	var docs bytes.Buffer
	_, err := gen.WriteNDJSON(ctx, &docs, io.Discard, gen.Config{N: 40, Seed: 7, FaultRate: 0.3, Compact: true})
	require.NoError(t, err)
	_, err = e.records.Upload(ctx, bytes.NewReader(docs.Bytes()), "seed.ndjson", "application/x-ndjson")
	require.NoError(t, err)
	e.waitJobs("validate_records")

	list, err := e.records.List(ctx, records.Filter{Decision: "REJECT", Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, list, "a faulty record was rejected")
	e.rejected = list[0].ID
	// A second version of a record: the first with its status changed.
	first, err := e.records.List(ctx, records.Filter{Decision: "ACCEPT", Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, first)
	rec, err := e.records.Get(ctx, first[0].ID)
	require.NoError(t, err)
	changed := bytes.Replace(rec.Document, []byte(`"CustomerActive"`), []byte(`"CustomerSuspended"`), 1)
	require.NotEqual(t, rec.Document, changed)
	_, err = e.records.Upload(ctx, bytes.NewReader(changed), "changed.json", "application/json")
	require.NoError(t, err)
	e.waitJobs("validate_records")
	versions, err := e.records.Versions(ctx, rec.ID)
	require.NoError(t, err)
	require.Len(t, versions, 2)
	e.changed = versions[0].ID

	// Two versions of a check set; the flows of the executions tests.
	checks := "checks:\n  - id: contract-has-id\n    category: malformed_id\n    confidence: 0.9\n    description: A contract has an id.\n    target: contract\n    expr: this.id != \"\"\n"
	_, err = e.library.Create(ctx, knowledge.KindChecks, knowledge.CreateRequest{Name: "ops", Content: checks}, "user:seed")
	require.NoError(t, err)
	_, err = e.library.Create(ctx, knowledge.KindChecks, knowledge.CreateRequest{Name: "ops",
		Content: checks + "  - id: product-has-id\n    category: malformed_id\n    confidence: 0.9\n    description: A product has an id.\n    target: product\n    expr: this.id != \"\"\n"}, "user:seed")
	require.NoError(t, err)
	flowFile, err := os.ReadFile("../executions/testdata/fix-flows.yaml")
	require.NoError(t, err)
	created, err := e.library.Create(ctx, knowledge.KindFlows, knowledge.CreateRequest{Name: "ops", Content: string(flowFile)}, "user:seed")
	require.NoError(t, err)
	e.flowsID = created.Knowledge.ID
	_, err = e.library.Activate(ctx, knowledge.KindFlows, created.Knowledge.ID, "user:seed")
	require.NoError(t, err)

	// A model trained by the job workers, measured by its quality gate.
	_, _, err = learn.BuildKG(ctx, e.store, learn.CorpusConfig{})
	require.NoError(t, err)
	q, err := e.learn.Train(ctx, learn.Hyperparameters{Dim: 16, Epochs: 12, Negatives: 4, BatchSize: 128, EvalEvery: 3, Seed: 3}, "user:seed")
	require.NoError(t, err)
	e.trainJob = q.JobID
	job := e.waitJob(q.JobID)
	require.Equal(t, "completed", job.State, "training: %s", job.Errors)
	models, err := e.learn.Models(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, models)
	e.model = models[0].Version
	_, err = e.learn.Measure(ctx, e.model)
	require.NoError(t, err)
}

// waitJobs waits until no job of the kind is left to run.
func (e *env) waitJobs(kind string) {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		for _, state := range []string{"available", "running", "retryable", "scheduled"} {
			js, err := e.jobs.List(context.Background(), jobs.Filter{Kind: kind, State: state, Limit: 1})
			require.NoError(e.t, err)
			if len(js) > 0 {
				return false
			}
		}
		return true
	}, 2*time.Minute, 50*time.Millisecond)
}

func (e *env) waitJob(id int64) jobs.View {
	e.t.Helper()
	var j jobs.View
	require.Eventually(e.t, func() bool {
		var err error
		j, err = e.jobs.Get(context.Background(), id)
		require.NoError(e.t, err)
		return j.Final()
	}, 3*time.Minute, 100*time.Millisecond)
	return j
}

// url is a console page's address on the test server.
func (e *env) url(path string) string { return e.server.URL + Prefix + path }

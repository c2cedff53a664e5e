package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"golang.org/x/sync/errgroup"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/httpapi"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/app/resp"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

// services are the long-lived dependencies of a process and the domain
// services built on them, which the front ends (HTTP, command line, jobs)
// share.
type services struct {
	cfg    config.Config
	logger *slog.Logger
	pool   *pgxpool.Pool
	store  *store.Store
	jobs   *jobs.Client
	redis  *resp.Client // nil when Redis is not configured
	// knowledge is the active schema, rules, checks and model, as a validator.
	knowledge *knowledge.Source
	registry  *prometheus.Registry
	// tracing exports spans when telemetry.otlp_endpoint is set.
	tracing *telemetry

	accounts *accounts.Accounts
	records  *records.Service
	library  *knowledge.Library
	learn    *learn.Service
	// flowCatalog is what flow files may call, for lint.
	flowCatalog executions.Catalog
	// engine and executions run fix flows; nil when BSS is not configured.
	bss        *bss.Client
	engine     *executions.Engine
	executions *executions.Service
}

// pendingMigrationsError says the schema is behind the binary.
type pendingMigrationsError struct{ pending int }

func (e pendingMigrationsError) Error() string {
	return fmt.Sprintf("the database has %d pending migration(s); run `pff migrate up` first, or start with `pff serve --migrate`", e.pending)
}

// processOptions say what kind of process the services are for.
type processOptions struct {
	// migrate applies pending migrations instead of refusing to start.
	migrate bool
	// maxConns overrides database.max_conns (one-shot commands need few).
	maxConns int32
	// workers runs jobs; otherwise the job client only inserts.
	workers bool
	// flowsOnly works only the lines of fix flows (pff run).
	flowsOnly bool
	// build and process name the process in its spans.
	build   config.BuildInfo
	process string
	// tracerProvider replaces the one telemetry.* would make: tests trace
	// into memory.
	tracerProvider *sdktrace.TracerProvider
}

// startServices waits for PostgreSQL, checks or applies migrations, opens the
// pool and makes the River client, Redis client, metrics registry and the
// domain services. The River client is not started yet.
func startServices(ctx context.Context, cfg config.Config, logger *slog.Logger, opts processOptions) (*services, error) {
	var pool *pgxpool.Pool
	maxConns := cfg.Database.MaxConns
	switch {
	case opts.flowsOnly:
		maxConns = int32(min(cfg.Flows.Workers+4, 100))
	case opts.maxConns > 0:
		maxConns = opts.maxConns
	}
	tracing, err := startTracing(ctx, cfg, opts.build, opts.process)
	if err != nil {
		return nil, err
	}
	if opts.tracerProvider != nil {
		tracing = &telemetry{provider: opts.tracerProvider}
	}
	connect := func(ctx context.Context) (err error) {
		pool, err = store.Connect(ctx, store.PoolConfig{
			URL:            cfg.Database.URL,
			MaxConns:       maxConns,
			MinConns:       min(cfg.Database.MinConns, maxConns),
			ConnectTimeout: cfg.Database.ConnectTimeout,
			Logger:         logger,
			TracerProvider: tracing.Provider(),
		})
		return err
	}
	// Checking the schema and opening the pool each wait for the server;
	// they overlap unless migrations must first create what the pool needs.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return prepareSchema(gctx, cfg, logger, opts.migrate) })
	if !opts.migrate {
		g.Go(func() error { return connect(gctx) })
	}
	err = g.Wait()
	if err == nil && pool == nil {
		err = connect(ctx)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		tracing.shutdown(context.WithoutCancel(ctx), logger)
		return nil, err
	}
	s := &services{cfg: cfg, logger: logger, pool: pool, store: store.New(pool), tracing: tracing}
	s.registry = httpapi.NewRegistry(pool, s.store, logger)
	if err := s.build(ctx, opts); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// build makes the clients and domain services on an open pool.
func (s *services) build(ctx context.Context, opts processOptions) error {
	cfg := s.cfg
	var err error
	if cfg.Redis.URL != "" {
		if s.redis, err = resp.Open(cfg.Redis.URL, resp.Options{}); err != nil {
			return fmt.Errorf("redis.url: %w", err)
		}
		s.registry.MustRegister(httpapi.NewRedisCollector(s.redis.Ping, s.logger))
	}
	// One source of the active schema, rules and checks per process: the
	// API's validations and the workers' judge alike.
	s.knowledge, err = knowledge.NewSource(knowledge.SourceConfig{Store: s.store, Recheck: time.Second,
		Validation:   validation.Config{ModelPolicy: modelPolicy(cfg.Learn)},
		Plausibility: learn.PlausibilityLoader(s.store, plausibilityConfig(cfg.Learn))})
	if err != nil {
		return err
	}
	catalogue, err := s.catalogue(ctx)
	if err != nil {
		return err
	}
	if cfg.FlowsEnabled() {
		if err := s.buildEngine(catalogue); err != nil {
			return err
		}
	}
	jobsCfg := jobs.Config{}
	if opts.workers {
		deps := jobs.Deps{Store: s.store, AuditRetentionDays: cfg.Audit.RetentionDays, Validators: s.knowledge,
			TrainTimeout: cfg.Learn.TrainTimeout, Flows: s.engine}
		jobsCfg = jobs.Config{
			Workers:              cfg.Jobs.Workers,
			Queues:               map[string]int{river.QueueDefault: cfg.Jobs.Workers},
			Logger:               s.logger.With("component", "river"),
			Register:             jobs.Register(deps),
			PeriodicJobs:         jobs.PeriodicJobs(deps),
			RescueStuckJobsAfter: cfg.Learn.TrainTimeout + 10*time.Minute,
		}
		if s.engine != nil && cfg.Flows.Workers > 0 {
			jobsCfg.Queues[jobs.QueueFlows] = cfg.Flows.Workers
		}
		if opts.flowsOnly && s.engine != nil {
			quiet := slog.New(atLeast{Handler: s.logger.Handler(), min: slog.LevelWarn})
			jobsCfg = jobs.Config{Workers: cfg.Flows.Workers, Logger: quiet, Queues: map[string]int{jobs.QueueFlows: cfg.Flows.Workers},
				Register: func(w *river.Workers) { river.AddWorker(w, &jobs.FlowLineWorker{Engine: s.engine}) }}
		}
		if cfg.Jobs.Workers == 0 {
			jobsCfg = jobs.Config{}
		}
	}
	jobsCfg.TracerProvider = s.tracing.Provider()
	if s.jobs, err = jobs.New(s.pool, jobsCfg); err != nil {
		return err
	}
	if s.accounts, err = accounts.New(accounts.Config{Store: s.store, Logger: s.logger}); err != nil {
		return err
	}
	s.records, err = records.NewService(records.Config{Store: s.store, Queue: s.jobs, Validators: s.knowledge,
		Limits: cfg.Ingest.Limits(), BatchSize: cfg.Ingest.BatchSize})
	if err != nil {
		return err
	}
	s.flowCatalog = executions.Catalog{BSS: catalogue}
	s.library = knowledge.NewLibrary(s.store, s.knowledge, s.flowCatalog)
	if s.engine != nil {
		s.executions, err = executions.NewService(executions.ServiceConfig{Store: s.store, Queue: s.jobs, Engine: s.engine,
			ApprovalLines: cfg.Flows.ApprovalLines, MaxLines: cfg.Flows.MaxLines})
		if err != nil {
			return err
		}
	}
	s.learn, err = learn.NewService(learn.ServiceConfig{Store: s.store, Queue: s.jobs, Activated: s.knowledge.Invalidate,
		MaxCategoryValues: cfg.Learn.MaxCategoryValues, EfSearch: cfg.Learn.EfSearch,
		Plausibility: plausibilityConfig(cfg.Learn), Gate: gateConfig(cfg.Learn)})
	return err
}

// catalogue is the BSS operation catalogue: the embedded one, with the
// active operations overlay (read at start).
func (s *services) catalogue(ctx context.Context) (*bss.Catalogue, error) {
	active, err := s.store.ActiveKnowledgeVersions(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range active {
		if a.Kind != string(knowledge.KindOperations) {
			continue
		}
		k, err := s.store.KnowledgeByID(ctx, a.Kind, a.ID)
		if err != nil {
			return nil, err
		}
		cat, err := bss.LoadCatalogue([]byte(k.Content))
		if err != nil {
			return nil, fmt.Errorf("the active operation catalogue %s v%d: %w", k.Name, k.Version, err)
		}
		return cat, nil
	}
	return bss.LoadCatalogue()
}

// buildEngine makes the BSS client and the engine that runs fix flows. Rate
// limits are shared through Redis when it is configured.
func (s *services) buildEngine(catalogue *bss.Catalogue) error {
	metrics, err := bss.NewMetrics(s.registry)
	if err != nil {
		return err
	}
	cfg := s.cfg.BSS
	cfg.Logger, cfg.Metrics = s.logger.With("component", "bss"), metrics
	cfg.TracerProvider = s.tracing.Provider()
	cfg.Limiter = auth.NewMemoryLimiter(auth.MemoryLimiterConfig{})
	if s.redis != nil {
		cfg.Limiter = &auth.FallbackLimiter{Primary: auth.NewRedisLimiter(s.redis, "pff:bss:", time.Now), Fallback: cfg.Limiter, Logger: s.logger}
	}
	if s.bss, err = bss.NewClient(catalogue, cfg); err != nil {
		return err
	}
	s.engine, err = executions.NewEngine(executions.EngineConfig{Store: s.store, Client: s.bss, Validators: s.knowledge,
		Logger: s.logger.With("component", "flows")})
	return err
}

// serveAccounts replaces the accounts service with one that logs people in
// and authenticates requests: tokens signed with auth.jwt_secret, token
// versions cached while PostgreSQL notifies this process of revocations
// (until ctx ends).
func (s *services) serveAccounts(ctx context.Context) error {
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte(s.cfg.Auth.JWTSecret), Issuer: s.cfg.Auth.Issuer, TTL: s.cfg.Auth.TokenTTL})
	if err != nil {
		return fmt.Errorf("access tokens: %w", err)
	}
	versions := accounts.NewTokenVersions(s.store, s.logger)
	go versions.Listen(ctx)
	s.accounts, err = accounts.New(accounts.Config{Store: s.store, Tokens: tokens, Versions: versions, Logger: s.logger})
	return err
}

// limiter is the rate limiter of the API: in Redis when configured, so
// replicas share budgets, falling back to memory while Redis is down.
func (s *services) limiter() auth.Limiter {
	memory := auth.NewMemoryLimiter(auth.MemoryLimiterConfig{})
	if s.redis == nil {
		return memory
	}
	return &auth.FallbackLimiter{Primary: auth.NewRedisLimiter(s.redis, "pff:ratelimit:", time.Now), Fallback: memory, Logger: s.logger}
}

// prepareSchema waits until PostgreSQL answers, then applies pending
// migrations when asked to, and otherwise refuses to run on an old schema.
func prepareSchema(ctx context.Context, cfg config.Config, logger *slog.Logger, migrate bool) error {
	migrator, err := store.OpenMigrator(cfg.Database.URL, logger)
	if err != nil {
		return err
	}
	defer migrator.Close() //nolint:errcheck // closes the migration pool when done; nothing is left to lose
	if err := migrator.WaitReachable(ctx, cfg.Database.ConnectTimeout); err != nil {
		return err
	}
	if migrate {
		applied, err := migrator.Up(ctx)
		if err != nil {
			return err
		}
		if len(applied) > 0 {
			logger.Info("applied migrations", "versions", applied)
		}
		return nil
	}
	if pending, err := migrator.HasPending(ctx); err != nil || !pending {
		return err
	}
	pending, err := migrator.Pending(ctx)
	if err != nil {
		return err
	}
	return pendingMigrationsError{pending: pending}
}

// stopJobs lets running jobs finish within jobs.stop_timeout, then cancels
// and requeues them.
//
//nolint:contextcheck // it runs at shutdown, when the command's context has ended
func (s *services) stopJobs() {
	if err := s.jobs.Stop(context.Background(), s.cfg.Jobs.StopTimeout, 10*time.Second); err != nil {
		s.logger.Error("stop jobs", "error", err)
	}
}

// close releases the services.
//
//nolint:contextcheck // it runs at shutdown, when the command's context has ended
func (s *services) close() {
	if s.bss != nil {
		s.bss.Close()
	}
	if s.redis != nil {
		_ = s.redis.Close()
	}
	s.pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.tracing.shutdown(ctx, s.logger)
}

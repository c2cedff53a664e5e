package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/resp"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

// services are the long-lived dependencies shared by `pff serve` and
// `pff worker`.
type services struct {
	cfg    Config
	logger *slog.Logger
	pool   *pgxpool.Pool
	store  *store.Store
	jobs   *jobs.Client
	redis  *resp.Client // nil when Redis is not configured
	// knowledge is the active schema, rules and checks, as a validator.
	knowledge *knowledge.Source
	registry  *prometheus.Registry
}

// pendingMigrationsError says the schema is behind the binary.
type pendingMigrationsError struct{ pending int }

func (e pendingMigrationsError) Error() string {
	return fmt.Sprintf("the database has %d pending migration(s); run `pff migrate up` first, or start with `pff serve --migrate`", e.pending)
}

// startServices waits for PostgreSQL, checks or applies migrations, opens the
// pool and makes the River client, Redis client and metrics registry. The
// River client is not started yet.
func startServices(ctx context.Context, cfg Config, logger *slog.Logger, migrate bool) (*services, error) {
	var pool *pgxpool.Pool
	connect := func(ctx context.Context) (err error) {
		pool, err = store.Connect(ctx, store.PoolConfig{
			URL:            cfg.Database.URL,
			MaxConns:       cfg.Database.MaxConns,
			MinConns:       cfg.Database.MinConns,
			ConnectTimeout: cfg.Database.ConnectTimeout,
			Logger:         logger,
		})
		return err
	}
	// Checking the schema and opening the pool each wait for the server;
	// they overlap unless migrations must first create what the pool needs.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return prepareSchema(gctx, cfg, logger, migrate) })
	if !migrate {
		g.Go(func() error { return connect(gctx) })
	}
	err := g.Wait()
	if err == nil && pool == nil {
		err = connect(ctx)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		return nil, err
	}
	s := &services{cfg: cfg, logger: logger, pool: pool, store: store.New(pool), registry: newRegistry()}
	if cfg.Redis.URL != "" {
		s.redis, err = resp.Open(cfg.Redis.URL, resp.Options{})
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("redis.url: %w", err)
		}
	}
	// One source of the active schema, rules and checks per process: the
	// API's validations and the workers' judge alike.
	s.knowledge, err = knowledge.NewSource(knowledge.SourceConfig{Store: s.store, Recheck: time.Second,
		Plausibility: s.loadPlausibility})
	if err != nil {
		s.close()
		return nil, err
	}
	deps := jobs.Deps{Store: s.store, AuditRetentionDays: cfg.Audit.RetentionDays, Validators: s.knowledge,
		TrainTimeout: cfg.Learn.TrainTimeout}
	s.jobs, err = jobs.New(pool, jobs.Config{
		Workers:              cfg.Jobs.Workers,
		Logger:               logger.With("component", "river"),
		Register:             jobs.Register(deps),
		PeriodicJobs:         jobs.PeriodicJobs(deps),
		RescueStuckJobsAfter: cfg.Learn.TrainTimeout + 10*time.Minute,
	})
	if err != nil {
		s.close()
		return nil, err
	}
	s.registry.MustRegister(newPoolCollector(pool), newJobCollector(s.store, logger))
	return s, nil
}

// loadPlausibility loads the active model as the validators' learned term.
func (s *services) loadPlausibility(ctx context.Context, modelID int64) (validation.Plausibility, error) {
	m, err := s.store.ModelByID(ctx, modelID)
	if err != nil {
		return nil, err
	}
	p, err := learn.LoadPlausibility(ctx, s.store, m, learn.PlausibilityConfig{
		MinConfidence: s.cfg.Learn.MinConfidence, FactErrorRate: s.cfg.Learn.FactErrorRate})
	if errors.Is(err, learn.ErrCannotJudgeRecords) {
		return nil, nil // validation goes on without a learned term, and says so
	}
	return p, err
}

// prepareSchema waits until PostgreSQL answers, then applies pending
// migrations when asked to, and otherwise refuses to run on an old schema.
func prepareSchema(ctx context.Context, cfg Config, logger *slog.Logger, migrate bool) error {
	migrator, err := store.OpenMigrator(cfg.Database.URL, logger)
	if err != nil {
		return err
	}
	defer migrator.Close()
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

func (s *services) healthChecks(version string) healthChecks {
	h := healthChecks{version: version, postgres: s.pool.Ping, riverWorkers: s.jobs.Workers()}
	if s.redis != nil {
		h.redis = s.redis.Ping
	}
	return h
}

// stopJobs lets running jobs finish within jobs.stop_timeout, then cancels
// and requeues them.
func (s *services) stopJobs() {
	if err := s.jobs.Stop(context.Background(), s.cfg.Jobs.StopTimeout, 10*time.Second); err != nil {
		s.logger.Error("stop jobs", "error", err)
	}
}

func (s *services) close() {
	if s.redis != nil {
		_ = s.redis.Close()
	}
	s.pool.Close()
}

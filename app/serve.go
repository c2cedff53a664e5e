package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/httpapi"
)

func serveCommand() *command {
	var migrate bool
	return &command{
		name:    "serve",
		summary: "Run the HTTP API, the operator console and the job workers in one process.",
		details: `Serves the API on http.addr (default :8000), the operator console under
/console (a browser opening / is sent there), and works jobs with jobs.workers
workers (--workers 0 serves the API only and leaves jobs to ` + "`pff worker`" + `).
Refuses to start while migrations are pending, unless --migrate is given.
SIGINT or SIGTERM stops it gracefully: in-flight requests finish, running
jobs get jobs.stop_timeout to finish and are then handed back to the queue.`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			inv.configFlag(fs, "addr", "http.addr", "listen `address`")
			inv.configFlag(fs, "workers", "jobs.workers", "number of concurrent job `workers`; 0 for API only")
			fs.BoolVar(&migrate, "migrate", false, "apply pending migrations before starting")
		},
		run: func(ctx context.Context, inv *invocation) error {
			if len(inv.args) > 0 {
				return usagef("unexpected argument %q", inv.args[0])
			}
			return runProcess(ctx, inv, processOptions{migrate: migrate, workers: true, process: "serve"}, func(s *services) (http.Handler, string, error) {
				if err := s.serveAccounts(ctx); err != nil {
					return nil, "", err
				}
				if err := bootstrapAdmin(ctx, s); err != nil {
					return nil, "", err
				}
				deps := s.httpDeps(inv.Build)
				console, err := s.console(inv.Build)
				if err != nil {
					return nil, "", err
				}
				deps.Console = console
				h, err := httpapi.New(deps) //nolint:contextcheck // requests carry their own contexts
				return h, s.cfg.HTTP.Addr, err
			})
		},
	}
}

func workerCommand() *command {
	return &command{
		name:    "worker",
		summary: "Run job workers only, with a /health and /metrics listener.",
		details: `Works jobs with jobs.workers workers and answers /health, /health/detailed
and /metrics on worker.addr (default :8001), so a worker container has a
healthcheck too. Any number of workers can run: River spreads jobs through
PostgreSQL.`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			inv.configFlag(fs, "addr", "worker.addr", "health and metrics listen `address`")
			inv.configFlag(fs, "workers", "jobs.workers", "number of concurrent job `workers`")
		},
		run: func(ctx context.Context, inv *invocation) error {
			if len(inv.args) > 0 {
				return usagef("unexpected argument %q", inv.args[0])
			}
			//nolint:contextcheck // requests carry their own contexts
			return runProcess(ctx, inv, processOptions{workers: true, process: "worker"}, func(s *services) (http.Handler, string, error) {
				if s.cfg.Jobs.Workers == 0 {
					return nil, "", usagef("a worker needs at least one job worker (jobs.workers > 0)")
				}
				return httpapi.NewProbes(s.httpDeps(inv.Build)), s.cfg.Worker.Addr, nil
			})
		},
	}
}

// httpDeps are what the HTTP front end serves.
func (s *services) httpDeps(build config.BuildInfo) httpapi.Deps {
	health := httpapi.Health{Version: build.Version, Postgres: s.pool.Ping, Workers: s.jobs.Workers()}
	if s.redis != nil {
		health.Redis = s.redis.Ping
	}
	return httpapi.Deps{Config: s.cfg, Build: build, Logger: s.logger, Registry: s.registry, Health: health,
		Accounts: s.accounts, Records: s.records, Library: s.library, Learn: s.learn, Jobs: s.jobs, Limiter: s.limiter(),
		Executions: s.executions, FlowCatalog: s.flowCatalog, TracerProvider: s.tracing.Provider()}
}

// runProcess starts the services, serves HTTP with the handler that handler
// returns, works jobs, and shuts all of it down gracefully when ctx ends.
func runProcess(ctx context.Context, inv *invocation, opts processOptions, handler func(*services) (http.Handler, string, error)) error {
	started := time.Now()
	cfg, err := inv.config()
	if err != nil {
		return err
	}
	logs := newLogBuffer(inv.Stderr, 100*time.Millisecond)
	defer logs.Close()
	logger := newLogger(cfg, logs)
	if !cfg.Production() && cfg.Auth.JWTSecret == config.InsecureDevSecret {
		logger.Warn("using the insecure development JWT secret; set auth.jwt_secret (PFF_AUTH__JWT_SECRET) before exposing PFF")
	}
	opts.build = inv.Build
	s, err := startServices(ctx, cfg, logger, opts)
	if err != nil {
		return err
	}
	defer s.close()
	h, addr, err := handler(s)
	if err != nil {
		return err
	}
	listener, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	server := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()

	// River hard-stops when the context given to Start ends; the shutdown
	// below wants a soft stop first, so Start gets a context that never ends.
	if err := s.jobs.Start(context.WithoutCancel(ctx)); err != nil {
		_ = server.Close()
		return err
	}
	logger.Info("ready", "addr", listener.Addr().String(), "workers", s.jobs.Workers(),
		"version", inv.Build.Version, "startup_ms", float64(time.Since(started).Microseconds())/1000)

	var serveErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down", "reason", context.Cause(ctx))
	case serveErr = <-served:
		logger.Error("HTTP server stopped", "error", serveErr)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil { //nolint:contextcheck // ctx has ended: the shutdown needs a context of its own
		logger.Warn("in-flight requests cut off at http.shutdown_timeout", "error", err)
		_ = server.Close()
	}
	s.stopJobs()
	logger.Info("stopped")
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve HTTP: %w", serveErr)
	}
	return nil
}

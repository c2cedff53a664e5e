package app

import (
	"net/http"

	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/console"
)

// console is the operator console on the same services as the API.
func (s *services) console(build config.BuildInfo) (http.Handler, error) {
	health := console.Health{Postgres: s.pool.Ping, Workers: s.jobs.Workers()}
	if s.redis != nil {
		health.Redis = s.redis.Ping
	}
	return console.New(console.Config{Store: s.store, Accounts: s.accounts, Records: s.records, Library: s.library,
		Learn: s.learn, Jobs: s.jobs, Executions: s.executions, FlowCatalog: s.flowCatalog, Health: health,
		Version: build.Version, Logger: s.logger.With("component", "console"), TrustedProxies: s.cfg.HTTP.TrustedProxies})
}

package store

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pingAfterFatal is how long after a connection's FATAL error every
// connection is pinged before the pool hands it out.
const pingAfterFatal = 30 * time.Second

// replaceDeadConns makes the pool replace connections that PostgreSQL has
// ended instead of handing them out. A restart, or pg_terminate_backend,
// ends every connection with a FATAL error that a connection only reads
// when it is next used, and pgxpool pings a connection before handing it
// out only once it has been idle for a second: each dead idle connection
// would fail one request. After the first FATAL error, every connection
// is pinged for a while, so one request fails, not one per connection.
func replaceDeadConns(cfg *pgxpool.Config) {
	var lastFatal atomic.Int64 // unix nanoseconds
	closeOnFatal := cfg.ConnConfig.OnPgError
	cfg.ConnConfig.OnPgError = func(conn *pgconn.PgConn, pgErr *pgconn.PgError) bool {
		fatal := strings.EqualFold(pgErr.Severity, "FATAL")
		if fatal {
			lastFatal.Store(time.Now().UnixNano())
		}
		if closeOnFatal != nil {
			return closeOnFatal(conn, pgErr)
		}
		return !fatal
	}
	cfg.ShouldPing = func(_ context.Context, p pgxpool.ShouldPingParams) bool {
		return p.IdleDuration > time.Second || time.Since(time.Unix(0, lastFatal.Load())) < pingAfterFatal
	}
}

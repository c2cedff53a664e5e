package store

import (
	"context"
	"errors"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pff/pff/internal/neterr"
)

// Describe says why a database call failed in words that are safe to log and
// to return to clients: never the connection string, user or password, which
// pgx's own connect errors may contain.
func Describe(err error) string {
	var pgErr *pgconn.PgError
	var dnsErr *net.DNSError
	var connectErr *ConnectError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &connectErr):
		return connectErr.msg
	case errors.As(err, &pgErr):
		switch pgErr.Code {
		case "28P01", "28000":
			return "authentication failed"
		case "3D000":
			return "database does not exist"
		case "57P03":
			return "server is starting up or shutting down"
		case "53300":
			return "too many connections"
		}
		return "server error " + pgErr.Code
	case errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case neterr.Refused(err):
		return "connection refused"
	case neterr.Reset(err):
		return "connection reset"
	case errors.As(err, &dnsErr):
		return "host not found"
	case errors.Is(err, errNoVectorTypes):
		return "pgvector types missing (has `pff migrate up` run?)"
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return "network error"
	}
	return "unavailable"
}

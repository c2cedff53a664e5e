package store

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// The connection failures that waiting cannot mend. Connect and
// Migrator.WaitReachable return them at once as a *ConnectError, whose
// message says the fix; errors.Is tells them apart.
var (
	// ErrBadURL: the database URL is not a PostgreSQL connection string.
	ErrBadURL = errors.New("database URL is not a valid PostgreSQL connection string")
	// ErrNoDatabase: the database the URL names does not exist (3D000).
	ErrNoDatabase = errors.New("database does not exist")
	// ErrAuth: the server refused the user or password (class 28: 28P01,
	// 28000).
	ErrAuth = errors.New("authentication failed")
	// ErrRefused: PostgreSQL refused the connection for another lasting
	// reason, such as a missing CONNECT privilege.
	ErrRefused = errors.New("connection refused by PostgreSQL")
)

// ConnectError is a connection failure that retrying cannot mend. Its
// message is one line that is safe to show: it names the database but never
// the user or password.
type ConnectError struct {
	// Kind is ErrBadURL, ErrNoDatabase, ErrAuth or ErrRefused.
	Kind error
	// Database is the database the URL names, "" for ErrBadURL.
	Database string
	msg      string
}

func (e *ConnectError) Error() string { return "store: " + e.msg }

// Unwrap makes errors.Is(err, e.Kind) true.
func (e *ConnectError) Unwrap() error { return e.Kind }

// badURLError is the error for a URL that does not parse. pgx's own parse
// errors can quote the connection string, password included, so it says
// only what the form is.
func badURLError() error {
	return &ConnectError{Kind: ErrBadURL, msg: ErrBadURL.Error() +
		": write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=disable, or as key=value pairs"}
}

// errNoVectorTypes marks a failure to register pgvector's types on a new
// connection.
var errNoVectorTypes = errors.New("pgvector types not registered")

// lastingFailure returns the *ConnectError for err when PostgreSQL refused
// the connection for good, and nil for what retrying can mend: connection
// refused or reset, timeouts, a server starting up, shutting down or out of
// connections, and whatever is not known to last.
func lastingFailure(err error, database string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		code := pgErr.Code
		switch {
		case code == "3D000":
			return &ConnectError{Kind: ErrNoDatabase, Database: database, msg: fmt.Sprintf(
				"database %q does not exist: create it with `createdb %s` or run scripts/create-database.sh",
				database, shellWord(database))}
		case strings.HasPrefix(code, "28"):
			return &ConnectError{Kind: ErrAuth, Database: database, msg: fmt.Sprintf(
				"PostgreSQL refused the login to database %q (%s): check the user and password in the database URL, and that the server's pg_hba.conf lets that user in from this host",
				database, Describe(err))}
		case retryableCode(code):
			return nil
		default:
			return &ConnectError{Kind: ErrRefused, Database: database, msg: fmt.Sprintf(
				"PostgreSQL refused the connection to database %q: %s", database, Describe(err))}
		}
	}
	// A database without pgvector's types is retried like the rest: a
	// process that migrates at start-up creates them meanwhile, and `pff
	// serve` reports pending migrations through the migrator instead.
	return nil
}

// retryableCode reports whether a server that refused a connection with
// this SQLSTATE may accept it later: it is starting up, shutting down or
// recovering (57P01-57P03), out of resources such as connections (class
// 53), or the connection broke (class 08).
func retryableCode(code string) bool {
	switch {
	case code == "57P01", code == "57P02", code == "57P03":
		return true
	case strings.HasPrefix(code, "53"), strings.HasPrefix(code, "08"):
		return true
	}
	return false
}

// shellWord returns s as one word for a POSIX shell.
func shellWord(s string) string {
	plain := s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.')
	})
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

package store_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
)

// connectors are the two ways PFF waits for PostgreSQL: the pool, and the
// migrator before it migrates.
var connectors = []struct {
	name    string
	connect func(ctx context.Context, url string, timeout time.Duration) error
}{
	{"Connect", func(ctx context.Context, url string, timeout time.Duration) error {
		pool, err := store.Connect(ctx, store.PoolConfig{URL: url, ConnectTimeout: timeout})
		if err == nil {
			pool.Close()
		}
		return err
	}},
	{"WaitReachable", func(ctx context.Context, url string, timeout time.Duration) error {
		m, err := store.OpenMigrator(url, nil)
		if err != nil {
			return err
		}
		defer m.Close()
		return m.WaitReachable(ctx, timeout)
	}},
}

// A one-shot command against a database that is not there must say so at
// once, with the fix, rather than wait out the connect timeout.
func TestConnectReportsLastingFailuresAtOnce(t *testing.T) {
	t.Parallel()
	missing := "pff_missing_" + fmt.Sprint(time.Now().UnixNano())
	local := func(user, database string) string {
		return fmt.Sprintf("postgres://%s:s3cret-password@127.0.0.1:5432/%s?sslmode=disable", user, database)
	}
	tests := []struct {
		name    string
		url     string
		kind    error
		message string
	}{
		{"missing database", local("postgres", missing), store.ErrNoDatabase,
			fmt.Sprintf("store: database %q does not exist: create it with `createdb %s` or run scripts/create-database.sh", missing, missing)},
		{"missing database with a name to quote", local("postgres", "it%27s%20gone"), store.ErrNoDatabase,
			"create it with `createdb 'it'\\''s gone'`"},
		{"unknown user", local("nobody_pff_test", "postgres"), store.ErrAuth,
			`store: PostgreSQL refused the login to database "postgres" (authentication failed): check the user and password in the database URL`},
		{"wrong password", fakeServer(t, "28P01", "password authentication failed for user \"pff\"", nil), store.ErrAuth,
			"check the user and password in the database URL"},
		{"malformed URL", "postgres://pff:s3cret-password@127.0.0.1:notaport/pff", store.ErrBadURL,
			"store: database URL is not a valid PostgreSQL connection string: write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE"},
	}
	for _, tt := range tests {
		for _, c := range connectors {
			t.Run(tt.name+" "+c.name, func(t *testing.T) {
				t.Parallel()
				start := time.Now()
				err := c.connect(context.Background(), tt.url, 30*time.Second)
				require.Less(t, time.Since(start), 5*time.Second, "%v", err)
				require.ErrorIs(t, err, tt.kind)
				var ce *store.ConnectError
				require.ErrorAs(t, err, &ce)
				require.Contains(t, err.Error(), tt.message)
				require.NotContains(t, err.Error(), "s3cret-password")
				require.NotContains(t, err.Error(), "nobody_pff_test", "the user is not named")
				require.Equal(t, strings.TrimPrefix(err.Error(), "store: "), store.Describe(err))
			})
		}
	}

}

// What can mend is retried until the timeout: a server starting up.
func TestConnectRetriesAServerStartingUp(t *testing.T) {
	t.Parallel()
	for _, c := range connectors {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var attempts atomic.Int32
			u := fakeServer(t, "57P03", "the database system is starting up", &attempts)
			err := c.connect(context.Background(), u, 1200*time.Millisecond)
			require.Error(t, err)
			require.Contains(t, err.Error(), "unreachable after 1.2s")
			require.Contains(t, err.Error(), "server is starting up or shutting down")
			require.GreaterOrEqual(t, attempts.Load(), int32(3), "250 ms, then 500 ms between attempts")
			var ce *store.ConnectError
			require.False(t, errors.As(err, &ce))
		})
	}
}

// fakeServer listens on the loopback address and answers every connection's
// start-up message with a FATAL error of this SQLSTATE, counting the
// connections in attempts (when not nil). It returns a URL for it.
func fakeServer(t *testing.T, code, message string, attempts *atomic.Int32) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	var fields []byte
	for _, f := range [][2]string{{"S", "FATAL"}, {"V", "FATAL"}, {"C", code}, {"M", message}} {
		fields = append(append(append(fields, f[0]...), f[1]...), 0)
	}
	fields = append(fields, 0)
	reply := binary.BigEndian.AppendUint32([]byte{'E'}, uint32(4+len(fields)))
	reply = append(reply, fields...)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			if attempts != nil {
				attempts.Add(1)
			}
			go func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
				var size [4]byte
				if _, err := io.ReadFull(conn, size[:]); err != nil {
					return
				}
				if _, err := io.CopyN(io.Discard, conn, int64(binary.BigEndian.Uint32(size[:]))-4); err != nil {
					return
				}
				_, _ = conn.Write(reply)
			}()
		}
	}()
	return "postgres://pff:s3cret-password@" + ln.Addr().String() + "/pff?sslmode=disable&connect_timeout=2"
}

package resp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/internal/neterr"
)

// testRedisURL is REDIS_URL or the local Redis. If it does not answer the
// test is skipped, except under CI, where these tests must run.
func testRedisURL(t *testing.T) string {
	t.Helper()
	redisURL := os.Getenv("REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	c := openClient(t, redisURL, Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis is unreachable and CI is set, so the Redis tests must run: %v", err)
		}
		t.Skipf("redis is unreachable (%v); start it to run this test (under CI it is required)", err)
	}
	return redisURL
}

// variant is the test server's URL with other credentials and database.
func variant(t *testing.T, base string, user *url.Userinfo, db int) string {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	u.User, u.Path = user, "/"+strconv.Itoa(db)
	return u.String()
}

func openClient(t *testing.T, redisURL string, opts Options) *Client {
	t.Helper()
	c, err := Open(redisURL, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testKey returns a key unique to this test, deleted when it ends.
func testKey(t *testing.T, c *Client) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	key := "pff-test:resp:" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := c.Do(ctx, "DEL", key); err != nil {
			t.Errorf("clean up %s: %v", key, err)
		}
	})
	return key
}

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
		for _, nc := range conns {
			_ = nc.Close()
		}
	})
	return "redis://" + ln.Addr().String()
}

func TestDoRoundTrips(t *testing.T) {
	t.Parallel()
	c := openClient(t, testRedisURL(t), Options{})
	ctx := t.Context()
	require.NoError(t, c.Ping(ctx))
	key := testKey(t, c)

	v, err := c.Do(ctx, "GET", key)
	require.NoError(t, err)
	require.True(t, v.IsNull(), "absent key")

	value := []byte("line one\r\nline two \x00 binary")
	v, err = c.Do(ctx, "SET", key, value, "PX", int64(60_000))
	require.NoError(t, err)
	ok, err := v.Text()
	require.NoError(t, err)
	require.Equal(t, "OK", ok)

	v, err = c.Do(ctx, "GET", key)
	require.NoError(t, err)
	got, err := v.Text()
	require.NoError(t, err)
	require.Equal(t, string(value), got)

	_, err = c.Do(ctx, "GET", 1.5)
	require.ErrorContains(t, err, "resp: GET: argument 1 has unsupported type float64")
	require.NoError(t, c.Ping(ctx), "nothing was sent, the connection is fine")
}

func TestServerErrorIsTypedAndKeepsTheConnection(t *testing.T) {
	t.Parallel()
	c := openClient(t, testRedisURL(t), Options{PoolSize: 1})
	ctx := t.Context()
	id, err := c.Do(ctx, "CLIENT", "ID")
	require.NoError(t, err)

	_, err = c.Do(ctx, "NO-SUCH-COMMAND", "x")
	var serverErr *Error
	require.ErrorAs(t, err, &serverErr)
	require.Contains(t, serverErr.Message, "ERR unknown command")
	require.ErrorContains(t, err, "resp: NO-SUCH-COMMAND: ERR unknown command")

	again, err := c.Do(ctx, "CLIENT", "ID")
	require.NoError(t, err)
	require.Equal(t, id, again, "same connection")
}

func TestRunScriptFallsBackToEval(t *testing.T) {
	t.Parallel()
	c := openClient(t, testRedisURL(t), Options{})
	ctx := t.Context()
	key := testKey(t, c)
	// A unique comment makes a script Redis has never seen.
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	script := NewScript("-- " + hex.EncodeToString(b) + "\nreturn {redis.call('INCRBY', KEYS[1], ARGV[1]), tonumber(ARGV[2])}")
	cached := func() bool {
		v, err := c.Do(ctx, "SCRIPT", "EXISTS", script.sha1)
		require.NoError(t, err)
		exists, err := v.Int64s()
		require.NoError(t, err)
		return exists[0] == 1
	}
	run := func(want []int64) {
		v, err := c.RunScript(ctx, script, []string{key}, 5, int64(-3))
		require.NoError(t, err)
		got, err := v.Int64s()
		require.NoError(t, err)
		require.Equal(t, want, got)
	}

	require.False(t, cached())
	run([]int64{5, -3})
	require.True(t, cached(), "EVAL cached it")
	run([]int64{10, -3})

	_, err := c.Do(ctx, "SCRIPT", "FLUSH")
	require.NoError(t, err)
	require.False(t, cached())
	run([]int64{15, -3})
	require.True(t, cached())

	_, err = c.RunScript(ctx, NewScript("return redis.call('NO-SUCH-COMMAND')"), nil)
	var serverErr *Error
	require.ErrorAs(t, err, &serverErr)
}

func TestSelectsTheDatabase(t *testing.T) {
	t.Parallel()
	redisURL := testRedisURL(t)
	db0 := openClient(t, redisURL, Options{})
	db1 := openClient(t, variant(t, redisURL, nil, 1), Options{})
	ctx := t.Context()
	key := testKey(t, db1)
	_, err := db1.Do(ctx, "SET", key, "in db 1")
	require.NoError(t, err)

	v, err := db0.Do(ctx, "EXISTS", key)
	require.NoError(t, err)
	require.Equal(t, Value{kind: kindInt, n: 0}, v)
	v, err = db1.Do(ctx, "EXISTS", key)
	require.NoError(t, err)
	require.Equal(t, Value{kind: kindInt, n: 1}, v)
}

func TestAuthenticates(t *testing.T) {
	t.Parallel()
	redisURL := testRedisURL(t)
	admin := openClient(t, redisURL, Options{})
	ctx := t.Context()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	user, password := "pff-test-"+hex.EncodeToString(b[:4]), "pw-"+hex.EncodeToString(b[4:])
	_, err := admin.Do(ctx, "ACL", "SETUSER", user, "on", ">"+password, "+ping", "+select")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.Do(context.Background(), "ACL", "DELUSER", user) })

	good := openClient(t, variant(t, redisURL, url.UserPassword(user, password), 2), Options{})
	require.NoError(t, good.Ping(ctx))

	bad := openClient(t, variant(t, redisURL, url.UserPassword(user, "wrong-"+password), 0), Options{})
	err = bad.Ping(ctx)
	var serverErr *Error
	require.ErrorAs(t, err, &serverErr)
	require.ErrorContains(t, err, "resp: PING: authenticate to ")
	require.ErrorContains(t, err, "WRONGPASS")
	require.NotContains(t, err.Error(), password)
}

func TestConcurrentUseStaysWithinThePool(t *testing.T) {
	t.Parallel()
	c := openClient(t, testRedisURL(t), Options{PoolSize: 3})
	key := testKey(t, c)
	var (
		mu  sync.Mutex
		ids = map[int64]bool{}
		wg  sync.WaitGroup
	)
	for range 40 {
		wg.Go(func() {
			for range 25 {
				if _, err := c.Do(t.Context(), "INCR", key); err != nil {
					t.Error(err)
					return
				}
				v, err := c.Do(t.Context(), "CLIENT", "ID")
				if err != nil {
					t.Error(err)
					return
				}
				id, err := v.Int64()
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ids[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	v, err := c.Do(t.Context(), "GET", key)
	require.NoError(t, err)
	require.Equal(t, Value{kind: kindBulk, str: "1000"}, v)
	require.LessOrEqual(t, len(ids), 3, "connections used")
}

func TestRetriesOnceWhenTheServerClosedAnIdleConnection(t *testing.T) {
	t.Parallel()
	redisURL := testRedisURL(t)
	c := openClient(t, redisURL, Options{PoolSize: 1})
	admin := openClient(t, redisURL, Options{})
	ctx := t.Context()
	v, err := c.Do(ctx, "CLIENT", "ID")
	require.NoError(t, err)
	id, err := v.Int64()
	require.NoError(t, err)
	_, err = admin.Do(ctx, "CLIENT", "KILL", "ID", id)
	require.NoError(t, err)

	require.NoError(t, c.Ping(ctx), "a new connection replaces the dead one")
	v, err = c.Do(ctx, "CLIENT", "ID")
	require.NoError(t, err)
	require.NotEqual(t, Value{kind: kindInt, n: id}, v)
}

func TestDeadAddressFailsFast(t *testing.T) {
	t.Parallel()
	c := openClient(t, "redis://:s3cret@127.0.0.1:1", Options{})
	start := time.Now()
	err := c.Ping(t.Context())
	require.True(t, neterr.Refused(err), "refused: %v", err)
	require.ErrorContains(t, err, "resp: PING: dial tcp 127.0.0.1:1")
	require.NotContains(t, err.Error(), "s3cret")
	require.Less(t, time.Since(start), time.Second)
}

func TestContextAndTimeoutsInterruptASilentServer(t *testing.T) {
	t.Parallel()
	redisURL := silentServer(t)
	t.Run("deadline", func(t *testing.T) {
		t.Parallel()
		c := openClient(t, redisURL, Options{ReadTimeout: time.Minute})
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		require.ErrorIs(t, c.Ping(ctx), context.DeadlineExceeded)
		require.Less(t, time.Since(start), time.Second)
	})
	t.Run("cancel", func(t *testing.T) {
		t.Parallel()
		c := openClient(t, redisURL, Options{ReadTimeout: time.Minute})
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		require.ErrorIs(t, c.Ping(ctx), context.Canceled)
		require.Less(t, time.Since(start), time.Second)
	})
	t.Run("read timeout", func(t *testing.T) {
		t.Parallel()
		c := openClient(t, redisURL, Options{ReadTimeout: 100 * time.Millisecond})
		start := time.Now()
		err := c.Ping(t.Context())
		var netErr net.Error
		require.ErrorAs(t, err, &netErr)
		require.True(t, netErr.Timeout())
		require.Less(t, time.Since(start), time.Second)
	})
	t.Run("waiting for a connection", func(t *testing.T) {
		t.Parallel()
		c := openClient(t, redisURL, Options{PoolSize: 1, ReadTimeout: time.Minute})
		go func() { _ = c.Ping(t.Context()) }() // holds the only connection
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		require.ErrorIs(t, c.Ping(ctx), context.DeadlineExceeded)
	})
}

func TestClosedClientRefusesCommands(t *testing.T) {
	t.Parallel()
	c := openClient(t, testRedisURL(t), Options{})
	require.NoError(t, c.Ping(t.Context()))
	require.NoError(t, c.Close())
	require.ErrorIs(t, c.Ping(t.Context()), ErrClosed)
	require.NoError(t, c.Close(), "closing twice is harmless")
}

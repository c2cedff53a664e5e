// Package resp is a small Redis client: a pool of connections speaking
// RESP2, enough for PING, Lua scripts (EVALSHA with an EVAL fallback) and
// any other command through Do. PFF needs nothing more, and a full client
// library would add megabytes to the binary.
package resp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/pff/pff/internal/neterr"
)

// Options tunes a Client; zero fields take the defaults.
type Options struct {
	// DialTimeout bounds connecting, TLS and authentication (default 2 s).
	DialTimeout time.Duration
	// ReadTimeout bounds waiting for a reply (default 1 s).
	ReadTimeout time.Duration
	// WriteTimeout bounds sending a command (default 1 s).
	WriteTimeout time.Duration
	// PoolSize is the most connections open at once; commands beyond it
	// wait for a free one (default 10).
	PoolSize int
}

func (o Options) withDefaults() Options {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 2 * time.Second
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = time.Second
	}
	if o.PoolSize <= 0 {
		o.PoolSize = 10
	}
	return o
}

// ErrClosed is returned by commands on a closed Client.
var ErrClosed = errors.New("resp: client is closed")

// Client is a pool of connections to one Redis server. It is safe for
// concurrent use.
type Client struct {
	endpoint endpoint
	opts     Options
	// pool holds PoolSize tokens: an idle connection, or nil for the right
	// to dial one. Taking a token is what bounds the open connections.
	pool      chan *conn
	closed    chan struct{}
	closeOnce sync.Once
}

// Open returns a client for the server at
// redis://[[user]:password@]host[:port][/db], or rediss://… for TLS
// verified against the system roots. The port defaults to 6379 and the
// database to 0. Open does not connect: commands dial as they need to,
// authenticating and selecting the database on each new connection.
func Open(rawURL string, opts Options) (*Client, error) {
	e, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	c := &Client{endpoint: e, opts: opts, pool: make(chan *conn, opts.PoolSize), closed: make(chan struct{})}
	for range opts.PoolSize {
		c.pool <- nil
	}
	return c, nil
}

// ValidateURL reports whether rawURL is a URL Open accepts.
func ValidateURL(rawURL string) error {
	_, err := parseURL(rawURL)
	return err
}

// Close closes the idle connections, and the others as their commands
// finish. Commands after Close return ErrClosed.
func (c *Client) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	c.drain()
	return nil
}

// drain closes every connection in the pool and takes their tokens away.
func (c *Client) drain() {
	for {
		select {
		case cn := <-c.pool:
			if cn != nil {
				cn.close()
			}
		default:
			return
		}
	}
}

// Ping checks that the server answers.
func (c *Client) Ping(ctx context.Context) error {
	v, err := c.Do(ctx, "PING")
	if err != nil {
		return err
	}
	s, err := v.Text()
	if err != nil {
		return fmt.Errorf("resp: PING: %w", err)
	}
	if s != "PONG" {
		return fmt.Errorf("resp: PING: reply %q, want PONG", s)
	}
	return nil
}

// Do sends one command, such as "SET", key, value, and returns its reply.
// A server error reply is returned as an *Error. The context's deadline
// and cancellation apply on top of the client's timeouts.
func (c *Client) Do(ctx context.Context, args ...any) (Value, error) {
	v, err := c.do(ctx, args)
	if err != nil {
		name := "command"
		if len(args) > 0 {
			if s, ok := args[0].(string); ok {
				name = s
			}
		}
		return Value{}, fmt.Errorf("resp: %s: %w", name, err)
	}
	return v, nil
}

func (c *Client) do(ctx context.Context, args []any) (Value, error) {
	if len(args) == 0 {
		return Value{}, errors.New("no command")
	}
	for retried := false; ; retried = true {
		cn, err := c.get(ctx)
		if err != nil {
			return Value{}, err
		}
		reused := cn.used
		v, err := cn.exec(ctx, c.opts, args)
		if !cn.broken {
			c.put(cn)
			return v, err
		}
		cn.close()
		c.put(nil)
		if err == nil {
			return v, nil // cancelled just after the reply arrived
		}
		if err := ctxErr(ctx); err != nil {
			return Value{}, err
		}
		// An idle connection the server has since closed (it restarted, or
		// timed idle clients out) fails at once: retry once on a new one.
		if retried || !reused || !hungUp(err) {
			return Value{}, err
		}
	}
}

// hungUp reports whether err means the peer closed the connection before
// replying.
func hungUp(err error) bool {
	return errors.Is(err, io.EOF) || neterr.Reset(err) || errors.Is(err, syscall.EPIPE)
}

// get takes a token from the pool, dialling if it is not a connection.
func (c *Client) get(ctx context.Context) (*conn, error) {
	select {
	case <-c.closed:
		return nil, ErrClosed
	default:
	}
	var cn *conn
	select {
	case cn = <-c.pool:
	case <-c.closed:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if cn != nil {
		return cn, nil
	}
	cn, err := c.dial(ctx)
	if err != nil {
		c.put(nil)
		if ctxErr := ctxErr(ctx); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, err
	}
	return cn, nil
}

// put returns a token to the pool. After Close whoever puts last drains
// the pool, so no connection is left open.
func (c *Client) put(cn *conn) {
	c.pool <- cn // never blocks: there are only PoolSize tokens
	select {
	case <-c.closed:
		c.drain()
	default:
	}
}

// dial connects, authenticates and selects the database.
func (c *Client) dial(ctx context.Context) (*conn, error) {
	e := c.endpoint
	ctx, cancel := context.WithTimeout(ctx, c.opts.DialTimeout)
	defer cancel()
	var (
		nc  net.Conn
		err error
	)
	netDialer := &net.Dialer{KeepAlive: 5 * time.Minute}
	if e.tls {
		d := tls.Dialer{NetDialer: netDialer, Config: &tls.Config{ServerName: e.host, MinVersion: tls.VersionTLS12}}
		nc, err = d.DialContext(ctx, "tcp", e.addr)
	} else {
		nc, err = netDialer.DialContext(ctx, "tcp", e.addr)
	}
	if err != nil {
		return nil, err
	}
	cn := newConn(nc)
	// The handshake gets the rest of the dial timeout for each reply.
	handshake := Options{ReadTimeout: c.opts.DialTimeout, WriteTimeout: c.opts.DialTimeout}
	if e.password != "" {
		auth := []any{"AUTH", e.password}
		if e.user != "" {
			auth = []any{"AUTH", e.user, e.password}
		}
		if _, err := cn.exec(ctx, handshake, auth); err != nil {
			cn.close()
			return nil, fmt.Errorf("authenticate to %s: %w", e.addr, err)
		}
	}
	if e.db != 0 {
		if _, err := cn.exec(ctx, handshake, []any{"SELECT", e.db}); err != nil {
			cn.close()
			return nil, fmt.Errorf("select database %d on %s: %w", e.db, e.addr, err)
		}
	}
	if cn.broken { // cancelled as the handshake finished
		cn.close()
		return nil, ctx.Err()
	}
	cn.used = false
	return cn, nil
}

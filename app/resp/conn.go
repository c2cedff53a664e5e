package resp

import (
	"bufio"
	"context"
	"errors"
	"net"
	"time"
)

// conn is one connection to the server, used by one command at a time.
type conn struct {
	nc  net.Conn
	r   *bufio.Reader
	buf []byte // the command being sent, reused
	// used is whether a command has run on it since the handshake.
	used bool
	// broken is whether its state is unknown, so it must be closed.
	broken bool
}

func newConn(nc net.Conn) *conn {
	return &conn{nc: nc, r: bufio.NewReader(nc)}
}

func (cn *conn) close() { _ = cn.nc.Close() }

// longAgo is a deadline that has passed, to interrupt blocked I/O.
var longAgo = time.Unix(1, 0)

// exec sends one command and reads its reply within the timeouts and the
// context. It marks the connection broken when its state is unknown: after
// an I/O or protocol error, or when cancellation raced with the command.
func (cn *conn) exec(ctx context.Context, timeouts Options, args []any) (Value, error) {
	var err error
	if cn.buf, err = appendCommand(cn.buf[:0], args); err != nil {
		return Value{}, err // nothing sent: the connection is fine
	}
	now := time.Now()
	if err := cn.nc.SetWriteDeadline(earliest(ctx, now.Add(timeouts.WriteTimeout))); err != nil {
		cn.broken = true
		return Value{}, err
	}
	if err := cn.nc.SetReadDeadline(earliest(ctx, now.Add(timeouts.ReadTimeout))); err != nil {
		cn.broken = true
		return Value{}, err
	}
	if ctx.Done() != nil {
		// Cancellation moves the deadline into the past. Registered after
		// the deadlines above, so it overrides them or, if the context is
		// already done, ctx.Err() below says so. Once it has run, the
		// connection's deadline is in the past for good.
		stop := context.AfterFunc(ctx, func() { _ = cn.nc.SetDeadline(longAgo) })
		defer func() {
			if !stop() {
				cn.broken = true
			}
		}()
		if err := ctx.Err(); err != nil {
			return Value{}, err
		}
	}
	cn.used = true
	if _, err := cn.nc.Write(cn.buf); err != nil {
		cn.broken = true
		return Value{}, err
	}
	v, err := readReply(cn.r)
	var serverErr *Error
	if err != nil && !errors.As(err, &serverErr) {
		cn.broken = true
	}
	return v, err
}

// earliest is t or the context's deadline, whichever comes first.
func earliest(ctx context.Context, t time.Time) time.Time {
	if d, ok := ctx.Deadline(); ok && d.Before(t) {
		return d
	}
	return t
}

// ctxErr is the context's error, also when its deadline has passed but
// its timer has not fired yet: a deadline set from it may fire first.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

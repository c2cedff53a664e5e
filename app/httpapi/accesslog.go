package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// AccessLogSink is a log handler that also takes finished lines: a
// request's access-log line is then formatted here, without slog's
// general-purpose machinery, in a fraction of a microsecond and without
// allocating, in the handler's own format (JSON or text). app's logger is
// one; with any other handler, lines go through slog as usual.
type AccessLogSink interface {
	slog.Handler
	// AccessLog is where lines go, and whether they are JSON (or slog's
	// text format).
	AccessLog() (w io.Writer, json bool)
}

// accessLog writes one line per request: method, route template, path,
// status, bytes, duration, client address and request id.
type accessLog struct {
	handler slog.Handler
	logger  *slog.Logger
	w       io.Writer // nil: through logger
	json    bool
	buffers sync.Pool
}

func newAccessLog(logger *slog.Logger) *accessLog {
	l := &accessLog{handler: logger.Handler(), logger: logger}
	if sink, ok := l.handler.(AccessLogSink); ok {
		l.w, l.json = sink.AccessLog()
	}
	l.buffers.New = func() any { b := make([]byte, 0, 512); return &b }
	return l
}

// accessEntry is what a line says of a request.
type accessEntry struct {
	method, route, path, requestID string
	status                         int
	bytes                          int64
	elapsed                        time.Duration
	// client is the client's address; when it is not valid, clientText is.
	client     netip.Addr
	clientText string
	// traceID and spanID are the request's span's, when it is traced.
	traceID, spanID string
}

// write logs e at level, if the handler wants that level.
func (l *accessLog) write(ctx context.Context, level slog.Level, e accessEntry) {
	if !l.handler.Enabled(ctx, level) {
		return
	}
	if l.w == nil {
		client := e.clientText
		if e.client.IsValid() {
			client = e.client.String()
		}
		l.logger.LogAttrs(ctx, level, "request",
			slog.String("method", e.method), slog.String("route", e.route), slog.String("path", e.path),
			slog.Int("status", e.status), slog.Int64("bytes", e.bytes), slog.Float64("duration_ms", milliseconds(e.elapsed)),
			slog.String("remote_ip", client), slog.String("request_id", e.requestID))
		// A traced request's context carries its span: app's handler adds
		// trace_id and span_id from it.
		return
	}
	bp := l.buffers.Get().(*[]byte)
	b := l.format((*bp)[:0], time.Now(), level, &e)
	_, _ = l.w.Write(b) // a log line that cannot be written has nowhere to be reported
	if cap(b) <= 4<<10 {
		*bp = b
		l.buffers.Put(bp)
	}
}

// format appends the line as slog's JSON or text handler would write it.
func (l *accessLog) format(b []byte, now time.Time, level slog.Level, e *accessEntry) []byte {
	str := l.appendString
	if l.json {
		b = append(b, `{"time":"`...)
		b = now.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","level":`...)
		b = str(b, level.String())
		b = append(b, `,"msg":"request"`...)
	} else {
		b = append(b, "time="...)
		b = appendRFC3339Millis(b, now)
		b = append(b, " level="...)
		b = append(b, level.String()...)
		b = append(b, " msg=request"...)
	}
	b = l.key(b, "method")
	b = str(b, e.method)
	b = l.key(b, "route")
	b = str(b, e.route)
	b = l.key(b, "path")
	b = str(b, e.path)
	b = l.key(b, "status")
	b = strconv.AppendInt(b, int64(e.status), 10)
	b = l.key(b, "bytes")
	b = strconv.AppendInt(b, e.bytes, 10)
	b = l.key(b, "duration_ms")
	b = strconv.AppendFloat(b, milliseconds(e.elapsed), 'f', -1, 64)
	b = l.key(b, "remote_ip")
	if e.client.IsValid() {
		if l.json {
			b = append(b, '"')
		}
		b = e.client.AppendTo(b)
		if l.json {
			b = append(b, '"')
		}
	} else {
		b = str(b, e.clientText)
	}
	b = l.key(b, "request_id")
	b = str(b, e.requestID)
	if e.traceID != "" {
		b = l.key(b, "trace_id")
		b = str(b, e.traceID)
		b = l.key(b, "span_id")
		b = str(b, e.spanID)
	}
	if l.json {
		b = append(b, '}')
	}
	return append(b, '\n')
}

func (l *accessLog) key(b []byte, k string) []byte {
	if l.json {
		b = append(b, ',', '"')
		b = append(b, k...)
		return append(b, '"', ':')
	}
	b = append(b, ' ')
	b = append(b, k...)
	return append(b, '=')
}

func (l *accessLog) appendString(b []byte, s string) []byte {
	if l.json {
		b = append(b, '"')
		b = appendJSONString(b, s)
		return append(b, '"')
	}
	if needsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString escapes s as encoding/json and slog do: quotes,
// backslashes and control characters escaped, invalid UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// needsQuoting is slog's text handler's rule: quote what is empty, holds
// spaces, '=', '"', control characters or is not printable.
func needsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == ' ' || c == '=' || c == '"' || c < 0x20 || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}

// appendRFC3339Millis is slog's text time: RFC 3339 with milliseconds.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...) // drop the 4th digit
}

package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"
)

// requestIDHeader carries a request's id in and out; a client's own id is
// kept so logs on both sides can be joined.
const requestIDHeader = "X-Request-Id" // canonical form: set directly in header maps

// newEcho makes an echo instance with PFF's error format and the envelope
// every request goes through.
func newEcho(logger *slog.Logger, metrics *httpMetrics) *echo.Echo {
	return newTracedEcho(logger, metrics, nil)
}

// newTracedEcho is newEcho with a span for each request when tracer is not
// nil (tracing.go).
func newTracedEcho(logger *slog.Logger, metrics *httpMetrics, tracer trace.Tracer) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(logger)
	e.Use(envelope(logger, metrics, tracer))
	return e
}

// livenessRoute is logged at debug level: load balancers call it every few
// seconds, and a line per call says nothing operators need.
const livenessRoute = "/health"

// envelope is what every request goes through, in one middleware because
// echo wraps its global middleware anew for each request: it gives the
// request an id (a client's own X-Request-ID is kept), sets the security
// headers, turns a panic into a 500, and writes one access-log line and the
// request's metrics. It allocates nothing of its own in the common case
// (a test holds it to that): ids come in batches, metric series from a
// map read without locks, and the log line is formatted into a pooled
// buffer (accessLog). With a tracer, each request is also a span named
// after its route (tracing.go); without one, tracing costs a nil check.
func envelope(logger *slog.Logger, metrics *httpMetrics, tracer trace.Tracer) echo.MiddlewareFunc {
	access := newAccessLog(logger)
	ids := &requestIDs{}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			req, res := c.Request(), c.Response()
			h := res.Header()
			if id := req.Header[requestIDHeader]; len(id) == 1 && validRequestID(id[0]) {
				h[requestIDHeader] = id // the request's own slice: never changed
			} else {
				h[requestIDHeader] = ids.next()
			}
			setSecurityHeaders(h, req.URL.Path)
			var span trace.Span
			if tracer != nil && traced(c.Path()) {
				req, span = startRequestSpan(tracer, metrics, c)
			}

			if err := serveRecovering(logger, next, c); err != nil {
				// Let the error handler write the response now, so the
				// status logged is the status sent.
				c.Error(err)
			}
			elapsed := time.Since(start)
			route := metrics.routeOf(c)
			metrics.observe(route, req.Method, res.Status, elapsed)
			level := slog.LevelInfo
			if route == livenessRoute {
				level = slog.LevelDebug
			}
			entry := accessEntry{method: req.Method, route: route, path: req.URL.Path, status: res.Status,
				bytes: res.Size, elapsed: elapsed, requestID: requestIDOf(c)}
			entry.client, entry.clientText = clientAddr(c)
			if span != nil {
				endRequestSpan(span, res.Status, &entry)
			}
			access.write(req.Context(), level, entry)
			return nil
		}
	}
}

// clientAddr is the client's address as c.RealIP() says it, read without
// allocating when no proxy header can change it.
func clientAddr(c echo.Context) (netip.Addr, string) {
	req := c.Request()
	if len(req.Header["X-Forwarded-For"]) == 0 && len(req.Header["X-Real-Ip"]) == 0 {
		if ap, err := netip.ParseAddrPort(req.RemoteAddr); err == nil {
			return ap.Addr().Unmap(), ""
		}
	}
	ip := c.RealIP()
	if addr, err := netip.ParseAddr(ip); err == nil {
		return addr, ""
	}
	return netip.Addr{}, ip
}

// validRequestID accepts 1 to 128 letters, digits, '.', '_', ':' and '-':
// a client's id is logged and echoed, so nothing else is kept.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// requestIDs hands out request ids, 96 random bits in hex, made 64 at a
// time: one random read and three allocations per batch rather than two
// allocations per request. Each id comes as a one-element header value.
type requestIDs struct{ batches sync.Pool }

const (
	idBatchSize = 64
	idBytes     = 12
	idLength    = 2 * idBytes
)

type idBatch struct {
	values []string // values[i] is the i-th id, as a header value
	next   int
}

func (r *requestIDs) next() []string {
	b, _ := r.batches.Get().(*idBatch)
	if b == nil || b.next == idBatchSize {
		b = newIDBatch()
	}
	v := b.values[b.next : b.next+1 : b.next+1] // capped: appending copies
	b.next++
	r.batches.Put(b)
	return v
}

func newIDBatch() *idBatch {
	var raw [idBatchSize * idBytes]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails
	var text [idBatchSize * idLength]byte
	hex.Encode(text[:], raw[:])
	ids := string(text[:])
	b := &idBatch{values: make([]string, idBatchSize)}
	for i := range b.values {
		b.values[i] = ids[i*idLength : (i+1)*idLength]
	}
	return b
}

// requestIDOf returns the id the envelope gave the request.
func requestIDOf(c echo.Context) string {
	if id := c.Response().Header()[requestIDHeader]; len(id) == 1 {
		return id[0]
	}
	return ""
}

// serveRecovering runs next, turning a panic into a 500 (after logging it),
// so one bad request cannot take the process down.
func serveRecovering(logger *slog.Logger, next echo.HandlerFunc, c echo.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if err, ok := r.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(r)
			}
			logger.Error("panic serving request", "panic", fmt.Sprint(r), "request_id", requestIDOf(c))
			err = echo.NewHTTPError(http.StatusInternalServerError)
		}
	}()
	return next(c)
}

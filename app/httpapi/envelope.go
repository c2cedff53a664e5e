package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"
)

// requestIDHeader carries a request's id in and out; a client's own id is
// kept so logs on both sides can be joined.
const requestIDHeader = "X-Request-Id" // canonical form: set directly in header maps

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// newEcho makes an echo instance with PFF's error format and the envelope
// every request goes through.
func newEcho(logger *slog.Logger, metrics *httpMetrics) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(logger)
	e.Use(envelope(logger, metrics))
	return e
}

// envelope is what every request goes through, in one middleware because
// echo wraps its global middleware anew for each request: it gives the
// request an id (a client's own X-Request-ID is kept), sets the security
// headers, turns a panic into a 500, and writes one access-log line and the
// request's metrics.
func envelope(logger *slog.Logger, metrics *httpMetrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			req, res := c.Request(), c.Response()
			id := req.Header.Get(requestIDHeader)
			if !validRequestID.MatchString(id) {
				var b [12]byte
				_, _ = rand.Read(b[:])
				id = hex.EncodeToString(b[:])
			}
			res.Header()[requestIDHeader] = []string{id}
			setSecurityHeaders(res.Header(), req.URL.Path)

			if err := serveRecovering(logger, next, c); err != nil {
				// Let the error handler write the response now, so the
				// status logged is the status sent.
				c.Error(err)
			}
			elapsed := time.Since(start)
			route := metrics.routeOf(c)
			metrics.observe(route, req.Method, res.Status, elapsed)
			logger.LogAttrs(req.Context(), slog.LevelInfo, "request",
				slog.String("method", req.Method),
				slog.String("route", route),
				slog.String("path", req.URL.Path),
				slog.Int("status", res.Status),
				slog.Int64("bytes", res.Size),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
				slog.String("remote_ip", c.RealIP()),
				slog.String("request_id", id),
			)
			return nil
		}
	}
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
			if r == http.ErrAbortHandler {
				panic(r)
			}
			logger.Error("panic serving request", "panic", fmt.Sprint(r), "request_id", requestIDOf(c))
			err = echo.NewHTTPError(http.StatusInternalServerError)
		}
	}()
	return next(c)
}

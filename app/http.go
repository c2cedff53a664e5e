package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/store"
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
			route := routeOf(c)
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

// routeOf is the matched route template, a label of bounded cardinality.
func routeOf(c echo.Context) string {
	if p := c.Path(); p != "" && c.Response().Status != http.StatusNotFound {
		return p
	}
	return "unmatched"
}

// limitBody refuses bodies over limit bytes with 413, whether the client
// announced the length or not.
func limitBody(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > limit {
				return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "request_too_large",
					Message: fmt.Sprintf("request body is %d bytes; the limit is %d", req.ContentLength, limit)}
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
			return next(c)
		}
	}
}

// apiError is the one error shape of the API:
// {"error":{"code":"snake_case","message":"...","request_id":"...","details":...}}.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		apiErr := toAPIError(err)
		if apiErr.Status >= 500 {
			logger.Error("request failed", "error", err, "request_id", requestIDOf(c))
		}
		body := map[string]any{"error": struct {
			*apiError
			RequestID string `json:"request_id"`
		}{apiErr, requestIDOf(c)}}
		if c.Request().Method == http.MethodHead {
			err = c.NoContent(apiErr.Status)
		} else {
			err = c.JSON(apiErr.Status, body)
		}
		if err != nil {
			logger.Warn("write error response", "error", err)
		}
	}
}

func toAPIError(err error) *apiError {
	var apiErr *apiError
	if errors.As(err, &apiErr) {
		return apiErr
	}
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) {
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "request_too_large",
			Message: fmt.Sprintf("request body exceeds the limit of %d bytes", maxBytes.Limit)}
	}
	var conflict *store.ConflictError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "no such resource"}
	case errors.As(err, &conflict):
		return &apiError{Status: http.StatusConflict, Code: "conflict", Message: "already exists",
			Details: map[string]string{"constraint": conflict.Constraint}}
	case errors.Is(err, store.ErrModelActive), errors.Is(err, store.ErrModelNotReady):
		return &apiError{Status: http.StatusConflict, Code: "model_state", Message: strings.TrimPrefix(err.Error(), "store: ")}
	case errors.Is(err, learn.ErrUnknown):
		return &apiError{Status: http.StatusNotFound, Code: "unknown_to_model", Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusServiceUnavailable, Code: "timeout", Message: "the request took too long"}
	}
	var httpErr *echo.HTTPError
	if errors.As(err, &httpErr) {
		message := http.StatusText(httpErr.Code)
		if m, ok := httpErr.Message.(string); ok && httpErr.Code < 500 {
			message = m
		}
		return &apiError{Status: httpErr.Code, Code: codeForStatus(httpErr.Code), Message: message}
	}
	return &apiError{Status: http.StatusInternalServerError, Code: "internal_error", Message: "internal server error"}
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusInternalServerError:
		return "internal_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	}
	text := http.StatusText(status)
	if text == "" {
		return "error"
	}
	return strings.ReplaceAll(strings.ToLower(text), " ", "_")
}

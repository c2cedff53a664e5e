package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

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
	// retryAfter, in whole seconds, goes into a Retry-After header.
	retryAfter int
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// errorBody is how an apiError is written.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	*apiError
	RequestID string `json:"request_id"`
}

func errorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		apiErr := toAPIError(err)
		if apiErr.Status >= 500 {
			logger.Error("request failed", "error", err, "request_id", requestIDOf(c))
		}
		if apiErr.retryAfter > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(apiErr.retryAfter))
		}
		if c.Request().Method == http.MethodHead {
			err = c.NoContent(apiErr.Status)
		} else {
			err = c.JSON(apiErr.Status, errorBody{Error: errorDetail{apiErr, requestIDOf(c)}})
		}
		if err != nil {
			logger.Warn("write error response", "error", err)
		}
	}
}

// unavailableRetryAfter is the Retry-After, in seconds, of a 503 while the
// database is unreachable: about the time a restart takes.
const unavailableRetryAfter = 5

// problemStatus is the status of each kind of problem.
var problemStatus = map[problem.Kind]int{
	problem.Invalid:         http.StatusBadRequest,
	problem.NotFound:        http.StatusNotFound,
	problem.Conflict:        http.StatusConflict,
	problem.Unauthenticated: http.StatusUnauthorized,
	problem.Forbidden:       http.StatusForbidden,
	problem.TooLarge:        http.StatusRequestEntityTooLarge,
	problem.TooMany:         http.StatusTooManyRequests,
	problem.Unsupported:     http.StatusUnsupportedMediaType,
	problem.Unavailable:     http.StatusServiceUnavailable,
	problem.Unprocessable:   http.StatusUnprocessableEntity,
}

func toAPIError(err error) *apiError {
	var apiErr *apiError
	if errors.As(err, &apiErr) {
		return apiErr
	}
	if p, ok := problem.As(err); ok {
		out := &apiError{Status: problemStatus[p.Kind], Code: p.Code, Message: p.Message, Details: p.Details,
			retryAfter: ceilSeconds(p.RetryAfter)}
		if out.Status == 0 {
			out.Status = http.StatusInternalServerError
		}
		if p.Fields != nil {
			out.Details = p.Fields
		}
		return out
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
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusServiceUnavailable, Code: "timeout", Message: "the request took too long"}
	case store.Unavailable(err):
		// The pool reconnects by itself once the database is back.
		return &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "the database is unavailable; try again shortly", retryAfter: unavailableRetryAfter}
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

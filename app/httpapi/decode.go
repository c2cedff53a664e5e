package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/problem"
)

func badRequest(code, format string, args ...any) error {
	return problem.Invalidf(code, format, args...)
}

// decodeJSON reads a JSON request body into v, strictly: the content type
// must be JSON, unknown fields and trailing data are refused, and each
// problem is named in a 400.
func decodeJSON(c echo.Context, v any) error {
	req := c.Request()
	mediaType, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil || mediaType != echo.MIMEApplicationJSON {
		return &problem.Error{Kind: problem.Unsupported, Code: "unsupported_media_type",
			Message: "the request body must be application/json"}
	}
	// Bodies decoded here are small (route limits of kilobytes to a few
	// MiB); reading one whole lets a problem be named by its field.
	body, err := io.ReadAll(req.Body)
	if err != nil {
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			return err
		}
		return badRequest("invalid_body", "the request body could not be read")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err, body)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("invalid_json", "unexpected data after the JSON value")
	}
	return checkDecoded(v, body)
}

// jsonProblem turns a decoding error into a 400 that names the field or the
// position.
func jsonProblem(err error, body []byte) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &maxBytes):
		return err
	case errors.Is(err, io.EOF):
		return badRequest("invalid_json", "the request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("invalid_json", "the request body ends in the middle of the JSON value")
	case errors.As(err, &syntax):
		if field := fieldAt(body); field != "" {
			return &problem.Error{Kind: problem.Invalid, Code: "invalid_json",
				Message: fmt.Sprintf("malformed JSON at byte %d, in %s: %v", syntax.Offset, field, err),
				Fields:  []problem.Field{{Field: field, Problem: "is not a JSON value: " + err.Error()}}}
		}
		return badRequest("invalid_json", "malformed JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return badRequest("invalid_json", "the body must be a JSON object")
		}
		return problem.FieldError(field, "must be a JSON %s", jsonType(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &problem.Error{Kind: problem.Invalid, Code: "unknown_field", Message: fmt.Sprintf("unknown field %q", field),
			Fields: []problem.Field{{Field: field, Problem: "is not accepted here"}}}
	}
	var timeErr *time.ParseError
	if errors.As(err, &timeErr) {
		if field := fieldHolding(body, timeErr.Value); field != "" {
			return problem.FieldError(field, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
		}
	}
	return badRequest("invalid_json", "invalid JSON: %v", err)
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	default:
		return "number"
	}
}

// page is a list response: {"items":[...],"next_cursor":...}. next_cursor is
// null on the last page.
type page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

const (
	defaultPageSize = 50
	maxPageSize     = 200
)

// pageRequest reads the cursor and limit query parameters. Cursors are
// opaque to clients: base64url of the key the previous page ended with.
func pageRequest(c echo.Context) (after string, limit int, err error) {
	limit = defaultPageSize
	if raw := c.QueryParam("limit"); raw != "" {
		limit, err = strconv.Atoi(raw)
		if err != nil || limit < 1 || limit > maxPageSize {
			return "", 0, badRequest("invalid_limit", "limit must be an integer from 1 to %d", maxPageSize)
		}
	}
	if raw := c.QueryParam("cursor"); raw != "" {
		decoded, err := base64.RawURLEncoding.DecodeString(raw)
		if err != nil || textProblem(string(decoded)) != "" {
			return "", 0, errInvalidCursor()
		}
		after = string(decoded)
	}
	return after, limit, nil
}

// newPage builds a page from up to limit+1 fetched items: the extra one only
// says that another page exists.
func newPage[T any](items []T, limit int, key func(T) string) page[T] {
	p := page[T]{Items: items}
	if p.Items == nil {
		p.Items = []T{}
	}
	if len(items) > limit {
		p.Items = items[:limit]
		cursor := base64.RawURLEncoding.EncodeToString([]byte(key(items[limit-1])))
		p.NextCursor = &cursor
	}
	return p
}

// intParam reads an optional integer query parameter within [lo, hi].
func intParam(c echo.Context, name string, def, lo, hi int) (int, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, problem.FieldError(name, "must be an integer from %d to %d", lo, hi)
	}
	return n, nil
}

// idParam reads the numeric :id of a route; an id that cannot exist names
// nothing, so it is not found.
func idParam(c echo.Context, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, problem.NotFoundf("no %s %q", what, c.Param("id"))
	}
	return id, nil
}

func errInvalidCursor() error {
	return &problem.Error{Kind: problem.Invalid, Code: "invalid_cursor", Message: "cursor is not one this API returned",
		Fields: []problem.Field{{Field: "cursor", Problem: "is not one this API returned"}}}
}

// cursorID reads a cursor that is an id.
func cursorID(after string) (int64, error) {
	if after == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(after, 10, 64)
	if err != nil || id < 0 {
		return 0, errInvalidCursor()
	}
	return id, nil
}

// queued is the answer of a route that queued a job.
func queued(c echo.Context, q learn.Queued) error {
	return c.JSON(http.StatusAccepted, q)
}

// decodeOptionalJSON decodes a body when there is one: the routes that queue
// work accept an empty body for their defaults.
func decodeOptionalJSON(c echo.Context, v any) error {
	if c.Request().ContentLength == 0 {
		return nil
	}
	return decodeJSON(c, v)
}

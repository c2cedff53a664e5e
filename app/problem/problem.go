// Package problem is the one error vocabulary of PFF's operations. Domain
// packages return these errors; each front end renders them its own way: the
// HTTP API as a status and {"error":{...}}, the command line as one line and
// an exit code, a job as its recorded error. No domain package needs to know
// about either.
package problem

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind is what went wrong, in terms a caller can act on.
type Kind uint8

// The kinds. The zero Kind is not used: an error without a problem is internal.
const (
	// Invalid: the request itself is wrong; Fields say where.
	Invalid Kind = iota + 1
	// NotFound: what the request names does not exist.
	NotFound
	// Conflict: the request clashes with the current state.
	Conflict
	// Unauthenticated: no or bad credentials.
	Unauthenticated
	// Forbidden: the caller may not do this.
	Forbidden
	// TooLarge: the request exceeds a configured limit.
	TooLarge
	// TooMany: the caller must slow down; RetryAfter says for how long.
	TooMany
	// Unsupported: the request's media type is not one the operation reads.
	Unsupported
	// Unavailable: a dependency is down; trying again later may work.
	Unavailable
	// Unprocessable: the request was read, but nothing in it could be used
	// (every document of an upload was rejected); Details say why.
	Unprocessable
)

var kindNames = map[Kind]string{
	Invalid: "invalid", NotFound: "not found", Conflict: "conflict", Unauthenticated: "unauthenticated",
	Forbidden: "forbidden", TooLarge: "too large", TooMany: "too many requests", Unsupported: "unsupported",
	Unavailable: "unavailable", Unprocessable: "unprocessable",
}

func (k Kind) String() string {
	if name, ok := kindNames[k]; ok {
		return name
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Field is one invalid field of a request.
type Field struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

// Error is a problem an operation reports to its caller.
type Error struct {
	Kind Kind
	// Code is a stable snake_case name of the problem, for programs.
	Code string
	// Message is one sentence for people.
	Message string
	// Fields lists every invalid field of an Invalid request.
	Fields []Field
	// Details is any other structured context worth returning (counts so far,
	// lint problems); it must encode as JSON.
	Details any
	// RetryAfter, when set, is how long to wait before trying again.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Problem
	}
	return strings.Join(parts, "; ")
}

// As finds the *Error in err's chain.
func As(err error) (*Error, bool) {
	var p *Error
	ok := errors.As(err, &p)
	return p, ok
}

// Is reports whether err carries a problem of kind k.
func Is(err error, k Kind) bool {
	p, ok := As(err)
	return ok && p.Kind == k
}

func newf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf is a request that is wrong as a whole (not one field of it).
func Invalidf(code, format string, args ...any) *Error { return newf(Invalid, code, format, args...) }

// NotFoundf names what does not exist.
func NotFoundf(format string, args ...any) *Error {
	return newf(NotFound, "not_found", format, args...)
}

// Conflictf is a clash with the current state.
func Conflictf(code, format string, args ...any) *Error { return newf(Conflict, code, format, args...) }

// Forbiddenf is an action the caller may not take.
func Forbiddenf(format string, args ...any) *Error {
	return newf(Forbidden, "forbidden", format, args...)
}

// TooLargef is a request over a limit.
func TooLargef(code, format string, args ...any) *Error { return newf(TooLarge, code, format, args...) }

// Unavailablef is a dependency that is down; retry after the given time.
func Unavailablef(retryAfter time.Duration, format string, args ...any) *Error {
	p := newf(Unavailable, "unavailable", format, args...)
	p.RetryAfter = retryAfter
	return p
}

// Fields collects every problem of a request, so a caller fixes all of them
// at once.
type Fields []Field

// Add records that field has a problem. A problem of several lines (a
// joined error) becomes one line.
func (f *Fields) Add(field, format string, args ...any) {
	msg := strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", "; ")
	*f = append(*f, Field{Field: field, Problem: msg})
}

// Err is nil without problems, and otherwise an Invalid error listing them.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Code: "validation_failed", Message: fmt.Sprintf("%d invalid field(s)", len(f)), Fields: f}
}

// FieldError is a request with one invalid field.
func FieldError(field, format string, args ...any) error {
	var f Fields
	f.Add(field, format, args...)
	return f.Err()
}

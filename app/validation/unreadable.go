package validation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// RecordError is why a document cannot be validated as a record: it is not
// JSON that validation reads (a number beyond a float64's range, say, which
// ingest refuses but older records may hold) or not a JSON object with a
// customer id. It depends on the document alone, so validating it again
// cannot help: report it against the record (see FailedReport) and go on.
type RecordError struct {
	// Line and Column (from 1, the column in bytes) are where the problem
	// is in the document; both are 0 when it has no one place (no customer
	// id).
	Line, Column int
	// Offset is the problem's byte offset in the document, -1 when none.
	Offset int64
	// Reason says what is wrong, without the place.
	Reason string
	// Err is the decoder's or graph builder's error.
	Err error
}

func (e *RecordError) Error() string {
	if e.Line == 0 {
		return "validation: not a record: " + e.Reason
	}
	return fmt.Sprintf("validation: line %d, column %d: %s", e.Line, e.Column, e.Reason)
}

func (e *RecordError) Unwrap() error { return e.Err }

// decodeError makes a *RecordError of encoding/json's error for record.
func decodeError(record []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		// Offset is just past the offending byte.
		return recordErrorAt(record, max(syntax.Offset-1, 0), syntax.Error(), err)
	case errors.As(err, &typ):
		// Only a number can fail to decode into any: it is out of range.
		// Offset is past it, and sometimes past what follows it too.
		literal := strings.TrimPrefix(typ.Value, "number ")
		at := int64(bytes.LastIndex(record[:min(typ.Offset, int64(len(record)))], []byte(literal)))
		return recordErrorAt(record, at, fmt.Sprintf("number %s is out of range of a 64-bit float", shorten(literal)), err)
	}
	return &RecordError{Offset: -1, Reason: err.Error(), Err: err}
}

// recordErrorAt is a *RecordError at byte offset at of record (none when
// at is negative).
func recordErrorAt(record []byte, at int64, reason string, err error) *RecordError {
	if at < 0 || at > int64(len(record)) {
		return &RecordError{Offset: -1, Reason: reason, Err: err}
	}
	before := record[:at]
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return &RecordError{
		Line: bytes.Count(before, []byte("\n")) + 1, Column: len(before) - lineStart + 1,
		Offset: at, Reason: reason, Err: err,
	}
}

// shorten keeps a long number readable: PostgreSQL writes 1e400 as 401
// digits.
func shorten(literal string) string {
	const keep = 32
	if len(literal) <= keep+8 {
		return literal
	}
	return fmt.Sprintf("%s… (%d characters)", literal[:keep], len(literal))
}

// FailedReport is the report of a record that could not be validated, so
// that no record is left without one: err, which Validate returned, is its
// Error and explanation. A *RecordError, the document's own fault, rejects
// the record; any other failure (the plausibility model's, say) is no
// judgement of it, and sends it to review. The score is 0 either way, since
// nothing was scored. record is the customer id.
func (v *Validator) FailedReport(record string, err error) *Report {
	decision := Review
	if _, ok := errors.AsType[*RecordError](err); ok {
		decision = Reject
	}
	return &Report{
		Record: record, Decision: decision, Error: err.Error(),
		Explanation: fmt.Sprintf("%s: the record could not be validated: %s.", decision, err),
		Versions:    v.Versions(), JudgedAt: v.cfg.Now(),
	}
}

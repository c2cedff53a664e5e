package schema

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/pff/pff/app/problem"
)

// InferRecords infers the schema of the records of r: a JSON array of them,
// or a stream such as NDJSON, decoded one at a time so that only the
// schema's summary is held. Bad input is a problem.Invalid naming the
// record.
func InferRecords(ctx context.Context, r io.Reader, opts InferOptions) (map[string]any, error) {
	in := NewInferrer(opts)
	err := eachRecord(r, func(n int, doc any) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, ok := doc.(map[string]any); !ok {
			return problem.Invalidf("invalid_record", "record %d is not a JSON object", n)
		}
		in.Add(doc)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if in.Records() == 0 {
		return nil, problem.Invalidf("no_records", "the body holds no records")
	}
	return in.Schema(), nil
}

// eachRecord decodes the records of body, a JSON array of them or a stream
// such as NDJSON, one at a time, and calls fn with each, counting from 1.
func eachRecord(body io.Reader, fn func(n int, doc any) error) error {
	br := bufio.NewReader(body)
	array, err := startsArray(br)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(br)
	if array {
		if _, err := dec.Token(); err != nil {
			return recordProblem(1, err)
		}
	}
	for n := 1; !array || dec.More(); n++ {
		var doc any
		err := dec.Decode(&doc)
		if !array && errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return recordProblem(n, err)
		}
		if err := fn(n, doc); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return problem.Invalidf("invalid_json", "the array of records does not end: %v", err)
	}
	return nil
}

// startsArray reports whether the first byte of br that is not white space
// opens a JSON array, without consuming it.
func startsArray(br *bufio.Reader) (bool, error) {
	for {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b == '[', br.UnreadByte()
	}
}

// recordProblem says what is wrong with record n. Errors of the reader
// itself (a body over its limit) pass through for the caller to judge.
func recordProblem(n int, err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return problem.Invalidf("invalid_json", "record %d: %v (at byte %d)", n, err, syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.As(err, &typeErr):
		return problem.Invalidf("invalid_json", "record %d: %v", n, err)
	}
	return err
}

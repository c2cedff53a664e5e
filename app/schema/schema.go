// Package schema validates records against a JSON Schema (draft 2020-12)
// and infers such a schema from a corpus of known-good records.
package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Draft is the JSON Schema dialect this package writes and assumes.
const Draft = "https://json-schema.org/draft/2020-12/schema"

// Schema is a compiled JSON Schema. It is immutable and safe for concurrent
// use.
type Schema struct {
	compiled *jsonschema.Schema
	source   []byte
	version  string
}

// Error is one way a record fails its schema.
type Error struct {
	// Pointer is the RFC 6901 pointer of the failing value in the record.
	Pointer string `json:"pointer"`
	// Keyword is the pointer of the failing keyword in the schema.
	Keyword string `json:"keyword"`
	Message string `json:"message"`
}

func (e Error) String() string { return fmt.Sprintf("%q: %s", e.Pointer, e.Message) }

// Compile reads a JSON Schema; name identifies it in errors. Formats
// (date-time, uuid, ...) are asserted, not just annotations, and a schema
// without $schema is read as draft 2020-12.
func Compile(name string, data []byte) (*Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("schema: read %s: %w", name, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	url := "mem:///" + strings.TrimLeft(name, "/")
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("schema: add %s: %w", name, err)
	}
	compiled, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schema: compile %s: %w", name, err)
	}
	sum := sha256.Sum256(data)
	return &Schema{compiled: compiled, source: bytes.Clone(data), version: hex.EncodeToString(sum[:6])}, nil
}

// Version identifies the schema's text.
func (s *Schema) Version() string { return s.version }

// Source returns the schema as it was compiled.
func (s *Schema) Source() []byte { return bytes.Clone(s.source) }

// Validate checks a record decoded from JSON (maps, slices, float64 or
// json.Number, strings, booleans, nil) and returns every failing keyword
// with the place in the record it failed at; nil means the record is valid.
func (s *Schema) Validate(doc any) []Error {
	err := s.compiled.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Error{{Message: err.Error()}}
	}
	var out []Error
	for _, u := range ve.BasicOutput().Errors {
		if u.Error == nil {
			continue
		}
		switch u.Error.Kind.(type) {
		case *kind.Group, *kind.Schema, *kind.Reference:
			continue // "validation failed" above the failures that say why
		}
		out = append(out, Error{Pointer: u.InstanceLocation, Keyword: u.KeywordLocation, Message: u.Error.String()})
	}
	return out
}

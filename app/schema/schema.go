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
// without $schema is read as draft 2020-12. References are followed only
// within the schema itself: see CompileWith.
func Compile(name string, data []byte) (*Schema, error) {
	return CompileWith(name, data, nil)
}

// CompileWith is Compile for a schema that may also refer to other schemas
// stored in PFF, given by name: "msisdn.json" or "msisdn.json#/$defs/x" (a
// reference relative to the schema's own name), or "mem:///msisdn.json".
// Nothing else is loaded: no file, no URL. A reference to anything else
// fails with a *RefError, whose words are the same whether or not the
// target exists.
func CompileWith(name string, data []byte, stored map[string][]byte) (*Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("schema: read %s: %w", name, err)
	}
	c := newCompiler(stored)
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	url := memURL + strings.TrimLeft(name, "/")
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("schema: add %s: %w", name, err)
	}
	compiled, err := c.Compile(url)
	if err != nil {
		// Only storedLoader loads: its errors say what they are, and the
		// library's wrapping ("failing loading" the target, which reads
		// as if it had tried) has no Unwrap.
		var load *jsonschema.LoadURLError
		if errors.As(err, &load) {
			err = load.Err
		}
		return nil, fmt.Errorf("schema: compile %s: %w", name, err)
	}
	sum := sha256.Sum256(data)
	return &Schema{compiled: compiled, source: bytes.Clone(data), version: hex.EncodeToString(sum[:6])}, nil
}

// memURL is the base of the URLs schemas are known by: a schema named
// record.json is mem:///record.json.
const memURL = "mem:///"

// RefError is a reference ($ref, $schema) to something that is neither in
// the schema nor a stored schema: it is not followed.
type RefError struct {
	// URL is the reference, resolved against the schema's own URL.
	URL string
}

func (e *RefError) Error() string {
	return fmt.Sprintf("$ref %q is not followed: only references within the schema and to schemas stored in PFF are", e.URL)
}

// newCompiler returns a compiler that loads no file and no URL, only the
// stored schemas (the draft meta-schemas are built in).
func newCompiler(stored map[string][]byte) *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.UseLoader(storedLoader(stored))
	return c
}

// storedLoader loads the schemas stored in PFF by their mem:/// URLs and
// refuses every other URL, without looking at it further.
type storedLoader map[string][]byte

func (l storedLoader) Load(url string) (any, error) {
	if name, ok := strings.CutPrefix(url, memURL); ok {
		if data, ok := l[name]; ok {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				return nil, fmt.Errorf("stored schema %q: %w", name, err)
			}
			return doc, nil
		}
	}
	return nil, &RefError{URL: url}
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
	// The flat output labels a failure reached through a $ref as the
	// reference itself ("validation failed"); the detailed output's leaf
	// at the same place says what failed.
	var leaves map[[2]string]*jsonschema.OutputError
	var out []Error
	for _, u := range ve.BasicOutput().Errors {
		if u.Error == nil {
			continue
		}
		if _, ok := u.Error.Kind.(*kind.Reference); ok {
			if leaves == nil {
				leaves = map[[2]string]*jsonschema.OutputError{}
				collectLeaves(ve.DetailedOutput(), leaves)
			}
			if leaf := leaves[[2]string{u.InstanceLocation, u.KeywordLocation}]; leaf != nil {
				u.Error = leaf
			}
		}
		switch u.Error.Kind.(type) {
		case *kind.Group, *kind.Schema, *kind.Reference:
			continue // "validation failed" above the failures that say why
		}
		out = append(out, Error{Pointer: u.InstanceLocation, Keyword: u.KeywordLocation, Message: u.Error.String()})
	}
	return out
}

// collectLeaves maps the places of the failures without causes in a
// detailed output to their errors.
func collectLeaves(u *jsonschema.OutputUnit, leaves map[[2]string]*jsonschema.OutputError) {
	if len(u.Errors) == 0 && u.Error != nil {
		leaves[[2]string{u.InstanceLocation, u.KeywordLocation}] = u.Error
	}
	for i := range u.Errors {
		collectLeaves(&u.Errors[i], leaves)
	}
}

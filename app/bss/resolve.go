package bss

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// ErrUnknownMethod is matched by the error of resolving a method the
// catalogue does not have.
var ErrUnknownMethod = errors.New("bss: unknown method")

// ArgsError is the error of resolving a call whose args do not fit: args the
// method does not know, or no variant whose required args are all present.
type ArgsError struct {
	Method string
	// Unknown are args the method does not accept.
	Unknown []string
	// Missing says, per variant that could apply, which args it lacks.
	Missing map[string][]string
	// Invalid is an arg that was present but unusable.
	Invalid error
}

func (e *ArgsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bss: %s: ", e.Method)
	switch {
	case len(e.Unknown) > 0:
		fmt.Fprintf(&b, "unknown args %s", strings.Join(e.Unknown, ", "))
	case e.Invalid != nil:
		b.WriteString(e.Invalid.Error())
	default:
		b.WriteString("missing args: ")
		ids := slices.Sorted(maps.Keys(e.Missing))
		for i, id := range ids {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "variant %s needs %s", id, strings.Join(e.Missing[id], ", "))
		}
	}
	return b.String()
}

func (e *ArgsError) Unwrap() error { return e.Invalid }

// Request is one resolved call: what to send to which system. Build it with
// Catalogue.Resolve; a Request is a value and safe to copy.
type Request struct {
	// Operation is the flow method, e.g. "line.set_contract_status".
	Operation string
	// Variant is the id of the catalogue variant chosen.
	Variant string
	// System is the BSS system's name as configured under bss.systems.
	System string
	// Method is the HTTP method.
	Method string
	// Path is relative to a cluster's base URL, with args escaped.
	Path string
	// Query is the encoded query string (no "?").
	Query  string
	Header http.Header
	// Body is the JSON body; nil for none.
	Body   []byte
	Effect Effect
	// Idempotent is whether the catalogue says resending is safe.
	Idempotent bool
	// Args are the args the request was resolved from.
	Args map[string]any
	// IdempotencyKey, when set, is sent on writes as Idempotency-Key: the
	// engine's identifier of the step, the same on every resend.
	IdempotencyKey string
	// Verify says how to tell whether a write was applied; nil for reads
	// and for writes the catalogue cannot verify. Client.Verify runs it.
	Verify *VerifySpec

	v *variant
}

// IsWrite reports whether the request changes BSS.
func (r Request) IsWrite() bool { return r.Effect.IsWrite() }

// Verifiable reports whether the catalogue says how to check that the
// write was applied.
func (r Request) Verifiable() bool { return r.v != nil && r.v.verify != nil }

// String describes the request for logs: system, method and path.
func (r Request) String() string {
	s := strings.ToUpper(r.System) + " " + r.Method + " " + r.Path
	if r.Query != "" {
		s += "?" + r.Query
	}
	return s
}

// VerifySpec is how to tell whether a write was applied: a read, and an
// expr-lang expression over its answer that is true once it was.
type VerifySpec struct {
	// Method is the read, e.g. "line.read_contract".
	Method string
	// Args are the read's args, rendered from the write's.
	Args map[string]any
	// Expr sees result (the read's value, nil when not found), found, and
	// args (the write's).
	Expr string
}

// Resolve chooses the variant of method that args fit and renders the
// request. The first variant, in catalogue order, whose `when` values hold
// and whose required args are all present (and not null or "") is chosen.
// Errors are ErrUnknownMethod or an *ArgsError naming the args at fault.
func (c *Catalogue) Resolve(methodName string, args map[string]any) (Request, error) {
	m, ok := c.methods[methodName]
	if !ok {
		return Request{}, fmt.Errorf("%w %q", ErrUnknownMethod, methodName)
	}
	var unknown []string
	for k := range args {
		if _, known := slices.BinarySearch(m.params, k); !known {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return Request{}, &ArgsError{Method: methodName, Unknown: unknown}
	}
	missing := map[string][]string{}
	for _, v := range m.variants {
		lacks := v.lacks(args)
		if len(lacks) == 0 {
			req, err := v.render(args)
			if err != nil {
				return Request{}, &ArgsError{Method: methodName, Invalid: err}
			}
			return req, nil
		}
		missing[v.id] = lacks
	}
	return Request{}, &ArgsError{Method: methodName, Missing: missing}
}

// lacks returns what args miss for the variant: required args absent or
// empty, and `when` values that do not hold, as "name=value".
func (v *variant) lacks(args map[string]any) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(v.when)) {
		if !whenEqual(args[k], v.when[k]) {
			out = append(out, fmt.Sprintf("%s=%v", k, v.when[k]))
		}
	}
	for _, k := range v.requires {
		if isEmptyArg(args[k]) {
			out = append(out, k)
		}
	}
	return out
}

func isEmptyArg(v any) bool {
	s, isString := v.(string)
	return v == nil || (isString && strings.TrimSpace(s) == "")
}

// whenEqual compares an arg with a `when` value; flows may render booleans
// as strings, so "true" and "False" count as booleans.
func whenEqual(arg, want any) bool {
	if b, ok := want.(bool); ok {
		switch a := arg.(type) {
		case bool:
			return a == b
		case string:
			return strings.EqualFold(strings.TrimSpace(a), fmt.Sprint(b))
		}
		return false
	}
	return arg != nil && scalarEqual(arg, want)
}

func (v *variant) render(args map[string]any) (Request, error) {
	req := Request{
		Operation: v.method, Variant: v.id, System: v.system, Method: v.httpMethod,
		Effect: v.effect, Idempotent: v.idempotent, Args: maps.Clone(args),
		Header: http.Header{}, v: v,
	}
	path, _, err := v.path.render(args, escapeSegment)
	if err != nil {
		return Request{}, fmt.Errorf("path: %w", err)
	}
	req.Path = path
	q := url.Values{}
	for _, e := range v.query {
		s, ok, err := e.t.render(args, nil)
		if err != nil {
			return Request{}, fmt.Errorf("query %s: %w", e.name, err)
		}
		if ok {
			q.Set(e.name, s)
		}
	}
	req.Query = q.Encode()
	for _, e := range v.headers {
		s, ok, err := e.t.render(args, nil)
		if err != nil {
			return Request{}, fmt.Errorf("header %s: %w", e.name, err)
		}
		if strings.ContainsAny(s, "\r\n\x00") {
			return Request{}, fmt.Errorf("header %s: value has a line break or NUL", e.name)
		}
		if ok {
			// Set the name as written: BSS's ERICSSON.* headers are not in
			// Go's canonical form.
			req.Header[e.name] = []string{s}
		}
	}
	if v.verify != nil {
		// Args the write lacks are left out here; Client.Verify reports them.
		readArgs, _, _ := v.verify.args.render(args)
		ra, _ := readArgs.(map[string]any)
		req.Verify = &VerifySpec{Method: v.verify.method, Args: ra, Expr: v.verify.src}
	}
	if v.body != nil {
		body, _, err := v.body.render(args)
		if err != nil {
			return Request{}, fmt.Errorf("body: %w", err)
		}
		if req.Body, err = json.Marshal(body); err != nil {
			return Request{}, fmt.Errorf("body: %w", err)
		}
	}
	return req, nil
}

// escapeSegment makes an arg one path segment: escaped, and never a segment
// that would move up or stay put (".", "..") or vanish ("").
func escapeSegment(s string) (string, error) {
	switch strings.TrimSpace(s) {
	case "", ".", "..":
		return "", fmt.Errorf("%q cannot be a path segment", s)
	}
	return url.PathEscape(s), nil
}

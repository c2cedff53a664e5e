package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/problem"
)

// maxParamBytes bounds one query or path parameter: no name, id, filter or
// entity PFF keeps is longer, and PostgreSQL need not compare longer ones.
const maxParamBytes = 4096

// Text that reaches PostgreSQL must be valid UTF-8 without NUL bytes, or
// the query fails with a 500. Every path and query parameter, form value and
// JSON body field is checked here, once, and refused with a 400 that names
// it.

// paramProblem says what is wrong with a query or path parameter's value,
// or "" when nothing is. Parameters are names, ids and filters: control
// characters have no place in them either.
func paramProblem(v string) string {
	if len(v) > maxParamBytes {
		return fmt.Sprintf("must be at most %d bytes", maxParamBytes)
	}
	if p := textProblem(v); p != "" {
		return p
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return "must not contain control characters"
		}
	}
	return ""
}

// textProblem says why v cannot be stored as text, or "" when it can.
func textProblem(v string) string {
	switch {
	case !utf8.ValidString(v):
		return "must be valid UTF-8"
	case strings.IndexByte(v, 0) >= 0:
		return "must not contain NUL characters"
	}
	return ""
}

// checkParams refuses a request whose path or query parameters are not
// text, naming each: it runs before every API handler, so none has to.
func checkParams(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		var problems problem.Fields
		names, values := c.ParamNames(), c.ParamValues()
		for i, name := range names {
			if i < len(values) {
				if p := paramProblem(values[i]); p != "" {
					problems.Add(name, "%s", p)
				}
			}
		}
		if c.QueryString() != "" {
			query := c.QueryParams()
			keys := slices.Sorted(func(yield func(string) bool) {
				for k := range query {
					if !yield(k) {
						return
					}
				}
			})
			for _, name := range keys {
				if p := paramProblem(name); p != "" {
					problems.Add(strconv.Quote(printable(name)), "a parameter name %s", p)
					continue
				}
				for _, v := range query[name] {
					if p := paramProblem(v); p != "" {
						problems.Add(name, "%s", p)
						break
					}
				}
			}
		}
		if err := problems.Err(); err != nil {
			return &problem.Error{Kind: problem.Invalid, Code: "invalid_parameter",
				Message: "invalid parameter(s): " + err.Error(), Fields: problems}
		}
		return next(c)
	}
}

// printable is s cut short with its invalid bytes replaced, fit to quote in
// an answer.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strings.ToValidUTF8(s, "")
}

// formValue reads a form field, which must be text.
func formValue(form map[string][]string, name string) (string, error) {
	var v string
	if vs := form[name]; len(vs) > 0 {
		v = vs[0]
	}
	if p := textProblem(v); p != "" {
		return "", problem.FieldError(name, "%s", p)
	}
	return v, nil
}

// checkDecoded refuses a decoded JSON body with a string that is not text:
// one holding NUL, or, when the body was not valid UTF-8 (encoding/json
// quietly turns such bytes into U+FFFD), one holding U+FFFD. Each is named
// by its path, such as triples[0].head.
func checkDecoded(v any, body []byte) error {
	invalidUTF8 := !utf8.Valid(body)
	var problems problem.Fields
	check := func(path, s string) {
		switch {
		case strings.IndexByte(s, 0) >= 0:
			problems.Add(path, "must not contain NUL characters")
		case invalidUTF8 && strings.ContainsRune(s, utf8.RuneError):
			problems.Add(path, "must be valid UTF-8")
		}
	}
	walkStrings(reflect.ValueOf(v), "", check, 0)
	if err := problems.Err(); err != nil {
		return err
	}
	if invalidUTF8 {
		return badRequest("invalid_json", "the request body is not valid UTF-8")
	}
	return nil
}

// rawMessageType is json.RawMessage, checked as JSON text.
var rawMessageType = reflect.TypeFor[json.RawMessage]()

// walkStrings calls check with every string in v and its path. Depth is
// bounded by the JSON decoder already; the bound here only guards cycles.
func walkStrings(v reflect.Value, path string, check func(path, s string), depth int) {
	if depth > 100 || !v.IsValid() {
		return
	}
	if v.Type() == rawMessageType {
		raw := v.Bytes()
		if bytes.Contains(raw, []byte(`\u0000`)) || bytes.IndexByte(raw, 0) >= 0 {
			check(path, "\x00")
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, check, depth+1)
		}
	case reflect.String:
		check(path, v.String())
	case reflect.Struct:
		for _, f := range jsonFields(v.Type()) {
			walkStrings(v.FieldByIndex(f.Index), join(path, f.name), check, depth+1)
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return // []byte is base64 in JSON: binary, not text
		}
		for i := range v.Len() {
			walkStrings(v.Index(i), fmt.Sprintf("%s[%d]", path, i), check, depth+1)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			key := iter.Key()
			name := fmt.Sprint(key.Interface())
			if key.Kind() == reflect.String {
				check(join(path, printable(name)), key.String())
			}
			walkStrings(iter.Value(), join(path, printable(name)), check, depth+1)
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// fieldAt names the field of a JSON body in which decoding stopped with a
// syntax error, such as "password" or "triples[0].head"; "" when the error
// is not inside a field.
func fieldAt(body []byte) string {
	type frame struct {
		array     bool
		index     int
		key       string
		expectKey bool
	}
	var stack []frame
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		top := len(stack) - 1
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if top >= 0 && stack[top].array {
					stack[top].index++
				}
				stack = append(stack, frame{array: d == '[', index: -1, expectKey: d == '{'})
			default:
				stack = stack[:top]
				if top > 0 && !stack[top-1].array {
					stack[top-1].expectKey = true
				}
			}
			continue
		}
		switch {
		case top < 0:
		case stack[top].array:
			stack[top].index++
		case stack[top].expectKey:
			stack[top].key, _ = tok.(string)
			stack[top].expectKey = false
		default:
			stack[top].expectKey = true
		}
	}
	var b strings.Builder
	for i, f := range stack {
		switch {
		case f.array && i == len(stack)-1:
			// The error is in the element after the last one read.
			fmt.Fprintf(&b, "[%d]", f.index+1)
		case f.array:
			fmt.Fprintf(&b, "[%d]", f.index)
		case !f.expectKey && f.key != "":
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(printable(f.key))
		default:
			return b.String()
		}
	}
	return b.String()
}

// fieldHolding names the first field of a JSON body whose value is the
// string value, for errors that quote a value but not its field.
func fieldHolding(body []byte, value string) string {
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	// Unmarshalers see, and quote, the value as written: with its escapes.
	var unescaped string
	if json.Unmarshal([]byte(`"`+value+`"`), &unescaped) == nil {
		value = unescaped
	}
	var found string
	var walk func(v any, path string) bool
	walk = func(v any, path string) bool {
		switch v := v.(type) {
		case string:
			if v == value {
				found = path
				return true
			}
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				if walk(v[k], join(path, printable(k))) {
					return true
				}
			}
		case []any:
			for i, e := range v {
				if walk(e, fmt.Sprintf("%s[%d]", path, i)) {
					return true
				}
			}
		}
		return false
	}
	walk(doc, "")
	return found
}

package knowledge

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/checks"
	"github.com/pff/pff/app/constraints"
	"github.com/pff/pff/app/flows"
	"github.com/pff/pff/app/rules"
	"github.com/pff/pff/app/schema"
	"github.com/pff/pff/app/validation"
)

// Lint returns every problem of a document of the kind in the format, each
// at its line and column in name.format. A rule or check file that holds no
// rule or check is an error: activating it would validate nothing.
func Lint(k Kind, format Format, name string, data []byte) rules.Diagnostics {
	file := name + "." + string(format)
	var diags rules.Diagnostics
	switch k {
	case KindSchema:
		return LintSchema(file, data)
	case KindRules:
		diags = validation.LintFile(file, data)
		if parsed, _ := rules.Parse(file, data); len(parsed) == 0 && diags.Err() == nil {
			diags = append(diags, rules.Diagnostic{Pos: rules.Position{File: file, Line: 1, Col: 1}, Msg: "no rules"})
		}
	case KindChecks:
		diags = validation.LintFile(file, data)
		if parsed, _ := checks.Parse(file, data); len(parsed) == 0 && diags.Err() == nil {
			diags = append(diags, rules.Diagnostic{Pos: rules.Position{File: file, Line: 1, Col: 1}, Msg: "no checks"})
		}
	case KindConstraints:
		return constraints.Lint(file, data)
	case KindFlows:
		return LintFlows(file, data, nil)
	case KindOperations:
		if _, err := bss.LoadCatalogue(data); err != nil {
			diags = rules.Diagnostics{{Pos: rules.Position{File: file, Line: 1, Col: 1}, Msg: err.Error()}}
		}
	default:
		diags = rules.Diagnostics{{Pos: rules.Position{File: file}, Msg: fmt.Sprintf("unknown kind %q", k)}}
	}
	return diags
}

// LintFlows returns the problems of a flow file; with a catalog, also the
// methods and arguments it does not know. Warnings come back as notes:
// they do not refuse the file.
func LintFlows(file string, data []byte, cat flows.Catalog) rules.Diagnostics {
	f, diags := flows.Parse(file, data)
	if cat != nil && f != nil {
		diags = flows.Lint(f, cat)
	}
	out := make(rules.Diagnostics, 0, len(diags))
	for _, d := range diags {
		severity := rules.Error
		if d.Severity != flows.Error {
			severity = rules.Note
		}
		out = append(out, rules.Diagnostic{Pos: rules.Position{File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col},
			Severity: severity, Msg: d.Message})
	}
	return out
}

// LintSchema returns every problem of a JSON Schema document: malformed
// JSON, and each place the draft 2020-12 meta-schema refuses, at its line
// and column.
func LintSchema(file string, data []byte) rules.Diagnostics {
	if off, msg, ok := jsonSyntaxError(data); ok {
		return rules.Diagnostics{{Pos: Position(file, data, off), Msg: msg}}
	}
	_, err := schema.Compile(file, data)
	if err == nil {
		return nil
	}
	var invalid *jsonschema.SchemaValidationError
	if errors.As(err, &invalid) {
		var ve *jsonschema.ValidationError
		if errors.As(invalid.Err, &ve) {
			return metaSchemaDiagnostics(file, data, ve)
		}
	}
	var regex *jsonschema.InvalidRegexError
	if errors.As(err, &regex) {
		return rules.Diagnostics{{Pos: pointerPosition(file, data, fragment(regex.URL)), Msg: fmt.Sprintf("invalid regular expression %q: %v", regex.Regex, regex.Err)}}
	}
	return rules.Diagnostics{{Pos: Position(file, data, 0), Msg: strings.TrimPrefix(err.Error(), "schema: ")}}
}

func metaSchemaDiagnostics(file string, data []byte, ve *jsonschema.ValidationError) rules.Diagnostics {
	printer := message.NewPrinter(language.English)
	var diags rules.Diagnostics
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		switch {
		case len(e.Causes) == 0:
			pointer := "/" + strings.Join(escapePointer(e.InstanceLocation), "/")
			diags = append(diags, rules.Diagnostic{Pos: pointerPosition(file, data, strings.TrimSuffix(pointer, "/")),
				Msg: e.ErrorKind.LocalizedString(printer)})
		case isAlternatives(e.ErrorKind):
			// Every alternative failed; the first (the meta-schema's usual
			// reading) says what was meant without listing them all.
			walk(e.Causes[0])
		default:
			for _, c := range e.Causes {
				walk(c)
			}
		}
	}
	walk(ve)
	slices.SortStableFunc(diags, func(a, b rules.Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	return diags
}

func isAlternatives(k jsonschema.ErrorKind) bool {
	switch k.(type) {
	case *kind.AnyOf, *kind.OneOf:
		return true
	}
	return false
}

func escapePointer(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = strings.NewReplacer("~", "~0", "/", "~1").Replace(t)
	}
	return out
}

// jsonSyntaxError returns the offset and message of the first syntax error
// of data, a single JSON value.
func jsonSyntaxError(data []byte) (int, string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v json.RawMessage
	err := dec.Decode(&v)
	if err == nil {
		end := int(dec.InputOffset())
		if _, err = dec.Token(); errors.Is(err, io.EOF) {
			return 0, "", false
		}
		return skipSeparators(data, end), "unexpected data after the JSON value", true
	}
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		// Offset is just past the offending byte.
		return max(int(syntax.Offset)-1, 0), err.Error(), true
	case errors.Is(err, io.EOF):
		return 0, "empty document", true
	default: // io.ErrUnexpectedEOF
		return len(data), "unexpected end of JSON input", true
	}
}

// Position returns the line and column (1-based, columns in characters) of
// byte offset off in data.
func Position(file string, data []byte, off int) rules.Position {
	off = min(max(off, 0), len(data))
	lineStart := bytes.LastIndexByte(data[:off], '\n') + 1
	return rules.Position{
		File: file,
		Line: bytes.Count(data[:off], []byte{'\n'}) + 1,
		Col:  utf8.RuneCount(data[lineStart:off]) + 1,
	}
}

func pointerPosition(file string, data []byte, pointer string) rules.Position {
	off, ok := valueOffset(data, pointer)
	if !ok {
		off = 0
	}
	return Position(file, data, off)
}

func fragment(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Fragment
}

// valueOffset returns the byte offset at which the value an RFC 6901
// pointer names starts in the JSON document data.
func valueOffset(data []byte, pointer string) (int, bool) {
	var path []string
	if pointer != "" {
		if !strings.HasPrefix(pointer, "/") {
			return 0, false
		}
		for _, tok := range strings.Split(pointer[1:], "/") {
			path = append(path, strings.NewReplacer("~1", "/", "~0", "~").Replace(tok))
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for depth := 0; ; depth++ {
		if depth == len(path) {
			return skipSeparators(data, int(dec.InputOffset())), true
		}
		tok, err := dec.Token()
		if err != nil {
			return 0, false
		}
		if !descend(dec, tok, path[depth]) {
			return 0, false
		}
	}
}

// descend moves dec, just past the opening delimiter tok, to the member or
// element named step.
func descend(dec *json.Decoder, tok json.Token, step string) bool {
	var skip json.RawMessage
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return false
			}
			if key == step {
				return true
			}
			if dec.Decode(&skip) != nil {
				return false
			}
		}
	case json.Delim('['):
		want, err := strconv.Atoi(step)
		if err != nil {
			return false
		}
		for i := 0; dec.More(); i++ {
			if i == want {
				return true
			}
			if dec.Decode(&skip) != nil {
				return false
			}
		}
	}
	return false
}

// skipSeparators skips the white space, colon or comma before a value.
func skipSeparators(data []byte, off int) int {
	for off < len(data) && strings.IndexByte(" \t\r\n:,", data[off]) >= 0 {
		off++
	}
	return off
}

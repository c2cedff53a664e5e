package schema

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// InferOptions tune what Infer concludes from a corpus. A schema refuses
// what it does not list, so inference claims a closed vocabulary or a
// required member only on evidence: a corpus that is a sample of production
// must not make the rest of production invalid.
type InferOptions struct {
	// EnumMaxValues is the most distinct values a string member may take and
	// still become an enum. Zero means 16; negative disables enums.
	EnumMaxValues int
	// EnumMinSamples is how many times a string member must be seen before
	// its values are trusted to be the whole vocabulary. Zero means 50.
	EnumMinSamples int
	// EnumMinPerValue is how often every value must have been seen: a value
	// seen rarely says the vocabulary is open, as a word seen once says a
	// text has more words never seen (Good-Turing). Zero means 5.
	EnumMinPerValue int
	// RequiredMinSamples is how many objects must have been seen at a place
	// before a member present in all of them is required: with n objects
	// and no absence, absence may still be as common as 3/n (the rule of
	// three). Zero means 20.
	RequiredMinSamples int
}

func (o InferOptions) withDefaults() InferOptions {
	if o.EnumMaxValues == 0 {
		o.EnumMaxValues = 16
	}
	if o.EnumMinSamples == 0 {
		o.EnumMinSamples = 50
	}
	if o.EnumMinPerValue == 0 {
		o.EnumMinPerValue = 5
	}
	if o.RequiredMinSamples == 0 {
		o.RequiredMinSamples = 20
	}
	return o
}

// Patterns the inferred schemas use for ids.
const (
	HexIDPattern     = "^[0-9A-Fa-f]{32}$"
	hexOrUUIDPattern = "^([0-9A-Fa-f]{32}|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$"
)

// Inferrer learns a schema from records fed to it one at a time, keeping a
// summary per place in the record (array elements share one), never the
// records themselves. It is not safe for concurrent use.
type Inferrer struct {
	opts    InferOptions
	root    *shape
	formats formatChecker
}

// NewInferrer returns an inferrer with no records seen.
func NewInferrer(opts InferOptions) *Inferrer {
	return &Inferrer{opts: opts.withDefaults(), root: &shape{}, formats: newFormatChecker()}
}

// Add summarizes one record decoded from JSON.
func (in *Inferrer) Add(doc any) { in.root.add(doc, in) }

// Records is the number of records added.
func (in *Inferrer) Records() int { return in.root.seen }

// Schema returns the schema of the records added so far, which every one
// of them satisfies:
//   - types as seen ("integer" when every number was whole);
//   - an object's required members are those present every time, once
//     enough objects were seen (InferOptions.RequiredMinSamples);
//   - strings are "date-time" or "uuid" when every value is one, 32-hex-digit
//     ids get a pattern, and members with a closed vocabulary get an enum:
//     seen often, few distinct values each seen several times, and neither
//     identifiers (id, externalId, *Id, *Number), free text (values with
//     spaces) nor quantities (numbers of four digits or more). See
//     InferOptions.
func (in *Inferrer) Schema() map[string]any {
	s := in.root.schema(in.opts)
	s["$schema"] = Draft
	s["description"] = fmt.Sprintf("Inferred from %d records.", in.root.seen)
	return s
}

// JSON returns Schema as indented JSON, keys sorted.
func (in *Inferrer) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(in.Schema(), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("schema: marshal inferred schema: %w", err)
	}
	return b, nil
}

// shape summarizes the values seen at one place.
type shape struct {
	key   string // the member name the values are under; "" at the root
	seen  int    // values seen here
	types map[string]bool

	objects int // how many were objects: a member is required if seen this often
	members map[string]*shape

	items *shape

	strings  int
	values   map[string]int // distinct strings and their counts, until there are too many
	overflow bool
	// open says a string seen here was text, a quantity or an identifier,
	// never one of a closed vocabulary.
	open bool
	// Every string so far is one of these (true until one is not); an id
	// is a UUID or 32 hex digits.
	allDateTime, allUUID, allHex, allIDs bool
}

func (s *shape) add(v any, in *Inferrer) {
	if s.seen == 0 {
		s.types = map[string]bool{}
		s.allDateTime, s.allUUID, s.allHex, s.allIDs = true, true, true, true
	}
	s.seen++
	switch v := v.(type) {
	case map[string]any:
		s.types["object"] = true
		s.objects++
		if s.members == nil {
			s.members = map[string]*shape{}
		}
		for k, m := range v {
			ms, ok := s.members[k]
			if !ok {
				ms = &shape{key: k}
				s.members[k] = ms
			}
			ms.add(m, in)
		}
	case []any:
		s.types["array"] = true
		if s.items == nil {
			s.items = &shape{key: s.key}
		}
		for _, e := range v {
			s.items.add(e, in)
		}
	case string:
		s.types["string"] = true
		s.addString(v, in)
		if s.key != "" && isIdentifierKey(s.key) {
			s.open = true
		}
	case float64:
		s.types[numberType(v == math.Trunc(v) && !math.IsInf(v, 0))] = true
	case json.Number:
		_, err := v.Int64()
		s.types[numberType(err == nil)] = true
	case bool:
		s.types["boolean"] = true
	case nil:
		s.types["null"] = true
	}
}

func numberType(whole bool) string {
	if whole {
		return "integer"
	}
	return "number"
}

func (s *shape) addString(v string, in *Inferrer) {
	s.strings++
	if !s.open && (strings.ContainsAny(v, " \t\n") || isQuantity(v)) {
		s.open = true
	}
	if !s.overflow {
		if s.values == nil {
			s.values = map[string]int{}
		}
		s.values[v]++
		if len(s.values) > max(in.opts.EnumMaxValues, 0) {
			s.values, s.overflow = nil, true
		}
	}
	if s.allDateTime {
		s.allDateTime = in.formats.dateTime(v)
	}
	if s.allIDs {
		hex := isHexID(v)
		uuid := !hex && in.formats.uuid(v)
		s.allHex = s.allHex && hex
		s.allUUID = s.allUUID && uuid
		s.allIDs = hex || uuid
	}
}

func isHexID(v string) bool {
	if len(v) != 32 {
		return false
	}
	return strings.Trim(v, "0123456789abcdefABCDEF") == ""
}

func (s *shape) schema(opts InferOptions) map[string]any {
	out := map[string]any{}
	types := slices.Sorted(maps.Keys(s.types))
	if s.types["integer"] && s.types["number"] {
		types = slices.DeleteFunc(types, func(t string) bool { return t == "integer" })
	}
	if len(types) == 1 {
		out["type"] = types[0]
	} else if len(types) > 1 {
		out["type"] = types
	}
	if s.members != nil {
		props := map[string]any{}
		var required []string
		for k, m := range s.members {
			props[k] = m.schema(opts)
			if m.seen == s.objects && s.objects >= opts.RequiredMinSamples {
				required = append(required, k)
			}
		}
		out["properties"] = props
		if len(required) > 0 {
			slices.Sort(required)
			out["required"] = required
		}
	}
	if s.items != nil && s.items.seen > 0 {
		out["items"] = s.items.schema(opts)
	}
	if s.strings > 0 {
		s.stringSchema(out, opts)
	}
	return out
}

// stringSchema adds what the strings seen have in common: a format, an id
// pattern or an enum, in that order of preference.
func (s *shape) stringSchema(out map[string]any, opts InferOptions) {
	switch {
	case s.allDateTime:
		out["format"] = "date-time"
	case s.allUUID:
		out["format"] = "uuid"
	case s.allHex:
		out["pattern"] = HexIDPattern
	case s.allIDs:
		out["pattern"] = hexOrUUIDPattern
	case s.closedVocabulary(opts):
		out["enum"] = slices.Sorted(maps.Keys(s.values))
	}
}

// closedVocabulary says the strings seen here are evidence of a closed
// vocabulary (see Inferrer.Schema). An enum applies to the whole value, so
// other types seen here must stay valid too: only members that were always
// strings.
func (s *shape) closedVocabulary(opts InferOptions) bool {
	if s.overflow || s.open || opts.EnumMaxValues <= 0 || s.strings < opts.EnumMinSamples || len(s.types) != 1 {
		return false
	}
	for _, n := range s.values {
		if n < opts.EnumMinPerValue {
			return false
		}
	}
	return true
}

// isIdentifierKey says a member names an entity or a line rather than a
// category: ids, external ids, numbers.
func isIdentifierKey(key string) bool {
	return key == "id" || strings.HasSuffix(key, "Id") || strings.HasSuffix(key, "ID") || strings.HasSuffix(key, "Number")
}

// isQuantity says a string is a number of four digits or more: a quota or an
// amount, which takes values no corpus lists in full.
func isQuantity(v string) bool {
	digits := 0
	for i := range len(v) {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '-' || c == '.' || c == ',':
		default:
			return false
		}
	}
	return digits >= 4
}

// formatChecker asks the validator itself whether a string has a format, so
// that what inference concludes validation accepts.
type formatChecker struct {
	dateTimeSchema, uuidSchema *jsonschema.Schema
}

func newFormatChecker() formatChecker {
	compile := func(format string) *jsonschema.Schema {
		c := newCompiler(nil)
		c.AssertFormat()
		if err := c.AddResource("mem:///format.json", map[string]any{"$schema": Draft, "format": format}); err != nil {
			panic(fmt.Sprintf("schema: format %s: %v", format, err))
		}
		return c.MustCompile("mem:///format.json")
	}
	return formatChecker{dateTimeSchema: compile("date-time"), uuidSchema: compile("uuid")}
}

func (f formatChecker) dateTime(v string) bool {
	return len(v) >= 20 && v[4] == '-' && f.dateTimeSchema.Validate(v) == nil
}

func (f formatChecker) uuid(v string) bool {
	return len(v) == 36 && v[8] == '-' && f.uuidSchema.Validate(v) == nil
}

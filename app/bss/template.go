package bss

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// template is a string with {placeholders}: "{name}", "{name.key.key}" and
// "{name|filter}". "{{" and "}}" stand for literal braces.
type template struct {
	raw   string
	parts []part
}

// part is either a literal or a placeholder.
type part struct {
	lit string
	ph  *placeholder
}

type placeholder struct {
	path   []string // the arg's name, then keys into it
	filter string   // "", "e164" or "national"
}

// applyFilter turns a scalar arg into the form a request needs; ok is false
// for an unknown filter.
func applyFilter(name, s string) (string, bool, error) {
	switch name {
	case "e164":
		v, err := msisdnE164(s)
		return v, true, err
	case "national":
		v, err := msisdnNational(s)
		return v, true, err
	}
	return "", false, nil
}

// maxTemplateLen bounds a template so that a hostile catalogue file costs
// little to parse.
const maxTemplateLen = 4096

func parseTemplate(s string) (template, error) {
	if len(s) > maxTemplateLen {
		return template{}, fmt.Errorf("template of %d bytes is longer than %d", len(s), maxTemplateLen)
	}
	t := template{raw: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "{{"):
			lit.WriteByte('{')
			i += 2
		case strings.HasPrefix(s[i:], "}}"):
			lit.WriteByte('}')
			i += 2
		case s[i] == '}':
			return template{}, fmt.Errorf("%q: unmatched '}' at %d (write }} for a literal brace)", s, i)
		case s[i] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return template{}, fmt.Errorf("%q: unclosed '{' at %d (write {{ for a literal brace)", s, i)
			}
			ph, err := parsePlaceholder(s[i+1 : i+end])
			if err != nil {
				return template{}, fmt.Errorf("%q: %w", s, err)
			}
			flush()
			t.parts = append(t.parts, part{ph: ph})
			i += end + 1
		default:
			lit.WriteByte(s[i])
			i++
		}
	}
	flush()
	return t, nil
}

func parsePlaceholder(inner string) (*placeholder, error) {
	name, filter, hasFilter := strings.Cut(inner, "|")
	ph := &placeholder{path: strings.Split(name, ".")}
	for _, seg := range ph.path {
		if !isIdent(seg) {
			return nil, fmt.Errorf("placeholder {%s}: %q is not a name (letters, digits, _)", inner, seg)
		}
	}
	if hasFilter {
		if _, ok, _ := applyFilter(filter, "0"); !ok {
			return nil, fmt.Errorf("placeholder {%s}: unknown filter %q (want e164 or national)", inner, filter)
		}
		ph.filter = filter
	}
	return ph, nil
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		letter := c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// whole returns the placeholder when the template is exactly one.
func (t template) whole() *placeholder {
	if len(t.parts) == 1 {
		return t.parts[0].ph
	}
	return nil
}

// args returns the names of the args the template refers to.
func (t template) args() []string {
	var names []string
	for _, p := range t.parts {
		if p.ph != nil {
			names = append(names, p.ph.path[0])
		}
	}
	return names
}

// lookup finds the placeholder's value in args; ok is false when the arg
// (or a key on the way) is absent or null.
func (ph *placeholder) lookup(args map[string]any) (any, bool) {
	var v any = args
	for _, key := range ph.path {
		m, isMap := v.(map[string]any)
		if !isMap {
			return nil, false
		}
		if v = m[key]; v == nil {
			return nil, false
		}
	}
	return v, true
}

// text renders the placeholder as a string, applying its filter.
func (ph *placeholder) text(args map[string]any) (string, bool, error) {
	v, ok := ph.lookup(args)
	if !ok {
		return "", false, nil
	}
	s, err := scalarText(v)
	if err != nil {
		return "", true, fmt.Errorf("arg %s: %w", strings.Join(ph.path, "."), err)
	}
	if ph.filter != "" {
		if s, _, err = applyFilter(ph.filter, s); err != nil {
			return "", true, fmt.Errorf("arg %s: %w", strings.Join(ph.path, "."), err)
		}
	}
	return s, true, nil
}

// render substitutes args, each through escape (nil keeps them as they
// are). ok is false when a placeholder's arg is absent.
func (t template) render(args map[string]any, escape func(string) (string, error)) (string, bool, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.ph == nil {
			b.WriteString(p.lit)
			continue
		}
		s, ok, err := p.ph.text(args)
		if err != nil || !ok {
			return "", ok, err
		}
		if escape != nil {
			if s, err = escape(s); err != nil {
				return "", true, fmt.Errorf("arg %s: %w", strings.Join(p.ph.path, "."), err)
			}
		}
		b.WriteString(s)
	}
	return b.String(), true, nil
}

// value renders the template as a JSON value: a whole placeholder without a
// filter keeps the arg's type, anything else is a string.
func (t template) value(args map[string]any) (any, bool, error) {
	if ph := t.whole(); ph != nil && ph.filter == "" {
		v, ok := ph.lookup(args)
		return v, ok, nil
	}
	return t.render(args, nil)
}

// scalarText formats a scalar arg for a path, query or header.
func scalarText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case json.Number:
		return x.String(), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", fmt.Errorf("%v is not a number JSON can hold", x)
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case float32:
		return scalarText(float64(x))
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case uint:
		return strconv.FormatUint(uint64(x), 10), nil
	case map[string]any:
		return "", fmt.Errorf("is an object, where a single value is needed")
	case []any:
		return "", fmt.Errorf("is a list, where a single value is needed")
	default:
		return "", fmt.Errorf("has type %T, where a string, number or boolean is needed", v)
	}
}

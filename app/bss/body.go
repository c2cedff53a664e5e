package bss

import (
	"fmt"
	"sort"
	"strconv"
)

// A valueTemplate is a JSON value whose strings are templates: request
// bodies and the args of a verify read.
type valueTemplate interface {
	// render returns the value; ok is false when it names an absent arg,
	// which leaves it out of the object or list that holds it.
	render(args map[string]any) (v any, ok bool, err error)
	// walk calls f for every template in the value.
	walk(f func(template))
}

type objectTemplate struct {
	keys []string
	vals []valueTemplate
}

type listTemplate []valueTemplate

type stringTemplate struct{ t template }

type literal struct{ v any }

// maxValueDepth bounds the nesting of a body in the catalogue.
const maxValueDepth = 32

// compileValue turns a value decoded from YAML into a template.
func compileValue(v any, depth int) (valueTemplate, error) {
	if depth > maxValueDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxValueDepth)
	}
	switch x := v.(type) {
	case string:
		t, err := parseTemplate(x)
		if err != nil {
			return nil, err
		}
		return stringTemplate{t}, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := objectTemplate{keys: keys, vals: make([]valueTemplate, len(keys))}
		for i, k := range keys {
			c, err := compileValue(x[k], depth+1)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			o.vals[i] = c
		}
		return o, nil
	case []any:
		l := make(listTemplate, len(x))
		for i, e := range x {
			c, err := compileValue(e, depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = c
		}
		return l, nil
	case nil, bool, int, int64, uint64, float64:
		return literal{x}, nil
	default:
		return nil, fmt.Errorf("unsupported value of type %T", v)
	}
}

func (o objectTemplate) render(args map[string]any) (any, bool, error) {
	out := make(map[string]any, len(o.keys))
	for i, k := range o.keys {
		v, ok, err := o.vals[i].render(args)
		if err != nil {
			return nil, true, fmt.Errorf("%s: %w", k, err)
		}
		if ok {
			out[k] = v
		}
	}
	return out, true, nil
}

func (o objectTemplate) walk(f func(template)) {
	for _, v := range o.vals {
		v.walk(f)
	}
}

func (l listTemplate) render(args map[string]any) (any, bool, error) {
	out := make([]any, 0, len(l))
	for i, e := range l {
		v, ok, err := e.render(args)
		if err != nil {
			return nil, true, fmt.Errorf("[%s]: %w", strconv.Itoa(i), err)
		}
		if ok {
			out = append(out, v)
		}
	}
	return out, true, nil
}

func (l listTemplate) walk(f func(template)) {
	for _, v := range l {
		v.walk(f)
	}
}

func (s stringTemplate) render(args map[string]any) (any, bool, error) { return s.t.value(args) }
func (s stringTemplate) walk(f func(template))                         { f(s.t) }

func (l literal) render(map[string]any) (any, bool, error) { return l.v, true, nil }
func (l literal) walk(func(template))                      {}

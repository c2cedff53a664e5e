package flows

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/vm/runtime"
)

// Python's errors, which run-time expression errors wrap: errors.Is(err,
// flows.ErrKey) holds for a missing key.
var (
	ErrName  = errors.New("NameError")
	ErrKey   = errors.New("KeyError")
	ErrIndex = errors.New("IndexError")
	ErrType  = errors.New("TypeError")
)

// Truther is implemented by values with their own truthiness, such as the
// engine's write results: an applied write is true, a rejected one false.
type Truther interface {
	Truthy() bool
}

// truthy is Python's bool(v): None, false, zero and empty strings, lists
// and maps are false; a Truther decides for itself; anything else is true.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case Truther:
		return x.Truthy()
	case bool:
		return x
	case string:
		return x != ""
	case int:
		return x != 0
	case float64:
		return x != 0
	case json.Number:
		f, err := x.Float64()
		return err != nil || f != 0
	case map[string]any:
		return len(x) > 0
	case []any:
		return len(x) > 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		return !rv.IsNil()
	case reflect.Map, reflect.Slice, reflect.Array, reflect.String:
		return rv.Len() > 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int() != 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint() != 0
	case reflect.Float32, reflect.Float64:
		return rv.Float() != 0
	case reflect.Bool:
		return rv.Bool()
	}
	return true
}

// getitem is Python's obj[key] for JSON-like values and structs (by their
// JSON field names). A missing key is a KeyError and subscripting None a
// TypeError: never None.
func getitem(obj, key any) (any, error) {
	v, found, err := lookup(obj, key)
	if err == nil && !found {
		err = fmt.Errorf("%w: %s", ErrKey, pyRepr(key))
	}
	return v, err
}

// getopt is obj?.[key]: None when obj is None or has no key.
func getopt(obj, key any) (any, error) {
	if obj == nil {
		return nil, nil
	}
	v, _, err := lookup(obj, key)
	if errors.Is(err, ErrIndex) {
		return nil, nil
	}
	return v, err
}

func lookup(obj, key any) (v any, found bool, err error) {
	switch o := obj.(type) {
	case nil:
		return nil, false, fmt.Errorf("%w: 'NoneType' object is not subscriptable", ErrType)
	case map[string]any:
		k, ok := key.(string)
		if !ok {
			return nil, false, nil
		}
		v, found = o[k]
		return v, found, nil
	case []any:
		i, err := listIndex(key, len(o))
		if err != nil {
			return nil, false, err
		}
		return o[i], true, nil
	case string:
		rs := []rune(o)
		i, err := listIndex(key, len(rs))
		if err != nil {
			return nil, false, err
		}
		return string(rs[i]), true, nil
	}
	rv := reflect.ValueOf(obj)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil, false, fmt.Errorf("%w: 'NoneType' object is not subscriptable", ErrType)
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Map:
		kv := reflect.ValueOf(key)
		if !kv.IsValid() || !kv.Type().AssignableTo(rv.Type().Key()) {
			return nil, false, nil
		}
		e := rv.MapIndex(kv)
		if !e.IsValid() {
			return nil, false, nil
		}
		return e.Interface(), true, nil
	case reflect.Slice, reflect.Array:
		i, err := listIndex(key, rv.Len())
		if err != nil {
			return nil, false, err
		}
		return rv.Index(i).Interface(), true, nil
	case reflect.Struct:
		k, ok := key.(string)
		if !ok {
			return nil, false, nil
		}
		return structField(rv, k)
	}
	return nil, false, fmt.Errorf("%w: '%s' object is not subscriptable", ErrType, pyType(obj))
}

// listIndex checks a Python list index, negative ones counting from the end.
func listIndex(key any, n int) (int, error) {
	var i int
	switch k := key.(type) {
	case int:
		i = k
	case float64:
		if k != math.Trunc(k) || math.Abs(k) > math.MaxInt32 {
			return 0, fmt.Errorf("%w: list indices must be integers, not float", ErrType)
		}
		i = int(k)
	default:
		return 0, fmt.Errorf("%w: list indices must be integers, not %s", ErrType, pyType(key))
	}
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return 0, fmt.Errorf("%w: list index %v out of range", ErrIndex, key)
	}
	return i, nil
}

// structField finds the exported field that encoding/json would write as
// name: its tag's name, else its Go name; embedded structs' fields are
// promoted as encoding/json does.
func structField(rv reflect.Value, name string) (any, bool, error) {
	for _, f := range reflect.VisibleFields(rv.Type()) {
		tag, hasTag := f.Tag.Lookup("json")
		tagName, _, _ := strings.Cut(tag, ",")
		if !f.IsExported() || tagName == "-" || f.Anonymous && !hasTag {
			continue
		}
		if cmp.Or(tagName, f.Name) != name {
			continue
		}
		fv, err := rv.FieldByIndexErr(f.Index)
		if err != nil { // through a nil embedded pointer
			return nil, false, nil //nolint:nilerr // a field behind a nil pointer is absent, not an error
		}
		return fv.Interface(), true, nil
	}
	return nil, false, nil
}

// contains is Python's needle in haystack: an element of a list, a key of a
// map, a substring of a string.
func contains(needle, haystack any) (bool, error) {
	switch h := haystack.(type) {
	case nil:
		return false, fmt.Errorf("%w: argument of type 'NoneType' is not iterable", ErrType)
	case []any:
		for _, e := range h {
			if runtime.Equal(e, needle) {
				return true, nil
			}
		}
		return false, nil
	case map[string]any:
		k, ok := needle.(string)
		if !ok {
			return false, nil
		}
		_, found := h[k]
		return found, nil
	case string:
		n, ok := needle.(string)
		if !ok {
			return false, fmt.Errorf("%w: 'in <string>' requires string as left operand, not %s", ErrType, pyType(needle))
		}
		return strings.Contains(h, n), nil
	}
	rv := reflect.ValueOf(haystack)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := range rv.Len() {
			if runtime.Equal(rv.Index(i).Interface(), needle) {
				return true, nil
			}
		}
		return false, nil
	case reflect.Map:
		_, found, err := lookup(haystack, needle)
		return found, err
	}
	return false, fmt.Errorf("%w: argument of type '%s' is not iterable", ErrType, pyType(haystack))
}

// pyStr is Python's str(v), except that lists, maps and structs are written
// as JSON, which is what an API on the other end can read. Whole floats are
// written without a fraction because JSON decoding in Go turns integers into
// floats.
func pyStr(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "None", nil
	case string:
		return x, nil
	case bool:
		if x {
			return "True", nil
		}
		return "False", nil
	case int:
		return strconv.Itoa(x), nil
	case float64:
		return formatFloat(x), nil
	case json.Number:
		return x.String(), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32:
		return formatFloat(rv.Float()), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("%w: cannot write %s as JSON: %w", ErrType, pyType(v), err)
	}
	return string(b), nil
}

func formatFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// pyRepr writes a key as Python's KeyError does: strings quoted.
func pyRepr(v any) string {
	if s, ok := v.(string); ok {
		return "'" + s + "'"
	}
	s, err := pyStr(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return s
}

// pyType names a value's type as Python would.
func pyType(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int, int64, int32:
		return "int"
	case float64, float32, json.Number:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return reflect.TypeOf(v).String()
}

package flows

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/expr-lang/expr/vm/runtime"
)

// searchInDict runs MethodSearchInDict.
func searchInDict(args map[string]any) (any, *StepError) {
	data, hasData := args["data"]
	criteria, hasCriteria := args["criteria"]
	if !hasData || !hasCriteria {
		return nil, &StepError{Code: CodeInvalidArgs, Message: MethodSearchInDict + " wants data and criteria"}
	}
	data, err := plain(data)
	if err == nil {
		criteria, err = plain(criteria)
	}
	if err != nil {
		return nil, &StepError{Code: CodeInvalidArgs, Message: fmt.Sprintf("%s: %v", MethodSearchInDict, err), Err: err}
	}
	return search(data, criteria), nil
}

// search returns the first value within v, v included, depth first with
// map keys in sorted order, that matches criteria; nil when none does.
func search(v, criteria any) any {
	if matches(v, criteria) {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if found := search(x[k], criteria); found != nil {
				return found
			}
		}
	case []any:
		for _, e := range x {
			if found := search(e, criteria); found != nil {
				return found
			}
		}
	}
	return nil
}

// matches is a deep partial match: every key of a criteria map is in v and
// matches there, every element of a criteria list matches some element of
// v, and scalars are equal.
func matches(v, criteria any) bool {
	switch c := criteria.(type) {
	case map[string]any:
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		for k, cv := range c {
			mv, ok := m[k]
			if !ok || !matches(mv, cv) {
				return false
			}
		}
		return true
	case []any:
		l, ok := v.([]any)
		if !ok {
			return false
		}
		for _, cv := range c {
			if !slices.ContainsFunc(l, func(e any) bool { return matches(e, cv) }) {
				return false
			}
		}
		return true
	}
	return runtime.Equal(v, criteria)
}

// plain turns a value into JSON's maps, lists and scalars, whatever
// structs or typed maps it holds, so that search sees it as the API sent it.
func plain(v any) (any, error) {
	switch v.(type) {
	case nil, bool, string, int, float64:
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(b, &out)
}

package bss

import (
	"encoding/json"
	"strconv"
)

// What the customer-enquiry document calls things.
const (
	// MSISDNSpec marks a contract's resource that is its phone number.
	MSISDNSpec = "LrsExtId_MSISDN"
	// StatusTerminated is a contract's final status.
	StatusTerminated = "ContractTerminated"
)

// GetContract finds the one contract of an enquiry that deep-matches
// search (see DeepMatch) and returns {"customer_id": the customer's id,
// "contract": the contract}. The enquiry is a customer object or a list of
// them. No match, or more than one, is false: a flow must not act on a
// contract it cannot tell apart.
func GetContract(enquiry any, search map[string]any) (map[string]any, bool) {
	var hit map[string]any
	n := 0
	for _, cust := range customers(enquiry) {
		for _, c := range objects(cust["contract"]) {
			if DeepMatch(c, search) {
				n++
				hit = map[string]any{"customer_id": cust["id"], "contract": c}
			}
		}
	}
	return hit, n == 1
}

// GetProduct finds the one product of a contract that deep-matches search.
// contract is a contract object or GetContract's {customer_id, contract}.
// No match, or more than one, is false.
func GetProduct(contract any, search map[string]any) (map[string]any, bool) {
	c, _ := contract.(map[string]any)
	if inner, ok := c["contract"].(map[string]any); ok {
		if _, wrapped := c["customer_id"]; wrapped {
			c = inner
		}
	}
	var hit map[string]any
	n := 0
	for _, p := range objects(c["product"]) {
		if DeepMatch(p, search) {
			n++
			hit = p
		}
	}
	return hit, n == 1
}

// FindLine finds the contract of an enquiry whose MSISDN resource is msisdn
// (national or with 55 in front) and returns {customer_id, contract} like
// GetContract. When a number has several contracts (reassigned lines), the
// one not terminated is the line's.
func FindLine(enquiry any, msisdn string) (map[string]any, bool) {
	var all, live []map[string]any
	for _, cust := range customers(enquiry) {
		for _, c := range objects(cust["contract"]) {
			if !hasMSISDN(c, msisdn) {
				continue
			}
			hit := map[string]any{"customer_id": cust["id"], "contract": c}
			all = append(all, hit)
			if CurrentStatus(c) != StatusTerminated {
				live = append(live, hit)
			}
		}
	}
	switch {
	case len(live) == 1:
		return live[0], true
	case len(all) == 1:
		return all[0], true
	}
	return nil, false
}

func hasMSISDN(contract map[string]any, msisdn string) bool {
	for _, r := range objects(contract["resource"]) {
		if r["resourceSpecificationExternalId"] != MSISDNSpec {
			continue
		}
		if n, ok := r["resourceNumber"].(string); ok && SameMSISDN(n, msisdn) {
			return true
		}
	}
	return false
}

// CurrentStatus returns the status of an object with a status history (a
// customer, contract, product, resource or party): the last entry's, as BSS
// keeps the current one last. A plain string status is returned as it is;
// anything else is "".
func CurrentStatus(obj any) string {
	o, _ := obj.(map[string]any)
	switch s := o["status"].(type) {
	case string:
		return s
	case []any:
		if len(s) == 0 {
			return ""
		}
		last, _ := s[len(s)-1].(map[string]any)
		st, _ := last["status"].(string)
		return st
	}
	return ""
}

// DeepMatch reports whether v contains search: an object matches when each
// of search's keys matches v's value under it; a list when every element of
// search matches some element of v; scalars when equal, a number and its
// decimal string alike (flows render args as strings).
func DeepMatch(v, search any) bool {
	return deepMatch(v, search, 0)
}

// maxMatchDepth bounds recursion over hostile documents.
const maxMatchDepth = 64

func deepMatch(v, search any, depth int) bool {
	if depth > maxMatchDepth {
		return false
	}
	switch s := search.(type) {
	case map[string]any:
		o, ok := v.(map[string]any)
		if !ok {
			return false
		}
		for k, sv := range s {
			ov, present := o[k]
			if !present || !deepMatch(ov, sv, depth+1) {
				return false
			}
		}
		return true
	case []any:
		l, ok := v.([]any)
		if !ok {
			return false
		}
		for _, se := range s {
			found := false
			for _, e := range l {
				if deepMatch(e, se, depth+1) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	return scalarEqual(v, search)
}

func scalarEqual(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if x, ok := a.(bool); ok {
		y, ok := b.(bool)
		return ok && x == y
	}
	if _, ok := b.(bool); ok {
		return false
	}
	sa, oka := a.(string)
	sb, okb := b.(string)
	if oka && okb {
		// Strings compare as written: "0123" and "123" are different ids.
		return sa == sb
	}
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	return false
}

// number returns a numeric value, or a string holding one, as a float64.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil && x != "" && x[0] != '+' && x[0] != ' '
	}
	return 0, false
}

// customers returns the customer objects of an enquiry answer.
func customers(enquiry any) []map[string]any {
	switch e := enquiry.(type) {
	case map[string]any:
		return []map[string]any{e}
	case []any:
		return objects(e)
	}
	return nil
}

// objects returns the objects in a list, skipping anything else.
func objects(v any) []map[string]any {
	l, _ := v.([]any)
	out := make([]map[string]any, 0, len(l))
	for _, e := range l {
		if o, ok := e.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

package validation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pff/pff/app/rules"
)

// Bindings are a Horn rule's variables at a violation and their values, in
// the order the rule's body binds them. In JSON they are an object from
// variable to value.
//
// A slice, not a map: a record against thousands of rules has thousands
// of violations, and a map each was most of a validation's garbage.
type Bindings []rules.Binding

// MarshalJSON writes the bindings as an object.
func (b Bindings) MarshalJSON() ([]byte, error) {
	if b == nil {
		return []byte("null"), nil
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, x := range b {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(x.Var)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(x.Value)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads an object from variable to value, in its order.
func (b *Bindings) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*b = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("bindings: not a JSON object")
	}
	var out Bindings
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("bindings: %w", err)
		}
		name, _ := t.(string) // an object's keys are strings
		var value string
		if err := dec.Decode(&value); err != nil {
			return fmt.Errorf("bindings: value of %q: %w", name, err)
		}
		out = append(out, rules.Binding{Var: name, Value: value})
	}
	*b = out
	return nil
}

package validation

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBindingsAreAnObjectInJSON(t *testing.T) {
	t.Parallel()
	b := Bindings{{Var: "X", Value: "A4C1"}, {Var: "C", Value: "quote \" and NUL \x00 and é"}}
	data, err := json.Marshal(Violation{Bindings: b})
	require.NoError(t, err)
	require.Contains(t, string(data), `"bindings":{"X":"A4C1","C":"quote \" and NUL \u0000 and é"}`, "in the rule's order")
	var back Violation
	require.NoError(t, json.Unmarshal(data, &back))
	require.Equal(t, b, back.Bindings)

	data, err = json.Marshal(Violation{})
	require.NoError(t, err)
	require.NotContains(t, string(data), "bindings")

	for _, bad := range []string{`[]`, `"X"`, `{"X":1}`, `{"X":null`, `{"X":{"Y":"Z"}}`} {
		var b Bindings
		require.Error(t, json.Unmarshal([]byte(bad), &b), bad)
	}
	var none Bindings
	require.NoError(t, json.Unmarshal([]byte(`null`), &none))
	require.Nil(t, none)
}

func FuzzBindingsJSON(f *testing.F) {
	f.Add(`{"X":"a","C":"b"}`)
	f.Add(`{}`)
	f.Add(`{"\u0000":"\ud800"}`)
	f.Fuzz(func(t *testing.T, data string) {
		var b Bindings
		if json.Unmarshal([]byte(data), &b) != nil {
			return
		}
		out, err := json.Marshal(b)
		require.NoError(t, err)
		var back Bindings
		require.NoError(t, json.Unmarshal(out, &back))
		require.Equal(t, b, back)
	})
}

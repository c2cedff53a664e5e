package kg

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// toAny converts a parsed value to what encoding/json decodes with UseNumber:
// of duplicate members, the last wins.
func (t *tree) toAny(n node) any {
	switch n.kind {
	case kindObject:
		m := map[string]any{}
		for _, k := range t.kids(n) {
			m[k.key] = t.toAny(k)
		}
		return m
	case kindArray:
		a := []any{}
		for _, k := range t.kids(n) {
			a = append(a, t.toAny(k))
		}
		return a
	case kindString:
		return n.text
	case kindNumber:
		return json.Number(n.text)
	case kindBool:
		return n.text == "true"
	default:
		return nil
	}
}

func decodeStd(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// checkAgainstStd compares parseJSON with encoding/json on one input.
func checkAgainstStd(t *testing.T, data []byte) {
	t.Helper()
	tr, err := parseJSON(string(data))
	if !json.Valid(data) {
		require.Error(t, err, "%q is invalid JSON", data)
		return
	}
	require.NoError(t, err, "%q is valid JSON", data)
	if !utf8.Valid(data) {
		return // encoding/json replaces invalid bytes; the parser keeps them
	}
	want, err := decodeStd(data)
	require.NoError(t, err)
	require.Equal(t, want, tr.toAny(tr.root))
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		`{}`, `[]`, ` { "a" : [ 1 , -2.5e+3 , 0 , true , false , null ] } `,
		`"plain"`, `"esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00"`,
		`"lone \ud83d surrogate"`, `"bad pair \ud83d\u0041"`, `"Bônus"`,
		`{"a":1,"a":2}`, `[[[[]]]]`, `-0`, `1E5`, `0.5`,
		// Invalid:
		``, ` `, `{`, `}`, `[1,]`, `{"a"}`, `{"a":}`, `{"a" 1}`, `{a:1}`, `{"a":1,}`,
		`01`, `1.`, `.5`, `-`, `1e`, `1e+`, `+1`, `tru`, `nul`, `"open`, `"bad \x"`,
		`"ctl ` + "\x01" + `"`, `"\u12"`, `"\u12G4"`, `1 2`, `{} x`, `"\`,
		strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
		strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
	} {
		checkAgainstStd(t, []byte(doc))
	}
}

func TestParseJSONKeepsOrderAndSharesTheDocument(t *testing.T) {
	t.Parallel()
	doc := `{"z":"a","y":{"x":"b\n"},"w":[1,"c"]}`
	tr, err := parseJSON(doc)
	require.NoError(t, err)
	var keys []string
	for _, m := range tr.kids(tr.root) {
		keys = append(keys, m.key)
	}
	require.Equal(t, []string{"z", "y", "w"}, keys)
	z := tr.kids(tr.root)[0].text
	require.Equal(t, "a", z)
	require.Equal(t, "b\n", tr.kids(tr.kids(tr.root)[1])[0].text)
}

func FuzzParseJSON(f *testing.F) {
	for _, seed := range []string{`{"id":"A","n":[1,2.5,{"x":null}]}`, `"\ud83d\ude00"`, `[1,]`, `{"a":"\u00"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstStd(t, data)
	})
}

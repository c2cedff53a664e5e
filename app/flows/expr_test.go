package flows

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/expr-lang/expr/vm"
	"github.com/stretchr/testify/require"
)

// eval compiles and runs an expression over vars.
func eval(t *testing.T, src string, vars map[string]any) (any, error) {
	t.Helper()
	e, d := compileExpr(src, place{pos: Pos{File: "f.yaml", Line: 3, Col: 11}, exact: true})
	require.Nil(t, d, "%s: %v", src, d)
	var m vm.VM
	return e.eval(&m, vars)
}

type party struct {
	ID     string  `json:"id"`
	Status string  `json:"status,omitempty"`
	Skip   string  `json:"-"`
	Inner  *detail `json:"inner"`
	detail
}

type detail struct {
	Since string `json:"since"`
}

func TestTruthiness(t *testing.T) {
	t.Parallel()
	var nilMap map[string]any
	var nilPtr *party
	tests := []struct {
		value any
		want  bool
	}{
		{nil, false}, {false, false}, {true, true},
		{0, false}, {1, true}, {-1, true}, {0.0, false}, {0.5, true},
		{json.Number("0"), false}, {json.Number("2"), true},
		{"", false}, {"0", true}, {" ", true},
		{map[string]any{}, false}, {map[string]any{"a": nil}, true}, {nilMap, false},
		{[]any{}, false}, {[]any{nil}, true}, {[]string{}, false}, {[]int{0}, true},
		{int64(0), false}, {uint8(3), true}, {float32(0), false},
		{writeResult{Applied: true}, true}, {writeResult{Applied: false, Outcome: "rejected"}, false},
		{&writeResult{Applied: true}, true},
		{party{}, true}, {nilPtr, false}, {&party{}, true},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, truthy(tt.value), "%#v", tt.value)
		// The same through the language: not, bool() and when's truthiness.
		got, err := eval(t, "not v", map[string]any{"v": tt.value})
		require.NoError(t, err)
		require.Equal(t, !tt.want, got, "not %#v", tt.value)
		got, err = eval(t, "bool(v)", map[string]any{"v": tt.value})
		require.NoError(t, err)
		require.Equal(t, tt.want, got, "bool(%#v)", tt.value)
	}
}

func TestExprPythonMeaning(t *testing.T) {
	t.Parallel()
	vars := map[string]any{
		"info": map[string]any{"contract": map[string]any{"paymentContext": "Control", "id": "K1"}, "customer_id": "C1"},
		"xs":   []any{map[string]any{"a": 1.0, "s": "A"}, map[string]any{"a": 2.0, "s": "B"}},
		"none": nil, "empty": map[string]any{}, "zero": 0, "s": "Controle",
		"party": party{ID: "P1", Inner: &detail{Since: "2020"}, detail: detail{Since: "2019"}},
		"ok":    writeResult{Applied: true}, "rejected": writeResult{Outcome: "rejected"},
	}
	tests := []struct {
		src  string
		want any
	}{
		{"info['contract']['paymentContext'] in ['Control', 'Prepaid']", true},
		{"info['contract']['paymentContext'] not in ['Control', 'Prepaid']", false},
		{"info.contract.id", "K1"},
		{"'contract' in info", true},
		{"'ont' in s", true},
		{"1 in [1.0, 2]", true},
		{"not none", true},
		{"not empty", true},
		{"not info", false},
		{"not zero", true},
		{"not ok", false},
		{"not rejected", true},
		{"True and None", nil},
		{"empty or 'default'", "default"},
		{"info and info['customer_id']", "C1"},
		{"zero or none or 'last'", "last"},
		{"False or 0", 0},
		{"not 1 == 2", true},
		{"not 1 + 1 == 3", true},
		{"(not 1) == False", true},
		{"not zero and not none", true},
		{"!zero == true", true},
		{"len(xs)", 2},
		{"len(empty)", 0},
		{"len('ção')", 3},
		{"xs[-1]['s']", "B"},
		{"xs[0].a", 1.0},
		{"s[0]", "C"},
		{"str(None) + str(True) + str(1.0) + str(1.5)", "NoneTrue11.5"},
		{"str(info['contract'])", `{"id":"K1","paymentContext":"Control"}`},
		{"party['id'] + party.inner.since + party['since']", "P120202019"},
		{"ok['applied']", true},
		{"none?.['a']", nil},
		{"info?.['nope']", nil},
		{"info?.nope", nil},
		{"info['x']['y'] ?? 'd'", "d"},
		{"unset ?? 3", 3},
		{"none ?? 'n'", "n"},
		{"count(xs, #['a'] > 1)", 1},
		{"filter(xs, {#.s == 'B'})[0].a", 2.0},
		{"map(xs, #.s)", []any{"A", "B"}},
		{"any(xs, {#['s']})", true},
		{"all(xs, {empty})", false},
		{"zero ? 'yes' : 'no'", "no"},
		{"if info { 1 } else { 2 }", 1},
		{"let x = info['customer_id']; x + '!'", "C1!"},
		{"xs | map(#.s) | join(',')", "A,B"},
	}
	for _, tt := range tests {
		got, err := eval(t, tt.src, vars)
		require.NoError(t, err, tt.src)
		require.Equal(t, tt.want, got, tt.src)
	}
}

func TestExprRuntimeErrors(t *testing.T) {
	t.Parallel()
	vars := map[string]any{
		"info": map[string]any{"contract": map[string]any{}},
		"none": nil, "xs": []any{1}, "party": party{ID: "P1"}, "n": 3,
	}
	tests := []struct {
		src  string
		kind error
		msg  string
		col  int // of the error's place; the expression starts at column 11
	}{
		{"info['contract']['id']", ErrKey, "KeyError: 'id'", 27},
		{"info['nope']['id']", ErrKey, "KeyError: 'nope'", 15},
		{"none['x']", ErrType, "TypeError: 'NoneType' object is not subscriptable", 15},
		{"party['nope']", ErrKey, "KeyError: 'nope'", 16},
		{"party.Skip", ErrKey, "KeyError: 'Skip'", 17},
		{"xs[3]", ErrIndex, "IndexError: list index 3 out of range", 13},
		{"xs['a']", ErrType, "TypeError: list indices must be integers, not str", 13},
		{"n['a']", ErrType, "TypeError: 'int' object is not subscriptable", 12},
		{"missing", ErrName, "NameError: name 'missing' is not defined", 11},
		{"not missing", ErrName, "NameError: name 'missing' is not defined", 15},
		{"1 in none", ErrType, "TypeError: argument of type 'NoneType' is not iterable", 13},
		{"1 in 'abc'", ErrType, "TypeError: 'in <string>' requires string as left operand, not int", 13},
		{"len(none)", nil, "invalid argument for len (type <nil>)", 11},
	}
	for _, tt := range tests {
		got, err := eval(t, tt.src, vars)
		require.Error(t, err, tt.src)
		require.Nil(t, got)
		var xe *ExprError
		require.True(t, errors.As(err, &xe), "%T", err)
		if tt.kind != nil {
			require.ErrorIs(t, err, tt.kind, tt.src)
		}
		require.Equal(t, tt.msg, xe.Err.Error(), tt.src)
		require.Equal(t, Pos{File: "f.yaml", Line: 3, Col: tt.col}, xe.Pos, tt.src)
		require.Equal(t, tt.src, xe.Expr)
	}
}

func TestExprCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  string
		code string
		msg  string
		col  int
	}{
		{"nope(1)", CodeExpr, "unknown name nope", 11},
		{"1 +", CodeExpr, "unexpected token EOF", 13},
		{"info.get('a')", CodePython, "Python `.get()`, which expr cannot express: run pff flows migrate", 15},
		{"x.foo()", CodeExpr, "method calls are not supported", 13},
		{"'a' if c else 'b'", CodePython, "Python conditional expression (x if c else y), which expr cannot express: run pff flows migrate", 15},
		{"[p for p in ps]", CodePython, "Python list comprehension, which expr cannot express: run pff flows migrate", 11},
		{"len(p for p in ps)", CodePython, "Python `len()` of a generator expression, which expr cannot express: run pff flows migrate", 11},
		{"x is None", CodePython, "Python `is`, which expr cannot express: run pff flows migrate", 13},
		{"a // 2", CodePython, "Python `//` (floor division; expr reads it as a comment), which expr cannot express: run pff flows migrate", 13},
		{"a and\n b", CodePython, "Python multi-line expression, which expr cannot express: run pff flows migrate", 11},
		{"f'{x}'", CodePython, "Python string prefix, which expr cannot express: run pff flows migrate", 11},
		{"   ", CodeExpr, "empty expression", 14},
	}
	for _, tt := range tests {
		_, d := compileExpr(tt.src, place{pos: Pos{File: "f.yaml", Line: 3, Col: 11}, exact: true})
		require.NotNil(t, d, tt.src)
		require.Equal(t, tt.code, d.Code, tt.src)
		require.Equal(t, tt.msg, d.Message, tt.src)
		require.Equal(t, tt.col, d.Pos.Col, tt.src)
	}
}

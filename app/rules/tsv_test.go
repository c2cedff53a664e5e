package rules

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseTSV(t *testing.T) {
	t.Parallel()
	src := "120\t117\t0.975\tproduct(X,Y) <= status(X,ContractActive), resource(X,A)\r\n" +
		"\n" +
		"10\t5\t0.5\tgender(X,female) <= \n" +
		"7\t7\t1.0\tcontract(A4C123B1612DD272D1371C17149D4395,Y) <= paymentContext(Y,Postpaid)\n"
	rules, diags := ParseTSV("learned.tsv", []byte(src), "")
	require.Equal(t, Diagnostics{{
		Pos:      Position{"learned.tsv", 3, 10},
		Severity: Note,
		Msg:      "rule gender(X,'female') has an empty body: it states a fact, not a check; skipped",
	}}, diags)
	require.NoError(t, diags.Err())
	require.Len(t, rules, 2)

	r := rules[0]
	require.Equal(t, "anyburl", r.Category)
	require.Regexp(t, `^anyburl-[0-9a-f]{12}$`, r.ID)
	require.Equal(t, 0.975, r.Confidence)
	require.Equal(t, "learned by AnyBURL: 120 predictions, 117 correct", r.Description)
	require.Equal(t, Position{"learned.tsv", 1, 1}, r.Pos)
	require.Equal(t, []Atom{{"status", Var("X"), Const("ContractActive")}, {"resource", Var("X"), Var("A")}}, r.Body)

	require.Equal(t, Const("A4C123B1612DD272D1371C17149D4395"), rules[1].Head.Subject)

	again, _ := ParseTSV("other.tsv", []byte("1\t1\t0.1\t"+r.Pattern()+"\n"), "")
	require.NotEqual(t, r.ID, again[0].ID, "the id hashes the text as written")
	same, _ := ParseTSV("other.tsv", []byte("1\t1\t0.1\tproduct(X,Y) <= status(X,ContractActive), resource(X,A)"), "")
	require.Equal(t, r.ID, same[0].ID, "the id does not depend on the line")
}

func TestParseTSVDiagnostics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line string
		col  int
		msg  string
	}{
		{"1\t1\t0.5", 1, "expected 4 tab-separated fields (predictions, correct, confidence, rule), found 3"},
		{"x\t1\t0.5\tp(A,B) <= q(A,B)", 1, `predictions must be a non-negative integer, found "x"`},
		{"1\t-1\t0.5\tp(A,B) <= q(A,B)", 3, `correct must be a non-negative integer, found "-1"`},
		{"1\t1\t1.5\tp(A,B) <= q(A,B)", 5, `confidence must be a number between 0 and 1, found "1.5"`},
		{"1\t1\t0.5\tp(A,B) <= q(A,B", 24, `rule: expected ")" closing q`},
		{"10\t1\t0.5\tp(A,B) <= q(A,é,B)", 25, `rule: expected ")" closing q`},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			t.Parallel()
			rules, diags := ParseTSV("r.tsv", []byte("\n"+tt.line), "learned")
			require.Empty(t, rules)
			require.Equal(t, Diagnostics{{Pos: Position{"r.tsv", 2, tt.col}, Msg: tt.msg}}, diags)
		})
	}
}

func TestParseByExtension(t *testing.T) {
	t.Parallel()
	rules, diags := Parse("R.TSV", []byte("1\t1\t0.5\tp(A,B) <= q(A,B)"))
	require.Empty(t, diags)
	require.Len(t, rules, 1)

	rules, diags = Parse("r.json", []byte(`{"C": [{"id": "a", "confidence": 0.5, "pattern": "p(A,B) <= q(A,B)"}]}`))
	require.Empty(t, diags)
	require.Len(t, rules, 1)

	diags = Lint("r.yaml", nil)
	require.ErrorContains(t, diags.Err(), `r.yaml: error: unknown rule file extension ".yaml": want .json or .tsv`)
}

func TestLintNotesDuplicates(t *testing.T) {
	t.Parallel()
	src := "1\t1\t0.5\tp(X,Y) <= q(X,A), r(A,Y)\n" +
		"1\t1\t0.5\tbad\n" +
		"1\t1\t0.7\tp(B,C) <= r(D,C), q(B,D)\n"
	rules, _ := ParseTSV("r.tsv", []byte(src), "")
	require.Len(t, rules, 2)
	diags := Lint("r.tsv", []byte(src))
	require.Len(t, diags, 2)
	require.Equal(t, 2, diags[0].Pos.Line)
	require.Equal(t, Diagnostic{Pos: Position{"r.tsv", 3, 1}, Severity: Note,
		Msg: `rule "` + rules[1].ID + `" repeats rule "` + rules[0].ID + `" (line 1); they will be merged, keeping the higher confidence`}, diags[1])
}

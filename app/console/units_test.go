package console

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
)

// The tree keeps the document's key order, and a finding at a pointer
// marks the value and opens the way to it.
func TestTreeMarksFindings(t *testing.T) {
	t.Parallel()
	doc := `{"z":1,"a":{"b/c":[true,null,"x"]},"m":{}}`
	root, cut, err := parseTree([]byte(doc))
	require.NoError(t, err)
	require.False(t, cut)
	require.Equal(t, []string{"z", "a", "m"}, []string{root.Children[0].Key, root.Children[1].Key, root.Children[2].Key})
	root.mark("/a/b~1c/2", 3)
	root.mark("/a/missing", 4)
	leaf := root.Children[1].Children[0].Children[2]
	require.Equal(t, "/a/b~1c/2", leaf.Pointer)
	require.Equal(t, []int{3}, leaf.Findings)
	require.Equal(t, `"x"`, leaf.Value)
	require.True(t, root.Children[1].Marked)
	require.Equal(t, []int{4}, root.Children[1].Findings, "a pointer past the document marks the nearest value")
	require.False(t, root.Children[0].Marked)
	require.Equal(t, "p-a-b_7e_1c-2", leaf.Anchor())
}

func TestDiffDocuments(t *testing.T) {
	t.Parallel()
	a, _, err := parseTree([]byte(`{"s":"Active","l":[1,2],"gone":true}`))
	require.NoError(t, err)
	b, _, err := parseTree([]byte(`{"s":"Suspended","l":[1,2,3],"new":{}}`))
	require.NoError(t, err)
	require.Equal(t, []change{
		{Pointer: "/s", Op: "changed", Old: `"Active"`, New: `"Suspended"`},
		{Pointer: "/l/2", Op: "added", New: "3"},
		{Pointer: "/new", Op: "added", New: "{}"},
		{Pointer: "/gone", Op: "removed", Old: "true"},
	}, diffDocuments(a, b))
}

func TestDiffText(t *testing.T) {
	t.Parallel()
	old := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
	hunks, coarse := diffText(old, strings.Replace(old, "e\n", "E\nE2\n", 1), 1)
	require.False(t, coarse)
	require.Len(t, hunks, 1)
	var ops []string
	for _, l := range hunks[0].Lines {
		ops = append(ops, l.Op+l.Text)
	}
	require.Equal(t, []string{" d", "-e", "+E", "+E2", " f"}, ops)
	require.Equal(t, 5, hunks[0].Lines[1].Old)
	require.Equal(t, 6, hunks[0].Lines[3].New)
	hunks, _ = diffText(old, old, 3)
	require.Empty(t, hunks)
}

// Downsampling keeps the ends and the extremes of a series.
func TestDownsampleKeepsPeaks(t *testing.T) {
	t.Parallel()
	n := 10_000
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range n {
		xs[i], ys[i] = float64(i), math.Sin(float64(i)/300)
	}
	ys[5000] = 50 // a spike
	idx := downsample(xs, ys, 400)
	require.Len(t, idx, 400)
	require.Equal(t, 0, idx[0])
	require.Equal(t, n-1, idx[len(idx)-1])
	require.Contains(t, idx, 5000)
	require.Len(t, downsample(xs[:10], ys[:10], 400), 10)
}

// The projection separates what the vectors separate.
func TestProjection(t *testing.T) {
	t.Parallel()
	var vs []store.TypedVector
	for i := range 50 {
		off := float32(i%5) / 10
		vs = append(vs, store.TypedVector{Name: "c", Type: "contract", Vector: []float32{5 + off, 1, 0, off}})
		vs = append(vs, store.TypedVector{Name: "p", Type: "product", Vector: []float32{-5 - off, 1, 0, -off}})
	}
	p := project(vs)
	require.Equal(t, 100, p.Points)
	require.Len(t, p.Types, 2)
	require.Greater(t, p.Explained, 0.99)
	for _, x := range p.Types[0].X {
		require.Equal(t, math.Signbit(float64(p.Types[0].X[0])), math.Signbit(float64(x)), "one type on one side")
	}
	require.NotEqual(t, math.Signbit(float64(p.Types[0].X[0])), math.Signbit(float64(p.Types[1].X[0])))
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	require.Equal(t, "100,000", fmtInt(int64(100000)))
	require.Equal(t, "-1,234", fmtInt(-1234))
	require.Equal(t, "12", fmtInt(12))
	require.Equal(t, "12.5%", pct(1, 8))
	require.Equal(t, "—", pct(1, 0))
	require.Equal(t, 5.0, niceCeil(4.2))
	require.Equal(t, 200.0, niceCeil(101))
}

package console

import "strings"

// diffLine is one line of a unified diff: kept (" "), removed ("-") or
// added ("+"), with its numbers in the old and new text (0 when absent).
type diffLine struct {
	Op       string
	Old, New int
	Text     string
}

// diffHunk is a run of changes with their context.
type diffHunk struct {
	Lines []diffLine
}

// maxDiffCells bounds the LCS table of the part between the common prefix
// and suffix: past it, the middle is shown as removed then added.
const maxDiffCells = 4_000_000

// diffText compares two texts line by line and returns the hunks of
// changes with context lines around each, and whether the middle was too
// large to align line by line.
func diffText(a, b string, context int) ([]diffHunk, bool) {
	al, bl := splitLines(a), splitLines(b)
	ops, coarse := diffLines(al, bl)
	return hunks(ops, context), coarse
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func diffLines(a, b []string) ([]diffLine, bool) {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []diffLine
	for i := range pre {
		out = append(out, diffLine{Op: " ", Old: i + 1, New: i + 1, Text: a[i]})
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	coarse := len(ma)*len(mb) > maxDiffCells
	if coarse {
		for i, l := range ma {
			out = append(out, diffLine{Op: "-", Old: pre + i + 1, Text: l})
		}
		for j, l := range mb {
			out = append(out, diffLine{Op: "+", New: pre + j + 1, Text: l})
		}
	} else {
		out = append(out, lcsDiff(ma, mb, pre)...)
	}
	for k := range suf {
		i, j := len(a)-suf+k, len(b)-suf+k
		out = append(out, diffLine{Op: " ", Old: i + 1, New: j + 1, Text: a[i]})
	}
	return out, coarse
}

// lcsDiff aligns two short texts by their longest common subsequence.
func lcsDiff(a, b []string, offset int) []diffLine {
	n, m := len(a), len(b)
	// table[i][j] is the LCS length of a[i:] and b[j:].
	table := make([]int32, (n+1)*(m+1))
	at := func(i, j int) int32 { return table[i*(m+1)+j] }
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				table[i*(m+1)+j] = at(i+1, j+1) + 1
			} else {
				table[i*(m+1)+j] = max(at(i+1, j), at(i, j+1))
			}
		}
	}
	var out []diffLine
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, diffLine{Op: " ", Old: offset + i + 1, New: offset + j + 1, Text: a[i]})
			i++
			j++
		case i < n && (j == m || at(i+1, j) >= at(i, j+1)):
			// Removals before additions, as diff(1) shows them.
			out = append(out, diffLine{Op: "-", Old: offset + i + 1, Text: a[i]})
			i++
		default:
			out = append(out, diffLine{Op: "+", New: offset + j + 1, Text: b[j]})
			j++
		}
	}
	return out
}

// hunks keeps the changed lines and context lines around them.
func hunks(ops []diffLine, context int) []diffHunk {
	keep := make([]bool, len(ops))
	for i, op := range ops {
		if op.Op == " " {
			continue
		}
		for k := max(0, i-context); k <= min(len(ops)-1, i+context); k++ {
			keep[k] = true
		}
	}
	var out []diffHunk
	var cur *diffHunk
	for i, op := range ops {
		if !keep[i] {
			cur = nil
			continue
		}
		if cur == nil {
			out = append(out, diffHunk{})
			cur = &out[len(out)-1]
		}
		cur.Lines = append(cur.Lines, op)
	}
	return out
}

package rules

import (
	"sort"
	"unicode/utf8"
)

// lineIndex turns byte offsets into 1-based lines and character columns.
type lineIndex struct {
	data   []byte
	starts []int // byte offset of each line's first byte
}

func newLineIndex(data []byte) lineIndex {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return lineIndex{data: data, starts: starts}
}

func (l lineIndex) at(off int64) (line, col int) {
	o := int(min(max(off, 0), int64(len(l.data))))
	i := sort.SearchInts(l.starts, o+1) - 1
	return i + 1, utf8.RuneCount(l.data[l.starts[i]:o]) + 1
}

package embed

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxLineBytes bounds one TSV line; longer lines are an error rather than an
// unbounded allocation.
const maxLineBytes = 1 << 20

// LineError is an error in one line of a TSV file.
type LineError struct {
	Path string // file name; empty when reading from a stream
	Line int    // 1-based
	Err  error
}

func (e *LineError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// ReadTriples reads one head<TAB>relation<TAB>tail per line. Empty lines are
// skipped and a trailing CR is ignored; any other line that is not three
// non-empty UTF-8 fields is a *LineError. Fields are taken verbatim, spaces
// included.
func ReadTriples(r io.Reader) ([]NamedTriple, error) {
	triples, _, err := readTriplesLines(r)
	return triples, err
}

// readTriplesLines is ReadTriples that also returns the line of each triple.
func readTriplesLines(r io.Reader) ([]NamedTriple, []int, error) {
	var (
		triples []NamedTriple
		lines   []int
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxLineBytes)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSuffix(sc.Bytes(), []byte("\r"))
		if len(text) == 0 {
			continue
		}
		t, err := parseTriple(string(text))
		if err != nil {
			return nil, nil, &LineError{Line: line, Err: err}
		}
		triples = append(triples, t)
		lines = append(lines, line)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line longer than %d bytes", maxLineBytes)
		}
		return nil, nil, &LineError{Line: line + 1, Err: err}
	}
	return triples, lines, nil
}

func parseTriple(line string) (NamedTriple, error) {
	fields := strings.Split(line, "\t")
	if len(fields) != 3 {
		return NamedTriple{}, fmt.Errorf("want 3 tab-separated fields (head, relation, tail), got %d", len(fields))
	}
	t := NamedTriple{Head: fields[0], Relation: fields[1], Tail: fields[2]}
	for i, name := range fields {
		if err := checkName(name); err != nil {
			return NamedTriple{}, fmt.Errorf("%s: %w", [...]string{"head", "relation", "tail"}[i], err)
		}
	}
	return t, nil
}

// WriteTriples writes triples in the format ReadTriples reads.
func WriteTriples(w io.Writer, triples []NamedTriple) error {
	bw := bufio.NewWriter(w)
	for i, t := range triples {
		if err := t.check(); err != nil {
			return fmt.Errorf("triple %d: %w", i, err)
		}
		bw.WriteString(t.Head)
		bw.WriteByte('\t')
		bw.WriteString(t.Relation)
		bw.WriteByte('\t')
		bw.WriteString(t.Tail)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

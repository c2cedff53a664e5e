package gen

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// Summary says what a writer produced.
type Summary struct {
	Records int
	Faulty  int
	// Bytes counts the documents' bytes.
	Bytes int64
}

func (s *Summary) add(r Record) {
	s.Records++
	s.Bytes += int64(len(r.Doc))
	if len(r.Faults) > 0 {
		s.Faulty++
	}
}

// LabelsPath is where WriteDir and WriteNDJSONFile put the labels of the
// records they write at path: beside them, never among them, so the output
// can be ingested as it is.
func LabelsPath(path string) string {
	return filepath.Clean(path) + ".labels.jsonl"
}

// WriteDir writes the records of cfg into dir, created if need be, as the
// source systems do: one indented document per customer_enquiry_<msisdn>.txt
// file. The fault labels go to LabelsPath(dir), one JSON object a line,
// sourced by file name.
func WriteDir(ctx context.Context, dir string, cfg Config) (sum Summary, err error) {
	cfg.Compact = false
	g, err := New(cfg)
	if err != nil {
		return sum, err
	}
	// #nosec G301 G306 -- generated sample records, readable like any output of a command
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sum, fmt.Errorf("gen: %w", err)
	}
	f, err := os.Create(LabelsPath(dir))
	if err != nil {
		return sum, fmt.Errorf("gen: %w", err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	labels := bufio.NewWriter(f)
	for rec, ok := g.Next(); ok; rec, ok = g.Next() {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if err := os.WriteFile(filepath.Join(dir, rec.FileName()), rec.Doc, 0o644); err != nil { // #nosec G306 -- as MkdirAll above
			return sum, fmt.Errorf("gen: %w", err)
		}
		if err := writeLabels(labels, rec.Faults); err != nil {
			return sum, err
		}
		sum.add(rec)
	}
	if err := labels.Flush(); err != nil {
		return sum, fmt.Errorf("gen: write labels: %w", err)
	}
	return sum, nil
}

// WriteNDJSONFile writes the records of cfg to path, one compact document a
// line, and their labels to path + ".labels.jsonl", sourced by line number.
func WriteNDJSONFile(ctx context.Context, path string, cfg Config) (sum Summary, err error) {
	records, err := os.Create(path) // #nosec G304 -- the path the operator asked for
	if err != nil {
		return sum, fmt.Errorf("gen: %w", err)
	}
	defer func() { err = errors.Join(err, records.Close()) }()
	labels, err := os.Create(LabelsPath(path))
	if err != nil {
		return sum, fmt.Errorf("gen: %w", err)
	}
	defer func() { err = errors.Join(err, labels.Close()) }()
	return WriteNDJSON(ctx, records, labels, cfg)
}

// WriteNDJSON writes the records of cfg to records, one compact document a
// line, and their labels to labels (io.Discard to drop them), sourced by
// line number, counting from 1.
func WriteNDJSON(ctx context.Context, records, labels io.Writer, cfg Config) (Summary, error) {
	var sum Summary
	cfg.Compact = true
	g, err := New(cfg)
	if err != nil {
		return sum, err
	}
	out := bufio.NewWriterSize(records, 1<<20)
	lw := bufio.NewWriter(labels)
	for rec, ok := g.Next(); ok; rec, ok = g.Next() {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if _, err := out.Write(append(rec.Doc, '\n')); err != nil {
			return sum, fmt.Errorf("gen: write records: %w", err)
		}
		for i := range rec.Faults {
			rec.Faults[i].Source = strconv.Itoa(sum.Records + 1)
		}
		if err := writeLabels(lw, rec.Faults); err != nil {
			return sum, err
		}
		sum.add(rec)
	}
	if err := out.Flush(); err != nil {
		return sum, fmt.Errorf("gen: write records: %w", err)
	}
	if err := lw.Flush(); err != nil {
		return sum, fmt.Errorf("gen: write labels: %w", err)
	}
	return sum, nil
}

// writeLabels writes labels as JSON lines.
func writeLabels(w io.Writer, labels []Label) error {
	for _, l := range labels {
		line, err := json.Marshal(l)
		if err != nil {
			return fmt.Errorf("gen: encode label: %w", err)
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("gen: write labels: %w", err)
		}
	}
	return nil
}

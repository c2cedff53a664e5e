package executions

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"
	"go.yaml.in/yaml/v3"

	"github.com/pff/pff/app/problem"
)

// Manifest is the legacy engine's way to start a run: one task per line,
// each naming its flow (sequence).
type Manifest struct {
	ExecutionID string `yaml:"execution_id"`
	// ResourceUsage and MaxWorkers sized the legacy engine's pool; PFF's
	// jobs.workers does that now.
	ResourceUsage int            `yaml:"resource_usage"`
	MaxWorkers    int            `yaml:"max_workers"`
	Tasks         []ManifestTask `yaml:"tasks"`
}

// ManifestTask is one line of a manifest.
type ManifestTask struct {
	MSISDN   string `yaml:"msisdn"`
	Sequence string `yaml:"sequence"`
	Payload  any    `yaml:"payload"`
}

// ParseManifest reads a legacy manifest as a start request.
func ParseManifest(data []byte) (StartRequest, error) {
	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return StartRequest{}, problem.Invalidf("invalid_manifest", "manifest: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(m.Tasks) == 0 {
		return StartRequest{}, problem.Invalidf("invalid_manifest", "manifest: no tasks")
	}
	req := StartRequest{Name: m.ExecutionID, Lines: make([]LineInput, len(m.Tasks))}
	for i, t := range m.Tasks {
		req.Lines[i] = LineInput{MSISDN: t.MSISDN, Flow: t.Sequence, Payload: t.Payload}
	}
	return req, nil
}

// maxLinesFile bounds a file of lines: 100,000 lines of a few columns.
const maxLinesFile = 64 << 20

// ParseLines reads the lines of a file: CSV (a header naming an msisdn
// column; the other columns become the line's input columns), XLSX (the
// first sheet, the same way), or plain text with one MSISDN a line. name's
// extension says which; content that starts like a ZIP is XLSX.
func ParseLines(name string, r io.Reader) ([]LineInput, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxLinesFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxLinesFile {
		return nil, problem.TooLargef("too_large", "the file of lines is over %d MiB", maxLinesFile>>20)
	}
	var rows [][]string
	switch ext := strings.ToLower(filepath.Ext(name)); {
	case ext == ".xlsx" || bytes.HasPrefix(data, []byte("PK\x03\x04")):
		rows, err = xlsxRows(data)
	case ext == ".csv" || bytes.ContainsAny(firstLine(data), ",;"):
		rows, err = csvRows(data)
	default:
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				rows = append(rows, []string{line})
			}
		}
		rows = append([][]string{{"msisdn"}}, rows...)
	}
	if err != nil {
		return nil, problem.Invalidf("invalid_lines", "%s: %v", name, err)
	}
	return linesOf(name, rows)
}

func firstLine(data []byte) []byte {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return data[:i]
	}
	return data
}

func csvRows(data []byte) ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	if bytes.Count(firstLine(data), []byte(";")) > bytes.Count(firstLine(data), []byte(",")) {
		r.Comma = ';' // spreadsheets in pt-BR write semicolons
	}
	r.FieldsPerRecord = -1
	return r.ReadAll()
}

func xlsxRows(data []byte) ([][]string, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not an XLSX workbook: %w", err)
	}
	defer f.Close() //nolint:errcheck // a workbook read from memory
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("the workbook has no sheet")
	}
	return f.GetRows(sheets[0])
}

// linesOf turns rows under a header into lines: the msisdn column (also
// MSISDN, linha, telefone) is the line's number, a flow (or Solicitação)
// column its flow, and the rest its input columns.
func linesOf(name string, rows [][]string) ([]LineInput, error) {
	if len(rows) < 2 {
		return nil, problem.Invalidf("invalid_lines", "%s: no lines under the header", name)
	}
	header := rows[0]
	numberAt, flowAt := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "msisdn", "linha", "telefone", "numero", "número":
			numberAt = i
		case "flow", "sequence", "solicitação", "solicitacao":
			flowAt = i
		}
	}
	if numberAt < 0 {
		return nil, problem.Invalidf("invalid_lines", "%s: the header names no msisdn column (got %q)", name, header)
	}
	lines := make([]LineInput, 0, len(rows)-1)
	for n, row := range rows[1:] {
		if len(row) == 0 || len(row) <= numberAt || strings.TrimSpace(row[numberAt]) == "" {
			if len(strings.Join(row, "")) == 0 {
				continue
			}
			return nil, problem.Invalidf("invalid_lines", "%s: row %d has no msisdn", name, n+2)
		}
		l := LineInput{MSISDN: strings.TrimSpace(row[numberAt]), Columns: map[string]any{}}
		for i, v := range row {
			switch {
			case i == numberAt:
			case i == flowAt:
				l.Flow = strings.TrimSpace(v)
			case i < len(header) && header[i] != "":
				l.Columns[strings.TrimSpace(header[i])] = v
			}
		}
		lines = append(lines, l)
	}
	return lines, nil
}

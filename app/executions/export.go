package executions

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

// Export formats.
const (
	FormatCSV   = "csv"
	FormatXLSX  = "xlsx"
	FormatJSONL = "jsonl"
)

// exportHeader is the legacy spreadsheet's columns, then PFF's.
var exportHeader = []string{"MSISDN", "Solicitação", "Resultado", "Observações", "state", "writes", "error", "duration_s"}

// results name a line's state the way the team's spreadsheets did.
var results = map[string]string{
	store.LineQueued: "Pendente", store.LineRunning: "Em execução", store.LineWaitingApproval: "Aguardando aprovação",
	store.LineSucceeded: "Sucesso", store.LineFailed: "Falha", store.LineNeedsReview: "Revisão", store.LineCancelled: "Cancelado",
}

// exportRow is one line as exported.
type exportRow struct {
	MSISDN       string `json:"msisdn"`
	Flow         string `json:"flow"`
	Result       string `json:"result"`
	Observations string `json:"observations"`
	State        string `json:"state"`
	Writes       int    `json:"writes"`
	Error        string `json:"error"`
	// Duration is the line's time from start to end in seconds; 0 while it runs.
	Duration float64 `json:"duration_s"`
}

func rowOf(l store.Line) exportRow {
	r := exportRow{MSISDN: l.MSISDN, Flow: l.Flow, Result: results[l.State], Observations: l.Observations,
		State: l.State, Writes: l.Writes}
	if l.ErrorCode != "" {
		r.Error = l.ErrorCode + ": " + l.ErrorMessage
		r.Observations = strings.TrimSpace(strings.Join([]string{r.Observations, l.ErrorMessage}, "\n"))
	}
	if l.StartedAt != nil && l.FinishedAt != nil {
		r.Duration = l.FinishedAt.Sub(*l.StartedAt).Seconds()
	}
	return r
}

func (r exportRow) cells() []string {
	return []string{r.MSISDN, r.Flow, r.Result, r.Observations, r.State, strconv.Itoa(r.Writes), r.Error,
		strconv.FormatFloat(r.Duration, 'f', 3, 64)}
}

// Export writes every line of an execution, in input order, as CSV, XLSX
// or JSON lines.
func (s *Service) Export(ctx context.Context, id int64, format string, w io.Writer) error {
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	var emit func(exportRow) error
	var done func() error
	switch format {
	case FormatCSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(exportHeader); err != nil {
			return err
		}
		emit = func(r exportRow) error { return cw.Write(r.cells()) }
		done = func() error { cw.Flush(); return cw.Error() }
	case FormatJSONL:
		enc := json.NewEncoder(w)
		emit = func(r exportRow) error { return enc.Encode(r) }
		done = func() error { return nil }
	case FormatXLSX:
		f := excelize.NewFile()
		defer f.Close() //nolint:errcheck // the workbook is written to w before; Close only drops its temporary files
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			return err
		}
		row := 1
		write := func(cells []string) error {
			values := make([]any, len(cells))
			for i, c := range cells {
				values[i] = c
			}
			cell, _ := excelize.CoordinatesToCellName(1, row)
			row++
			return sw.SetRow(cell, values)
		}
		if err := write(exportHeader); err != nil {
			return err
		}
		emit = func(r exportRow) error { return write(r.cells()) }
		done = func() error {
			if err := sw.Flush(); err != nil {
				return err
			}
			_, err := f.WriteTo(w)
			return err
		}
	default:
		return problem.FieldError("format", "must be csv, xlsx or jsonl")
	}
	for after := 0; ; {
		lines, err := s.cfg.Store.ExecutionLines(ctx, id, store.LineFilter{AfterNo: after, Limit: 2000})
		if err != nil {
			return err
		}
		for _, l := range lines {
			if err := emit(rowOf(l)); err != nil {
				return fmt.Errorf("executions: export line %d: %w", l.LineNo, err)
			}
		}
		if len(lines) < 2000 {
			return done()
		}
		after = lines[len(lines)-1].LineNo
	}
}

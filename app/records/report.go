package records

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/store"
)

// StoredReport is r as the store keeps it for record version recordID.
func StoredReport(recordID int64, r *validation.Report) (store.NewReport, error) {
	report, err := json.Marshal(r)
	if err != nil {
		return store.NewReport{}, fmt.Errorf("records: encode report of record %d: %w", recordID, err)
	}
	versions, err := json.Marshal(r.Versions)
	if err != nil {
		return store.NewReport{}, fmt.Errorf("records: encode versions of record %d: %w", recordID, err)
	}
	violated := make([]string, 0, len(r.Violations))
	for _, v := range r.Violations {
		if !slices.Contains(violated, v.ID) {
			violated = append(violated, v.ID)
		}
	}
	return store.NewReport{
		RecordID: recordID, Decision: string(r.Decision), Score: r.Score,
		Violated: violated, Report: report, Versions: versions,
	}, nil
}

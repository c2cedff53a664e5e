// Package records is PFF's customer records: it turns uploaded documents into
// stored records (identifying each by customer id, MSISDNs and content hash,
// and writing them in batches of one transaction each, their validation
// queued in the same transaction), and lists, validates and re-validates
// them.
package records

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/pff/pff/app/ingest"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/store"
)

// identity is the part of a record that identifies it. Decoding only this is
// several times faster than building the record's graph, which ingest would
// otherwise do for every document; a test checks both find the same numbers.
type identity struct {
	ID       *string `json:"id"`
	Contract []struct {
		Resource []struct {
			ID     *string `json:"id"`
			Spec   string  `json:"resourceSpecificationExternalId"`
			Number any     `json:"resourceNumber"`
		} `json:"resource"`
	} `json:"contract"`
}

// Prepare identifies one document: its SHA-256, the customer id and every
// MSISDN the record holds, as kg.Graph.MSISDNs finds them, plus the number in
// its file's name, if any. The document must be compact, as ingest emits
// them, so that whitespace never makes a new version. Prepare fails for a
// document that is not a JSON object with a customer id.
func Prepare(d ingest.Document) (store.NewRecord, error) {
	doc := d.Data
	var id identity
	if len(doc) == 0 || doc[0] != '{' {
		return store.NewRecord{}, errors.New("not a record: not a JSON object")
	}
	if err := json.Unmarshal(doc, &id); err != nil {
		return store.NewRecord{}, fmt.Errorf("not a record: %w", err)
	}
	if id.ID == nil || *id.ID == "" {
		return store.NewRecord{}, errors.New("not a record: no customer id")
	}
	msisdns := []string{}
	for _, c := range id.Contract {
		for _, r := range c.Resource {
			number, ok := r.Number.(string)
			if ok && r.ID != nil && *r.ID != "" && r.Spec == kg.MSISDNSpec && !slices.Contains(msisdns, number) {
				msisdns = append(msisdns, number)
			}
		}
	}
	if d.FileMSISDN != "" && !slices.Contains(msisdns, d.FileMSISDN) {
		msisdns = append(msisdns, d.FileMSISDN)
	}
	return store.NewRecord{
		CustomerID:  *id.ID,
		Document:    doc,
		ContentHash: sha256.Sum256(doc),
		MSISDNs:     msisdns,
		FileMSISDN:  d.FileMSISDN,
		Source:      d.Source,
	}, nil
}

// Package records turns uploaded documents into stored customer records: it
// identifies each (customer id, MSISDNs, content hash), groups them into
// batches that are written in one transaction each, and says which validator
// judges them.
package records

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

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

// Prepare identifies one document: its compact form, the SHA-256 of that (so
// whitespace does not make a new version), the customer id and every MSISDN
// the record holds, as kg.Graph.MSISDNs finds them, plus fileMSISDN, the
// number in its file's name, if any. It fails for a document that is not a
// JSON object with a customer id.
func Prepare(source string, data []byte, fileMSISDN string) (store.NewRecord, error) {
	var compact bytes.Buffer
	compact.Grow(len(data))
	if err := json.Compact(&compact, data); err != nil {
		return store.NewRecord{}, fmt.Errorf("not JSON: %w", err)
	}
	doc := compact.Bytes()
	var id identity
	if doc[0] != '{' {
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
	if fileMSISDN != "" && !slices.Contains(msisdns, fileMSISDN) {
		msisdns = append(msisdns, fileMSISDN)
	}
	return store.NewRecord{
		CustomerID:  *id.ID,
		Document:    doc,
		ContentHash: sha256.Sum256(doc),
		MSISDNs:     msisdns,
		FileMSISDN:  fileMSISDN,
		Source:      source,
	}, nil
}

package bsssim

import (
	"context"
	"fmt"
	"io"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/ingest"
)

// Seeded is a customer added from a generated record.
type Seeded struct {
	CustomerID string
	// MSISDN is the record's line, in national form (the flows' form).
	MSISDN string
	// Faults are the record's injected fault labels, if any.
	Faults []gen.Label
}

// AddGenerated adds the records of a generator run (see gen.Config).
func (s *Sim) AddGenerated(cfg gen.Config) ([]Seeded, error) {
	g, err := gen.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("bsssim: %w", err)
	}
	var out []Seeded
	for {
		rec, ok := g.Next()
		if !ok {
			return out, nil
		}
		if err := s.AddJSON(rec.Doc); err != nil {
			return out, fmt.Errorf("bsssim: record %s: %w", rec.CustomerID, err)
		}
		msisdn, err := bss.NationalMSISDN(rec.MSISDN)
		if err != nil {
			msisdn = rec.MSISDN
		}
		out = append(out, Seeded{CustomerID: rec.CustomerID, MSISDN: msisdn, Faults: rec.Faults})
	}
}

// LoadReport says what a load added and what it could not.
type LoadReport struct {
	Added    int                `json:"added"`
	Rejected []ingest.Rejection `json:"rejected,omitempty"`
}

// Load adds the documents of one upload in any format ingest reads: a JSON
// object or array, NDJSON, gzip, ZIP (name and contentType as for
// ingest.Read).
func (s *Sim) Load(ctx context.Context, r io.Reader, name, contentType string) (LoadReport, error) {
	var rep LoadReport
	err := ingest.Read(ctx, r, name, contentType, ingest.Limits{}, s.emit(&rep), reject(&rep))
	return rep, err
}

// LoadPaths adds the documents of files, directories and ZIP archives, as
// `pff ingest` reads them.
func (s *Sim) LoadPaths(ctx context.Context, paths ...string) (LoadReport, error) {
	var rep LoadReport
	err := ingest.ReadPaths(ctx, paths, ingest.Limits{}, s.emit(&rep), reject(&rep))
	return rep, err
}

func (s *Sim) emit(rep *LoadReport) func(ingest.Document) error {
	return func(d ingest.Document) error {
		if err := s.AddJSON(d.Data); err != nil {
			rep.Rejected = append(rep.Rejected, ingest.Rejection{Source: d.Source, Reason: err.Error()})
			return nil //nolint:nilerr // a document the simulator refuses is reported, and loading goes on
		}
		rep.Added++
		return nil
	}
}

func reject(rep *LoadReport) func(ingest.Rejection) {
	return func(r ingest.Rejection) { rep.Rejected = append(rep.Rejected, r) }
}

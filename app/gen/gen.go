// Package gen generates realistic customer-enquiry records, a given fraction
// of them with one labelled fault, for tests and benchmarks.
//
// Records have the shape of the production examples: one customer with 1 to
// 6 lines (contracts), postpaid family plans whose products share quotas
// through sharingProvider/sharingConsumer links, 6 to 9 products per line
// from the operator's catalogue with status histories, byte quotas and
// prices, MSISDN and IMSI resources, and 15 to 90 KB of indented JSON each.
// Every active line has exactly one active FRANQUIA_PLANO product, but for
// family dependents, which hold none and draw on their titular's. Values
// follow production: clean records validate against the schema inferred
// from the 14,550 production records (statuses, reasons, bill cycles,
// billing accounts for every customer), and plan, product and
// characteristic names are those of the production examples.
//
// Generation is deterministic: the same Config yields the same records, and
// a clean record i depends only on the seed and i (which records get faults
// depends on N and the rate too). Every date lies before Config.Now, so a
// record's current statuses are the same judged at Now or at any later time.
package gen

import (
	"bytes"
	"fmt"
	"math"
	"time"
)

// Config says what to generate.
type Config struct {
	// N is the number of records.
	N int
	// Seed makes the run reproducible.
	Seed uint64
	// FaultRate is the fraction of records with a fault, in [0, 1]; exactly
	// round(N*FaultRate) records get one, spread at random, and the kinds take
	// turns so each is injected as often as the others, give or take one.
	FaultRate float64
	// Now is the moment the records describe; zero means DefaultNow().
	Now time.Time
	// Compact writes each document on one line, for NDJSON; by default they
	// are indented like the source systems' files. The records are the same.
	Compact bool
}

// DefaultNow returns the moment records describe when Config.Now is zero:
// shortly after the production examples were taken.
func DefaultNow() time.Time {
	return time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
}

// MaxRecords is the most records a run can make: their MSISDNs are distinct
// 8-digit serials, six lines each.
const MaxRecords = 100_000_000 / maxLines

// Record is one generated customer enquiry.
type Record struct {
	CustomerID string
	// MSISDN is the line the enquiry was made for, the first contract's.
	MSISDN string
	Doc    []byte
	// Faults holds the record's fault label, if it has one.
	Faults []Label
}

// FileName returns the name the source systems give the record's file.
func (r Record) FileName() string {
	return "customer_enquiry_" + r.MSISDN + ".txt"
}

// Label says where a fault was injected.
type Label struct {
	// Record is the customer id.
	Record string `json:"record"`
	// Source is the record's file name, or its line number in NDJSON.
	Source string `json:"source"`
	Kind   Kind   `json:"kind"`
	// Pointer is the RFC 6901 pointer of the faulty place; "" is the whole
	// record (a customer without a billing account).
	Pointer string `json:"pointer"`
}

// Generator makes records one at a time, so a large run never has to sit in
// memory. It is not safe for concurrent use.
type Generator struct {
	cfg     Config
	cat     *catalog
	planner planner
	salt    uint64
	made    int
	buf     []byte // documents are written here, then copied out at their size
}

// plannerStream is the random stream of fault planning; record i uses stream i.
const plannerStream = 1 << 63

// New returns a generator for cfg.
func New(cfg Config) (*Generator, error) {
	switch {
	case cfg.N < 0 || cfg.N > MaxRecords:
		return nil, fmt.Errorf("gen: %d records: want 0 to %d", cfg.N, MaxRecords)
	case math.IsNaN(cfg.FaultRate) || cfg.FaultRate < 0 || cfg.FaultRate > 1:
		return nil, fmt.Errorf("gen: fault rate %v: want 0 to 1", cfg.FaultRate)
	}
	if cfg.Now.IsZero() {
		cfg.Now = DefaultNow()
	}
	r := newRandom(cfg.Seed, plannerStream)
	return &Generator{
		cfg:  cfg,
		cat:  newCatalog(),
		salt: r.Uint64N(100_000_000),
		planner: planner{
			random: r,
			faults: faults(),
			faulty: int(math.Round(float64(cfg.N) * cfg.FaultRate)),
		},
	}, nil
}

// Next returns the next record, or false when all N have been made.
func (g *Generator) Next() (Record, bool) {
	if g.made >= g.cfg.N {
		return Record{}, false
	}
	i := g.made
	g.made++
	f, faulty := g.planner.draw(g.cfg.N - i)
	b := &recordBuilder{
		random: newRandom(g.cfg.Seed, uint64(i)),
		cat:    g.cat,
		now:    g.cfg.Now,
		seq:    i,
		salt:   g.salt,
		buf:    g.buf,
	}
	var need shape
	if faulty {
		need = f.needs
	}
	c := b.customer(need)
	doc := b.fit(c, g.cfg.Compact)
	rec := Record{CustomerID: c.ID, MSISDN: b.lines[0].msisdn}
	if faulty {
		pointer := f.inject(b, c)
		doc, _ = b.render(c, g.cfg.Compact)
		rec.Faults = []Label{{Record: c.ID, Source: rec.FileName(), Kind: f.kind, Pointer: pointer}}
	}
	rec.Doc = bytes.Clone(doc)
	g.buf = b.buf
	return rec, true
}

// planner decides which records carry a fault, and which: selection sampling
// picks exactly the planned number at random, and the kinds are dealt from a
// shuffled deck of all of them.
type planner struct {
	random
	faults []fault
	faulty int   // faulty records still to make
	deck   []int // indices into faults not dealt yet in this round
}

// draw decides for the next record, when left records remain to be made.
func (p *planner) draw(left int) (fault, bool) {
	if p.faulty == 0 || p.IntN(left) >= p.faulty {
		return fault{}, false
	}
	p.faulty--
	if len(p.deck) == 0 {
		p.deck = p.Perm(len(p.faults))
	}
	f := p.faults[p.deck[0]]
	p.deck = p.deck[1:]
	return f, true
}

// Generate returns all N records of cfg at once, for tests and small tools;
// streams of many records should use New and Next.
func Generate(cfg Config) ([]Record, error) {
	g, err := New(cfg)
	if err != nil {
		return nil, err
	}
	recs := make([]Record, 0, cfg.N)
	for rec, ok := g.Next(); ok; rec, ok = g.Next() {
		recs = append(recs, rec)
	}
	return recs, nil
}

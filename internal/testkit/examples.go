package testkit

import (
	"bytes"
	_ "embed"
)

// Two anonymized production records (a family plan with five lines and a
// single line) and the JSON Schema the operations team inferred from its
// 14,550 production records: the best description of real data PFF has.
// Tests measure the generator, inference and the learned judge against them.
var (
	//go:embed testdata/customer-enquiry-family.json
	realFamily []byte
	//go:embed testdata/customer-enquiry-single.json
	realSingle []byte
	//go:embed testdata/real-schema.json
	realSchema []byte
)

// RealRecord is a production record by name.
type RealRecord struct {
	Name string
	Doc  []byte
}

// RealRecords returns the two production examples, family first.
func RealRecords() []RealRecord {
	return []RealRecord{
		{"customer-enquiry-family.json", bytes.Clone(realFamily)},
		{"customer-enquiry-single.json", bytes.Clone(realSingle)},
	}
}

// RealSchema returns the JSON Schema inferred from the production records.
func RealSchema() []byte { return bytes.Clone(realSchema) }

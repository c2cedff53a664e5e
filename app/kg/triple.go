// Package kg turns customer records into knowledge-graph triples.
//
// One builder serves the rule engine (which checks a single record's graph) and
// the learning pipeline (which trains on the triples of the whole corpus), so
// both see the same facts, named the same way.
package kg

// ObjectKind says whether a triple's object names another entity or holds a value.
type ObjectKind uint8

const (
	// Literal objects are values: strings, numbers, booleans, dates.
	Literal ObjectKind = iota
	// Entity objects are the ids of other entities in the same record.
	Entity
)

func (k ObjectKind) String() string {
	if k == Entity {
		return "entity"
	}
	return "literal"
}

// Triple is one fact: predicate(subject, object).
type Triple struct {
	Subject    string     `json:"subject"`
	Predicate  string     `json:"predicate"`
	Object     string     `json:"object"`
	ObjectKind ObjectKind `json:"object_kind"`
	// Pointer is the RFC 6901 JSON pointer of the place in the record the fact
	// came from, so a report can point at the offending field.
	Pointer string `json:"pointer"`
}

// EntityInfo describes one entity of a record's graph.
type EntityInfo struct {
	// Type is where the entity sits: customer, account, contract, product, ...
	Type string `json:"type"`
	// Pointer is the JSON pointer of the object that defines the entity.
	Pointer string `json:"pointer"`
}

// Graph is the knowledge graph of one record.
type Graph struct {
	// Root is the id of the record's customer entity.
	Root     string                `json:"root"`
	Entities map[string]EntityInfo `json:"entities"`
	// Triples are in a deterministic order for a given record.
	Triples []Triple `json:"triples"`
}

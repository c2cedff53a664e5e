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
	// Entity objects are the ids of other entities in the same record. A
	// reference to an id the record does not define is kept as an Entity
	// triple too, with Class ClassDangling (see Build).
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
	// Class tells the learning pipeline what the object is.
	Class Class `json:"class"`
}

// Class sorts facts for the learning pipeline: TransE trains on entity edges
// and categorical literals, and leaves high-cardinality values and dangling
// references out.
type Class uint8

const (
	// ClassValue objects are high-cardinality literals: ids, external ids,
	// long numbers (quotas, MSISDNs), dates and validity intervals.
	ClassValue Class = iota
	// ClassCategory objects come from a small vocabulary: types, statuses,
	// offerings, catalog ids, characteristic values, short codes, booleans.
	ClassCategory
	// ClassEdge objects are entities of the same graph.
	ClassEdge
	// ClassDangling objects are ids that a reference field names but the
	// record does not define.
	ClassDangling
)

func (c Class) String() string {
	switch c {
	case ClassCategory:
		return "category"
	case ClassEdge:
		return "edge"
	case ClassDangling:
		return "dangling"
	default:
		return "value"
	}
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

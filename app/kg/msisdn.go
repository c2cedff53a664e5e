package kg

import (
	"path/filepath"
	"strings"
)

// linkMSISDNs adds msisdn(contract, resource) for every resource of the
// MSISDN specification that a contract holds, after the other facts.
func (b *builder) linkMSISDNs() {
	numbers := map[string]bool{}
	for _, t := range b.g.Triples {
		if t.Predicate == "resourceSpecificationExternalId" && t.Object == MSISDNSpec && b.g.Entities[t.Subject].Type == "resource" {
			numbers[t.Subject] = true
		}
	}
	if len(numbers) == 0 {
		return
	}
	n := len(b.g.Triples)
	for i := range n {
		t := b.g.Triples[i]
		if t.Predicate != "resource" || t.Class != ClassEdge || !numbers[t.Object] || b.g.Entities[t.Subject].Type != "contract" {
			continue
		}
		b.g.Triples = append(b.g.Triples, Triple{Subject: t.Subject, Predicate: PredMSISDN, Object: t.Object, ObjectKind: Entity, Class: ClassEdge})
		b.ptrs = append(b.ptrs, b.pointer(i)...)
		b.ends = append(b.ends, len(b.ptrs))
	}
}

// MSISDNs returns the numbers of the record's MSISDN resources, each once, in
// document order.
func (g *Graph) MSISDNs() []string {
	lines := make(map[string]bool)
	for _, t := range g.Triples {
		if t.Predicate == "resourceSpecificationExternalId" && t.Object == MSISDNSpec &&
			g.Entities[t.Subject].Type == "resource" {
			lines[t.Subject] = true
		}
	}
	var numbers []string
	seen := make(map[string]bool, len(lines))
	for _, t := range g.Triples {
		if t.Predicate == "resourceNumber" && lines[t.Subject] && !seen[t.Object] {
			seen[t.Object] = true
			numbers = append(numbers, t.Object)
		}
	}
	return numbers
}

// MSISDNFromFileName returns the MSISDN in the name of an enquiry file,
// customer_enquiry_<msisdn>.txt (any directory), and whether the name has
// that form.
func MSISDNFromFileName(name string) (string, bool) {
	base := filepath.Base(name)
	msisdn, ok := strings.CutPrefix(base, "customer_enquiry_")
	if !ok {
		return "", false
	}
	msisdn, ok = strings.CutSuffix(msisdn, ".txt")
	if !ok || msisdn == "" || !isDigits(msisdn) {
		return "", false
	}
	return msisdn, true
}

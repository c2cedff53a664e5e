package constraints

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/pff/pff/app/rules"
)

// Kind is what a constraint says of a relation.
type Kind string

// The kinds of constraint.
const (
	// Presence: every entity of the type (that meets When) has the relation.
	Presence Kind = "presence"
	// Cardinality: every entity of the type (that meets When) has between
	// Min and Max (nil: no bound) relation edges to entities that meet Where.
	Cardinality Kind = "cardinality"
	// Unique: no two entities of the type (that meet When) in one record
	// share a value of the relation.
	Unique Kind = "unique"
	// Format: every value of the relation has one of Shapes (see Shape).
	Format Kind = "format"
	// Domain: every value of the relation is one of Values.
	Domain Kind = "domain"
)

// Kinds returns every kind.
func Kinds() []Kind { return []Kind{Presence, Cardinality, Unique, Format, Domain} }

// IDRelation is the pseudo-relation of an entity's own id, which format
// constraints may name: the graph has no fact for it.
const IDRelation = "id"

// Constraint is one learned or written statement about the records. Its
// JSON form is what a constraint set holds.
type Constraint struct {
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// Type is the type of the entities it is about: contract, product, ...
	Type string `json:"type"`
	// When are categorical facts an entity must have to be bound by it:
	// {"status": "ContractActive"}.
	When Conditions `json:"when,omitempty"`
	// Relation is the predicate the constraint is about.
	Relation string `json:"relation"`
	// Where are categorical facts the counted entities of a cardinality
	// must have.
	Where Conditions `json:"where,omitempty"`
	// Min and Max bound a cardinality; a nil Max is no upper bound.
	Min int  `json:"min,omitempty"`
	Max *int `json:"max,omitempty"`
	// Shapes are the value shapes of a format constraint.
	Shapes []string `json:"shapes,omitempty"`
	// Values are the values of a domain constraint.
	Values []string `json:"values,omitempty"`
	// Support is how many entities (values, for format and domain; records
	// with two or more entities, for unique) it held for when learned.
	Support int `json:"support"`
	// Confidence is the probability that a violation is a real fault.
	Confidence  float64 `json:"confidence"`
	Description string  `json:"description,omitempty"`
	// HeldOut is how many held-out entities (or values, or records) it was
	// checked on, without a violation, before it was kept.
	HeldOut int `json:"held_out,omitempty"`

	// Pos is where the constraint is written, for diagnostics.
	Pos rules.Position `json:"-"`
}

// Conditions are categorical facts, relation → value, written as a JSON
// object.
type Conditions map[string]string

// String writes conditions as relation=value, sorted, joined by " and ".
func (c Conditions) String() string {
	keys := slices.Sorted(maps.Keys(c))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + c[k]
	}
	return strings.Join(parts, " and ")
}

// has says a condition is on the relation.
func (c Conditions) has(rel string) bool {
	_, ok := c[rel]
	return ok
}

// Text says what the constraint requires, in words.
func (c *Constraint) Text() string {
	var b strings.Builder
	b.WriteString("every " + c.Type)
	if len(c.When) > 0 {
		b.WriteString(" with " + c.When.String())
	}
	switch c.Kind {
	case Presence:
		fmt.Fprintf(&b, " has %s", c.Relation)
	case Cardinality:
		b.WriteString(" has " + c.bounds() + " " + c.Relation)
		if len(c.Where) > 0 {
			b.WriteString(" with " + c.Where.String())
		}
	case Unique:
		fmt.Fprintf(&b, " has a %s no other %s of the record has", c.Relation, c.Type)
	case Format:
		fmt.Fprintf(&b, " has a %s shaped %s", c.Relation, strings.Join(c.Shapes, " or "))
	case Domain:
		fmt.Fprintf(&b, " has a %s among %s", c.Relation, strings.Join(c.Values, ", "))
	}
	return b.String()
}

func (c *Constraint) bounds() string {
	switch {
	case c.Max == nil:
		return "at least " + strconv.Itoa(c.Min)
	case *c.Max == c.Min:
		return "exactly " + strconv.Itoa(c.Min)
	case c.Min == 0:
		return "at most " + strconv.Itoa(*c.Max)
	}
	return fmt.Sprintf("%d to %d", c.Min, *c.Max)
}

// allows says whether a count meets a cardinality.
func (c *Constraint) allows(n int) bool {
	return n >= c.Min && (c.Max == nil || n <= *c.Max)
}

// key identifies what a constraint says, without its evidence: two
// constraints with equal keys are duplicates.
func (c *Constraint) key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\x00%s\x00%s\x00%s\x00%s\x00", c.Kind, c.Type, c.When, c.Relation, c.Where)
	if c.Kind == Cardinality {
		b.WriteString(c.bounds())
	}
	b.WriteString(strings.Join(c.Shapes, "\x01") + "\x00" + strings.Join(c.Values, "\x01"))
	return b.String()
}

// sortConstraints orders constraints by kind, type, relation and
// conditions, for documents that diff well.
func sortConstraints(cs []Constraint) {
	order := map[Kind]int{}
	for i, k := range Kinds() {
		order[k] = i
	}
	slices.SortStableFunc(cs, func(a, b Constraint) int {
		return cmp.Or(cmp.Compare(order[a.Kind], order[b.Kind]), cmp.Compare(a.Type, b.Type),
			cmp.Compare(a.Relation, b.Relation), cmp.Compare(a.When.String(), b.When.String()),
			cmp.Compare(a.Where.String(), b.Where.String()), cmp.Compare(a.Min, b.Min))
	})
}

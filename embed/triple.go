package embed

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Triple is a fact relation(head, tail) with entities and relations given by
// their index in a [Vocab].
type Triple struct {
	Head, Relation, Tail int32
}

// NamedTriple is a fact with entities and relations given by name, as read
// from or written to a TSV file.
type NamedTriple struct {
	Head, Relation, Tail string
}

// checkName reports why s cannot be an entity or relation name: names are
// non-empty UTF-8 without tabs or line breaks, so that every triple survives a
// round trip through a TSV file.
func checkName(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty name")
	case !utf8.ValidString(s):
		return fmt.Errorf("name %q is not valid UTF-8", s)
	case strings.ContainsAny(s, "\t\r\n"):
		return fmt.Errorf("name %q contains a tab or line break", s)
	}
	return nil
}

func (t NamedTriple) check() error {
	for _, name := range [...]string{t.Head, t.Relation, t.Tail} {
		if err := checkName(name); err != nil {
			return err
		}
	}
	return nil
}

// Vocab maps names to dense int32 ids, in order of first appearance.
// The zero Vocab is empty and ready to use.
type Vocab struct {
	names []string
	ids   map[string]int32
}

// Len returns the number of names.
func (v *Vocab) Len() int { return len(v.names) }

// ID returns the id of name and whether it is known.
func (v *Vocab) ID(name string) (int32, bool) {
	id, ok := v.ids[name]
	return id, ok
}

// Name returns the name with the given id, or "" if there is none.
func (v *Vocab) Name(id int32) string {
	if id < 0 || int(id) >= len(v.names) {
		return ""
	}
	return v.names[id]
}

// Names returns all names, indexed by id. The caller must not modify it.
func (v *Vocab) Names() []string { return v.names }

// add returns the id of name, giving it the next id if it is new.
func (v *Vocab) add(name string) int32 {
	if id, ok := v.ids[name]; ok {
		return id
	}
	if v.ids == nil {
		v.ids = make(map[string]int32)
	}
	id := int32(len(v.names))
	v.names = append(v.names, name)
	v.ids[name] = id
	return id
}

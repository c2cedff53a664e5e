package rules

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Set is a compiled rule set: duplicates merged, strings interned, rules with
// equal bodies grouped so each body is joined once per record, and a join
// order prepared for every atom the join may start from. A Set is immutable
// and safe for concurrent use.
type Set struct {
	rules    []Rule
	patterns []string // by rule: reports want them at every violation
	version  string

	preds      map[string]uint32 // predicate → id
	consts     map[string]uint32 // constant → term id; record terms get ids after these
	constNames []string
	bodies     []body
}

// Compile merges duplicate rules and prepares them for evaluation. Rules
// that are equal up to variable renaming and body order become one rule with
// the highest confidence among them, the others' ids listed in Duplicates.
// Two different rules with one id are an error, as is a rule without a body.
func Compile(rules []Rule) (*Set, error) {
	type merged struct {
		rule  Rule
		canon canonicalForm
	}
	byKey := map[string]*merged{}
	keyOfID := map[string]string{}
	var errs []error
	for _, r := range rules {
		if err := validate(r); err != nil {
			errs = append(errs, err)
			continue
		}
		c := canonicalize(r.Head, r.Body)
		if k, seen := keyOfID[r.ID]; seen && k != c.key {
			errs = append(errs, fmt.Errorf("rules: id %q names two different rules (%s)", r.ID, r.Pos))
			continue
		}
		keyOfID[r.ID] = c.key
		m, dup := byKey[c.key]
		if !dup {
			byKey[c.key] = &merged{rule: r, canon: c}
			continue
		}
		if r.Confidence > m.rule.Confidence {
			r.Duplicates = append(m.rule.Duplicates, m.rule.ID)
			m.rule, m.canon = r, c
		} else {
			m.rule.Duplicates = append(m.rule.Duplicates, r.ID)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	all := make([]*merged, 0, len(byKey))
	for _, m := range byKey {
		m.rule.Duplicates = dedupe(m.rule.Duplicates, m.rule.ID)
		all = append(all, m)
	}
	slices.SortFunc(all, func(a, b *merged) int { return cmp.Compare(a.rule.ID, b.rule.ID) })

	s := &Set{preds: map[string]uint32{}, consts: map[string]uint32{}}
	bodyOf := map[string]int{}
	for i, m := range all {
		s.rules = append(s.rules, m.rule)
		s.patterns = append(s.patterns, m.rule.Pattern())
		b, seen := bodyOf[m.canon.body]
		if !seen {
			b = len(s.bodies)
			bodyOf[m.canon.body] = b
			s.bodies = append(s.bodies, s.compileBody(m.canon))
		}
		s.bodies[b].heads = append(s.bodies[b].heads, s.compileHead(int32(i), m.rule.Head, m.canon))
	}
	s.version = fingerprint(s.rules, s.patterns)
	return s, nil
}

// Rules returns the set's rules after merging, ordered by id.
func (s *Set) Rules() []Rule { return slices.Clone(s.rules) }

// Len is the number of rules after merging.
func (s *Set) Len() int { return len(s.rules) }

// Version identifies the set's content: equal sets have equal versions.
func (s *Set) Version() string { return s.version }

func validate(r Rule) error {
	switch {
	case r.ID == "":
		return fmt.Errorf("rules: rule %s at %s has no id", r.Pattern(), r.Pos)
	case r.Confidence < 0 || r.Confidence > 1:
		return fmt.Errorf("rules: rule %q: confidence %v outside [0, 1]", r.ID, r.Confidence)
	}
	if d, bad := problem(r.Head, r.Body); bad {
		return fmt.Errorf("rules: rule %q: %s", r.ID, d.Msg)
	}
	return nil
}

// dedupe sorts ids and drops repeats and the rule's own id.
func dedupe(ids []string, own string) []string {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return slices.DeleteFunc(ids, func(id string) bool { return id == own })
}

// fingerprint hashes everything that changes what a set reports.
func fingerprint(rules []Rule, patterns []string) string {
	h := sha256.New()
	for i, r := range rules {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00", r.ID, r.Category, strconv.FormatFloat(r.Confidence, 'g', -1, 64), patterns[i], r.Description)
	}
	return hex.EncodeToString(h.Sum(nil)[:6])
}

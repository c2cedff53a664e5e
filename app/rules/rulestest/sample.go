// Package rulestest helps test and benchmark rule sets on realistic data.
package rulestest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/rules"
)

// LargeRecord returns the largest of the first 50 clean records the
// generator makes with seed 1: a family plan of about 88 KB and 1,170 facts,
// the size of the 90 KB production example.
func LargeRecord() ([]byte, error) {
	g, err := gen.New(gen.Config{N: 50, Seed: 1})
	if err != nil {
		return nil, fmt.Errorf("rulestest: %w", err)
	}
	var largest []byte
	for r, ok := g.Next(); ok; r, ok = g.Next() {
		if len(r.Doc) > len(largest) {
			largest = r.Doc
		}
	}
	return largest, nil
}

func atom(predicate string, subject, object rules.Term) rules.Atom {
	return rules.Atom{Predicate: predicate, Subject: subject, Object: object}
}

// Sample writes n rules of the shapes AnyBURL learns, with AnyBURL's
// confidence measured on g and at least 0.5, so most hold and some do not:
//
//   - 40% h(X,c) <= b(X,d), a fifth of them with an existential head h(X,Y)
//   - 20% h(X,c) <= b(X,A), b2(A,d)
//   - 20% h(X,Y) <= b(X,A), b2(A,Y)
//   - 20% constant rules naming constants g lacks, as rules learned from other
//     records do; they do not apply.
func Sample(g *kg.Graph, n int, seed uint64) []rules.Rule {
	r := rand.New(rand.NewPCG(seed, 2)) // #nosec G404 -- seeded on purpose: the same seed gives the same rules
	type fact struct{ p, o string }
	bySubject := map[string][]fact{}
	holds := map[[3]string]bool{}
	var edges []kg.Triple
	for _, t := range g.Triples {
		bySubject[t.Subject] = append(bySubject[t.Subject], fact{t.Predicate, t.Object})
		holds[[3]string{t.Subject, t.Predicate, t.Object}] = true
		if _, ok := g.Entities[t.Object]; ok {
			edges = append(edges, t)
		}
	}
	pick := func(ts []kg.Triple) kg.Triple { return ts[r.IntN(len(ts))] }
	// headFor picks a fact most subjects share and returns it with the share.
	headFor := func(subjects map[string]bool, existential bool) (rules.Atom, float64, bool) {
		count := map[fact]int{}
		for x := range subjects {
			seen := map[fact]bool{}
			for _, f := range bySubject[x] {
				if existential {
					f.o = ""
				}
				if !seen[f] {
					seen[f] = true
					count[f]++
				}
			}
		}
		var good []fact
		for f, c := range count {
			if float64(c) >= 0.5*float64(len(subjects)) {
				good = append(good, f)
			}
		}
		if len(good) == 0 {
			return rules.Atom{}, 0, false
		}
		slices.SortFunc(good, func(a, b fact) int { return strings.Compare(a.p+"\x00"+a.o, b.p+"\x00"+b.o) })
		f := good[r.IntN(len(good))]
		conf := float64(count[f]) / float64(len(subjects))
		if existential {
			return atom(f.p, rules.Var("X"), rules.Var("Y")), conf, true
		}
		return atom(f.p, rules.Var("X"), rules.Const(f.o)), conf, true
	}
	out := make([]rules.Rule, 0, n)
	distinct := map[string]bool{}
	for len(out) < n {
		var (
			head rules.Atom
			body []rules.Atom
			conf float64
			ok   bool
		)
		switch k := r.IntN(10); {
		case k >= 4 && k < 8 && len(edges) == 0:
			continue // path rules need entity edges
		case k < 4:
			t := pick(g.Triples)
			subjects := map[string]bool{}
			for _, u := range g.Triples {
				if u.Predicate == t.Predicate && u.Object == t.Object {
					subjects[u.Subject] = true
				}
			}
			body = []rules.Atom{atom(t.Predicate, rules.Var("X"), rules.Const(t.Object))}
			head, conf, ok = headFor(subjects, r.IntN(5) == 0)
		case k < 6:
			e := pick(edges)
			if len(bySubject[e.Object]) == 0 {
				continue
			}
			end := bySubject[e.Object][r.IntN(len(bySubject[e.Object]))]
			subjects := map[string]bool{}
			for _, u := range g.Triples {
				if u.Predicate == e.Predicate && holds[[3]string{u.Object, end.p, end.o}] {
					subjects[u.Subject] = true
				}
			}
			body = []rules.Atom{atom(e.Predicate, rules.Var("X"), rules.Var("A")), atom(end.p, rules.Var("A"), rules.Const(end.o))}
			head, conf, ok = headFor(subjects, false)
		case k < 8:
			e := pick(edges)
			var next []fact
			for _, f := range bySubject[e.Object] {
				if _, isEntity := g.Entities[f.o]; isEntity {
					next = append(next, f)
				}
			}
			if len(next) == 0 {
				continue
			}
			p2 := next[r.IntN(len(next))].p
			var pairs [][2]string
			for _, u := range g.Triples {
				if u.Predicate == e.Predicate {
					for _, f := range bySubject[u.Object] {
						if f.p == p2 && f.o != u.Subject {
							pairs = append(pairs, [2]string{u.Subject, f.o})
						}
					}
				}
			}
			h := pick(edges).Predicate
			n := 0
			for _, xy := range pairs {
				if holds[[3]string{xy[0], h, xy[1]}] {
					n++
				}
			}
			head, body = atom(h, rules.Var("X"), rules.Var("Y")), []rules.Atom{atom(e.Predicate, rules.Var("X"), rules.Var("A")), atom(p2, rules.Var("A"), rules.Var("Y"))}
			conf, ok = float64(n)/float64(max(len(pairs), 1)), len(pairs) > 0 && 2*n >= len(pairs)
		default:
			t := pick(g.Triples)
			head = atom(t.Predicate, rules.Var("X"), rules.Const(t.Object))
			body = []rules.Atom{atom(pick(g.Triples).Predicate, rules.Var("X"), rules.Const(fmt.Sprintf("%016X", r.Uint64())))}
			conf, ok = 0.5+r.Float64()/2, true
		}
		if key := (rules.Rule{Head: head, Body: body}).Pattern(); ok && !distinct[key] {
			distinct[key] = true
			out = append(out, rules.Rule{
				ID: "sampled-" + strconv.Itoa(len(out)), Category: "sampled",
				Confidence: conf, Head: head, Body: body,
			})
		}
	}
	return out
}

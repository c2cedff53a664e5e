package rules

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/pff/pff/app/kg"
)

// syntheticFamily builds the graph of a family-plan record the way kg names
// facts: a customer with an account and lines (contracts) holding products
// and resources, status histories, characteristics and sharing links.
func syntheticFamily(seed uint64, lines, productsPerLine int) *kg.Graph {
	r := rand.New(rand.NewPCG(seed, 1))
	g := &kg.Graph{Entities: map[string]kg.EntityInfo{}}
	hex := func() string { return fmt.Sprintf("%016X%016X", r.Uint64(), r.Uint64()) }
	add := func(s, p, o, ptr string) {
		g.Triples = append(g.Triples, kg.Triple{Subject: s, Predicate: p, Object: o, Pointer: ptr})
	}
	entity := func(id, typ, ptr string) {
		g.Entities[id] = kg.EntityInfo{Type: typ, Pointer: ptr}
		add(id, "type", typ, ptr)
	}
	date := func() string {
		return fmt.Sprintf("20%02d-%02d-%02dT10:00:00.000-03:00", 17+r.IntN(9), 1+r.IntN(12), 1+r.IntN(28))
	}
	statuses := func(id, kind, ptr string, history int) {
		names := []string{kind + "Active", kind + "Inactive", kind + "Terminated"}
		for i := range history {
			p := ptr + "/status/" + strconv.Itoa(i)
			add(id, "status.status", names[i], p+"/status")
			add(id, "status.validFor", date()+"/"+date(), p+"/validFor")
		}
		add(id, "status", names[history-1], ptr+"/status/"+strconv.Itoa(history-1))
	}
	characteristic := func(id, ptr, name, value string, i int) {
		p := ptr + "/characteristic/" + strconv.Itoa(i)
		add(id, "characteristic", name, p)
		add(id, name, value, p+"/value/0/value")
		add(id, name+".validFor", date()+"/..", p+"/validFor")
	}
	offers := []string{"FRANQUIA_PLANO", "BONUS", "WHTP", "MOBILITY", "PO_T_TECHNICAL_RG_FREE_DIARIO",
		"PO_ExtId_SVA", "EXCEDENTE", "EXCEDENTE_I", "TECHNICAL_I", "PROVIDER_MV", "CONSUMER_MV"}

	customer := hex()
	g.Root = customer
	entity(customer, "customer", "")
	statuses(customer, "Customer", "", 1)
	account := hex()
	add(customer, "account", account, "/account/0")
	entity(account, "account", "/account/0")
	statuses(account, "BillingAccount", "/account/0", 1)
	characteristic(account, "/account/0", "customerTaxCategory", "12", 0)

	var contracts, providers []string
	for l := range lines {
		c, cp := hex(), "/contract/"+strconv.Itoa(l)
		contracts = append(contracts, c)
		add(customer, "contract", c, cp)
		entity(c, "contract", cp)
		add(c, "externalId", strconv.Itoa(r.IntN(1e9)), cp+"/externalId")
		add(c, "paymentContext", "Postpaid", cp+"/paymentContext")
		add(c, "contractSpecification.id", "05b4d756-7b1f-4c6a-9675-9ecb99edd4d1", cp+"/contractSpecification/id")
		statuses(c, "Contract", cp, 1)
		for i, name := range []string{"clientCategory", "clientQuota", "clientRollover", "sharingClassification", "sharingGroupId", "additionalStatus"} {
			characteristic(c, cp, name, []string{"pos", "SemCota", "ComCota", "Titular", "Dependente", "active"}[r.IntN(6)], i)
		}
		for k, spec := range []string{"LrsExtId_MSISDN", "LrsExtId_IMSI"} {
			res, rp := hex(), cp+"/resource/"+strconv.Itoa(k)
			add(c, "resource", res, rp)
			entity(res, "resource", rp)
			add(res, "resourceSpecificationExternalId", spec, rp+"/resourceSpecificationExternalId")
			add(res, "resourceNumber", strconv.Itoa(5500000000000+r.IntN(1e11)), rp+"/resourceNumber")
			statuses(res, "Resource", rp, 1)
		}
		for k := range productsPerLine {
			p, pp := hex(), cp+"/product/"+strconv.Itoa(k)
			offer := offers[r.IntN(len(offers))]
			if k == 0 {
				offer = "FRANQUIA_PLANO"
			}
			add(c, "product", p, pp)
			entity(p, "product", pp)
			add(p, "productOfferingExternalId", offer, pp+"/productOfferingExternalId")
			add(p, "productOfferingId", "uuid-"+offer, pp+"/productOfferingId")
			add(p, "externalId", fmt.Sprintf("%s%08d", offer[:3], r.IntN(1e8)), pp+"/externalId")
			add(p, "name", "Product "+offer, pp+"/name")
			add(p, "baRefForBillCycleAlignedRecurrence", account, pp+"/baRefForBillCycleAlignedRecurrence/id")
			statuses(p, "Product", pp, 1+r.IntN(3))
			if offer == "FRANQUIA_PLANO" || offer == "BONUS" {
				characteristic(p, pp, "initialValue", strconv.Itoa(r.IntN(1e11)), 0)
				characteristic(p, pp, "recurrenceValue", strconv.Itoa(r.IntN(1e11)), 1)
			}
			if offer == "PROVIDER_MV" {
				providers = append(providers, p)
				add(p, "sharingProvider.billingAccount", account, pp+"/sharingProvider/billingAccount/0/id")
			}
			if offer == "CONSUMER_MV" && len(providers) > 0 {
				add(p, "sharingConsumer.providerContractId", contracts[r.IntN(len(contracts))], pp+"/sharingConsumer/providerContractId")
				add(p, "sharingConsumer.providerProductId", providers[r.IntN(len(providers))], pp+"/sharingConsumer/providerProductId")
				add(p, "sharingConsumer.providerCustomerId", customer, pp+"/sharingConsumer/providerCustomerId")
			}
		}
	}
	return g
}

// sampleRules writes n rules of the shapes AnyBURL learns, with AnyBURL's
// confidence measured on g and at least 0.5, so most hold and some do not:
//
//   - 40% h(X,c) <= b(X,d), a fifth of them with an existential head h(X,Y)
//   - 20% h(X,c) <= b(X,A), b2(A,d)
//   - 20% h(X,Y) <= b(X,A), b2(A,Y)
//   - 20% constant rules naming constants g lacks, as rules learned from other
//     records do; they do not apply.
func sampleRules(g *kg.Graph, n int, seed uint64) []Rule {
	r := rand.New(rand.NewPCG(seed, 2))
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
	headFor := func(subjects map[string]bool, existential bool) (Atom, float64, bool) {
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
			return Atom{}, 0, false
		}
		slices.SortFunc(good, func(a, b fact) int { return strings.Compare(a.p+"\x00"+a.o, b.p+"\x00"+b.o) })
		f := good[r.IntN(len(good))]
		conf := float64(count[f]) / float64(len(subjects))
		if existential {
			return Atom{f.p, Var("X"), Var("Y")}, conf, true
		}
		return Atom{f.p, Var("X"), Const(f.o)}, conf, true
	}
	rules := make([]Rule, 0, n)
	distinct := map[string]bool{}
	for len(rules) < n {
		var (
			head Atom
			body []Atom
			conf float64
			ok   bool
		)
		switch k := r.IntN(10); {
		case k < 4:
			t := pick(g.Triples)
			subjects := map[string]bool{}
			for _, u := range g.Triples {
				if u.Predicate == t.Predicate && u.Object == t.Object {
					subjects[u.Subject] = true
				}
			}
			body = []Atom{{t.Predicate, Var("X"), Const(t.Object)}}
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
			body = []Atom{{e.Predicate, Var("X"), Var("A")}, {end.p, Var("A"), Const(end.o)}}
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
			head, body = Atom{h, Var("X"), Var("Y")}, []Atom{{e.Predicate, Var("X"), Var("A")}, {p2, Var("A"), Var("Y")}}
			conf, ok = float64(n)/float64(max(len(pairs), 1)), len(pairs) > 0 && 2*n >= len(pairs)
		default:
			t := pick(g.Triples)
			head = Atom{t.Predicate, Var("X"), Const(t.Object)}
			body = []Atom{{pick(g.Triples).Predicate, Var("X"), Const(fmt.Sprintf("%016X", r.Uint64()))}}
			conf, ok = 0.5+r.Float64()/2, true
		}
		if key := canonicalize(head, body).key; ok && !distinct[key] {
			distinct[key] = true
			rules = append(rules, Rule{
				ID: "sampled-" + strconv.Itoa(len(rules)), Category: "sampled",
				Confidence: conf, Head: head, Body: body,
			})
		}
	}
	return rules
}

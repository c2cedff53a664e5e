package gen

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/pff/pff/app/kg"
)

// ErrNotApplicable says a record has nothing a fault kind could be
// injected into: no active contract with an MSISDN, no two active lines,
// no sharing link, ...
var ErrNotApplicable = errors.New("gen: the record cannot take this fault")

// Inject puts one fault of a kind into any customer-enquiry record, such as
// a stored production record, the way the generator injects it into its
// own: the quality gate measures a model on held-out records with faults of
// every kind. The record is judged at now (current statuses); the choice of
// place is seeded by seed and the customer id. The document comes back as
// compact JSON, its members in sorted order, with the fault's label.
func Inject(doc []byte, kind Kind, seed uint64, now time.Time) ([]byte, Label, error) {
	var root map[string]any
	if err := json.Unmarshal(doc, &root); err != nil {
		return nil, Label{}, fmt.Errorf("gen: inject into a record: %w", err)
	}
	id, _ := root["id"].(string)
	h := fnv.New64a()
	h.Write([]byte(id))
	h.Write([]byte(kind))
	in := injector{random: newRandom(seed, h.Sum64()), root: root, now: now}
	var pointer string
	var ok bool
	switch kind {
	case ActiveContractWithoutMSISDN:
		pointer, ok = in.dropMSISDN()
	case ActiveProductInTerminatedContract:
		pointer, ok = in.terminateAllButOne()
	case DanglingSharingContract:
		pointer, ok = in.dangle("providerContractId", "consumerContractId")
	case DanglingSharingProduct:
		pointer, ok = in.dangle("providerProductId")
	case UnknownStatus:
		pointer, ok = in.misspellStatus()
	case PostpaidWithoutBillingAccount:
		pointer, ok = in.dropAccount()
	case NonNumericQuota:
		pointer, ok = in.spoilQuota()
	case ValidityEndsBeforeStart:
		pointer, ok = in.endBeforeStart()
	case DuplicateActiveMSISDN:
		pointer, ok = in.duplicateMSISDN()
	case PlanProductCount:
		pointer, ok = in.miscountPlans()
	case MalformedID:
		pointer, ok = in.malformID()
	default:
		return nil, Label{}, fmt.Errorf("gen: unknown fault kind %q", kind)
	}
	if !ok {
		return nil, Label{}, ErrNotApplicable
	}
	out, err := json.Marshal(root)
	if err != nil {
		return nil, Label{}, fmt.Errorf("gen: inject into a record: %w", err)
	}
	return out, Label{Record: id, Kind: kind, Pointer: pointer}, nil
}

type (
	object = map[string]any
	array  = []any
)

// injector changes one decoded record.
type injector struct {
	random
	root object
	now  time.Time
}

func list(o object, key string) array {
	l, _ := o[key].(array)
	return l
}

func str(o object, key string) string {
	s, _ := o[key].(string)
	return s
}

// current returns the index of an entity's current status entry (the one
// covering now that starts last, else the one that starts last, as the
// graph builder reads it) and its status, or -1.
func (in *injector) current(entity object) (int, string) {
	best, bestCovers := -1, false
	var bestValidity kg.Validity
	for i, e := range list(entity, "status") {
		entry, ok := e.(object)
		if !ok || str(entry, "status") == "" {
			continue
		}
		vf, _ := entry["validFor"].(object)
		v := kg.ParseValidity(str(vf, "startDateTime"), str(vf, "endDateTime"))
		covers := v.Covers(in.now)
		if best < 0 || covers && !bestCovers || covers == bestCovers && v.StartsNoEarlierThan(bestValidity) {
			best, bestCovers, bestValidity = i, covers, v
		}
	}
	if best < 0 {
		return -1, ""
	}
	return best, str(list(entity, "status")[best].(object), "status")
}

// contracts returns the indices of the contracts whose current status is
// one of statuses (any, when none is given).
func (in *injector) contracts(statuses ...string) []int {
	var out []int
	for i, k := range list(in.root, "contract") {
		k, ok := k.(object)
		if !ok {
			continue
		}
		_, status := in.current(k)
		if len(statuses) == 0 || contains(statuses, status) {
			out = append(out, i)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (in *injector) contract(i int) object { return list(in.root, "contract")[i].(object) }

func (in *injector) stamp(t time.Time) string { return in.random.stamp(t) }

// lately returns an instant in the last day before now.
func (in *injector) lately() time.Time {
	return in.between(in.now.Add(-20*time.Hour), in.now.Add(-time.Hour))
}

// terminate closes an entity's current status at t and appends the
// terminated one, through the inactive one if given.
func (in *injector) terminate(entity object, t time.Time, inactive, terminated string) {
	i, _ := in.current(entity)
	history := list(entity, "status")
	if i >= 0 {
		entry := history[i].(object)
		vf, _ := entry["validFor"].(object)
		if vf == nil {
			vf = object{}
			entry["validFor"] = vf
		}
		vf["endDateTime"] = in.stamp(t)
	}
	if inactive != "" {
		gone := in.after(t, 200*time.Millisecond)
		history = append(history, object{"status": inactive, "validFor": object{"startDateTime": in.stamp(t), "endDateTime": in.stamp(gone)}})
		t = gone
	}
	entity["status"] = append(history, object{"status": terminated, "validFor": object{"startDateTime": in.stamp(t)}})
}

func isMSISDN(r any) bool {
	o, ok := r.(object)
	return ok && str(o, "resourceSpecificationExternalId") == specMSISDN
}

func (in *injector) dropMSISDN() (string, bool) {
	var candidates []int
	for _, i := range in.contracts(statusContractActive) {
		for _, r := range list(in.contract(i), "resource") {
			if isMSISDN(r) {
				candidates = append(candidates, i)
				break
			}
		}
	}
	if len(candidates) == 0 {
		return "", false
	}
	i := pick(in.random, candidates)
	k := in.contract(i)
	var kept array
	for _, r := range list(k, "resource") {
		if !isMSISDN(r) {
			kept = append(kept, r)
		}
	}
	k["resource"] = kept
	return fmt.Sprintf("/contract/%d", i), true
}

func (in *injector) terminateAllButOne() (string, bool) {
	type live struct{ contract, product int }
	var candidates []live
	byContract := map[int][]int{}
	for _, i := range in.contracts(statusContractActive) {
		for j, p := range list(in.contract(i), "product") {
			if p, ok := p.(object); ok {
				if _, s := in.current(p); s == statusProductActive {
					candidates = append(candidates, live{i, j})
					byContract[i] = append(byContract[i], j)
				}
			}
		}
	}
	if len(candidates) == 0 {
		return "", false
	}
	keep := pick(in.random, candidates)
	k, t := in.contract(keep.contract), in.lately()
	in.terminate(k, t, "", statusContractTerminated)
	for _, j := range byContract[keep.contract] {
		if j != keep.product {
			in.terminate(list(k, "product")[j].(object), t, statusProductInactive, statusProductTerminated)
		}
	}
	for _, r := range list(k, "resource") {
		if r, ok := r.(object); ok {
			if _, s := in.current(r); s == statusResourceActive {
				in.terminate(r, t, "", statusResourceTerminated)
				if vf, ok := r["validFor"].(object); ok {
					vf["endDateTime"] = in.stamp(t)
				}
			}
		}
	}
	return fmt.Sprintf("/contract/%d/product/%d", keep.contract, keep.product), true
}

// dangle points a sharing link (one of keys, in a sharingConsumer or a
// consumer list) at an id no record holds.
func (in *injector) dangle(keys ...string) (string, bool) {
	type link struct {
		pointer string
		holder  object
		key     string
	}
	var links []link
	for i, k := range list(in.root, "contract") {
		k, _ := k.(object)
		for j, p := range list(k, "product") {
			p, _ := p.(object)
			at := fmt.Sprintf("/contract/%d/product/%d", i, j)
			if sc, ok := p["sharingConsumer"].(object); ok {
				for _, key := range keys {
					if str(sc, key) != "" {
						links = append(links, link{at + "/sharingConsumer/" + key, sc, key})
					}
				}
			}
			sp, _ := p["sharingProvider"].(object)
			for e, entry := range list(sp, "consumerList") {
				entry, _ := entry.(object)
				for _, key := range keys {
					if str(entry, key) != "" {
						links = append(links, link{fmt.Sprintf("%s/sharingProvider/consumerList/%d/%s", at, e, key), entry, key})
					}
				}
			}
		}
	}
	if len(links) == 0 {
		return "", false
	}
	l := pick(in.random, links)
	l.holder[l.key] = in.id()
	return l.pointer, true
}

// misspellStatus garbles a current status; plans are spared, as the
// generator spares them.
func (in *injector) misspellStatus() (string, bool) {
	type history struct {
		pointer string
		entity  object
	}
	hs := []history{{"", in.root}}
	for i, a := range list(in.root, "account") {
		if a, ok := a.(object); ok {
			hs = append(hs, history{fmt.Sprintf("/account/%d", i), a})
		}
	}
	for i, k := range list(in.root, "contract") {
		k, _ := k.(object)
		hs = append(hs, history{fmt.Sprintf("/contract/%d", i), k})
		for j, p := range list(k, "product") {
			if p, ok := p.(object); ok && str(p, "productOfferingExternalId") != offerPlan {
				hs = append(hs, history{fmt.Sprintf("/contract/%d/product/%d", i, j), p})
			}
		}
		for j, r := range list(k, "resource") {
			if r, ok := r.(object); ok {
				hs = append(hs, history{fmt.Sprintf("/contract/%d/resource/%d", i, j), r})
			}
		}
	}
	var withStatus []history
	for _, h := range hs {
		if i, _ := in.current(h.entity); i >= 0 {
			withStatus = append(withStatus, h)
		}
	}
	if len(withStatus) == 0 {
		return "", false
	}
	h := pick(in.random, withStatus)
	i, status := in.current(h.entity)
	list(h.entity, "status")[i].(object)["status"] = in.misspell(status)
	return fmt.Sprintf("%s/status/%d/status", h.pointer, i), true
}

func (in *injector) dropAccount() (string, bool) {
	postpaid := false
	for _, k := range list(in.root, "contract") {
		if k, ok := k.(object); ok && str(k, "paymentContext") == "Postpaid" {
			postpaid = true
		}
	}
	if !postpaid || len(list(in.root, "account")) == 0 {
		return "", false
	}
	delete(in.root, "account")
	return "", true
}

type place struct {
	pointer string
	holder  object
	key     string
}

func (in *injector) spoilQuota() (string, bool) {
	var quotas []place
	for i, k := range list(in.root, "contract") {
		k, _ := k.(object)
		for j, p := range list(k, "product") {
			p, _ := p.(object)
			for n, c := range list(p, "characteristic") {
				c, _ := c.(object)
				for m, v := range list(c, "value") {
					if v, ok := v.(object); ok && str(v, "unitOfMeasure") == "byte" {
						quotas = append(quotas, place{fmt.Sprintf("/contract/%d/product/%d/characteristic/%d/value/%d/value", i, j, n, m), v, "value"})
					}
				}
			}
		}
	}
	if len(quotas) == 0 {
		return "", false
	}
	q := pick(in.random, quotas)
	q.holder[q.key] = pick(in.random, []string{"10GB", "N/A", "ilimitado", "1,5GB", "12 345 678", "-"})
	return q.pointer, true
}

// endBeforeStart makes a validFor of a contract's characteristics, its
// products' characteristics, its party roles or time zones end before it
// starts; status histories are spared.
func (in *injector) endBeforeStart() (string, bool) {
	type period struct {
		place
		start time.Time
	}
	var periods []period
	add := func(pointer string, holder object) {
		vf, ok := holder["validFor"].(object)
		if !ok {
			return
		}
		start, err := time.Parse(time.RFC3339Nano, str(vf, "startDateTime"))
		if err == nil && start.Year() > 1970 {
			periods = append(periods, period{place{pointer + "/validFor", vf, "endDateTime"}, start})
		}
	}
	for i, k := range list(in.root, "contract") {
		k, _ := k.(object)
		at := fmt.Sprintf("/contract/%d", i)
		for n, c := range list(k, "characteristic") {
			if c, ok := c.(object); ok {
				add(fmt.Sprintf("%s/characteristic/%d", at, n), c)
			}
		}
		for j, p := range list(k, "product") {
			p, _ := p.(object)
			for n, c := range list(p, "characteristic") {
				if c, ok := c.(object); ok {
					add(fmt.Sprintf("%s/product/%d/characteristic/%d", at, j, n), c)
				}
			}
		}
		for _, key := range []string{"relatedPartyInteractionRole", "homeTimeZone"} {
			for n, o := range list(k, key) {
				if o, ok := o.(object); ok {
					add(fmt.Sprintf("%s/%s/%d", at, key, n), o)
				}
			}
		}
	}
	if len(periods) == 0 {
		return "", false
	}
	p := pick(in.random, periods)
	p.holder[p.key] = in.stamp(p.start.Add(-time.Second - time.Duration(in.Int64N(int64(400*24*time.Hour)))))
	return p.pointer, true
}

// duplicateMSISDN gives an active line the number of another; the first
// line keeps its own, as the record is filed under it.
func (in *injector) duplicateMSISDN() (string, bool) {
	msisdn := func(i int) int {
		for j, r := range list(in.contract(i), "resource") {
			if isMSISDN(r) {
				return j
			}
		}
		return -1
	}
	var lines []int
	for _, i := range in.contracts(statusContractActive) {
		if msisdn(i) >= 0 {
			lines = append(lines, i)
		}
	}
	if len(lines) < 2 {
		return "", false
	}
	var targets []int
	for _, i := range lines {
		if i != lines[0] {
			targets = append(targets, i)
		}
	}
	dup := pick(in.random, targets)
	var sources []int
	for _, i := range lines {
		if i != dup {
			sources = append(sources, i)
		}
	}
	src := pick(in.random, sources)
	r := msisdn(dup)
	number := str(list(in.contract(src), "resource")[msisdn(src)].(object), "resourceNumber")
	list(in.contract(dup), "resource")[r].(object)["resourceNumber"] = number
	return fmt.Sprintf("/contract/%d/resource/%d/resourceNumber", dup, r), true
}

// miscountPlans leaves an active contract that holds a plan with none
// active, or two.
func (in *injector) miscountPlans() (string, bool) {
	var candidates []int
	for _, i := range in.contracts(statusContractActive) {
		for _, p := range list(in.contract(i), "product") {
			if p, ok := p.(object); ok && strings.HasPrefix(str(p, "productOfferingExternalId"), offerPlan) {
				candidates = append(candidates, i)
				break
			}
		}
	}
	if len(candidates) == 0 {
		return "", false
	}
	i := pick(in.random, candidates)
	k := in.contract(i)
	var active []object
	var plan object
	for _, p := range list(k, "product") {
		p, _ := p.(object)
		if !strings.HasPrefix(str(p, "productOfferingExternalId"), offerPlan) {
			continue
		}
		plan = p
		if _, s := in.current(p); s == statusProductActive {
			active = append(active, p)
		}
	}
	if len(active) > 0 && in.chance(0.5) {
		t := in.lately()
		for _, p := range active {
			in.terminate(p, t, statusProductInactive, statusProductTerminated)
		}
	} else {
		extra := object{}
		for key, v := range plan {
			switch key {
			case "price", "status", "id", "externalId":
			default:
				extra[key] = v
			}
		}
		extra["id"] = in.id()
		extra["externalId"] = str(plan, "externalId") + strconv.Itoa(in.IntN(10))
		extra["status"] = array{object{"status": statusProductActive, "validFor": object{"startDateTime": in.stamp(in.between(in.now.AddDate(0, -1, 0), in.now.AddDate(0, 0, -1)))}}}
		k["product"] = append(list(k, "product"), extra)
	}
	return fmt.Sprintf("/contract/%d", i), true
}

// malformID garbles the id of an entity no sharing link names.
func (in *injector) malformID() (string, bool) {
	var ids []place
	add := func(pointer string, o any) {
		if o, ok := o.(object); ok && str(o, "id") != "" {
			ids = append(ids, place{pointer + "/id", o, "id"})
		}
	}
	for i, a := range list(in.root, "account") {
		a, _ := a.(object)
		for n, b := range list(a, "customerBillCycleSpecification") {
			add(fmt.Sprintf("/account/%d/customerBillCycleSpecification/%d", i, n), b)
		}
	}
	for i, k := range list(in.root, "contract") {
		k, _ := k.(object)
		for j, p := range list(k, "product") {
			p, _ := p.(object)
			at := fmt.Sprintf("/contract/%d/product/%d", i, j)
			switch str(p, "productOfferingExternalId") {
			case offerProvider, offerExcess, offerTechnical: // named by sharing links
			default:
				add(at, p)
			}
			for n, pr := range list(p, "price") {
				add(fmt.Sprintf("%s/price/%d", at, n), pr)
				pr, _ := pr.(object)
				for m, c := range list(pr, "comprisedOf") {
					add(fmt.Sprintf("%s/price/%d/comprisedOf/%d", at, n, m), c)
				}
			}
		}
		for j, r := range list(k, "resource") {
			add(fmt.Sprintf("/contract/%d/resource/%d", i, j), r)
		}
		for j, r := range list(k, "relatedPartyInteractionRole") {
			add(fmt.Sprintf("/contract/%d/relatedPartyInteractionRole/%d", i, j), r)
		}
	}
	var wellFormed []place
	for _, p := range ids {
		if kg.IsID(str(p.holder, p.key)) && len(str(p.holder, p.key)) == 32 {
			wellFormed = append(wellFormed, p)
		}
	}
	if len(wellFormed) == 0 {
		return "", false
	}
	p := pick(in.random, wellFormed)
	p.holder[p.key] = in.malform(str(p.holder, p.key))
	return p.pointer, true
}

package gen_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
)

// A checker for the eleven fault kinds, written from the fault contract on
// plain decoded JSON and sharing no code with the generator, so that it can
// tell whether clean records are clean and faulty ones faulty.

type finding struct {
	kind    gen.Kind
	pointer string
}

type object = map[string]any

func decode(t *testing.T, doc []byte) object {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v object
	require.NoError(t, d.Decode(&v))
	return v
}

func check(t *testing.T, doc []byte, now time.Time) []finding {
	t.Helper()
	c := checker{root: decode(t, doc), now: now}
	c.contracts()
	c.sharing()
	c.walk(c.root, "")
	if len(c.list("account")) == 0 && slices.ContainsFunc(c.list("contract"), func(k any) bool {
		return k.(object)["paymentContext"] == "Postpaid"
	}) {
		c.report(gen.PostpaidWithoutBillingAccount, "")
	}
	return c.found
}

type checker struct {
	root  object
	now   time.Time
	found []finding
}

func (c *checker) report(kind gen.Kind, pointer string) {
	c.found = append(c.found, finding{kind, pointer})
}

func (c *checker) list(key string) []any {
	l, _ := c.root[key].([]any)
	return l
}

// current returns the status valid now: of the entries that cover now, the
// one that starts last; else the one that starts last.
func (c *checker) current(entity object) string {
	var best string
	var bestStart time.Time
	bestCovers := false
	for _, e := range entity["status"].([]any) {
		entry := e.(object)
		start, end := dates(entry)
		covers := !start.After(c.now) && (end.IsZero() || c.now.Before(end))
		if best == "" || covers && !bestCovers || covers == bestCovers && !start.Before(bestStart) {
			best, bestStart, bestCovers = entry["status"].(string), start, covers
		}
	}
	return best
}

// dates returns an object's validFor, zero for missing or sentinel ends.
func dates(o object) (start, end time.Time) {
	v, _ := o["validFor"].(object)
	parse := func(key string) time.Time {
		s, _ := v[key].(string)
		if strings.HasPrefix(s, "1970-01-01") || strings.HasPrefix(s, "9999-12-31") {
			return time.Time{}
		}
		t, _ := time.Parse(time.RFC3339, s)
		return t
	}
	return parse("startDateTime"), parse("endDateTime")
}

func (c *checker) contracts() {
	activeMSISDNs := map[string][]string{} // number → pointers
	for i, k := range c.list("contract") {
		k := k.(object)
		at := "/contract/" + strconv.Itoa(i)
		status := c.current(k)
		plans, everPlans := 0, 0
		products, _ := k["product"].([]any)
		for j, p := range products {
			p := p.(object)
			active := c.current(p) == "ProductActive"
			if active && status == "ContractTerminated" {
				c.report(gen.ActiveProductInTerminatedContract, at+"/product/"+strconv.Itoa(j))
			}
			if strings.HasPrefix(p["productOfferingExternalId"].(string), "FRANQUIA_PLANO") {
				everPlans++
				if active {
					plans++
				}
			}
		}
		if status != "ContractActive" {
			continue
		}
		// A family dependent that never held a plan draws on its titular's.
		if plans != 1 && !(everPlans == 0 && characteristic(k, "sharingClassification") == "Dependente") {
			c.report(gen.PlanProductCount, at)
		}
		hasMSISDN := false
		resources, _ := k["resource"].([]any)
		for j, r := range resources {
			r := r.(object)
			if r["resourceSpecificationExternalId"] == "LrsExtId_MSISDN" {
				hasMSISDN = true
				n := r["resourceNumber"].(string)
				activeMSISDNs[n] = append(activeMSISDNs[n], at+"/resource/"+strconv.Itoa(j)+"/resourceNumber")
			}
		}
		if !hasMSISDN {
			c.report(gen.ActiveContractWithoutMSISDN, at)
		}
	}
	for _, pointers := range activeMSISDNs {
		if len(pointers) > 1 {
			for _, p := range pointers {
				c.report(gen.DuplicateActiveMSISDN, p)
			}
		}
	}
}

// characteristic returns the first value of an entity's characteristic.
func characteristic(entity object, name string) string {
	cs, _ := entity["characteristic"].([]any)
	for _, c := range cs {
		c := c.(object)
		if c["charSpecExternalId"] == name {
			if vs, _ := c["value"].([]any); len(vs) > 0 {
				v, _ := vs[0].(object)["value"].(string)
				return v
			}
		}
	}
	return ""
}

// sharing reports sharing links to contracts or products the record lacks.
func (c *checker) sharing() {
	contracts, products := map[string]bool{}, map[string]bool{}
	for _, k := range c.list("contract") {
		contracts[k.(object)["id"].(string)] = true
		ps, _ := k.(object)["product"].([]any)
		for _, p := range ps {
			products[p.(object)["id"].(string)] = true
		}
	}
	for i, k := range c.list("contract") {
		ps, _ := k.(object)["product"].([]any)
		for j, p := range ps {
			p := p.(object)
			at := "/contract/" + strconv.Itoa(i) + "/product/" + strconv.Itoa(j)
			if sc, ok := p["sharingConsumer"].(object); ok {
				if !contracts[sc["providerContractId"].(string)] {
					c.report(gen.DanglingSharingContract, at+"/sharingConsumer/providerContractId")
				}
				if !products[sc["providerProductId"].(string)] {
					c.report(gen.DanglingSharingProduct, at+"/sharingConsumer/providerProductId")
				}
			}
			sp, _ := p["sharingProvider"].(object)
			entries, _ := sp["consumerList"].([]any)
			for e, entry := range entries {
				if !contracts[entry.(object)["consumerContractId"].(string)] {
					c.report(gen.DanglingSharingContract, at+"/sharingProvider/consumerList/"+strconv.Itoa(e)+"/consumerContractId")
				}
			}
		}
	}
}

var (
	wellFormedID = regexp.MustCompile(`^([0-9A-Fa-f]{32}|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$`)
	number       = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
)

// walk checks what can sit anywhere: statuses, ids, validFors and byte quotas.
func (c *checker) walk(v any, at string) {
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			c.walk(e, at+"/"+strconv.Itoa(i))
		}
	case object:
		if id, ok := v["id"].(string); ok && !wellFormedID.MatchString(id) {
			c.report(gen.MalformedID, at+"/id")
		}
		if s, ok := v["status"].(string); ok && !slices.Contains(gen.Statuses(), s) {
			c.report(gen.UnknownStatus, at+"/status")
		}
		if start, end := dates(v); !start.IsZero() && !end.IsZero() && end.Before(start) {
			c.report(gen.ValidityEndsBeforeStart, at+"/validFor")
		}
		if s, _ := v["value"].(string); v["unitOfMeasure"] == "byte" && !number.MatchString(s) {
			c.report(gen.NonNumericQuota, at+"/value")
		}
		for k, e := range v {
			c.walk(e, at+"/"+k)
		}
	}
}

// resolve returns the value at an RFC 6901 pointer.
func resolve(doc any, pointer string) (any, bool) {
	if pointer == "" {
		return doc, true
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil, false
	}
	for _, token := range strings.Split(pointer[1:], "/") {
		token = strings.NewReplacer("~1", "/", "~0", "~").Replace(token)
		switch v := doc.(type) {
		case object:
			e, ok := v[token]
			if !ok {
				return nil, false
			}
			doc = e
		case []any:
			i, err := strconv.Atoi(token)
			if err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			doc = v[i]
		default:
			return nil, false
		}
	}
	return doc, true
}

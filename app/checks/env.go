package checks

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/pff/pff/app/kg"
)

// env is what an expression sees (see the package doc). The helpers are
// fields rather than methods so that they get lower-case names, and so that
// those which need the record are bound to it once per record.
type env struct {
	This         map[string]any `expr:"this"`
	Parent       map[string]any `expr:"parent"`
	ParentEntity map[string]any `expr:"parentEntity"`
	Root         map[string]any `expr:"root"`
	Pointer      string         `expr:"pointer"`

	CurrentStatus         func(any) string      `expr:"currentStatus"`
	IsActive              func(any) bool        `expr:"isActive"`
	ActiveProducts        func(any, string) int `expr:"activeProducts"`
	ActiveLinesWithMsisdn func(any) int         `expr:"activeLinesWithMsisdn"`
	Characteristic        func(any, string) any `expr:"characteristic"`
	IsSentinel            func(any) bool        `expr:"isSentinel"`
	EndsBeforeStart       func(any) bool        `expr:"endsBeforeStart"`
	IsNumber              func(any) bool        `expr:"isNumber"`
	IsID                  func(any) bool        `expr:"isId"`
}

// record holds what the helpers know of the record being checked.
type record struct {
	root map[string]any
	now  time.Time
	// msisdnLines counts, by number, the active contracts holding an active
	// MSISDN resource; built on first use.
	msisdnLines map[string]int
}

func newEnv(root map[string]any, now time.Time) *env {
	r := &record{root: root, now: now}
	return &env{
		Root:                  root,
		CurrentStatus:         r.currentStatus,
		IsActive:              r.isActive,
		ActiveProducts:        r.activeProducts,
		ActiveLinesWithMsisdn: r.activeLinesWithMsisdn,
		Characteristic:        characteristic,
		IsSentinel:            isSentinel,
		EndsBeforeStart:       endsBeforeStart,
		IsNumber:              isNumber,
		IsID:                  isID,
	}
}

// currentStatus returns the status of x's history entry that holds now:
// among the entries whose validFor covers now the one that starts last,
// else the one that starts last overall; ties go to the later entry, as
// histories are appended to. kg judges its status facts the same way.
func (r *record) currentStatus(x any) string {
	obj, _ := x.(map[string]any)
	history, _ := obj["status"].([]any)
	var (
		best       string
		bestCovers bool
		bestValid  kg.Validity
		found      bool
	)
	for _, e := range history {
		entry, _ := e.(map[string]any)
		status, ok := entry["status"].(string)
		if !ok {
			continue
		}
		v := validityOf(entry["validFor"])
		covers := v.Covers(r.now)
		if !found || covers && !bestCovers || covers == bestCovers && v.StartsNoEarlierThan(bestValid) {
			best, bestCovers, bestValid, found = status, covers, v, true
		}
	}
	return best
}

func (r *record) isActive(x any) bool {
	return strings.HasSuffix(r.currentStatus(x), "Active")
}

func (r *record) activeProducts(contract any, offeringPrefix string) int {
	c, _ := contract.(map[string]any)
	products, _ := c["product"].([]any)
	n := 0
	for _, p := range products {
		prod, _ := p.(map[string]any)
		offering, _ := prod["productOfferingExternalId"].(string)
		if strings.HasPrefix(offering, offeringPrefix) && r.isActive(prod) {
			n++
		}
	}
	return n
}

func (r *record) activeLinesWithMsisdn(number any) int {
	if r.msisdnLines == nil {
		r.msisdnLines = map[string]int{}
		contracts, _ := r.root["contract"].([]any)
		for _, c := range contracts {
			contract, _ := c.(map[string]any)
			if !r.isActive(contract) {
				continue
			}
			resources, _ := contract["resource"].([]any)
			seen := map[string]bool{}
			for _, x := range resources {
				res, _ := x.(map[string]any)
				n, ok := res["resourceNumber"].(string)
				if ok && !seen[n] && res["resourceSpecificationExternalId"] == kg.MSISDNSpec && r.isActive(res) {
					seen[n] = true
					r.msisdnLines[n]++
				}
			}
		}
	}
	n, _ := number.(string)
	return r.msisdnLines[n]
}

// characteristic returns the first value of x's characteristic named name
// (its charSpecExternalId), or nil.
func characteristic(x any, name string) any {
	obj, _ := x.(map[string]any)
	chars, _ := obj["characteristic"].([]any)
	for _, c := range chars {
		ch, _ := c.(map[string]any)
		if ch["charSpecExternalId"] != name {
			continue
		}
		values, _ := ch["value"].([]any)
		if len(values) == 0 {
			return nil
		}
		first, _ := values[0].(map[string]any)
		return first["value"]
	}
	return nil
}

func isSentinel(date any) bool {
	s, ok := date.(string)
	return ok && kg.IsSentinelDate(s)
}

func endsBeforeStart(validFor any) bool { return validityOf(validFor).EndsBeforeStart() }

// isNumber accepts JSON numbers and strings of decimal digits with an
// optional sign and fraction: what a quota is written as.
func isNumber(v any) bool {
	switch n := v.(type) {
	case float64, json.Number:
		return true
	case string:
		whole, frac, hasFrac := strings.Cut(strings.TrimPrefix(n, "-"), ".")
		return allDigits(whole) && (!hasFrac || allDigits(frac))
	}
	return false
}

func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func isID(v any) bool {
	s, ok := v.(string)
	return ok && kg.IsID(s)
}

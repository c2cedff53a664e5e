package gen

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kind names a fault. The names are a contract with the default rules.
type Kind string

// The fault kinds.
const (
	// An active contract has no MSISDN resource.
	ActiveContractWithoutMSISDN Kind = "active_contract_without_msisdn"
	// An active product sits in a terminated contract.
	ActiveProductInTerminatedContract Kind = "active_product_in_terminated_contract"
	// A sharing link names a contract the record does not hold.
	DanglingSharingContract Kind = "dangling_sharing_contract"
	// A sharing link names a product the record does not hold.
	DanglingSharingProduct Kind = "dangling_sharing_product"
	// A status outside the vocabulary (see Statuses).
	UnknownStatus Kind = "unknown_status"
	// A customer with a Postpaid contract has no billing account.
	PostpaidWithoutBillingAccount Kind = "postpaid_without_billing_account"
	// A byte-quota characteristic value is not a number.
	NonNumericQuota Kind = "non_numeric_quota"
	// A validFor ends before it starts.
	ValidityEndsBeforeStart Kind = "validity_ends_before_start"
	// One MSISDN on two active contracts.
	DuplicateActiveMSISDN Kind = "duplicate_active_msisdn"
	// An active contract without exactly one active FRANQUIA_PLANO product.
	PlanProductCount Kind = "plan_product_count"
	// An entity id that is neither 32 hex digits nor a UUID.
	MalformedID Kind = "malformed_id"
)

// fault is how one kind is injected: what the record needs, and the change,
// which returns the JSON pointer of the faulty place.
type fault struct {
	kind   Kind
	needs  shape
	inject func(b *recordBuilder, c *customer) string
}

// faults lists the kinds in a fixed order.
func faults() []fault {
	return []fault{
		{ActiveContractWithoutMSISDN, shape{}, (*recordBuilder).dropMSISDN},
		{ActiveProductInTerminatedContract, shape{}, (*recordBuilder).terminateAllButOne},
		{DanglingSharingContract, shape{postpaid: true}, (*recordBuilder).dangleContract},
		{DanglingSharingProduct, shape{postpaid: true}, (*recordBuilder).dangleProduct},
		{UnknownStatus, shape{}, (*recordBuilder).misspellStatus},
		{PostpaidWithoutBillingAccount, shape{postpaid: true}, (*recordBuilder).dropAccount},
		{NonNumericQuota, shape{}, (*recordBuilder).spoilQuota},
		{ValidityEndsBeforeStart, shape{}, (*recordBuilder).endBeforeStart},
		{DuplicateActiveMSISDN, shape{active: 2}, (*recordBuilder).duplicateMSISDN},
		{PlanProductCount, shape{}, (*recordBuilder).miscountPlans},
		{MalformedID, shape{}, (*recordBuilder).malformID},
	}
}

// Kinds returns every fault kind.
func Kinds() []Kind {
	var kinds []Kind
	for _, f := range faults() {
		kinds = append(kinds, f.kind)
	}
	return kinds
}

// Each injection changes one place and leaves the record clean of every
// other kind: the generated histories put the current status last, and all
// their dates lie before now minus a day, so a fault's own dates (lately)
// come after them.

func (b *recordBuilder) dropMSISDN(c *customer) string {
	i := pick(b.random, activeContracts(c))
	k := &c.Contracts[i]
	k.Resources = slices.DeleteFunc(k.Resources, func(r resource) bool { return r.SpecEx == specMSISDN })
	return fmt.Sprintf("/contract/%d", i)
}

// terminateAllButOne terminates an active contract with its products and
// resources, but for one product that stays active.
func (b *recordBuilder) terminateAllButOne(c *customer) string {
	i := pick(b.random, activeContracts(c))
	k := &c.Contracts[i]
	t := b.lately()
	k.Status = b.terminate(k.Status, t, "", statusContractTerminated)
	var live []int
	for j := range k.Products {
		if current(k.Products[j].Status) == statusProductActive {
			live = append(live, j)
		}
	}
	keep := pick(b.random, live)
	for _, j := range live {
		if j != keep {
			k.Products[j].Status = b.terminate(k.Products[j].Status, t, statusProductInactive, statusProductTerminated)
		}
	}
	for j := range k.Resources {
		r := &k.Resources[j]
		if current(r.Status) == statusResourceActive {
			r.Status = b.terminate(r.Status, t, "", statusResourceTerminated)
			r.ValidFor.End = b.stamp(t)
		}
	}
	return fmt.Sprintf("/contract/%d/product/%d", i, keep)
}

// dangleContract points a sharing link at a contract id no record holds.
func (b *recordBuilder) dangleContract(c *customer) string {
	var links []field
	for i, k := range c.Contracts {
		for j, p := range k.Products {
			at := fmt.Sprintf("/contract/%d/product/%d", i, j)
			if p.Consumer != nil {
				links = append(links, field{at + "/sharingConsumer/providerContractId", &p.Consumer.ContractID})
			}
			if p.Provider != nil {
				for e := range p.Provider.Consumers {
					links = append(links, field{
						fmt.Sprintf("%s/sharingProvider/consumerList/%d/consumerContractId", at, e),
						&p.Provider.Consumers[e].ContractID,
					})
				}
			}
		}
	}
	f := pick(b.random, links)
	*f.value = b.id()
	return f.pointer
}

// dangleProduct points a sharing link at a product id no record holds.
func (b *recordBuilder) dangleProduct(c *customer) string {
	var links []field
	for i, k := range c.Contracts {
		for j, p := range k.Products {
			if p.Consumer != nil {
				links = append(links, field{
					fmt.Sprintf("/contract/%d/product/%d/sharingConsumer/providerProductId", i, j),
					&p.Consumer.ProductID,
				})
			}
		}
	}
	f := pick(b.random, links)
	*f.value = b.id()
	return f.pointer
}

// misspellStatus garbles a current status. Plans are spared: an active plan
// whose status is garbled would also make its contract miscount plans.
func (b *recordBuilder) misspellStatus(c *customer) string {
	type history struct {
		pointer string
		entries []statusEntry
	}
	hs := []history{{"/status", c.Status}}
	for i, a := range c.Accounts {
		hs = append(hs, history{fmt.Sprintf("/account/%d/status", i), a.Status})
	}
	for i, k := range c.Contracts {
		hs = append(hs, history{fmt.Sprintf("/contract/%d/status", i), k.Status})
		for j, p := range k.Products {
			if p.OfferingExternalID != offerPlan {
				hs = append(hs, history{fmt.Sprintf("/contract/%d/product/%d/status", i, j), p.Status})
			}
		}
		for j, r := range k.Resources {
			hs = append(hs, history{fmt.Sprintf("/contract/%d/resource/%d/status", i, j), r.Status})
		}
	}
	h := pick(b.random, hs)
	last := &h.entries[len(h.entries)-1]
	last.Status = b.misspell(last.Status)
	return fmt.Sprintf("%s/%d/status", h.pointer, len(h.entries)-1)
}

// misspell returns a status the way a faulty system might write it.
func (r random) misspell(status string) string {
	prefix, bare := status, ""
	for _, p := range []string{"BillingAccount", "Customer", "Contract", "Product", "Resource"} {
		if rest, ok := strings.CutPrefix(status, p); ok {
			prefix, bare = p, rest
			break
		}
	}
	switch r.IntN(6) {
	case 0:
		return status[:len(status)-1] // ContractActiv
	case 1:
		return status + "X" // ProductSuspendedX
	case 2:
		return strings.ToUpper(bare) // ACTIVE
	case 3:
		return strings.ToLower(status)
	case 4:
		return strings.ToUpper(prefix + "_" + bare) // CONTRACT_ACTIVE
	default:
		return status + " "
	}
}

func (b *recordBuilder) dropAccount(c *customer) string {
	c.Accounts = nil
	return "" // the customer: the whole record
}

// spoilQuota writes a byte quota the way a person might.
func (b *recordBuilder) spoilQuota(c *customer) string {
	var quotas []field
	for i, k := range c.Contracts {
		for j, p := range k.Products {
			for n, ch := range p.Characteristics {
				if ch.Values[0].Unit == "byte" {
					quotas = append(quotas, field{
						fmt.Sprintf("/contract/%d/product/%d/characteristic/%d/value/0/value", i, j, n),
						&ch.Values[0].Value,
					})
				}
			}
		}
	}
	f := pick(b.random, quotas)
	*f.value = pick(b.random, []string{"10GB", "N/A", "ilimitado", "1,5GB", "12 345 678", "-"})
	return f.pointer
}

// endBeforeStart makes a validFor end before its real start. Status
// histories are spared, so every current status stays what it was.
func (b *recordBuilder) endBeforeStart(c *customer) string {
	var periods []periodField
	add := func(pointer string, p *period) {
		if start, err := time.Parse(dateLayout, p.Start); err == nil && start.Year() > 1970 {
			periods = append(periods, periodField{pointer, p, start})
		}
	}
	for i, k := range c.Contracts {
		at := fmt.Sprintf("/contract/%d", i)
		for n, ch := range k.Characteristics {
			if ch.ValidFor != nil {
				add(fmt.Sprintf("%s/characteristic/%d/validFor", at, n), ch.ValidFor)
			}
		}
		for j, p := range k.Products {
			for n, ch := range p.Characteristics {
				if ch.ValidFor != nil {
					add(fmt.Sprintf("%s/product/%d/characteristic/%d/validFor", at, j, n), ch.ValidFor)
				}
			}
		}
		for n := range k.Roles {
			add(fmt.Sprintf("%s/relatedPartyInteractionRole/%d/validFor", at, n), &k.Roles[n].ValidFor)
		}
		for n := range k.HomeTimeZone {
			add(fmt.Sprintf("%s/homeTimeZone/%d/validFor", at, n), &k.HomeTimeZone[n].ValidFor)
		}
	}
	f := pick(b.random, periods)
	f.period.End = b.stamp(f.start.Add(-time.Second - time.Duration(b.Int64N(int64(400*24*time.Hour)))))
	return f.pointer
}

// duplicateMSISDN gives an active line the number of another. Line 0 keeps
// its own: the record is filed under it.
func (b *recordBuilder) duplicateMSISDN(c *customer) string {
	active := activeContracts(c)
	dup := pick(b.random, slices.DeleteFunc(slices.Clone(active), func(i int) bool { return i == 0 }))
	src := pick(b.random, slices.DeleteFunc(active, func(i int) bool { return i == dup }))
	r := msisdnResource(c.Contracts[dup])
	c.Contracts[dup].Resources[r].Number = c.Contracts[src].Resources[msisdnResource(c.Contracts[src])].Number
	return fmt.Sprintf("/contract/%d/resource/%d/resourceNumber", dup, r)
}

// miscountPlans leaves an active contract that holds a plan with none
// active, or two. (A family dependent holds none, rightly.)
func (b *recordBuilder) miscountPlans(c *customer) string {
	withPlan := slices.DeleteFunc(activeContracts(c), func(i int) bool {
		return !slices.ContainsFunc(c.Contracts[i].Products, func(p product) bool { return p.OfferingExternalID == offerPlan })
	})
	i := pick(b.random, withPlan)
	k := &c.Contracts[i]
	if b.chance(0.5) {
		for j := range k.Products {
			p := &k.Products[j]
			if p.OfferingExternalID == offerPlan && current(p.Status) == statusProductActive {
				p.Status = b.terminate(p.Status, b.lately(), statusProductInactive, statusProductTerminated)
			}
		}
	} else {
		extra := b.plan(pick(b.random, b.cat.plans[lineSingle]), b.between(b.now.AddDate(0, -1, 0), b.now.AddDate(0, 0, -1)), time.Time{}, true)
		extra.Prices = nil
		k.Products = append(k.Products, extra)
	}
	return fmt.Sprintf("/contract/%d", i)
}

// malformID garbles the id of an entity no other member refers to, so the
// fault stays one malformed id and leaves no dangling reference.
func (b *recordBuilder) malformID(c *customer) string {
	var ids []field
	for i, a := range c.Accounts {
		for n := range a.BillCycles {
			ids = append(ids, field{fmt.Sprintf("/account/%d/customerBillCycleSpecification/%d/id", i, n), &a.BillCycles[n].ID})
		}
	}
	for i, k := range c.Contracts {
		for j, p := range k.Products {
			at := fmt.Sprintf("/contract/%d/product/%d", i, j)
			switch p.OfferingExternalID {
			case offerProvider, offerExcess, offerTechnical: // named by sharing links
			default:
				ids = append(ids, field{at + "/id", &k.Products[j].ID})
			}
			for n, pr := range p.Prices {
				ids = append(ids, field{fmt.Sprintf("%s/price/%d/id", at, n), &p.Prices[n].ID})
				for m := range pr.Components {
					ids = append(ids, field{fmt.Sprintf("%s/price/%d/comprisedOf/%d/id", at, n, m), &pr.Components[m].ID})
				}
			}
		}
		for j := range k.Resources {
			ids = append(ids, field{fmt.Sprintf("/contract/%d/resource/%d/id", i, j), &k.Resources[j].ID})
		}
		for j, r := range k.Roles {
			if r.ID != "" {
				ids = append(ids, field{fmt.Sprintf("/contract/%d/relatedPartyInteractionRole/%d/id", i, j), &k.Roles[j].ID})
			}
		}
	}
	f := pick(b.random, ids)
	*f.value = b.malform(*f.value)
	return f.pointer
}

// malform returns a 32-hex-digit id broken the way ids break.
func (r random) malform(id string) string {
	switch r.IntN(5) {
	case 0:
		return id[:len(id)-1] // truncated
	case 1:
		return id + id[:1] // a digit too many
	case 2:
		i := r.IntN(len(id))
		return id[:i] + string(rune('G'+r.IntN(20))) + id[i+1:] // not hex
	case 3:
		return " " + id // padded
	default:
		return id[:8] + "-" + id[8:] // half a UUID
	}
}

// field is a string member of the model and its JSON pointer.
type field struct {
	pointer string
	value   *string
}

// periodField is a validFor of the model, its pointer and its start.
type periodField struct {
	pointer string
	period  *period
	start   time.Time
}

// current returns the current status of a generated history: the last.
func current(history []statusEntry) string {
	return history[len(history)-1].Status
}

func activeContracts(c *customer) []int {
	var active []int
	for i, k := range c.Contracts {
		if current(k.Status) == statusContractActive {
			active = append(active, i)
		}
	}
	return active
}

// msisdnResource returns the index of a contract's MSISDN resource.
func msisdnResource(k contract) int {
	return slices.IndexFunc(k.Resources, func(r resource) bool { return r.SpecEx == specMSISDN })
}

// lately returns an instant in the last day, after every generated date.
func (b *recordBuilder) lately() time.Time {
	return b.between(b.now.Add(-20*time.Hour), b.now.Add(-time.Hour))
}

// terminate ends a status history at t: the current entry closes and the
// terminated status follows, through the inactive one if there is one.
func (b *recordBuilder) terminate(history []statusEntry, t time.Time, inactive, terminated string) []statusEntry {
	history[len(history)-1].ValidFor.End = b.stamp(t)
	if inactive != "" {
		gone := b.after(t, 200*time.Millisecond)
		history = append(history, statusEntry{Status: inactive, ValidFor: period{Start: b.stamp(t), End: b.stamp(gone)}})
		t = gone
	}
	return append(history, statusEntry{Status: terminated, ValidFor: period{Start: b.stamp(t)}})
}

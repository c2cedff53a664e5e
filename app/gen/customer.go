package gen

import (
	"fmt"
	"strconv"
	"time"
)

// lineKind is the part a line (a contract) plays in its customer's plan.
type lineKind uint8

const (
	lineSingle    lineKind = iota // a postpaid line on its own, sharing with itself
	lineTitular                   // the postpaid line that heads a family plan
	lineDependent                 // a postpaid line sharing its titular's quota
	linePrepaid
)

type lineState uint8

const (
	stateActive   lineState = iota
	stateInactive           // suspended: production writes ContractInactive
	stateTerminated
)

// The status vocabulary of production records: the contract, product and
// resource statuses are the enums of the schema inferred from the 14,550
// production records; customers and billing accounts are active in every
// record seen.
const (
	statusCustomerActive     = "CustomerActive"
	statusAccountActive      = "BillingAccountActive"
	statusContractActive     = "ContractActive"
	statusContractInactive   = "ContractInactive"
	statusContractTerminated = "ContractTerminated"
	statusProductActive      = "ProductActive"
	statusProductInactive    = "ProductInactive"
	statusProductTerminated  = "ProductTerminated"
	statusResourceActive     = "ResourceActive"
	statusResourceInactive   = "ResourceInactive"
	statusResourceTerminated = "ResourceTerminated"
)

// Statuses returns every status value a clean record may hold.
func Statuses() []string {
	return []string{
		statusCustomerActive, statusAccountActive,
		statusContractActive, statusContractInactive, statusContractTerminated,
		statusProductActive, statusProductInactive, statusProductTerminated,
		statusResourceActive, statusResourceInactive, statusResourceTerminated,
	}
}

// maxLines is the most lines a customer has.
const maxLines = 6

// line is what the builder knows of one contract while it makes the record.
type line struct {
	kind  lineKind
	state lineState
	head  int // the line whose PROVIDER_MV this one draws on: itself, or its titular
	// start is the activation; end the suspension or termination, if any.
	start, end time.Time
	legacy     bool // migrated from an older system, with sentinel dates
	// moved says the line's group split from the first: its consumer
	// product, if it has one, ended on the first group's provider.
	moved  bool
	msisdn string

	contractID, contractExt string
	sharingGroup            string
	providerID              string           // of the PROVIDER_MV product, on head lines
	provider                *sharingProvider // its consumer list, filled as consumers are made
}

// terminatedAt returns when the line was terminated, or zero.
func (l *line) terminatedAt() time.Time {
	if l.state == stateTerminated {
		return l.end
	}
	return time.Time{}
}

// shape is what a record must have for a fault to be injected into it.
type shape struct {
	postpaid bool // sharing links and a billing account
	active   int  // at least this many active lines
}

// recordBuilder makes one record from its own random stream.
type recordBuilder struct {
	random
	cat   *catalog
	now   time.Time
	seq   int    // the record's index, which makes its MSISDNs unique
	salt  uint64 // varies MSISDNs with the seed
	lines []line
	cust  ref    // the customer
	acct  *ref   // the billing account, for postpaid customers
	buf   []byte // where the record is written
}

// customer makes a record that has what need asks for.
func (b *recordBuilder) customer(need shape) *customer {
	c := &customer{ID: b.id(), ExternalID: b.digits(9)}
	b.cust = ref{ID: c.ID, ExternalID: c.ExternalID}
	since := b.between(b.now.AddDate(-14, 0, 0), b.now.AddDate(-1, -2, 0))
	legacy := b.chance(0.5)
	start := b.stamp(since)
	if legacy {
		start = b.sentinelStart()
	}
	c.Status = []statusEntry{{Status: statusCustomerActive, ValidFor: period{Start: start}}}
	postpaid := need.postpaid || b.chance(0.8)
	// Every production customer has a billing account, prepaid ones too.
	c.Accounts = []account{b.account(c, since, legacy, postpaid)}
	b.lines = b.makeLines(postpaid, need.active, since)
	for i := range b.lines {
		c.Contracts = append(c.Contracts, b.contract(c, i))
	}
	for i := range c.Contracts {
		ps := c.Contracts[i].Products
		b.Shuffle(len(ps), func(x, y int) { ps[x], ps[y] = ps[y], ps[x] })
	}
	medium := contactMedium{
		Role:             "Notification",
		ValidFor:         period{Start: start},
		MediumID:         b.id(),
		MediumExternalID: "customerContactMediumExtId_" + c.ExternalID,
		Language:         "pt",
		Enabled:          true,
	}
	if b.chance(0.2) {
		off := b.between(since, b.now.AddDate(0, -1, 0))
		medium.DisabledPeriods = []period{{Start: b.stamp(off), End: b.stamp(b.after(off, 72*time.Hour))}}
	}
	c.ContactMedia = []contactMedium{medium}
	clientType := "PF"
	if b.chance(0.1) {
		clientType = "PJ"
	}
	c.Characteristics = []characteristic{b.char("clientType", start, clientType, "")}
	if b.chance(0.5) {
		c.RelatedPartyID = b.id()
		c.RelatedPartyExternalID = "customerPartyExternalId_" + c.ExternalID
	}
	c.HomeTimeZone = []timeZone{{Zone: "America/Sao_Paulo", ValidFor: period{Start: b.stamp(b.after(since, time.Hour))}}}
	return c
}

// billCycleDays are the bill cycles production customers are on.
var billCycleDays = []int{1, 5, 10, 15, 20, 24}

// account makes the customer's billing account; only a postpaid one is
// referred to by products and sharing providers.
func (b *recordBuilder) account(c *customer, since time.Time, legacy, postpaid bool) account {
	start := b.stamp(since)
	if legacy {
		start = b.sentinelStart()
	}
	day := pick(b.random, billCycleDays)
	spec, name := "BAS_ExternalId_Pospago", "Postpaid BA"
	if !postpaid {
		spec, name = "BAS_ExternalId_Prepago", "Prepaid BA"
	}
	a := account{
		ExternalID:     "billingAccountExtId_" + c.ExternalID,
		ID:             b.id(),
		SpecID:         b.cat.accountSpec,
		SpecExternalID: spec,
		Characteristics: []characteristic{
			b.char("customerTaxCategory", start, "12", ""),
			b.char("taxJurisdictionCode", start, pick(b.random, []string{"12", "12", "23"}), ""),
		},
		BillCycles: []billCycle{{
			ID:             b.id(),
			ExternalID:     "customerBillCycleExtId_" + c.ExternalID,
			SpecID:         b.cat.billCycleIDs[day-1],
			SpecExternalID: strconv.Itoa(day),
			ValidFor:       period{Start: start},
		}},
		Status: []statusEntry{{Status: statusAccountActive, ValidFor: period{Start: start}}},
	}
	if b.chance(0.5) {
		a.Names = []accountName{{Name: name, ValidFor: period{Start: b.stamp(since)}}}
	}
	if postpaid {
		b.acct = &ref{ID: a.ID, ExternalID: a.ExternalID}
	}
	return a
}

// makeLines decides the customer's lines: how many, their parts in family
// plans, their states and dates. Titulars and the first `active` lines are
// active; line 0 is the one the enquiry is about.
func (b *recordBuilder) makeLines(postpaid bool, active int, since time.Time) []line {
	// The odds of 1, 2, ... 6 lines, in percent.
	weights := [maxLines]int{70, 13, 7, 5, 3, 2}
	n := 1
	for roll := b.IntN(100); roll >= weights[n-1]; n++ {
		roll -= weights[n-1]
	}
	if !postpaid {
		n = min(n, 2)
	}
	n = max(n, active)
	// Some larger families split into two sharing groups, as in production.
	second, moved := -1, false
	if postpaid && n >= 3 && b.chance(0.3) {
		second = 1 + n/2
		// Half of them were one group before: the second group's consumers
		// still name the first provider, ended, and the second provider
		// has no consumer yet (the production family example).
		moved = b.chance(0.5)
	}
	lines := make([]line, n)
	for i := range lines {
		l := &lines[i]
		switch {
		case !postpaid:
			l.kind, l.head = linePrepaid, i
		case n == 1:
			l.kind, l.head = lineSingle, i
		case i == 0 || i == second:
			l.kind, l.head = lineTitular, i
		default:
			l.kind, l.head = lineDependent, lines[i-1].head
		}
		l.start = b.between(since, b.now.AddDate(0, -3, 0))
		l.legacy = b.chance(0.3)
		l.msisdn = b.msisdn(i)
		l.contractID, l.contractExt = b.id(), b.digits(9+b.IntN(2))
		l.moved = moved && l.head == second
		if l.head == i {
			l.sharingGroup = b.digits(10)
			l.providerID = b.id()
		} else {
			l.sharingGroup = lines[l.head].sharingGroup
		}
		if i >= max(active, 1) && l.kind != lineTitular {
			switch roll := b.Float64(); {
			case roll < 0.08:
				l.state = stateTerminated
			case roll < 0.12:
				l.state = stateInactive
			}
		}
		if l.state != stateActive {
			l.end = b.between(l.start.AddDate(0, 1, 0), b.now.AddDate(0, 0, -2))
		}
	}
	return lines
}

// msisdn returns the number of line i, unique across the records of a run:
// an invertible scramble of the line's serial number modulo 10^8.
func (b *recordBuilder) msisdn(i int) string {
	const mod = 100_000_000
	serial := uint64(b.seq)*maxLines + uint64(i)
	x := (serial*73_939_133 + b.salt) % mod
	return fmt.Sprintf("55%s9%08d", pick(b.random, b.cat.areaCodes), x)
}

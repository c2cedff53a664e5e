package gen

import (
	"strconv"
	"strings"
	"time"
)

// products makes line i's products: what a line of its kind holds now, then
// products it held before, terminated, up to 6 to 9 in all.
func (b *recordBuilder) products(c *customer, i int) []product {
	l := &b.lines[i]
	end := l.terminatedAt()
	var ps []product
	// A family dependent draws on its titular's plan and holds none itself.
	if plans := b.cat.plans[l.kind]; len(plans) > 0 {
		ps = append(ps, b.plan(pick(b.random, plans), l.start, end, l.kind != linePrepaid))
	}
	switch l.kind {
	case lineSingle, lineTitular:
		ps = append(ps, b.selfShared(c, l, offerExcess), b.provider(l))
		if !l.moved {
			ps = append(ps, b.consumer(c, i))
		}
		ps = append(ps,
			b.product(b.cat.simple[offerRatingGroup], l.start, end),
			b.product(b.cat.simple[offerSVA], l.start, end))
		apps, bonuses := b.cat.apps, 1+b.IntN(2)
		if l.kind == lineTitular {
			apps, bonuses = b.cat.mobility, b.IntN(2)
		}
		ps = append(ps, b.product(apps, b.after(l.start, time.Minute), end))
		for range bonuses {
			ps = append(ps, b.product(pick(b.random, b.cat.bonuses), b.after(l.start, 7*24*time.Hour), end))
		}
	case lineDependent:
		consumer := b.consumer
		if l.moved {
			consumer = b.endedConsumer
		}
		ps = append(ps,
			consumer(c, i),
			b.selfShared(c, l, offerExcess),
			b.product(b.cat.simple[offerRatingGroup], l.start, end),
			b.product(b.cat.simple[offerSVA], l.start, end))
		if b.chance(0.5) {
			ps = append(ps, b.selfShared(c, l, offerTechnical))
		}
		if b.chance(0.5) {
			ps = append(ps, b.product(b.cat.simple[offerExcessIndividual], l.start, end))
		}
	case linePrepaid:
		ps = append(ps,
			b.product(b.cat.mobility, b.after(l.start, time.Minute), end),
			b.product(b.cat.simple[offerRatingGroup], l.start, end),
			b.product(b.cat.simple[offerSVA], l.start, end),
			b.product(b.cat.simple[offerExcessIndividual], l.start, end))
		for range 1 + b.IntN(2) {
			ps = append(ps, b.product(pick(b.random, b.cat.prepaidBonuses), b.after(l.start, 7*24*time.Hour), end))
		}
	}
	for target := 6 + b.IntN(4); len(ps) < target; {
		ps = append(ps, b.former(l))
	}
	return ps
}

// product makes a product of offer o, active from start and, unless end is
// zero, terminated at end.
func (b *recordBuilder) product(o offer, start, end time.Time) product {
	p := product{
		OfferingID:         b.cat.offeringIDs[o.offering],
		OfferingExternalID: o.offering,
		ID:                 b.id(),
		ExternalID:         o.code + b.text(o.suffixAlphabet, o.suffixLen),
		Name:               o.name,
		Status:             b.lifetime(start, end, statusProductActive, statusProductInactive, statusProductTerminated),
	}
	// Production names many SVA products by their offering.
	if o.offering == offerSVA && b.chance(0.5) {
		p.Name = offerSVA
	}
	if o.gigabytes > 0 {
		p.Characteristics = b.quota(o.gigabytes, start, o.offering == offerPlan)
	}
	switch o.offering {
	case offerRatingGroup, offerSVA, offerTechnical:
	default:
		if b.acct != nil {
			r := *b.acct
			p.BillingRef = &r
		}
	}
	return p
}

// plan makes a FRANQUIA_PLANO product; some carry their price model, and
// postpaid ones the reason they were created.
func (b *recordBuilder) plan(o offer, start, end time.Time, postpaid bool) product {
	p := b.product(o, start, end)
	if postpaid {
		p.Status[0].Reason = pick(b.random, []string{
			"Criacao de cliente Pos-Pago - A pedido do cliente",
			"Criacao de cliente Pos-Pago - A pedido do cliente",
			"Ativacao de linha pos-pago - Migracao Controle para Pos-Pago",
		})
	}
	if quota, ok := initialValue(p); ok && b.chance(0.4) {
		p.Prices = b.planPrices(quota, b.stamp(start))
	}
	return p
}

// quota makes the byte-quota characteristics of a product.
func (b *recordBuilder) quota(gigabytes int, start time.Time, threshold bool) []characteristic {
	bytes := int64(gigabytes) << 30
	since, value := b.stamp(start), strconv.FormatInt(bytes, 10)
	cs := []characteristic{
		b.char("initialValue", since, value, "byte"),
		b.char("recurrenceValue", since, value, ""),
	}
	if threshold {
		cs = append(cs, b.char("threshold_80", since, strconv.FormatInt(bytes*8/10, 10), "byte"))
	}
	b.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
	return cs
}

// planPrices makes the two prices of a flexible plan, in the nested form the
// billing system writes: components whose actions refer to their siblings'
// characteristics by charSpecId.
func (b *recordBuilder) planPrices(quota, since string) []price {
	empty := []charValue{{}}
	ref := func(name string, values []charValue, sub ...characteristic) characteristic {
		return characteristic{SpecID: b.cat.charSpecIDs[name], Values: values, ComprisedOf: sub}
	}
	named := func(name string, values []charValue, sub ...characteristic) characteristic {
		c := ref(name, values, sub...)
		c.Name = name
		return c
	}
	dated := func(c characteristic) characteristic {
		c.ValidFor = &period{Start: since}
		return c
	}
	bytes := []charValue{{Value: quota, Unit: "byte"}}
	component := func(cs ...characteristic) priceComponent {
		return priceComponent{
			ID:                      b.id(),
			OfferingPriceID:         b.cat.priceIDs["Add_to_PB_with_No_RO"],
			OfferingPriceExternalID: "Add_to_PB_with_No_RO",
			Characteristics:         cs,
		}
	}
	priceOf := func(name string, c priceComponent) price {
		return price{ID: b.id(), ExternalID: name, OfferingPriceID: b.cat.priceIDs[name], OfferingPriceExternalID: name, Components: []priceComponent{c}}
	}
	return []price{
		priceOf("Franquia_Comp_Initial_Flex", component(
			named("addPBWithNoRO", empty),
			dated(named("valueWithUoM", bytes)),
			named("actions", empty,
				ref("addPBWithNoRO", empty, ref("valueWithUoM", bytes)),
				ref("set0ToPB", empty)),
			named("set0ToPB", empty),
			dated(named("Value", []charValue{{Value: "0", Unit: "byte"}})),
		)),
		priceOf("Franquia_Comp_Recurrence_Flex", component(
			named("actions", empty, ref("addPBWithNoRO", empty)),
			named("addPBWithNoRO", empty),
			dated(named("valueWithUoM", bytes)),
		)),
	}
}

// provider makes the PROVIDER_MV product of a head line; the consumers of
// its sharing group join its list as their CONSUMER_MV products are made.
func (b *recordBuilder) provider(l *line) product {
	p := b.product(b.cat.simple[offerProvider], l.start, l.terminatedAt())
	p.ID = l.providerID
	l.provider = &sharingProvider{BillingAccounts: []ref{*b.acct}}
	p.Provider = l.provider
	return p
}

// consumer makes the CONSUMER_MV product through which line i draws on its
// head's PROVIDER_MV.
func (b *recordBuilder) consumer(c *customer, i int) product {
	l := &b.lines[i]
	head := &b.lines[l.head]
	start := b.after(l.start, 5*time.Second)
	p := b.product(b.cat.simple[offerConsumer], start, l.terminatedAt())
	e := b.entry(c, l, "SC_"+strings.TrimPrefix(p.ExternalID, "SP_"), start)
	head.provider.Consumers = append(head.provider.Consumers, e)
	p.Consumer = b.link(c, head, head.providerID, e)
	return p
}

// endedConsumer makes the CONSUMER_MV through which line i drew on the
// first group's PROVIDER_MV before its group split off: ended, and its
// consumer-list entry gone with it.
func (b *recordBuilder) endedConsumer(c *customer, i int) product {
	l, first := &b.lines[i], &b.lines[0]
	start := b.after(l.start, 5*time.Second)
	until := b.now.AddDate(0, 0, -2)
	if end := l.terminatedAt(); !end.IsZero() {
		until = end
	}
	p := b.product(b.cat.simple[offerConsumer], start, b.between(start.Add(time.Hour), until))
	e := consumerEntry{ID: b.id(), ExternalID: "SC_" + strings.TrimPrefix(p.ExternalID, "SP_")}
	p.Consumer = b.link(c, first, first.providerID, e)
	return p
}

// selfShared makes a product that provides for its own line alone, as
// EXCEDENTE and TECHNICAL_I do.
func (b *recordBuilder) selfShared(c *customer, l *line, offering string) product {
	p := b.product(b.cat.simple[offering], l.start, l.terminatedAt())
	if offering == offerExcess && b.chance(0.5) {
		p.Name = "-"
	}
	e := b.entry(c, l, "Consumer_List_"+l.msisdn+"_"+p.ExternalID, l.start)
	p.Provider = &sharingProvider{BillingAccounts: []ref{*b.acct}, Consumers: []consumerEntry{e}}
	p.Consumer = b.link(c, l, p.ID, e)
	return p
}

// entry makes line l's entry in a provider's consumer list.
func (b *recordBuilder) entry(c *customer, l *line, externalID string, start time.Time) consumerEntry {
	e := consumerEntry{
		ExternalID:         externalID,
		ID:                 b.id(),
		CustomerID:         c.ID,
		CustomerExternalID: c.ExternalID,
		ContractID:         l.contractID,
		ContractExternalID: l.contractExt,
		ValidFor:           period{Start: b.stamp(start)},
	}
	if end := l.terminatedAt(); !end.IsZero() {
		e.ValidFor.End = b.stamp(end)
	}
	return e
}

// link makes the sharingConsumer of a product that draws on product
// providerID of line head through consumer-list entry e.
func (b *recordBuilder) link(c *customer, head *line, providerID string, e consumerEntry) *sharingConsumer {
	return &sharingConsumer{
		CustomerID:         c.ID,
		CustomerExternalID: c.ExternalID,
		ContractID:         head.contractID,
		ContractExternalID: head.contractExt,
		ProductID:          providerID,
		EntryID:            e.ID,
		EntryExternalID:    e.ExternalID,
	}
}

// former makes a product the line held before and has terminated: an older
// plan, bonus or technical product, or a sharing product whose consumer
// list is gone with it (its entry id then names nothing, as in production).
func (b *recordBuilder) former(l *line) product {
	p := b.formerProduct(l)
	p.former = true
	return p
}

func (b *recordBuilder) formerProduct(l *line) product {
	until := b.now.AddDate(0, 0, -2)
	if end := l.terminatedAt(); !end.IsZero() {
		until = end
	}
	start := b.between(l.start, until.Add(-time.Hour))
	end := b.between(start.Add(time.Minute), until)
	roll := b.IntN(5)
	if roll == 0 && l.kind == lineDependent {
		roll = 1 // a dependent never held a plan of its own
	}
	if roll == 4 && b.acct == nil {
		roll = 2 // prepaid lines share nothing
	}
	switch roll {
	case 0:
		return b.plan(pick(b.random, b.cat.plans[l.kind]), start, end, l.kind != linePrepaid)
	case 1:
		return b.product(b.cat.simple[offerRatingGroup], start, end)
	case 2:
		return b.product(b.cat.simple[offerExcessIndividual], start, end)
	case 3:
		bonuses := b.cat.bonuses
		if l.kind == linePrepaid {
			bonuses = b.cat.prepaidBonuses
		}
		return b.product(pick(b.random, bonuses), start, end)
	default:
		return b.formerShared(l, start, end)
	}
}

// formerShared makes a terminated EXCEDENTE or TECHNICAL_I: it provides for
// its own line still, with a billing account and no consumer list.
func (b *recordBuilder) formerShared(l *line, start, end time.Time) product {
	offering := pick(b.random, []string{offerExcess, offerTechnical})
	p := b.product(b.cat.simple[offering], start, end)
	if offering == offerTechnical {
		for i := 1; i < len(p.Status); i++ {
			p.Status[i].Reason = "CANS"
		}
	}
	p.Provider = &sharingProvider{BillingAccounts: []ref{*b.acct}}
	entry := "Consumer_List_" + l.msisdn + "_" + p.ExternalID
	p.Consumer = &sharingConsumer{
		CustomerID: b.cust.ID, CustomerExternalID: b.cust.ExternalID, ContractID: l.contractID, ContractExternalID: l.contractExt,
		ProductID: p.ID, EntryID: b.id(), EntryExternalID: entry,
	}
	return p
}

package gen

import (
	"strconv"
	"time"
)

// contract makes line i's contract, with its products, resources and roles.
func (b *recordBuilder) contract(c *customer, i int) contract {
	l := &b.lines[i]
	payment := "Postpaid"
	if l.kind == linePrepaid {
		payment = "Prepaid"
	}
	k := contract{
		ID:             l.contractID,
		ExternalID:     l.contractExt,
		PaymentContext: payment,
		Spec:           ref{ID: b.cat.contractSpec},
	}
	k.Characteristics = b.contractCharacteristics(l)
	k.Status = b.contractStatus(l)
	k.Products = b.products(c, i)
	k.Resources = b.resources(l)
	k.Roles = b.roles(c, l)
	zoneSince := b.stamp(b.after(l.start, time.Second))
	if l.legacy {
		zoneSince = b.sentinelStart() // migrated lines lost the date, as in production
	}
	k.HomeTimeZone = []timeZone{{Zone: b.zone(), ValidFor: period{Start: zoneSince}}}
	return k
}

// zone returns a line's home time zone: mostly São Paulo's, as in production.
func (b *recordBuilder) zone() string {
	if b.chance(0.8) {
		return "America/Sao_Paulo"
	}
	return pick(b.random, []string{"America/Bahia", "America/Belem", "America/Fortaleza", "America/Recife"})
}

func (b *recordBuilder) contractCharacteristics(l *line) []characteristic {
	start := b.stamp(l.start)
	category, classification := "pos", "Titular"
	switch l.kind {
	case linePrepaid:
		category, classification = "pre", ""
	case lineDependent:
		classification = "Dependente"
	}
	additional := "active"
	switch l.state {
	case stateInactive:
		additional = "suspended"
	case stateTerminated:
		additional = "inactive"
	}
	cs := []characteristic{
		b.char("clientRollover", start, pick(b.random, []string{"SemRollover", "SemRollover", "ComRollover"}), ""),
		b.char("clientQuota", start, pick(b.random, []string{"SemCota", "ComCota"}), ""),
		b.char("clientCategory", start, category, ""),
	}
	if classification != "" {
		cs = append(cs,
			b.char("sharingClassification", start, classification, ""),
			b.char("sharingGroupId", start, l.sharingGroup, ""))
	}
	if l.legacy {
		for _, flag := range []string{"clientPupInternetAvulsa", "clientPupIncentivo", "clientPupBlkPacoteAvulso", "clientPupCadastrado", "clientPupPublicitario"} {
			cs = append(cs, b.char(flag, start, strconv.Itoa(b.IntN(2)), ""))
		}
	} else {
		cs = append(cs,
			b.char("additionalStatus", start, additional, ""),
			b.char("CONTRACT_INITIAL_ACTIVATION_DATE", "", start, ""))
	}
	b.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
	return cs
}

// char makes a characteristic with one value; an empty start leaves out its validFor.
func (b *recordBuilder) char(name, start, value, unit string) characteristic {
	c := characteristic{SpecID: b.cat.charSpecIDs[name], Name: name, Values: []charValue{{Value: value, Unit: unit}}}
	if start != "" {
		c.ValidFor = &period{Start: start}
	}
	return c
}

// Contract status reasons, as production writes them.
const (
	reasonPrepaidMigration = "Ativacao de linha Pos-pago - Migracao Pre-pago para Pos-Pago"
	reasonControlMigration = "Ativacao de linha pos-pago - Migracao Controle para Pos-Pago"
	reasonCTM              = "CTM"
	reasonCancelled        = "Cancelamento de Linha - A pedido do cliente"
)

func (b *recordBuilder) contractStatus(l *line) []statusEntry {
	start := b.stamp(l.start)
	if l.legacy {
		start = b.sentinelStart()
	}
	active := statusEntry{Status: statusContractActive, ValidFor: period{Start: start}}
	// Most activations carry no reason; migrated postpaid lines say so.
	if !l.legacy && l.kind != linePrepaid && b.chance(0.3) {
		active.Reason = pick(b.random, []string{reasonControlMigration, reasonControlMigration, reasonPrepaidMigration})
	}
	if l.state == stateActive {
		return []statusEntry{active}
	}
	active.ValidFor.End = b.stamp(l.end)
	next := statusEntry{Status: statusContractInactive, ValidFor: period{Start: b.stamp(l.end)}}
	if b.chance(0.5) {
		next.Reason = reasonCTM
	}
	if l.state == stateTerminated {
		next = statusEntry{Status: statusContractTerminated, Reason: reasonCancelled, ValidFor: period{Start: b.stamp(l.end)}}
	}
	return []statusEntry{active, next}
}

func (b *recordBuilder) resources(l *line) []resource {
	end := l.terminatedAt()
	rs := []resource{b.resource(specMSISDN, l.msisdn, b.digits(11), l.start, end)}
	imsi := func() string { return "72410" + b.text("0123456789", 10) }
	// Some lines changed SIM card: the old IMSI is terminated.
	since := l.start
	if end.IsZero() && b.chance(0.2) {
		swap := b.between(since.Add(time.Hour), b.now.AddDate(0, 0, -2))
		old := imsi()
		rs = append(rs, b.resource(specIMSI, old, old, since, swap))
		since = swap
	}
	number := imsi()
	return append(rs, b.resource(specIMSI, number, number, since, end))
}

// resource makes a resource in use from start, terminated at end unless it is zero.
func (b *recordBuilder) resource(spec, number, externalID string, start, end time.Time) resource {
	r := resource{
		ID:         b.id(),
		ExternalID: externalID,
		Status:     b.lifetime(start, end, statusResourceActive, "", statusResourceTerminated),
		Number:     number,
		SpecID:     b.cat.resourceSpecs[spec],
		SpecEx:     spec,
		ValidFor:   period{Start: b.stamp(start)},
	}
	if !end.IsZero() {
		r.ValidFor.End = b.stamp(end)
	}
	return r
}

func (b *recordBuilder) roles(c *customer, l *line) []partyRole {
	holder := partyRole{
		PartyRoleID:         c.ID,
		PartyRoleExternalID: c.ExternalID,
		InteractionRole:     "LegalContractHolder",
		ValidFor:            period{Start: b.stamp(b.after(l.start, 2*time.Second))},
	}
	if b.chance(0.6) {
		holder.ID = b.id()
	}
	user := partyRole{
		ID:                  b.id(),
		PartyRoleID:         b.id(),
		PartyRoleExternalID: "userExtId_" + l.contractExt,
		InteractionRole:     "ContractUser",
		ValidFor:            period{Start: b.stamp(b.after(l.start, 3*time.Second)), End: sentinelEnd},
	}
	roles := []partyRole{holder, user}
	// Lines that changed hands keep their former users.
	former := 0
	if b.chance(0.15) {
		former = 1 + b.IntN(2)
	}
	for range former {
		from := b.between(l.start, b.now.AddDate(0, -2, 0))
		roles = append(roles, partyRole{
			ID:                  b.id(),
			PartyRoleID:         b.id(),
			PartyRoleExternalID: "userExtId_" + b.digits(9),
			InteractionRole:     "ContractUser",
			ValidFor:            period{Start: b.stamp(from), End: b.stamp(b.between(from, b.now.AddDate(0, -1, 0)))},
		})
	}
	return roles
}

// lifetime returns the status history of something active from start and,
// unless end is zero, ended then: through the inactive status, when there
// is one, as the source systems record it.
func (b *recordBuilder) lifetime(start, end time.Time, active, inactive, terminated string) []statusEntry {
	if end.IsZero() {
		return []statusEntry{{Status: active, ValidFor: period{Start: b.stamp(start)}}}
	}
	history := []statusEntry{{Status: active, ValidFor: period{Start: b.stamp(start), End: b.stamp(end)}}}
	if inactive != "" {
		gone := b.after(end, 200*time.Millisecond)
		history = append(history, statusEntry{Status: inactive, ValidFor: period{Start: b.stamp(end), End: b.stamp(gone)}})
		end = gone
	}
	return append(history, statusEntry{Status: terminated, ValidFor: period{Start: b.stamp(end)}})
}

package gen

// The record model mirrors the customer-enquiry documents member for member;
// each type writes its members in the order the source systems do. Empty
// strings and empty slices are left out of the document.

type customer struct {
	ID, ExternalID         string
	Status                 []statusEntry
	Accounts               []account
	Contracts              []contract
	ContactMedia           []contactMedium
	Characteristics        []characteristic
	RelatedPartyID         string
	RelatedPartyExternalID string
	HomeTimeZone           []timeZone
}

func (c *customer) fields(w *jsonWriter) {
	w.str("id", c.ID)
	w.str("externalId", c.ExternalID)
	objects(w, "status", c.Status)
	objects(w, "account", c.Accounts)
	objects(w, "contract", c.Contracts)
	objects(w, "contactMediumAssociation", c.ContactMedia)
	objects(w, "characteristic", c.Characteristics)
	w.opt("relatedPartyId", c.RelatedPartyID)
	w.opt("relatedPartyExternalId", c.RelatedPartyExternalID)
	objects(w, "homeTimeZone", c.HomeTimeZone)
}

// period is a validFor; an empty end is open.
type period struct{ Start, End string }

func (p *period) fields(w *jsonWriter) {
	w.opt("startDateTime", p.Start)
	w.opt("endDateTime", p.End)
}

type statusEntry struct {
	Reason, Status string
	ValidFor       period
}

func (s *statusEntry) fields(w *jsonWriter) {
	w.opt("reason", s.Reason)
	w.str("status", s.Status)
	w.object("validFor", &s.ValidFor)
}

type characteristic struct {
	SpecID, Name string
	ValidFor     *period
	Values       []charValue
	ComprisedOf  []characteristic
}

func (c *characteristic) fields(w *jsonWriter) {
	w.str("charSpecId", c.SpecID)
	w.opt("charSpecExternalId", c.Name)
	if c.ValidFor != nil {
		w.object("validFor", c.ValidFor)
	}
	objects(w, "value", c.Values)
	objects(w, "comprisedOf", c.ComprisedOf)
}

// charValue is one value of a characteristic; with neither member it is {}.
type charValue struct{ Value, Unit string }

func (v *charValue) fields(w *jsonWriter) {
	w.opt("value", v.Value)
	w.opt("unitOfMeasure", v.Unit)
}

type account struct {
	ExternalID, ID, SpecID, SpecExternalID string
	Characteristics                        []characteristic
	BillCycles                             []billCycle
	Names                                  []accountName
	Status                                 []statusEntry
}

func (a *account) fields(w *jsonWriter) {
	w.str("externalId", a.ExternalID)
	w.str("id", a.ID)
	w.str("billingAccountSpecId", a.SpecID)
	w.str("billingAccountSpecExternalId", a.SpecExternalID)
	objects(w, "characteristic", a.Characteristics)
	objects(w, "customerBillCycleSpecification", a.BillCycles)
	objects(w, "name", a.Names)
	objects(w, "status", a.Status)
}

type billCycle struct {
	ID, ExternalID, SpecID, SpecExternalID string
	ValidFor                               period
}

func (b *billCycle) fields(w *jsonWriter) {
	w.str("id", b.ID)
	w.str("externalId", b.ExternalID)
	w.str("billCycleSpecId", b.SpecID)
	w.str("billCycleSpecExternalId", b.SpecExternalID)
	w.object("validFor", &b.ValidFor)
}

type accountName struct {
	Name     string
	ValidFor period
}

func (n *accountName) fields(w *jsonWriter) {
	w.str("name", n.Name)
	w.object("validFor", &n.ValidFor)
}

type contract struct {
	ID, ExternalID, PaymentContext string
	Spec                           ref // contractSpecification
	Characteristics                []characteristic
	Status                         []statusEntry
	Products                       []product
	Resources                      []resource
	Roles                          []partyRole
	HomeTimeZone                   []timeZone
}

func (c *contract) fields(w *jsonWriter) {
	w.str("id", c.ID)
	w.str("externalId", c.ExternalID)
	w.object("contractSpecification", &c.Spec)
	w.str("paymentContext", c.PaymentContext)
	objects(w, "characteristic", c.Characteristics)
	objects(w, "status", c.Status)
	objects(w, "product", c.Products)
	objects(w, "resource", c.Resources)
	objects(w, "relatedPartyInteractionRole", c.Roles)
	objects(w, "homeTimeZone", c.HomeTimeZone)
}

type product struct {
	OfferingID, OfferingExternalID, ID, ExternalID, Name string
	Characteristics                                      []characteristic
	Status                                               []statusEntry
	Prices                                               []price
	Provider                                             *sharingProvider
	Consumer                                             *sharingConsumer
	BillingRef                                           *ref
	// former marks a product the line held before and no longer does,
	// which a record too large may do without; it is not written.
	former bool
}

func (p *product) fields(w *jsonWriter) {
	w.str("productOfferingId", p.OfferingID)
	w.str("productOfferingExternalId", p.OfferingExternalID)
	w.str("id", p.ID)
	w.str("externalId", p.ExternalID)
	w.opt("name", p.Name)
	objects(w, "characteristic", p.Characteristics)
	objects(w, "status", p.Status)
	objects(w, "price", p.Prices)
	if p.Provider != nil {
		w.object("sharingProvider", p.Provider)
	}
	if p.Consumer != nil {
		w.object("sharingConsumer", p.Consumer)
	}
	if p.BillingRef != nil {
		w.object("baRefForBillCycleAlignedRecurrence", p.BillingRef)
	}
}

// ref points at an entity by id and, when it has one, external id.
type ref struct{ ID, ExternalID string }

func (r *ref) fields(w *jsonWriter) {
	w.str("id", r.ID)
	w.opt("externalId", r.ExternalID)
}

type price struct {
	ID, ExternalID, OfferingPriceID, OfferingPriceExternalID string
	Components                                               []priceComponent
}

func (p *price) fields(w *jsonWriter) {
	w.str("id", p.ID)
	w.str("externalId", p.ExternalID)
	w.str("productOfferingPriceId", p.OfferingPriceID)
	w.str("productOfferingPriceExternalId", p.OfferingPriceExternalID)
	objects(w, "comprisedOf", p.Components)
}

type priceComponent struct {
	ID, OfferingPriceID, OfferingPriceExternalID string
	Characteristics                              []characteristic
}

func (c *priceComponent) fields(w *jsonWriter) {
	w.str("id", c.ID)
	w.str("productOfferingPriceId", c.OfferingPriceID)
	w.str("productOfferingPriceExternalId", c.OfferingPriceExternalID)
	objects(w, "characteristic", c.Characteristics)
}

type sharingProvider struct {
	BillingAccounts []ref
	Consumers       []consumerEntry
}

func (s *sharingProvider) fields(w *jsonWriter) {
	objects(w, "billingAccount", s.BillingAccounts)
	objects(w, "consumerList", s.Consumers)
}

type consumerEntry struct {
	ExternalID, ID                 string
	CustomerID, CustomerExternalID string
	ContractID, ContractExternalID string
	ValidFor                       period
}

func (e *consumerEntry) fields(w *jsonWriter) {
	w.str("externalId", e.ExternalID)
	w.str("id", e.ID)
	w.str("consumerCustomerId", e.CustomerID)
	w.str("consumerCustomerExternalId", e.CustomerExternalID)
	w.str("consumerContractId", e.ContractID)
	w.str("consumerContractExternalId", e.ContractExternalID)
	w.object("validFor", &e.ValidFor)
}

type sharingConsumer struct {
	CustomerID, CustomerExternalID string
	ContractID, ContractExternalID string
	ProductID                      string
	EntryID, EntryExternalID       string
}

func (s *sharingConsumer) fields(w *jsonWriter) {
	w.str("providerCustomerId", s.CustomerID)
	w.str("providerCustomerExternalId", s.CustomerExternalID)
	w.str("providerContractId", s.ContractID)
	w.str("providerContractExternalId", s.ContractExternalID)
	w.str("providerProductId", s.ProductID)
	w.str("consumerListEntryId", s.EntryID)
	w.str("consumerListEntryExternalId", s.EntryExternalID)
}

type resource struct {
	ID, ExternalID         string
	Status                 []statusEntry
	Number, SpecID, SpecEx string
	ValidFor               period
}

func (r *resource) fields(w *jsonWriter) {
	w.str("id", r.ID)
	w.str("externalId", r.ExternalID)
	objects(w, "status", r.Status)
	w.str("resourceNumber", r.Number)
	w.str("resourceSpecificationId", r.SpecID)
	w.str("resourceSpecificationExternalId", r.SpecEx)
	w.object("validFor", &r.ValidFor)
}

type partyRole struct {
	ID, PartyRoleID, PartyRoleExternalID, InteractionRole string
	ValidFor                                              period
}

func (r *partyRole) fields(w *jsonWriter) {
	w.opt("id", r.ID)
	w.str("partyRoleId", r.PartyRoleID)
	w.str("partyRoleExternalId", r.PartyRoleExternalID)
	w.str("interactionRole", r.InteractionRole)
	w.object("validFor", &r.ValidFor)
}

type contactMedium struct {
	Role                       string
	ValidFor                   period
	MediumID, MediumExternalID string
	Language                   string
	Enabled                    bool
	DisabledPeriods            []period
}

func (c *contactMedium) fields(w *jsonWriter) {
	w.str("contactRole", c.Role)
	w.object("validFor", &c.ValidFor)
	w.str("contactMediumId", c.MediumID)
	w.str("contactMediumExternalId", c.MediumExternalID)
	w.str("language", c.Language)
	w.boolean("enabled", c.Enabled)
	objects(w, "disabledDateTimePeriod", c.DisabledPeriods)
}

type timeZone struct {
	Zone     string
	ValidFor period
}

func (z *timeZone) fields(w *jsonWriter) {
	w.str("timeZone", z.Zone)
	w.object("validFor", &z.ValidFor)
}

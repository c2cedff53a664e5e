package gen

// Offering external ids, as the source systems name them.
const (
	offerPlan             = "FRANQUIA_PLANO"
	offerBonus            = "BONUS"
	offerApps             = "WHTP"
	offerMobility         = "MOBILITY"
	offerRatingGroup      = "PO_T_TECHNICAL_RG_FREE_DIARIO"
	offerSVA              = "PO_ExtId_SVA"
	offerExcess           = "EXCEDENTE"
	offerExcessIndividual = "EXCEDENTE_I"
	offerTechnical        = "TECHNICAL_I"
	offerProvider         = "PROVIDER_MV"
	offerConsumer         = "CONSUMER_MV"
)

// Resource specifications.
const (
	specMSISDN = "LrsExtId_MSISDN"
	specIMSI   = "LrsExtId_IMSI"
)

// offer is one kind of product a line can hold: its name and how its product
// external ids are made (code, then a random suffix of suffixLen characters
// from suffixAlphabet).
type offer struct {
	offering       string
	name           string
	code           string
	suffixLen      int
	suffixAlphabet string
	gigabytes      int // byte quota, 0 for none
}

// catalog is the operator's catalogue: the ids of offerings and
// specifications are the same in every record, as they are in production.
type catalog struct {
	offeringIDs   map[string]string // offering → productOfferingId
	charSpecIDs   map[string]string // characteristic name → charSpecId
	priceIDs      map[string]string // productOfferingPriceExternalId → id
	billCycleIDs  []string          // bill cycle day - 1 → billCycleSpecId
	contractSpec  string
	accountSpec   string
	resourceSpecs map[string]string
	areaCodes     []string // Brazilian DDDs

	// Plans by line kind; every active line but a family dependent has
	// exactly one active plan.
	plans map[lineKind][]offer
	// Bonuses and unlimited-apps packages by payment.
	bonuses, prepaidBonuses []offer
	apps, mobility          offer
	simple                  map[string]offer // the other offerings
}

// newCatalog builds the catalogue from a fixed seed, so every generated
// corpus shares it.
func newCatalog() *catalog {
	r := newRandom(0x5eed, 0xca7a1096)
	c := &catalog{
		offeringIDs:   make(map[string]string),
		charSpecIDs:   make(map[string]string),
		priceIDs:      make(map[string]string),
		contractSpec:  r.uuid(),
		accountSpec:   r.uuid(),
		resourceSpecs: map[string]string{specMSISDN: r.uuid(), specIMSI: r.uuid()},
		areaCodes:     []string{"11", "21", "31", "41", "47", "51", "61", "62", "71", "79", "81", "85", "91", "92"},
	}
	for _, o := range []string{offerPlan, offerBonus, offerApps, offerMobility, offerRatingGroup, offerSVA,
		offerExcess, offerExcessIndividual, offerTechnical, offerProvider, offerConsumer} {
		c.offeringIDs[o] = r.uuid()
	}
	for _, name := range []string{"clientRollover", "clientQuota", "clientCategory", "sharingClassification",
		"additionalStatus", "sharingGroupId", "CONTRACT_INITIAL_ACTIVATION_DATE", "clientPupInternetAvulsa",
		"clientPupIncentivo", "clientPupBlkPacoteAvulso", "clientPupCadastrado", "clientPupPublicitario",
		"customerTaxCategory", "taxJurisdictionCode", "clientType", "initialValue", "recurrenceValue",
		"threshold_80", "addPBWithNoRO", "valueWithUoM", "actions", "set0ToPB", "Value"} {
		c.charSpecIDs[name] = r.specID()
	}
	for _, name := range []string{"Franquia_Comp_Initial_Flex", "Franquia_Comp_Recurrence_Flex", "Add_to_PB_with_No_RO"} {
		c.priceIDs[name] = r.specID()
	}
	for range 28 {
		c.billCycleIDs = append(c.billCycleIDs, r.uuid())
	}
	const decimal, letters = "0123456789", alnum
	plan := func(name, code string, gb int) offer {
		return offer{offering: offerPlan, name: name, code: code, gigabytes: gb}
	}
	c.plans = map[lineKind][]offer{
		lineSingle: {
			plan("Vivo Pos Basico 25GB", "TVIVOSLFBAS10GB", 25),
			plan("Vivo Pos 50GB", "TVIVOPOS50GBN", 50),
			plan("Vivo Pos 100GB", "TVIVOPOS100GBN", 100),
			plan("Vivo Pos Premium 150GB", "TVIVOPOSPREM150", 150),
		},
		lineTitular: {
			plan("Vivo Familia 100GB", "TITVIVOFAM30GBN", 100),
			plan("Vivo Familia 150GB", "TITVIVOFAM50GBN", 150),
			plan("Vivo Familia 200GB", "TITVIVOFAM70GBN", 200),
		},
		// A dependent line shares its titular's quota and holds no plan.
		linePrepaid: {
			plan("Vivo Pre Turbo 8GB", "PREVIVOTURBO8GB", 8),
			plan("Vivo Pre 4GB", "PREVIVO4GB", 4),
			plan("Vivo Pre Diario", "PREVIVODIARIO", 1),
		},
	}
	c.bonuses = []offer{
		{offering: offerBonus, name: "Bônus Conta Digital", code: "BNCTADIG100MB00", suffixLen: 5, suffixAlphabet: letters, gigabytes: 9},
		{offering: offerBonus, name: "BONUS 15GB POS - 12M", code: "BONUS15GB12MPOS", suffixLen: 5, suffixAlphabet: letters, gigabytes: 72},
	}
	c.prepaidBonuses = []offer{
		{offering: offerBonus, name: "Bônus Recarga 2GB", code: "BNRECARGA2GB00", suffixLen: 5, suffixAlphabet: letters, gigabytes: 2},
		{offering: offerBonus, name: "Bônus Conta Digital", code: "BNCTADIG100MB00", suffixLen: 5, suffixAlphabet: letters, gigabytes: 9},
	}
	c.apps = offer{offering: offerApps, name: "APPS ILIMITADOS POS", code: "000WPPILIMITADO", suffixLen: 5, suffixAlphabet: letters, gigabytes: 732}
	c.mobility = offer{offering: offerMobility, name: "APPS ILIMITADOS", code: "APPFACILIDADE_1", suffixLen: 5, suffixAlphabet: letters, gigabytes: 680}
	c.simple = map[string]offer{
		offerRatingGroup:      {offering: offerRatingGroup, name: "PO Tecnica para Rating Group Free Diario", code: "POTRGFREE", suffixLen: 13, suffixAlphabet: decimal},
		offerSVA:              {offering: offerSVA, name: "PO SVA", code: "PO_ExtId_SVA"},
		offerExcess:           {offering: offerExcess, name: "PO Excedente Compartilhado", code: "ECDT", suffixLen: 13, suffixAlphabet: decimal},
		offerExcessIndividual: {offering: offerExcessIndividual, name: "PO Excedente Individual", code: "ECDTI", suffixLen: 13, suffixAlphabet: decimal},
		offerTechnical:        {offering: offerTechnical, name: "PO Technical", code: "TECHI", suffixLen: 13, suffixAlphabet: decimal},
		offerProvider:         {offering: offerProvider, name: "PO Provider", code: "PRVMV", suffixLen: 13, suffixAlphabet: decimal},
		offerConsumer:         {offering: offerConsumer, code: "SP_", suffixLen: 13, suffixAlphabet: decimal},
	}
	return c
}

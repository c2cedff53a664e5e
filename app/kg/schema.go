package kg

import "strings"

// What the builder knows of the customer-enquiry schema. Everything else is
// generic: an object with a string id is an entity, any other object is
// flattened into dotted predicates of the entity around it.

// Predicates the builder derives rather than copies from a member.
const (
	// PredType holds an entity's type: type(e, 'contract').
	PredType = "type"
	// PredStatus holds an entity's current status: status(e, 'ContractActive').
	PredStatus = "status"
	// PredCharacteristic names each characteristic an entity carries.
	PredCharacteristic = "characteristic"
	// PredDangling repeats each reference to an id the record does not
	// define: dangling(e, id), with the reference's pointer.
	PredDangling = "dangling"
	// PredMSISDN links a contract to each of its MSISDN resources:
	// msisdn(contract, resource), with the resource's pointer. A line's
	// number is one resource among its IMSIs; the edge lets learners say
	// that a contract has one without a rule over two facts.
	PredMSISDN = "msisdn"
)

// MSISDNSpec is the resourceSpecificationExternalId of a line's phone number.
const MSISDNSpec = "LrsExtId_MSISDN"

// entityType names an entity's type after the key it sits under.
func entityType(key string) string {
	switch key {
	case "customerBillCycleSpecification":
		return "billCycle"
	case "relatedPartyInteractionRole":
		return "partyRole"
	case "consumerList":
		return "consumerListEntry"
	case "comprisedOf":
		return "priceComponent"
	default: // account, contract, product, resource, price, ...
		return key
	}
}

// isReferenceField reports whether a member holds the id of another entity of
// the same record. contactMediumId and relatedPartyId are not references: an
// enquiry never carries the entities they name.
func isReferenceField(key string) bool {
	switch key {
	case "partyRoleId",
		"consumerCustomerId", "consumerContractId", "consumerListEntryId",
		"providerCustomerId", "providerContractId", "providerProductId":
		return true
	}
	return false
}

// isReferenceObject reports whether objects under key point at an entity of
// the record ({id, externalId}) rather than define one.
func isReferenceObject(key string) bool {
	return key == "baRefForBillCycleAlignedRecurrence" || key == "billingAccount"
}

// isCatalogObject reports whether objects under key name a catalog entry,
// which no record defines: they are flattened like objects without an id.
func isCatalogObject(key string) bool {
	return key == "contractSpecification"
}

// isCatalogField reports whether a member names a catalog entry: the same
// offering or specification recurs across records, so it is categorical
// although it looks like an id.
func isCatalogField(key string) bool {
	switch key {
	case "productOfferingId", "productOfferingExternalId",
		"productOfferingPriceId", "productOfferingPriceExternalId",
		"charSpecId", "charSpecExternalId",
		"billingAccountSpecId", "billingAccountSpecExternalId",
		"billCycleSpecId", "billCycleSpecExternalId",
		"resourceSpecificationId", "resourceSpecificationExternalId",
		"contractSpecification.id":
		return true
	}
	return false
}

// isIdentifierField reports whether a member holds an identifier, which is
// unique to an entity whatever it looks like.
func isIdentifierField(key string) bool {
	return key == "externalId" || strings.HasSuffix(key, "ExternalId") || key == "resourceNumber"
}

// isDerived reports whether pred is one the builder derives, which a
// characteristic must not shadow.
func isDerived(pred string) bool {
	switch pred {
	case PredType, PredStatus, PredCharacteristic, PredDangling, PredMSISDN:
		return true
	}
	return false
}

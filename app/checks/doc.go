// Package checks evaluates expression checks over a record's JSON: the
// numbers, dates and counts that Horn rules cannot express.
//
// A check targets a kind of object and holds an expr-lang expression that
// must be true for every object of that kind in the record:
//
//	checks:
//	  - id: plan-product-count
//	    category: plan_product_count
//	    confidence: 0.99
//	    description: An active contract has exactly one active plan product.
//	    target: contract
//	    expr: '!isActive(this) || activeProducts(this, "FRANQUIA_PLANO") == 1'
//
// # Targets
//
// An object's kind is the key it sits under, array or not: every element of
// "contract" is a contract, every "validFor" a validFor, every element of a
// "status" history a status. The record itself is "customer", and "entity"
// is any object with an "id" member.
//
// # What an expression sees
//
//	this          the target object
//	parent        the object that holds it (a product's contract), or nil
//	parentEntity  the nearest enclosing object with an id, or nil
//	root          the record
//	pointer       this's RFC 6901 JSON pointer
//
// and these helpers, besides expr's builtins:
//
//	currentStatus(x) string    the status of x's status history that holds
//	                           at evaluation time: among entries whose validFor
//	                           covers it the latest to start, else the latest
//	                           to start; sentinel or missing dates are open
//	                           ends (the same rule as kg's status facts)
//	isActive(x) bool           currentStatus(x) ends in "Active"
//	activeProducts(c, prefix) int
//	                           c's active products whose
//	                           productOfferingExternalId starts with prefix
//	activeLinesWithMsisdn(n) int
//	                           active contracts of the record holding an
//	                           active MSISDN resource numbered n
//	characteristic(x, name)    the first value of x's characteristic whose
//	                           charSpecExternalId is name, or nil
//	isSentinel(date) bool      a placeholder date: 1970-01-01 or 9999-12-31
//	endsBeforeStart(v) bool    validFor v ends before it starts; a missing,
//	                           sentinel or unreadable date never does
//	isNumber(v) bool           a JSON number or a decimal number string
//	isId(v) bool               32 hex digits or a UUID
//
// Checks are compiled once, type-checked against this environment; a Set is
// immutable and safe for concurrent use.
package checks

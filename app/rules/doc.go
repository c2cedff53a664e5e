// Package rules checks a record's knowledge graph against Horn rules.
//
// A rule reads "head <= body": for every way of binding the body's variables
// to facts of the graph, the head must be a fact too. Each binding for which
// it is not is a violation. Atoms are binary, predicate(subject, object):
//
//	product(A,B) <= status(A,'ContractActive')
//	status(A,'suspended') <= status(B,'BARRED'), paymentMethod(A,B)
//
// A variable is one uppercase letter optionally followed by digits (A, X, B12),
// the way AnyBURL writes them. Everything else is a constant: quoted strings
// ('ContractActive' or "ContractActive") and bare tokens alike, so an uppercase
// hex id such as A4C123B1612DD272D1371C17149D4395 is a constant.
//
// Semantics, chosen to match the AnyBURL rules the original system learned:
//   - Object identity: distinct variables bind distinct values, and no
//     variable binds a constant of the body.
//   - A head variable that does not occur in the body is existential:
//     product(A,B) <= status(A,'ContractActive') asks that an active contract
//     has some product.
//   - A rule whose body never matches a record is "not applicable" to it,
//     which is different from "satisfied".
//   - A rule with an empty body states a fact, not a check; parsers skip it
//     with a note.
//
// Rules come from JSON ({"Category": [{"id", "confidence", "description",
// "pattern"}]}) or from AnyBURL's TSV output (predictions, correct, confidence,
// rule). [Compile] merges duplicates (equal up to variable renaming and body
// order) and turns the rules into an immutable [Set] that evaluates a graph
// with indexed joins.
package rules

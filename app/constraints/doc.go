// Package constraints learns and checks what single-head Horn rules cannot
// say of the records: how many edges of a kind an entity has (cardinality:
// exactly one active plan per active titular line), whether it has a
// relation at all (presence: an active contract has an MSISDN), that a
// value is not shared within a record (uniqueness: a number on one line),
// and the shapes and vocabulary of a relation's values (format, domain),
// as data-quality tools profile columns.
//
// A constraint binds the entities of one type that have its conditions
// (their current status and at most one other categorical fact). It is
// learned from a corpus taken to be correct when it held for every entity
// it bound, bound enough of them, and is no chance (entities without its
// conditions break it often enough that so many with them keeping it is
// unlikely); then every candidate is checked on records held out of
// learning and dropped if one breaks it. A set is a JSON document,
// versioned, linted and activated like rule sets (knowledge kind
// "constraints").
package constraints

// Package testkit holds what PFF's tests and benchmarks share: a settable
// clock, CPU-time readings for measuring on a shared machine, and two real
// production records with the schema of the production corpus.
package testkit

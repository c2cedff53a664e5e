// Package testkit holds what PFF's tests and benchmarks share: a settable
// clock and CPU-time readings for measuring on a shared machine.
package testkit

//go:build race

package e2e

// raceEnabled: the race detector slows everything and changes memory, so
// the tests of time and memory budgets skip under it (make test runs them
// again without it).
const raceEnabled = true

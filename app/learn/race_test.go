//go:build race

package learn_test

// raceEnabled: the race detector multiplies memory, so memory budgets do
// not apply.
const raceEnabled = true

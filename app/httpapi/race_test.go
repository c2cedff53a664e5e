//go:build race

package httpapi

// raceEnabled: the race detector slows everything, so timings are not held to.
const raceEnabled = true

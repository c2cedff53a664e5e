//go:build race

package mine

// raceEnabled: the race detector slows the large tests tenfold.
const raceEnabled = true

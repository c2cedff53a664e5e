package embed

// prefetchRow hints that the n floats at p are about to be read.
//
//go:noescape
func prefetchRow(p *float32, n int)

// prefetch asks for row to be loaded into the caches while other work goes
// on. Training reads the rows of random entities, which are rarely cached:
// waiting for them one after the other, a distance spent most of its time
// on memory latency rather than arithmetic.
func prefetch(row []float32) {
	if len(row) > 0 {
		prefetchRow(&row[0], len(row))
	}
}

package executions

import "math/rand/v2"

// randomFloat draws retry jitter; math/rand/v2's top-level functions are
// safe for concurrent use and need no seeding.
func randomFloat() float64 { return rand.Float64() } // #nosec G404 -- jitter, not a secret

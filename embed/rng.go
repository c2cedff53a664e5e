package embed

import "math/bits"

// rng is SplitMix64 (Steele, Lea and Flood 2014): fast, statistically sound
// for sampling, and its whole state is one word, which makes checkpointing
// the generator trivial.
type rng struct{ state uint64 }

func newRNG(seed uint64) rng { return rng{state: seed} }

func (r *rng) uint64() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a uniform int in [0, n), n > 0, by Lemire's multiply-shift
// method with rejection of the biased low range.
func (r *rng) intn(n int) int {
	hi, lo := bits.Mul64(r.uint64(), uint64(n))
	if lo < uint64(n) {
		threshold := -uint64(n) % uint64(n)
		for lo < threshold {
			hi, lo = bits.Mul64(r.uint64(), uint64(n))
		}
	}
	return int(hi)
}

// float32 returns a uniform float32 in [0, 1).
func (r *rng) float32() float32 {
	return float32(r.uint64()>>40) * (1.0 / (1 << 24))
}

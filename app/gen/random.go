package gen

import (
	"math/rand/v2"
	"time"
)

// dateLayout is how the source systems write instants: milliseconds and the
// offset of America/Sao_Paulo.
const dateLayout = "2006-01-02T15:04:05.000-07:00"

// sentinelEnd is the placeholder date the source systems write for "forever".
const sentinelEnd = "9999-12-31T12:00:00.000Z"

// random draws the pieces of a record from one seeded stream.
type random struct {
	*rand.Rand
	zone *time.Location
}

func newRandom(seed, stream uint64) random {
	return random{
		Rand: rand.New(rand.NewPCG(seed, stream)), // #nosec G404 -- seeded on purpose: the same seed gives the same records
		zone: time.FixedZone("", -3*60*60),
	}
}

const (
	upperHex = "0123456789ABCDEF"
	lowerHex = "0123456789abcdef"
	alnum    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// id returns a 32-character upper-case hex id, as entities carry.
func (r random) id() string { return r.text(upperHex, 32) }

// specID returns a 32-character lower-case hex id, as catalog entries carry.
func (r random) specID() string { return r.text(lowerHex, 32) }

// uuid returns a random (version 4) UUID.
func (r random) uuid() string {
	b := []byte(r.text(lowerHex, 32))
	b[12] = '4'
	b[16] = "89ab"[r.IntN(4)]
	return string(b[:8]) + "-" + string(b[8:12]) + "-" + string(b[12:16]) + "-" + string(b[16:20]) + "-" + string(b[20:])
}

// digits returns n random decimal digits, the first not zero.
func (r random) digits(n int) string {
	b := []byte(r.text("0123456789", n))
	b[0] = byte('1' + r.IntN(9))
	return string(b)
}

// text returns n characters drawn from alphabet.
func (r random) text(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// chance reports true with probability p.
func (r random) chance(p float64) bool { return r.Float64() < p }

// between returns an instant in [from, to), to the millisecond.
func (r random) between(from, to time.Time) time.Time {
	span := to.Sub(from).Milliseconds()
	if span <= 0 {
		return from
	}
	return from.Add(time.Duration(r.Int64N(span)) * time.Millisecond)
}

// after returns an instant up to d after t.
func (r random) after(t time.Time, d time.Duration) time.Time {
	return r.between(t, t.Add(d))
}

func (r random) stamp(t time.Time) string { return t.In(r.zone).Format(dateLayout) }

// sentinelStart returns a "since ever" date: 1970-01-01 late in the evening,
// as legacy migrations wrote it.
func (r random) sentinelStart() string {
	return r.stamp(time.Date(1970, 1, 1, 22+r.IntN(2), r.IntN(60), 59, 0, r.zone))
}

// pick returns a random element of items, which must not be empty.
func pick[T any](r random, items []T) T { return items[r.IntN(len(items))] }

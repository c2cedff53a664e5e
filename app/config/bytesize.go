package config

import (
	"fmt"
	"strconv"
	"strings"
)

// ByteSize is a size in bytes, written in configuration as a number with an
// optional unit: 512, 64KiB, 10MiB, 1GiB (or the decimal KB, MB, GB).
type ByteSize int64

var byteUnits = []struct {
	suffix string
	size   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
}

// UnmarshalText parses a size such as "10MiB".
func (b *ByteSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	multiplier := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, multiplier = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.size
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/multiplier {
		return fmt.Errorf("%q is not a size such as 10MiB", text)
	}
	*b = ByteSize(n * multiplier)
	return nil
}

// String writes the size in the largest binary unit that divides it.
func (b ByteSize) String() string {
	for i := 2; i >= 0; i-- {
		u := byteUnits[i]
		if b != 0 && int64(b)%u.size == 0 {
			return strconv.FormatInt(int64(b)/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

// MarshalText writes the size as String does, so `pff config` prints "10MiB".
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

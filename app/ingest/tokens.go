package ingest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// str reads a string, buf[pos] being its opening quote.
func (s *scanner) str() error {
	start := s.offset()
	s.pos++
	for {
		buf := s.buf
		i := s.pos + plainRun(buf[s.pos:])
		s.pos = i
		if i == len(buf) {
			if err := s.stringLength(start); err != nil {
				return err
			}
			if err := s.more(); err != nil {
				return s.endError(err, "in string")
			}
			continue
		}
		var err error
		switch c := buf[i]; {
		case c == '"':
			s.pos++
			return s.stringLength(start)
		case c == '\\':
			err = s.escape()
		case c < 0x20:
			err = s.errorf("control character %s in string", quoteByte(c))
		default:
			err = s.utf8Rune()
		}
		if err != nil {
			return err
		}
	}
}

// plainRun returns the length of the run of plain string content at the
// start of b: printable ASCII but '"' and '\\'. It tests eight bytes at a
// time, strings being most of a record.
func plainRun(b []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		quote, backslash := x^('"'*ones), x^('\\'*ones)
		// Each term is non-zero when some byte is below 0x20, non-ASCII, a
		// quote, a backslash (the classic "has a zero byte" trick).
		if ((x-0x20*ones)|x|(quote-ones)&^quote|(backslash-ones)&^backslash)&highs != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			break
		}
	}
	return i
}

// stringLength checks the string that starts at offset start, its quotes
// not counted.
func (s *scanner) stringLength(start int64) error {
	if n := s.offset() - start - 2; n > int64(s.limits.MaxStringLength) {
		return s.errorAt(start, "string longer than %d bytes (MaxStringLength)", s.limits.MaxStringLength)
	}
	return nil
}

// escape reads an escape sequence in a string. It refuses \u0000 and
// unpaired surrogates, which PostgreSQL's jsonb cannot store.
func (s *scanner) escape() error {
	if err := s.ensure(2); err != nil {
		return s.endError(err, "in string")
	}
	switch s.buf[s.pos+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.pos += 2
		return nil
	case 'u':
	default:
		return s.errorf("invalid escape %s in string", quoteByte(s.buf[s.pos+1]))
	}
	if err := s.ensure(6); err != nil {
		return s.endError(err, "in string")
	}
	r, ok := hex4(s.buf[s.pos+2 : s.pos+6])
	switch {
	case !ok:
		return s.errorf("invalid \\u escape in string")
	case r == 0:
		return s.errorf("\\u0000 in string (jsonb cannot store it)")
	case utf16IsLow(r):
		return s.errorf("unpaired surrogate \\u%04x in string", r)
	case !utf16IsHigh(r):
		s.pos += 6
		return nil
	}
	if err := s.ensure(12); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if rest := s.buf[s.pos+6:]; len(rest) >= 6 && rest[0] == '\\' && rest[1] == 'u' {
		if low, ok := hex4(rest[2:6]); ok && utf16IsLow(low) {
			s.pos += 12
			return nil
		}
	}
	return s.errorf("unpaired surrogate \\u%04x in string", r)
}

func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func utf16IsHigh(r rune) bool { return r >= 0xD800 && r < 0xDC00 }
func utf16IsLow(r rune) bool  { return r >= 0xDC00 && r < 0xE000 }

// utf8Rune reads one multi-byte UTF-8 sequence in a string.
func (s *scanner) utf8Rune() error {
	if err := s.ensure(utf8.UTFMax); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	r, size := utf8.DecodeRune(s.buf[s.pos:])
	if r == utf8.RuneError && size <= 1 {
		return s.errorf("invalid UTF-8 in string")
	}
	s.pos += size
	return nil
}

// literal reads true, false or null.
func (s *scanner) literal(word string) error {
	if err := s.ensure(len(word)); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if !bytes.HasPrefix(s.buf[s.pos:], []byte(word)) {
		return s.errorf("invalid literal, expected %s", word)
	}
	s.pos += len(word)
	return nil
}

// Bounds on numbers, so that every number fits PostgreSQL's numeric.
const (
	maxNumberLength   = 100
	maxExponentDigits = 4
)

// number reads a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	start := s.offset()
	s.optional("-")
	if s.optional("0") == 0 && s.digits() == 0 {
		return s.errorf("invalid number")
	}
	if s.optional(".") == 1 && s.digits() == 0 {
		return s.errorf("invalid number: no digit after the decimal point")
	}
	exponent := s.optional("eE") == 1
	if exponent {
		s.optional("+-")
		switch n := s.digits(); {
		case n == 0:
			return s.errorf("invalid number: no digit in the exponent")
		case n > maxExponentDigits:
			return s.errorf("number exponent longer than %d digits", maxExponentDigits)
		}
	}
	length := s.offset() - start
	if length > maxNumberLength {
		return s.errorf("number longer than %d characters", maxNumberLength)
	}
	if s.rerr != nil {
		return s.rerr
	}
	// Validation reads numbers as float64s. Without an exponent, 100
	// characters cannot leave its range; with one they can.
	if exponent {
		if text := s.tail(int(length)); !fitsFloat64(text) {
			return s.errorAt(start, "number %s is out of range of a 64-bit float", text)
		}
	}
	return nil
}

// fitsFloat64 reports whether a JSON number reads as a float64 of the same
// kind: finite (1e400 is not), and not zero unless it is zero as written
// (1e-400 would read as 0).
func fitsFloat64(number []byte) bool {
	f, err := strconv.ParseFloat(string(number), 64)
	if err != nil {
		return false
	}
	if f != 0 {
		return true
	}
	mantissa, _, _ := bytes.Cut(bytes.ToLower(number), []byte("e"))
	return len(bytes.Trim(mantissa, "-0.")) == 0
}

// tail returns the last n bytes of the value read so far: out holds what
// has been flushed, buf[mark:pos] the rest.
func (s *scanner) tail(n int) []byte {
	pending := s.buf[s.mark:s.pos]
	if n <= len(pending) {
		return pending[len(pending)-n:]
	}
	flushed := s.out[len(s.out)-(n-len(pending)):]
	return append(bytes.Clone(flushed), pending...)
}

// optional reads one byte if it is one of set, and says how many it read.
func (s *scanner) optional(set string) int {
	if s.pos == len(s.buf) && s.more() != nil {
		return 0
	}
	if c := s.buf[s.pos]; bytes.IndexByte([]byte(set), c) >= 0 {
		s.pos++
		return 1
	}
	return 0
}

// digits reads decimal digits, at most maxNumberLength+1 of them, and says
// how many it read.
func (s *scanner) digits() int {
	n := 0
	for n <= maxNumberLength {
		if s.pos == len(s.buf) && s.more() != nil {
			return n
		}
		c := s.buf[s.pos]
		if c < '0' || c > '9' {
			return n
		}
		s.pos++
		n++
	}
	return n
}

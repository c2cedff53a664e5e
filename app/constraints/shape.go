package constraints

import (
	"strings"
	"time"
)

// The shapes of values, coarse on purpose: a format constraint says which
// of them a relation's values take, as data-quality tools profile columns.
const (
	ShapeEmpty    = "empty"    // ""
	ShapeHex32    = "hex32"    // 32 hex digits: an entity id
	ShapeUUID     = "uuid"     // 8-4-4-4-12 hex digits
	ShapeDigits   = "digits"   // decimal digits only: quotas, codes, numbers
	ShapeHex      = "hex"      // hex digits, not 32 of them, not only decimal
	ShapeNumber   = "number"   // a signed or decimal number
	ShapeDateTime = "datetime" // an ISO 8601 date and time
	ShapeDate     = "date"     // an ISO 8601 date
	ShapeInterval = "interval" // start/end (".." open) with start ≤ end
	ShapeReversed = "reversed-interval"
	ShapeWord     = "word" // a letter, then letters, digits or _ . - : /
	ShapeText     = "text" // anything else: spaces, punctuation
)

// Shapes returns every shape.
func Shapes() []string {
	return []string{ShapeEmpty, ShapeHex32, ShapeUUID, ShapeDigits, ShapeHex, ShapeNumber, ShapeDateTime,
		ShapeDate, ShapeInterval, ShapeReversed, ShapeWord, ShapeText}
}

// Shape returns the shape of a value.
func Shape(v string) string {
	switch {
	case v == "":
		return ShapeEmpty
	case len(v) == 32 && allOf(v, isHex):
		return ShapeHex32
	case isUUID(v):
		return ShapeUUID
	case allOf(v, isDigit):
		return ShapeDigits
	case allOf(v, isHex):
		return ShapeHex
	case isNumber(v):
		return ShapeNumber
	}
	if start, end, ok := strings.Cut(v, "/"); ok && isInstant(start, true) && isInstant(end, true) {
		if start != ".." && end != ".." && instant(end).Before(instant(start)) {
			return ShapeReversed
		}
		return ShapeInterval
	}
	switch {
	case isInstant(v, false) && len(v) > 10:
		return ShapeDateTime
	case isInstant(v, false):
		return ShapeDate
	case isLetter(v[0]) && allOf(v, func(c byte) bool { return isLetter(c) || isDigit(c) || strings.IndexByte("_.-:/", c) >= 0 }):
		return ShapeWord
	}
	return ShapeText
}

func allOf(s string, ok func(byte) bool) bool {
	for i := range len(s) {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isHex(c byte) bool    { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return false
			}
		} else if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, dot := strings.Cut(s, ".")
	return whole != "" && allOf(whole, isDigit) && (!dot || frac != "" && allOf(frac, isDigit))
}

// isInstant says s is an ISO 8601 date or date-time (or "..", an open end,
// when open is true).
func isInstant(s string, open bool) bool {
	if open && s == ".." {
		return true
	}
	return len(s) >= 10 && s[4] == '-' && s[7] == '-' && allOf(s[:4], isDigit) && allOf(s[5:7], isDigit) &&
		allOf(s[8:10], isDigit) && (len(s) == 10 || s[10] == 'T') && !instant(s).IsZero()
}

// instant reads a date or date-time; zero when it cannot.
func instant(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

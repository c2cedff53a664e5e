package kg

import "strings"

// classify sorts a literal: pred is its predicate, key the member's name.
func classify(pred, key string, v node) Class {
	switch {
	case v.kind == kindBool, isCatalogField(key), isCatalogField(pred):
		return ClassCategory
	case isIdentifierField(key), IsID(v.text), isDate(v.text), isLongNumber(v.text):
		return ClassValue
	default:
		// Status values, offering names, reasons, units and short codes
		// (tax category "12", bill cycle "24", flags "0"/"1").
		return ClassCategory
	}
}

// IsID reports whether s is a well-formed entity id: 32 hex digits, or a UUID
// (8-4-4-4-12 hex digits).
func IsID(s string) bool {
	switch len(s) {
	case 32:
		return isHex(s)
	case 36:
		return s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' &&
			isHex(s[:8]) && isHex(s[9:13]) && isHex(s[14:18]) && isHex(s[19:23]) && isHex(s[24:])
	}
	return false
}

func isHex(s string) bool {
	for i := range len(s) {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// isDate reports whether s starts like an ISO 8601 date, 2006-01-02.
func isDate(s string) bool {
	return len(s) >= 10 && s[4] == '-' && s[7] == '-' &&
		isDigits(s[:4]) && isDigits(s[5:7]) && isDigits(s[8:10])
}

// IsSentinelDate reports whether s is one of the placeholder dates the source
// systems write for "unknown" or "forever": 1970-01-01 and 9999-12-31.
func IsSentinelDate(s string) bool {
	return strings.HasPrefix(s, "1970-01-01") || strings.HasPrefix(s, "9999-12-31")
}

// isLongNumber reports whether s is a number of six digits or more: quotas,
// MSISDNs, IMSIs and numeric external ids, not short codes.
func isLongNumber(s string) bool {
	digits := 0
	for i := range len(s) {
		switch c := s[i]; {
		case isDigit(c):
			digits++
		case c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E':
		default:
			return false
		}
	}
	return digits >= 6
}

func isDigits(s string) bool {
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// interval writes a period as an ISO 8601 interval, "start/end", with ".."
// for an end that is missing or a sentinel: one literal keeps start and end
// together so a rule can compare them.
func interval(start, end string) (string, bool) {
	open := func(s string) bool { return s == "" || IsSentinelDate(s) }
	if open(start) && open(end) {
		return "", false
	}
	if open(start) {
		start = ".."
	}
	if open(end) {
		end = ".."
	}
	return start + "/" + end, true
}

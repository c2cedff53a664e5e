package kg

import "time"

// Validity is a validFor period with open ends where the record has no real
// date: a missing, sentinel or unreadable start is the beginning of time,
// and such an end is never. The source systems write 1970-01-01 for
// "unknown" and 9999-12-31 for "forever".
type Validity struct {
	start, end       time.Time
	hasStart, hasEnd bool
}

// ParseValidity reads a period from its startDateTime and endDateTime.
func ParseValidity(start, end string) Validity {
	var v Validity
	v.start, v.hasStart = parseDate(start)
	v.end, v.hasEnd = parseDate(end)
	return v
}

// parseDate reads a real date: RFC 3339, not a sentinel.
func parseDate(s string) (time.Time, bool) {
	if s == "" || IsSentinelDate(s) {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// Covers reports whether the period holds at t.
func (v Validity) Covers(t time.Time) bool {
	return (!v.hasStart || !t.Before(v.start)) && (!v.hasEnd || t.Before(v.end))
}

// StartsNoEarlierThan reports whether v starts at or after w.
func (v Validity) StartsNoEarlierThan(w Validity) bool {
	if !v.hasStart {
		return !w.hasStart
	}
	return !w.hasStart || !v.start.Before(w.start)
}

// EndsBeforeStart reports a period whose real end comes before its real
// start.
func (v Validity) EndsBeforeStart() bool {
	return v.hasStart && v.hasEnd && v.end.Before(v.start)
}

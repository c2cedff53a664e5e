package checks

import (
	"time"

	"github.com/pff/pff/app/kg"
)

// validity is a validFor period. A missing, sentinel or unreadable start is
// the beginning of time, and such an end is never: the source systems write
// 1970-01-01 for "unknown" and 9999-12-31 for "forever".
type validity struct {
	start, end       time.Time
	hasStart, hasEnd bool
}

func validityOf(validFor any) validity {
	vf, _ := validFor.(map[string]any)
	var v validity
	v.start, v.hasStart = parseDate(vf["startDateTime"])
	v.end, v.hasEnd = parseDate(vf["endDateTime"])
	return v
}

// parseDate reads a real date: a string in RFC 3339 that is not a sentinel.
func parseDate(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok || s == "" || kg.IsSentinelDate(s) {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func (v validity) covers(t time.Time) bool {
	return (!v.hasStart || !t.Before(v.start)) && (!v.hasEnd || t.Before(v.end))
}

// startsNoEarlierThan reports whether v starts at or after w.
func (v validity) startsNoEarlierThan(w validity) bool {
	if !v.hasStart {
		return !w.hasStart
	}
	return !w.hasStart || !v.start.Before(w.start)
}

// endsBeforeStart reports a period whose real end comes before its real start.
func (v validity) endsBeforeStart() bool {
	return v.hasStart && v.hasEnd && v.end.Before(v.start)
}

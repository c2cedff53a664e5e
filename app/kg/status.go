package kg

// statuses emits a status history entry by entry (status.status,
// status.reason, status.validFor), then the current status.
func (b *builder) statuses(subject string, history node) {
	entries := b.t.kids(history)
	for i, e := range entries {
		mark := b.enterIndex(i)
		if e.kind == kindObject {
			b.value(subject, PredStatus, PredStatus, e)
		} else { // a bare value is a status too, but not a current one
			b.value(subject, b.pred(PredStatus, PredStatus), PredStatus, e)
		}
		b.leave(mark)
	}
	i := b.currentStatus(entries)
	if i < 0 {
		return
	}
	mark := b.enterIndex(i)
	b.enter(PredStatus)
	text, _ := b.t.str(entries[i], PredStatus)
	b.emit(subject, PredStatus, text, Literal, ClassCategory)
	b.leave(mark)
}

// currentStatus returns the index of the entry that holds now, or -1 if no
// entry has a status string. Among the entries whose validFor covers now it
// is the one that starts last; when none covers now (the history ended, or
// starts in the future), the one that starts last overall. An entry without a
// real start (missing, sentinel, unreadable) starts at the beginning of time,
// one without a real end never ends, and ties go to the later entry, as
// histories are appended to.
func (b *builder) currentStatus(entries []node) int {
	best, bestCovers := -1, false
	var bestValidity Validity
	for i, e := range entries {
		if _, ok := b.t.str(e, PredStatus); !ok {
			continue
		}
		v := b.validity(e)
		covers := v.Covers(b.now)
		if best < 0 || covers && !bestCovers || covers == bestCovers && v.StartsNoEarlierThan(bestValidity) {
			best, bestCovers, bestValidity = i, covers, v
		}
	}
	return best
}

// validity reads an object's validFor; without one it is valid forever.
func (b *builder) validity(obj node) Validity {
	for _, m := range b.t.kids(obj) {
		if m.key == "validFor" && m.kind == kindObject {
			start, _ := b.t.str(m, "startDateTime")
			end, _ := b.t.str(m, "endDateTime")
			return ParseValidity(start, end)
		}
	}
	return Validity{}
}

package learn

// relationRange is what a relation's categorical facts look like: its
// values, most frequent first, how many facts there are and how many values
// occur once.
type relationRange struct {
	tails             []string
	facts, singletons int
}

// complete says tails lists every value seen, so a value not among them is
// one never seen.
func (rr relationRange) complete() bool { return rr.facts > 0 && len(rr.tails) < maxTails }

// Package suggest finds what a user probably meant when a name they typed
// does not exist: a command, a configuration key, a flow.
package suggest

// Nearest returns the candidate closest to word by edit distance, or "" when
// none is close enough to be a plausible typo (at most a third of the word's
// letters, and at most 3, differ).
func Nearest(word string, candidates []string) string {
	best, bestDistance := "", min(3, max(1, len(word)/3))+1
	for _, c := range candidates {
		d := distance(word, c)
		if d < bestDistance || d == bestDistance && best != "" && c < best {
			best, bestDistance = c, d
		}
	}
	if bestDistance > min(3, max(1, len(word)/3)) {
		return ""
	}
	return best
}

// distance is the edit distance of a and b counting insertions, deletions,
// substitutions and swaps of two neighbours (optimal string alignment), so
// "sevre" is one edit from "serve".
func distance(a, b string) int {
	rows := make([][]int, len(a)+1)
	for i := range rows {
		rows[i] = make([]int, len(b)+1)
		rows[i][0] = i
	}
	for j := range rows[0] {
		rows[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(rows[i-1][j]+1, rows[i][j-1]+1, rows[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, rows[i-2][j-2]+1)
			}
			rows[i][j] = d
		}
	}
	return rows[len(a)][len(b)]
}

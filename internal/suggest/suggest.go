// Package suggest finds the likely intended word for a typo ("did you
// mean"). It is a leaf shared by the lexing, transport and schema layers,
// which may not import each other.
package suggest

import "strings"

// Closest returns the choice closest to s when it is close enough to be a
// likely typo (at most two edits, fewer for short words), else the only
// choice s is a prefix of, else "".
func Closest(s string, choices []string) string {
	best, bestD := "", 0
	for _, c := range choices {
		d := Distance(s, c)
		if d <= 2 && d <= max(1, len(s)/2) && (best == "" || d < bestD || d == bestD && likelier(s, c, best)) {
			best, bestD = c, d
		}
	}
	if best != "" {
		return best
	}
	var prefixed []string
	for _, c := range choices {
		if len(s) >= 2 && strings.HasPrefix(c, s) {
			prefixed = append(prefixed, c)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	return ""
}

// likelier breaks a tie between two choices as far from s: letters typed
// in the wrong order ("stauts" for "status", not "stats") before a letter
// too many or too few.
func likelier(s, c, best string) bool {
	return sameLetters(s, c) && !sameLetters(s, best) || len(c) == len(s) && len(best) != len(s)
}

func sameLetters(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var n [256]int
	for i := 0; i < len(a); i++ {
		n[a[i]]++
		n[b[i]]--
	}
	for _, v := range n {
		if v != 0 {
			return false
		}
	}
	return true
}

// Distance is the edit distance between a and b in bytes, counting an
// insertion, a deletion, a substitution or a swap of two neighbouring bytes
// as one edit (optimal string alignment): "tpc" is one edit from "tcp",
// the commonest typo of all.
func Distance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j]; three rows suffice.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

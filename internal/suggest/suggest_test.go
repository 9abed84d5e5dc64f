package suggest

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"abc", "abc", 0},
		{"kitten", "sitting", 3},
		{"flaw", "lawn", 2},
		{"tcp", "tpc", 1}, // a swap of neighbours is one edit
		{"hots", "host", 1},
		{"abcd", "badc", 2},
		{"unix", "unx", 1},
		{"socket", "sockets", 1},
		{"TCP", "tcp", 3}, // case matters
		{"é", "e", 2},     // bytes, not runes: é is two bytes
		{"ab", "ba", 1},
		{"ca", "abc", 3}, // optimal string alignment: no edit of a swapped pair
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetry)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	protocols := []string{"tcp", "unix", "vsock", "fd", "exec", "rdma", "file"}
	keys := []string{"transport", "type", "host", "port", "to", "ipv4", "ipv6", "keep-alive", "mptcp", "numeric"}
	tests := []struct {
		s       string
		choices []string
		want    string
	}{
		{"tcp", protocols, "tcp"}, // an exact match is its own closest
		// A swap of neighbours is one edit.
		{"tpc", protocols, "tcp"},
		{"unx", protocols, "unix"},
		{"vsok", protocols, "vsock"},
		{"exce", protocols, "exec"}, // two edits are fine for four letters
		{"fiel", protocols, "file"},
		{"ud", protocols, "fd"},   // one edit on a two-letter word
		{"xy", protocols, ""},     // two edits on a two-letter word is no evidence
		{"a", []string{"b"}, "b"}, // one edit is always allowed
		{"a", []string{"bc"}, ""}, // two edits on one letter is not
		{"zzzzzz", protocols, ""}, // nothing close
		{"", protocols, ""},       // nothing typed: too short for a prefix, too far for an edit
		{"", []string{"a"}, "a"},  // ... unless one edit away
		{"hots", keys, "host"},    // transposition within the limit
		{"kepalive", keys, "keep-alive"},
		{"ipv5", keys, "ipv4"},        // the first of equally close choices
		{"transp", keys, "transport"}, // unique prefix when no typo is close
		{"ke", keys, "keep-alive"},    // too far from "to"; the only key it starts
		{"ip", keys, ""},              // a prefix of two keys: no guess
		{"numer", keys, "numeric"},
		{"t", keys, "to"}, // one edit away from "to"
		{"mptcpx", keys, "mptcp"},
	}
	for _, tt := range tests {
		if got := Closest(tt.s, tt.choices); got != tt.want {
			t.Errorf("Closest(%q, %q) = %q, want %q", tt.s, tt.choices, got, tt.want)
		}
	}
}

// Between choices as far from the typo, letters in the wrong order win.
func TestClosestTie(t *testing.T) {
	for s, want := range map[string]string{"stauts": "status", "stast": "stats"} {
		if got := Closest(s, []string{"stats", "status"}); got != want {
			t.Errorf("Closest(%q) = %q, want %q", s, got, want)
		}
	}
}

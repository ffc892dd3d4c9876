package api

import (
	"strings"
	"testing"
	"unicode"
)

// rangesOf is every range of t, 16-bit ones widened.
func rangesOf(t *unicode.RangeTable) []unicode.Range32 {
	out := append([]unicode.Range32(nil), t.R32...)
	for _, r := range t.R16 {
		out = append(out, unicode.Range32{Lo: uint32(r.Lo), Hi: uint32(r.Hi), Stride: uint32(r.Stride)})
	}
	return out
}

func TestText(t *testing.T) {
	for _, tt := range []struct {
		name, in, want, problem string
	}{
		{"trimmed", "  Kedai Ali ", "Kedai Ali", ""},
		{"NFC", "Cafe\u0301", "Caf\u00e9", ""},
		{"NFC before counting", "e\u0301", "", "must be 2 to 10 characters"},
		{"Jawi", "كداي علي", "كداي علي", ""},
		{"Tamil", "கடை", "கடை", ""},
		{"emoji", "Kopi ☕🇲🇾", "Kopi ☕🇲🇾", ""},
		{"too long", strings.Repeat("a", 11), "", "must be 2 to 10 characters"},
		{"control", "a\x07b", "", "must not contain control characters"},
		{"invalid UTF-8", "a\xffb", "", "must be valid UTF-8"},
		{"LRE", "a\u202ab", "", InvisibleProblem},
		{"RLE", "a\u202bb", "", InvisibleProblem},
		{"PDF", "a\u202cb", "", InvisibleProblem},
		{"LRO", "a\u202db", "", InvisibleProblem},
		{"RLO", "a\u202eb", "", InvisibleProblem},
		{"LRI", "a\u2066b", "", InvisibleProblem},
		{"RLI", "a\u2067b", "", InvisibleProblem},
		{"FSI", "a\u2068b", "", InvisibleProblem},
		{"PDI", "a\u2069b", "", InvisibleProblem},
		{"zero-width space", "a\u200bb", "", InvisibleProblem},
		{"zero-width non-joiner", "a\u200cb", "", InvisibleProblem},
		{"zero-width joiner", "a\u200db", "", InvisibleProblem},
		{"left-to-right mark", "a\u200eb", "", InvisibleProblem},
		{"word joiner", "a\u2060b", "", InvisibleProblem},
		{"byte order mark", "\ufeffab", "", InvisibleProblem},
		{"soft hyphen", "a\u00adb", "", InvisibleProblem},
		{"Arabic letter mark", "a\u061cb", "", InvisibleProblem},
		{"Mongolian vowel separator", "a\u180eb", "", InvisibleProblem},
		{"interlinear annotation", "a\ufff9b", "", InvisibleProblem},
		{"tag character", "a\U000E0041b", "", InvisibleProblem},
		{"line separator", "a\u2028b", "", InvisibleProblem},
		{"paragraph separator", "a\u2029b", "", InvisibleProblem},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.in
			if got := Text(&s, 2, 10); got != tt.problem {
				t.Fatalf("problem = %q, want %q", got, tt.problem)
			}
			if tt.problem == "" {
				if s != tt.want {
					t.Fatalf("text = %q, want %q", s, tt.want)
				}
				if !Displayable(s) {
					t.Fatalf("Displayable(%q) = false for what Text accepted", s)
				}
			} else if s != tt.in {
				t.Fatalf("a refused field was changed to %q", s)
			}
		})
	}
	// Every format character there is, not only the ones named above.
	n := 0
	for _, rs := range [][]unicode.Range32{rangesOf(unicode.Cf), rangesOf(unicode.Zl), rangesOf(unicode.Zp)} {
		for _, r := range rs {
			for c := r.Lo; c <= r.Hi; c += r.Stride {
				s := "a" + string(rune(c)) + "b"
				if Text(&s, 2, 10) != InvisibleProblem {
					t.Errorf("U+%04X accepted", c)
				}
				n++
			}
		}
	}
	if n < 150 {
		t.Fatalf("only %d format characters tried", n)
	}
	if Text(nil, 1, 2) != "is required" {
		t.Fatal("a missing field passed")
	}
	for _, s := range []string{"Cafe\u0301", " a", "a\u202eb", "a\nb", "a\xff"} {
		if Displayable(s) {
			t.Errorf("Displayable(%q) = true", s)
		}
	}
}

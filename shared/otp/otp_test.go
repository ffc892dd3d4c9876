package otp

import (
	"crypto/rand"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	counts := [10]int{}
	for i := 0; i < 2000; i++ {
		c, err := Generate(rand.Reader, 6)
		if err != nil {
			t.Fatal(err)
		}
		if !WellFormed(c, 6) {
			t.Fatalf("code %q is not 6 digits", c)
		}
		seen[c] = true
		counts[c[0]-'0']++
	}
	if len(seen) < 1990 {
		t.Fatalf("%d distinct codes in 2000, want nearly all", len(seen))
	}
	for d, n := range counts {
		if n < 120 || n > 290 {
			t.Fatalf("leading digit %d appeared %d times in 2000: not uniform", d, n)
		}
	}
	if _, err := Generate(strings.NewReader(""), 6); err == nil {
		t.Fatal("Generate with an empty random source succeeded")
	}
}

func TestHashBindsRegistrationAndSend(t *testing.T) {
	key := []byte("k")
	h := Hash(key, "reg1", 1, "123456")
	tests := []struct {
		name string
		got  []byte
		want bool
	}{
		{"same", Hash(key, "reg1", 1, "123456"), true},
		{"other code", Hash(key, "reg1", 1, "123457"), false},
		{"other registration", Hash(key, "reg2", 1, "123456"), false},
		{"other send", Hash(key, "reg1", 2, "123456"), false},
		{"other key", Hash([]byte("k2"), "reg1", 1, "123456"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if Equal(h, tt.got) != tt.want {
				t.Fatalf("Equal = %v, want %v", !tt.want, tt.want)
			}
		})
	}
}

func TestWellFormed(t *testing.T) {
	for s, want := range map[string]bool{"123456": true, "000000": true, "12345": false, "1234567": false, "12345a": false, "１２３４５６": false, "": false} {
		if got := WellFormed(s, 6); got != want {
			t.Errorf("WellFormed(%q) = %v, want %v", s, got, want)
		}
	}
}

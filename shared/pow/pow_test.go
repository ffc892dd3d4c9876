package pow

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestChallengeRoundTrip(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := Challenger{Key: []byte("0123456789abcdef0123456789abcdef"), MaxNumber: 5000, TTL: 10 * time.Minute, Rand: rand.Reader}
	ch, err := c.New(now)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Algorithm != "SHA-256" || len(ch.Challenge) != 64 || len(ch.Signature) != 64 || ch.MaxNumber != 5000 {
		t.Fatalf("challenge = %+v", ch)
	}
	payload, err := Solve(ch)
	if err != nil {
		t.Fatal(err)
	}
	id, exp, err := c.Verify(payload, now.Add(time.Minute))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if id != ch.Challenge || !exp.Equal(now.Add(10*time.Minute)) {
		t.Fatalf("id=%s exp=%v", id, exp)
	}

	// The widget adds "took"; that must not matter.
	raw, _ := base64.StdEncoding.DecodeString(payload)
	var m map[string]any
	json.Unmarshal(raw, &m)
	m["took"] = 1234
	withTook, _ := json.Marshal(m)
	if _, _, err := c.Verify(base64.StdEncoding.EncodeToString(withTook), now); err != nil {
		t.Fatalf("payload with took: %v", err)
	}

	tamper := func(f func(s *Solution)) string {
		var s Solution
		json.Unmarshal(raw, &s)
		f(&s)
		b, _ := json.Marshal(s)
		return base64.StdEncoding.EncodeToString(b)
	}
	other := Challenger{Key: []byte("another key, another key, another"), MaxNumber: 5000, TTL: time.Minute, Rand: rand.Reader}
	otherCh, _ := other.New(now)
	otherPayload, _ := Solve(otherCh)
	tests := []struct {
		name    string
		payload string
		at      time.Time
		want    error
	}{
		{"expired", payload, now.Add(10 * time.Minute), ErrExpired},
		{"wrong number", tamper(func(s *Solution) { s.Number++ }), now, ErrWrong},
		{"signed by another key", otherPayload, now, ErrSignature},
		{"extended expiry", tamper(func(s *Solution) { s.Salt += "&expires=9999999999" }), now, ErrWrong},
		{"other algorithm", tamper(func(s *Solution) { s.Algorithm = "SHA-1" }), now, ErrMalformed},
		{"not base64", "%%%", now, ErrMalformed},
		{"empty", "", now, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := c.Verify(tt.payload, tt.at); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// Every salt the service does not write is refused, even under its signature.
func TestForeignSalts(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := Challenger{Key: []byte("0123456789abcdef0123456789abcdef"), MaxNumber: 100000, TTL: 10 * time.Minute, Rand: rand.Reader}
	// Salts signed with the service's key but not of the form it issues.
	signed := func(salt string) string {
		var n int64 = 42
		ch := hashHex(salt, n)
		b, _ := json.Marshal(Solution{Algorithm: Algorithm, Challenge: ch, Number: n, Salt: salt, Signature: c.sign(ch)})
		return base64.StdEncoding.EncodeToString(b)
	}
	exp := strconv.FormatInt(now.Add(5*time.Minute).Unix(), 10)
	far := strconv.FormatInt(now.Add(c.TTL+2*clockSkew).Unix(), 10)
	for _, salt := range []string{
		"0123456789abcdef01234567?expires=" + exp,             // no terminator: open to splicing
		"0123456789abcdef01234567?expires=" + exp + "&x=1&",   // another parameter
		"0123456789abcdef01234567?expires=" + exp + "&&",      // a second terminator
		"0123456789abcdef01234567?expires=0" + exp + "&",      // a leading zero
		"0123456789ABCDEF01234567?expires=" + exp + "&",       // upper-case hex
		"0123456789abcdef0123?expires=" + exp + "&",           // a short random part
		"0123456789abcdef01234567?expire=" + exp + "&",        // another name
		"0123456789abcdef01234567?expires=" + far + "&",       // later than any challenge issued now
		"0123456789abcdef01234567?expires=99999999999999999&", // far in the future
	} {
		if _, _, err := c.Verify(signed(salt), now); !errors.Is(err, ErrForeignSalt) {
			t.Errorf("salt %q: err = %v, want %v", salt, err, ErrForeignSalt)
		}
	}
	// The form New writes, expiring within TTL (and the clock skew), is accepted.
	if _, _, err := c.Verify(signed("0123456789abcdef01234567?expires="+strconv.FormatInt(now.Add(c.TTL+clockSkew).Unix(), 10)+"&"), now); err != nil {
		t.Errorf("an issued form: %v", err)
	}
}

func BenchmarkSolveDefault(b *testing.B) {
	c := Challenger{Key: make([]byte, 32), MaxNumber: 100000, TTL: time.Minute, Rand: rand.Reader}
	for b.Loop() {
		ch, _ := c.New(time.Now())
		if _, err := Solve(ch); err != nil {
			b.Fatal(err)
		}
	}
}

// Issue's number is the one Solve finds: what a simulation charges is the work done.
func TestIssueAnswersTheSolution(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := Challenger{Key: []byte("0123456789abcdef0123456789abcdef"), MaxNumber: 3000, TTL: time.Minute, Rand: rand.Reader}
	for range 5 {
		ch, n, err := c.Issue(now)
		if err != nil {
			t.Fatal(err)
		}
		solved, err := Solve(ch)
		if err != nil {
			t.Fatal(err)
		}
		known, _ := ch.Payload(n)
		if known != solved {
			t.Fatalf("Payload(%d) = %s, Solve found %s", n, known, solved)
		}
		wrong, _ := ch.Payload(n + 1)
		if _, _, err := c.Verify(wrong, now); !errors.Is(err, ErrWrong) {
			t.Fatalf("another number: %v, want ErrWrong", err)
		}
	}
}

// A harder challenge names its MaxNumber in its salt: the base challenger checks
// it and says how hard it was; the salt cannot be changed to claim more.
func TestHarderChallenges(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	base := Challenger{Key: []byte("0123456789abcdef0123456789abcdef"), MaxNumber: 1000, TTL: time.Minute, Rand: rand.Reader}
	for _, factor := range []int64{1, 8} {
		ch, n, err := base.Harder(factor).Issue(now)
		if err != nil || ch.MaxNumber != 1000*factor {
			t.Fatalf("factor %d: %+v %v", factor, ch, err)
		}
		payload, _ := ch.Payload(n)
		c, err := base.Require(payload, now, nil)
		if err != nil || c.MaxNumber != 1000*factor {
			t.Fatalf("factor %d: claim %+v, %v; want MaxNumber %d", factor, c, err, 1000*factor)
		}
	}
	ch, n, _ := base.Harder(8).Issue(now)
	ch.Salt = strings.Replace(ch.Salt, "max=8000", "max=9000", 1)
	forged, _ := ch.Payload(n)
	if _, err := base.Require(forged, now, nil); err == nil {
		t.Fatal("a salt changed to claim more work was accepted")
	}
}

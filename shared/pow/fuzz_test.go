package pow

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

// fuzzChallenger and fuzzNow are fixed, so that the committed seeds
// (testdata/fuzz) hold solutions that verify.
var (
	fuzzChallenger = Challenger{Key: []byte("fuzz key: fuzz key: fuzz key: 32"), MaxNumber: 1000, TTL: 10 * time.Minute}
	fuzzNow        = time.Unix(1_800_000_000, 0)
)

// fuzzSolution is a solved challenge of fuzzChallenger, from fixed random bytes.
func fuzzSolution(tb testing.TB, seed byte) string {
	c := fuzzChallenger
	c.Rand = bytes.NewReader(bytes.Repeat([]byte{seed}, 64))
	ch, err := c.New(fuzzNow)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := Solve(ch)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// FuzzVerify: no payload, however made, panics the check; one that verifies has
// a salt of the issued form, solves its challenge and expires after now and no
// later than a challenge issued now could.
func FuzzVerify(f *testing.F) {
	for seed := range byte(4) {
		f.Add(fuzzSolution(f, seed))
	}
	f.Add("")
	f.Add("e30=")
	f.Fuzz(func(t *testing.T, payload string) {
		id, exp, err := fuzzChallenger.Verify(payload, fuzzNow)
		if err != nil {
			return
		}
		raw, _ := base64.StdEncoding.DecodeString(payload)
		var s Solution
		if json.Unmarshal(raw, &s) != nil {
			t.Fatal("accepted a payload that does not decode")
		}
		if _, _, ok := expiry(s.Salt); !ok || hashHex(s.Salt, s.Number) != id || id != s.Challenge {
			t.Fatalf("accepted %+v", s)
		}
		if !exp.After(fuzzNow) || exp.After(fuzzNow.Add(fuzzChallenger.TTL+clockSkew)) {
			t.Fatalf("accepted expiry %v at %v", exp, fuzzNow)
		}
	})
}

// FuzzSplit: of all the ways to split one signed salt + number into a salt and a
// number, only the one the service issued verifies: no other can carry another
// expiry or parameter.
func FuzzSplit(f *testing.F) {
	f.Add([]byte("0123456789ab"), int64(5*60), int64(1234))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, int64(1), int64(0))
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"), int64(600), int64(1000))
	f.Fuzz(func(t *testing.T, random []byte, expiresIn, number int64) {
		if len(random) != 12 || expiresIn < 1 || expiresIn > int64(fuzzChallenger.TTL/time.Second) || number < 0 || number > fuzzChallenger.MaxNumber {
			return
		}
		salt := saltOf(random, fuzzNow.Unix()+expiresIn)
		ch := hashHex(salt, number)
		joined := salt + strconv.FormatInt(number, 10)
		for cut := 1; cut < len(joined); cut++ {
			n, err := strconv.ParseInt(joined[cut:], 10, 64)
			if err != nil || strconv.FormatInt(n, 10) != joined[cut:] {
				continue // the rest is no number a JSON payload can carry
			}
			b, _ := json.Marshal(Solution{Algorithm: Algorithm, Challenge: ch, Number: n, Salt: joined[:cut], Signature: fuzzChallenger.sign(ch)})
			_, exp, err := fuzzChallenger.Verify(base64.StdEncoding.EncodeToString(b), fuzzNow)
			switch {
			case cut == len(salt) && (err != nil || exp.Unix() != fuzzNow.Unix()+expiresIn):
				t.Fatalf("the issued split (%q, %d): exp %v, err %v", joined[:cut], n, exp, err)
			case cut != len(salt) && err == nil:
				t.Fatalf("salt %q and number %d, another split of the issued %q and %d, verified", joined[:cut], n, salt, number)
			}
		}
	})
}

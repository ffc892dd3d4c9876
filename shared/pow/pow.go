// Package pow is proof of work compatible with ALTCHA (https://altcha.org): the
// server hands out an HMAC-signed SHA-256 puzzle whose salt carries its expiry; the
// client finds the number that solves it. The open-source ALTCHA widget solves
// these challenges and submits its payload unchanged.
//
// The signature covers the challenge, sha256(salt + number), and so the salt and
// the number only as one string: a client that moved the number's leading digits
// onto the end of the salt would have the same challenge under the same signature,
// and a salt ending "?expires=1795000000" would become "?expires=17950000004", a
// challenge that never expires. This package does what the altcha-org v1 servers
// do since that splice was fixed (altcha-lib for JavaScript 1.4.1 and later, whose
// createChallenge ends every salt's parameters with "&"; altcha-lib-rb 1.0 the
// same): each salt ends in "&", so digits moved out of the number land after the
// last parameter and change none. On top of that, Verify accepts only a salt of
// exactly the form New writes (24 hex digits, "?expires=", the Unix time, "&")
// whose expiry is no later than a challenge issued now could have, so the one
// split of salt + number that parses is the one the service signed.
package pow

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/secret"
)

// Algorithm is the only hash ALTCHA challenges here use.
const Algorithm = "SHA-256"

// Challenge is what GET /v1/challenge answers.
type Challenge struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	Salt      string `json:"salt"`
	MaxNumber int64  `json:"maxnumber"`
	Signature string `json:"signature"`
}

// Solution is the decoded ALTCHA payload a client sends back. Fields the widget
// adds (such as "took") are ignored.
type Solution struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	Number    int64  `json:"number"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// Errors from Verify; all mean 428 challenge_required to the client.
var (
	ErrMalformed = errors.New("pow: malformed payload")
	ErrSignature = errors.New("pow: bad signature")
	ErrWrong     = errors.New("pow: wrong solution")
	ErrExpired   = errors.New("pow: challenge expired")
	// ErrForeignSalt is a salt New never writes, or one expiring later than a
	// challenge issued now would.
	ErrForeignSalt = errors.New("pow: salt not issued here")
)

// clockSkew is how far the clocks of two function instances may disagree: the
// one that checks a challenge may run this much behind the one that issued it.
const clockSkew = time.Minute

// saltForm is every salt New writes: 12 random bytes in hex, then the expiry and,
// for a challenge harder than the challenger's own, its MaxNumber, each
// terminated by "&". The salt is hashed into the challenge, which is signed, so
// neither can be changed.
var saltForm = regexp.MustCompile(`^[0-9a-f]{24}\?expires=([1-9][0-9]{0,17})&(?:max=([1-9][0-9]{0,17})&)?$`)

// Challenger issues and checks challenges with one key.
type Challenger struct {
	Key []byte
	// MaxNumber bounds the secret number: the client tries MaxNumber/2 hashes on average.
	MaxNumber int64
	TTL       time.Duration
	Rand      io.Reader
	// base is the MaxNumber of the challenger Harder made this one from.
	base int64
}

// Harder is the challenger of challenges factor times as hard (factor 1 or less:
// c itself). Its challenges carry their MaxNumber in the salt, so that c checks
// them and the caller can see how hard the solved one was (Claim.MaxNumber).
func (c Challenger) Harder(factor int64) Challenger {
	if factor <= 1 {
		return c
	}
	h := c
	h.base, h.MaxNumber = c.MaxNumber, c.MaxNumber*factor
	return h
}

// New is a fresh challenge expiring TTL after now.
func (c Challenger) New(now time.Time) (Challenge, error) {
	ch, _, err := c.Issue(now)
	return ch, err
}

// Issue is New that also answers the secret number, so that a simulation can
// charge a client the work of solving it (Solve tries number+1 hashes) without
// doing it. The service itself never hands the number out.
func (c Challenger) Issue(now time.Time) (Challenge, int64, error) {
	var b [12]byte
	if _, err := io.ReadFull(c.Rand, b[:]); err != nil {
		return Challenge{}, 0, fmt.Errorf("challenge salt: %w", err)
	}
	n, err := rand.Int(c.Rand, big.NewInt(c.MaxNumber+1))
	if err != nil {
		return Challenge{}, 0, fmt.Errorf("challenge number: %w", err)
	}
	salt := saltOf(b[:], now.Add(c.TTL).Unix())
	if c.base > 0 && c.MaxNumber > c.base {
		salt += "max=" + strconv.FormatInt(c.MaxNumber, 10) + "&"
	}
	ch := hashHex(salt, n.Int64())
	return Challenge{Algorithm: Algorithm, Challenge: ch, Salt: salt, MaxNumber: c.MaxNumber, Signature: c.sign(ch)}, n.Int64(), nil
}

// Verify checks an ALTCHA payload (base64 of the solution's JSON): algorithm,
// signature, solution, that the salt is one New could have written by now, and
// expiry. It answers the challenge, whose single use the
// caller must record until the returned expiry.
func (c Challenger) Verify(payload string, now time.Time) (id string, expires time.Time, err error) {
	id, expires, _, err = c.verify(payload, now)
	return id, expires, err
}

// verify is Verify that also answers how hard the challenge was: its MaxNumber.
func (c Challenger) verify(payload string, now time.Time) (string, time.Time, int64, error) {
	if len(payload) > 2048 {
		return "", time.Time{}, 0, ErrMalformed
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(payload))
	if err != nil {
		return "", time.Time{}, 0, ErrMalformed
	}
	var s Solution
	if err := json.Unmarshal(raw, &s); err != nil || s.Algorithm != Algorithm || len(s.Challenge) != 64 {
		return "", time.Time{}, 0, ErrMalformed
	}
	if !hmac.Equal([]byte(strings.ToLower(s.Signature)), []byte(c.sign(s.Challenge))) {
		return "", time.Time{}, 0, ErrSignature
	}
	exp, maxNumber, ok := expiry(s.Salt)
	if maxNumber == 0 {
		maxNumber = c.MaxNumber
	}
	if s.Number < 0 || s.Number > maxNumber || hashHex(s.Salt, s.Number) != s.Challenge {
		return "", time.Time{}, 0, ErrWrong
	}
	if !ok || exp.After(now.Add(c.TTL+clockSkew)) {
		return "", time.Time{}, 0, ErrForeignSalt
	}
	if !now.Before(exp) {
		return "", time.Time{}, 0, ErrExpired
	}
	return s.Challenge, exp, maxNumber, nil
}

func (c Challenger) sign(challenge string) string {
	m := hmac.New(sha256.New, c.Key)
	m.Write([]byte(challenge))
	return hex.EncodeToString(m.Sum(nil))
}

func hashHex(salt string, n int64) string {
	sum := sha256.Sum256([]byte(salt + strconv.FormatInt(n, 10)))
	return hex.EncodeToString(sum[:])
}

// saltOf is the salt New writes for random bytes and an expiry in Unix seconds.
func saltOf(random []byte, expires int64) string {
	return hex.EncodeToString(random) + "?expires=" + strconv.FormatInt(expires, 10) + "&"
}

// expiry is the expiry in a salt of the form New writes, and the MaxNumber it
// names (0 for none); ok is false for any other form.
func expiry(salt string) (time.Time, int64, bool) {
	m := saltForm.FindStringSubmatch(salt)
	if m == nil {
		return time.Time{}, 0, false
	}
	sec, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return time.Time{}, 0, false
	}
	var maxNumber int64
	if m[2] != "" {
		if maxNumber, err = strconv.ParseInt(m[2], 10, 64); err != nil {
			return time.Time{}, 0, false
		}
	}
	return time.Unix(sec, 0), maxNumber, true
}

// Payload is the altcha payload that answers c with number.
func (c Challenge) Payload(number int64) (string, error) {
	b, err := json.Marshal(Solution{Algorithm: c.Algorithm, Challenge: c.Challenge, Number: number, Salt: c.Salt, Signature: c.Signature})
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// NewChallenger is the service's challenger: the functions that demand proof of
// work must check with the key GET /v1/challenge signs with.
func NewChallenger(keys secret.Keys, maxNumber int64, ttl time.Duration, r io.Reader) Challenger {
	return Challenger{Key: keys.Derive("pow"), MaxNumber: maxNumber, TTL: ttl, Rand: r}
}

// Config is the challenges' settings, the same for every function that issues
// or checks them.
type Config struct {
	// MaxNumber is the difficulty: the client tries half of it on average (POW_MAX_NUMBER).
	MaxNumber int64
	// TTL is how long a challenge can be solved (POW_TTL).
	TTL time.Duration
}

// ConfigFromEnv reads Config with the defaults; bad values are added to env's errors.
func ConfigFromEnv(env *config.Env) Config {
	return Config{
		MaxNumber: int64(env.Int("POW_MAX_NUMBER", 100000, 1)),
		TTL:       env.Duration("POW_TTL", 10*time.Minute, 10*time.Second),
	}
}

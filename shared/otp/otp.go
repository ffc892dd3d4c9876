// Package otp makes one-time codes and the keyed hashes they are stored as.
package otp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/secret"
)

// Config is what the function that sends a code and the one that checks it must
// agree on, read in one place.
type Config struct {
	// Digits is the code's length (CODE_DIGITS).
	Digits int
	// TTL is how long a code is valid (CODE_TTL).
	TTL time.Duration
	// MaxAttempts is the wrong attempts a registration has in all; a resend does
	// not reset them (CODE_MAX_ATTEMPTS).
	MaxAttempts int
}

// ConfigFromEnv reads Config with the contract's defaults; bad values are added
// to env's errors.
func ConfigFromEnv(env *config.Env) Config {
	return Config{
		Digits:      env.Int("CODE_DIGITS", 6, 4),
		TTL:         env.Duration("CODE_TTL", 5*time.Minute, 30*time.Second),
		MaxAttempts: env.Int("CODE_MAX_ATTEMPTS", 5, 1),
	}
}

// Generate is a code of the given number of decimal digits, uniform, from r
// (crypto/rand.Reader in production).
func Generate(r io.Reader, digits int) (string, error) {
	max := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil)
	n, err := rand.Int(r, max)
	if err != nil {
		return "", fmt.Errorf("generate code: %w", err)
	}
	s := n.String()
	return strings.Repeat("0", digits-len(s)) + s, nil
}

// Hash is the keyed hash a code is stored as, bound to its registration and to the
// send it belongs to, so that a hash from one registration or send matches no other.
func Hash(key []byte, registrationID string, send int, code string) []byte {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s\x00%d\x00%s", registrationID, send, code)
	return m.Sum(nil)
}

// Equal compares two hashes in constant time.
func Equal(a, b []byte) bool { return hmac.Equal(a, b) }

// WellFormed says whether s is exactly digits decimal digits.
func WellFormed(s string, digits int) bool {
	if len(s) != digits {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Key is the key codes are hashed with, the same for the function that sends a
// code and the one that checks it.
func Key(keys secret.Keys) []byte { return keys.Derive("otp") }

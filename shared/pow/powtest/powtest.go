// Package powtest solves proof-of-work challenges as the ALTCHA widget does, for
// tests: a client of the protocol, written apart from the server it tests.
package powtest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/checkin-registry/registry/shared/pow"
)

// Solve finds the number that solves c by brute force and answers the payload to
// send back, or an error if no number up to MaxNumber works.
func Solve(c pow.Challenge) (string, error) {
	for n := int64(0); n <= c.MaxNumber; n++ {
		sum := sha256.Sum256([]byte(c.Salt + strconv.FormatInt(n, 10)))
		if hex.EncodeToString(sum[:]) == c.Challenge {
			b, err := json.Marshal(pow.Solution{Algorithm: c.Algorithm, Challenge: c.Challenge, Number: n, Salt: c.Salt, Signature: c.Signature})
			if err != nil {
				return "", err
			}
			return base64.StdEncoding.EncodeToString(b), nil
		}
	}
	return "", errors.New("powtest: no solution")
}

package pow

import (
	"encoding/base64"
	"encoding/json"
	"errors"
)

// Solve finds the number that solves c by brute force, as the ALTCHA widget does,
// and answers the payload to send back, or an error if no number up to MaxNumber works.
func Solve(c Challenge) (string, error) {
	for n := int64(0); n <= c.MaxNumber; n++ {
		if hashHex(c.Salt, n) == c.Challenge {
			b, err := json.Marshal(Solution{Algorithm: c.Algorithm, Challenge: c.Challenge, Number: n, Salt: c.Salt, Signature: c.Signature})
			if err != nil {
				return "", err
			}
			return base64.StdEncoding.EncodeToString(b), nil
		}
	}
	return "", errors.New("pow: no solution")
}

package pow

import (
	"time"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/metrics"
)

// Claim is a verified solution. The caller records its single use until Expires
// (store.Tx.ClaimChallenge) in the transaction that admits the request.
type Claim struct {
	ID      string
	Expires time.Time
	// MaxNumber is how hard the solved challenge was (see Challenger.Harder).
	MaxNumber int64
}

// Require checks the solution carried by a request that must prove work. A missing
// one or an invalid one is the contract's 428 challenge_required, counted in m as
// ChallengeRequired or ChallengeFailed.
func (c Challenger) Require(altcha string, now time.Time, m *metrics.Recorder) (Claim, error) {
	if altcha == "" {
		m.Count(metrics.ChallengeRequired, 1)
		return Claim{}, ChallengeRequired("Please solve the challenge from GET /v1/challenge and send it as altcha.")
	}
	id, exp, maxNumber, err := c.verify(altcha, now)
	if err != nil {
		m.Count(metrics.ChallengeFailed, 1)
		return Claim{}, ChallengeRequired("The challenge solution is invalid or expired; solve a new one.")
	}
	return Claim{ID: id, Expires: exp, MaxNumber: maxNumber}, nil
}

// ChallengeRequired is a 428 challenge_required with msg for the client.
func ChallengeRequired(msg string) error {
	return &api.Error{Code: api.CodeChallengeRequired, Message: msg}
}

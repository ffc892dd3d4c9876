package ratelimit

import "time"

// Earned is a sliding allowance that verified codes raise and unverified requests
// lower. Over the last Window (counted as Sliding counts), of S requests V had
// their code verified: another request is allowed while S stays under
//
//	clamp(Base + Earn·V − Shrink·(S − V), Floor, Ceiling)
//
// So a client whose codes are verified (a shop, or a carrier-grade NAT full of
// them) earns up to Ceiling, and one whose codes never are (a bomber) is held to
// about Base/(1+Shrink) and then Floor.
type Earned struct {
	Base, Earn, Shrink, Floor, Ceiling int
	Window                             time.Duration
}

// Sliding is the counter arithmetic Earned shares.
func (e Earned) Sliding() Sliding { return Sliding{Max: e.Ceiling, Window: e.Window} }

// Max is the allowance for s requests of which v were verified.
func (e Earned) Max(s, v int) int {
	unverified := max(s-v, 0)
	return min(max(e.Base+e.Earn*v-e.Shrink*unverified, e.Floor), e.Ceiling)
}

// Unverified is how many of s requests were not verified (v of them were).
func Unverified(s, v int) int { return max(s-v, 0) }

package store

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ChallengeName names the proof-of-work replay check in a transaction.
const ChallengeName = "challenge"

// ClaimChallenge adds to t the one-time use of a solved challenge, kept until it
// expires: a second use of the same solution cancels the transaction.
func (t *Tx) ClaimChallenge(challenge string, expires time.Time) {
	t.Put(ChallengeName, map[string]types.AttributeValue{
		"pk": str("pow#" + challenge), "ttl": num(expires.Unix() + 60),
	}, Expr{Condition: "attribute_not_exists(pk)"})
}

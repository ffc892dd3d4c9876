package ratelimit_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkin-registry/registry/shared/ratelimit"
	"github.com/checkin-registry/registry/shared/store"
)

func TestCounter(t *testing.T) {
	c := ratelimit.Counter{Name: "helpdesk_client_ip", Scope: "helpdesk-ip", ID: "abc", Max: 5, Window: time.Hour}
	now := time.Date(2026, 11, 24, 10, 15, 0, 0, time.UTC)
	cur, prev := c.Keys(now)[0], c.Keys(now)[1]
	if cur != c.Keys(now.Add(44 * time.Minute))[0] || cur == c.Keys(now.Add(45 * time.Minute))[0] || prev != c.Keys(now.Add(-time.Hour))[0] {
		t.Fatalf("keys %v: want one per clock hour, and the previous hour's", c.Keys(now))
	}
	other := c
	other.Scope = "ip"
	if other.Keys(now)[0] == cur {
		t.Fatal("counters of different scopes share an item")
	}
	items := func(nCur, nPrev string) store.Items {
		it := store.Items{}
		for k, n := range map[string]string{cur: nCur, prev: nPrev} {
			if n != "" {
				it[k] = map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: k}, "n": &types.AttributeValueMemberN{Value: n}}
			}
		}
		return it
	}
	for _, tt := range []struct {
		name  string
		items store.Items
		retry time.Duration // 0: allowed
	}{
		{"never counted", store.Items{}, 0},
		{"below max", items("4", ""), 0},
		{"at max: into the next hour until the five weigh under five", items("5", ""), 45*time.Minute + 12*time.Minute},
		// At 10:15 three quarters of 10:00's hour are still inside the last hour:
		// ceil(5 × 45/60) = 4 of it count, so one more is allowed, then none until
		// 10:24, when they weigh 3.
		{"the previous hour still counts", items("0", "5"), 0},
		{"and fills the allowance", items("1", "5"), 9 * time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Check(tt.items, now)
			var ex *ratelimit.Exceeded
			if tt.retry == 0 && err != nil || tt.retry != 0 && (!errors.As(err, &ex) || ex.Limit != c.Name || ex.RetryAfter != tt.retry) {
				t.Fatalf("Check = %v (%+v), want retry %s", err, ex, tt.retry)
			}
		})
	}
	tx := (&store.Store{}).Tx()
	if err := c.Claim(tx, items("1", "5"), now); err != nil || tx.Len() != 1 {
		t.Fatalf("Claim added %d writes (%v), want 1", tx.Len(), err)
	}
}

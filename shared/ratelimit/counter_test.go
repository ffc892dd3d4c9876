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
	if c.Key(now) != c.Key(now.Add(44*time.Minute)) || c.Key(now) == c.Key(now.Add(45*time.Minute)) {
		t.Fatalf("keys %s, %s, %s: want one per clock hour", c.Key(now), c.Key(now.Add(44*time.Minute)), c.Key(now.Add(45*time.Minute)))
	}
	other := c
	other.Scope = "ip"
	if other.Key(now) == c.Key(now) {
		t.Fatal("counters of different scopes share an item")
	}
	items := func(n string) store.Items {
		return store.Items{c.Key(now): {"pk": &types.AttributeValueMemberS{Value: c.Key(now)}, "n": &types.AttributeValueMemberN{Value: n}}}
	}
	for _, tt := range []struct {
		name  string
		items store.Items
		over  bool
	}{
		{"never counted", store.Items{}, false},
		{"below max", items("4"), false},
		{"at max", items("5"), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Check(tt.items, now)
			var ex *ratelimit.Exceeded
			if (err != nil) != tt.over || (tt.over && (!errors.As(err, &ex) || ex.Limit != c.Name || ex.RetryAfterSeconds() != 45*60)) {
				t.Fatalf("Check = %v, want exceeded %v, retry in 2700 s", err, tt.over)
			}
		})
	}
	tx := (&store.Store{}).Tx()
	c.Claim(tx, now)
	if tx.Len() != 1 {
		t.Fatalf("Claim added %d writes, want 1", tx.Len())
	}
}

package local_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/checkin-registry/registry/infra/local"
)

// The attacks on the send path, tried as an attacker would against `make run`:
// over HTTP, from as many networks as X-Forwarded-For can claim.
func TestAttacksOnTheSendPath(t *testing.T) {
	s := startServer(t, local.Options{TrustForwardedFor: true})
	base := s.URL()
	n := 0
	register := func(email string) int {
		n++
		body := fmt.Sprintf(`{"businessName":"Kedai Runcit Ali","address":"12 Jalan Ampang, Kuala Lumpur","email":%q}`, email)
		status, _, _ := do(t, "POST", base+"/v1/registrations", body, "X-Forwarded-For", fmt.Sprintf("198.%d.%d.9", 18+n/250, n%250))
		return status
	}
	outbox := func() []map[string]string {
		t.Helper()
		_, _, box := do(t, "GET", base+"/_local/outbox", "")
		var out []map[string]string
		b, _ := json.Marshal(box["messages"])
		json.Unmarshal(b, &out)
		return out
	}
	sentTo := func(match func(to string) bool) int {
		c := 0
		for _, m := range outbox() {
			if match(strings.ToLower(m["to"])) {
				c++
			}
		}
		return c
	}

	t.Run("forty spellings of one Proton and one Fastmail inbox", func(t *testing.T) {
		domains := []string{"proton.me", "protonmail.com", "protonmail.ch", "pm.me"}
		for i := 0; i < 40; i++ {
			register(fmt.Sprintf("%s+%d@%s", []string{"victim", "vic.tim", "v-ic_tim"}[i%3], i, domains[i%4]))
			if i%2 == 0 {
				register(fmt.Sprintf("x%d@victim.fastmail.com", i))
			} else {
				register(fmt.Sprintf("Victim+%d@fastmail.com", i))
			}
		}
		proton := sentTo(func(to string) bool { return strings.Contains(to, "proton") || strings.HasSuffix(to, "@pm.me") })
		fastmail := sentTo(func(to string) bool { return strings.Contains(to, "fastmail") })
		if proton > 3 || fastmail > 3 || proton == 0 || fastmail == 0 {
			t.Fatalf("Proton inbox got %d codes, Fastmail inbox %d; want 1 to 3 each", proton, fastmail)
		}
	})

	t.Run("forty addresses at one custom domain", func(t *testing.T) {
		for i := 0; i < 40; i++ {
			register(fmt.Sprintf("user%d@catchall.example", i))
		}
		if got := sentTo(func(to string) bool { return strings.HasSuffix(to, "@catchall.example") }); got != 10 {
			t.Fatalf("one domain got %d codes in an hour, want 10", got)
		}
	})

	t.Run("a bounce of owner+x leaves owner its code", func(t *testing.T) {
		// (One mailbox's codes are a minute apart, and this clock is real: the
		// bounce comes first, as if from an earlier send.)
		msg, _ := json.Marshal(map[string]any{"eventType": "Bounce", "mail": map[string]any{"destination": []string{"owner+x@shop.my"}},
			"bounce": map[string]any{"bounceType": "Permanent", "bouncedRecipients": []map[string]string{{"emailAddress": "owner+x@shop.my"}}}})
		ev, _ := json.Marshal(map[string]any{"Records": []map[string]any{{"EventSource": "aws:sns", "Sns": map[string]any{"Message": string(msg)}}}})
		if status, _, _ := do(t, "POST", base+"/_local/invoke/feedback", string(ev)); status != 200 {
			t.Fatalf("feedback: %d", status)
		}
		if status := register("owner@shop.my"); status != 202 {
			t.Fatalf("status %d", status)
		}
		if got := sentTo(func(to string) bool { return to == "owner@shop.my" }); got != 1 {
			t.Fatalf("owner@shop.my got %d codes after owner+x@shop.my bounced, want 1", got)
		}
	})

	t.Run("an opted-out address and a fresh one answer alike", func(t *testing.T) {
		register("victim@optout.example")
		var tok string
		for _, m := range outbox() {
			if m["to"] == "victim@optout.example" {
				i := strings.Index(m["body"], "token=")
				tok, _ = url.QueryUnescape(strings.Fields(m["body"][i+len("token="):])[0])
			}
		}
		if status, _, _ := do(t, "POST", base+"/v1/optout", fmt.Sprintf(`{"token":%q}`, tok)); status != 200 {
			t.Fatalf("opt-out: %d", status)
		}
		// The opted-out mailbox's own cooldown has passed in no time here; a
		// new spelling of it is a destination that has had one code already,
		// like the fresh one after its first request.
		register("fresh@optout.example")
		var opted, fresh []int
		for i := 0; i < 3; i++ {
			opted = append(opted, register("Victim+again@optout.example"))
			fresh = append(fresh, register("fresh@optout.example"))
		}
		if fmt.Sprint(opted) != fmt.Sprint(fresh) || fresh[0] != 429 {
			t.Fatalf("opted-out answers %v, fresh answers %v; want the same, 429s in the cooldown", opted, fresh)
		}
	})
}

package local_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkin-registry/registry/infra/local"
	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/apitest"
)

// walk is every item of the stack's table, as JSON, by key.
func walk(t *testing.T, s *local.Server) map[string]map[string]any {
	t.Helper()
	cfg, err := moto.Config(context.Background(), mototest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	p := dynamodb.NewScanPaginator(dynamodb.NewFromConfig(cfg), &dynamodb.ScanInput{TableName: aws.String(s.Table("RegistryTable"))})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			var m map[string]any
			if err := attributevalue.UnmarshalMap(item, &m); err != nil {
				t.Fatal(err)
			}
			out[m["pk"].(string)] = m
		}
	}
	return out
}

// holding is the keys of the items whose JSON holds any of needles.
func holding(items map[string]map[string]any, needles []string) map[string]bool {
	out := map[string]bool{}
	for pk, item := range items {
		raw, _ := json.Marshal(item)
		for _, n := range needles {
			if strings.Contains(string(raw), n) {
				out[pk] = true
			}
		}
	}
	return out
}

// tokenSubject is the subject of a bearer token: an owner token's is the keyed
// hash of its contact, the form in which limits and audits hold it.
func tokenSubject(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct{ Sub string }
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Sub == "" {
		t.Fatalf("token %q: %v", tok, err)
	}
	return c.Sub
}

// TestOwnerFlowAndWhatTheTableKeeps walks an owner's whole life over HTTP: a
// registration, a sign-in, a second venue, a rename, a reissue, a closure and
// the account's deletion, with a sign-in for a number that owns nothing on the
// way. After the flow every item that holds the contact, its hash or a venue's
// name or address must expire (ttl); after the deletion none may hold the
// contact or its hash but the expiring audit records.
func TestOwnerFlowAndWhatTheTableKeeps(t *testing.T) {
	clock := apitest.NewClock(time.Now())
	s := startServer(t, local.Options{Now: clock.Now})
	base := s.URL()
	code := func(to string) string {
		t.Helper()
		_, _, box := do(t, "GET", base+"/_local/outbox", "")
		msgs := box["messages"].([]any)
		for i := len(msgs) - 1; i >= 0; i-- {
			if m := msgs[i].(map[string]any); m["to"] == to {
				return regexp.MustCompile(`\d{6}`).FindString(m["body"].(string))
			}
		}
		t.Fatalf("no message to %s", to)
		return ""
	}
	outbox := func() int {
		_, _, box := do(t, "GET", base+"/_local/outbox", "")
		return len(box["messages"].([]any))
	}
	const phone = "+60127771234"
	status, _, reg := do(t, "POST", base+"/v1/registrations",
		`{"businessName":"Gerai Pak Mat","address":"12 Jalan Ampang, 50450 Kuala Lumpur","phone":"012-777 1234"}`)
	if status != 202 {
		t.Fatalf("register: %d %v", status, reg)
	}
	status, _, verified := do(t, "POST", base+"/v1/registrations/"+reg["registrationId"].(string)+"/verify", `{"code":"`+code(phone)+`"}`)
	if status != 200 {
		t.Fatalf("verify: %d %v", status, verified)
	}
	first := verified["venueId"].(string)
	venueTok := verified["accessToken"].(string)
	_, _, v1 := do(t, "GET", base+"/v1/venues/"+first, "", "Authorization", "Bearer "+venueTok)
	oldPayload := v1["qr"].(map[string]any)["payload"].(string)
	clock.Advance(25 * time.Hour) // the venue token has expired
	if status, _, _ := do(t, "GET", base+"/v1/venues/"+first, "", "Authorization", "Bearer "+venueTok); status != 401 {
		t.Fatalf("venue token the next day: %d, want 401", status)
	}

	// The next day, the owner comes back. First, a sign-in for a number that
	// owns nothing: the same 202, nothing sent.
	before := outbox()
	status, _, stranger := do(t, "POST", base+"/v1/sessions", `{"phone":"012-999 8877"}`)
	if status != 202 || stranger["sessionId"] == nil || stranger["destination"] != "+60•••••8877" || outbox() != before {
		t.Fatalf("stranger's sign-in: %d %v, %d messages (was %d)", status, stranger, outbox(), before)
	}

	status, _, session := do(t, "POST", base+"/v1/sessions", `{"phone":"012-777 1234"}`)
	if status != 202 {
		t.Fatalf("sign-in: %d %v", status, session)
	}
	status, _, signedIn := do(t, "POST", base+"/v1/sessions/"+session["sessionId"].(string)+"/verify", `{"code":"`+code(phone)+`"}`)
	if status != 200 || len(signedIn["venues"].([]any)) != 1 {
		t.Fatalf("sign-in verify: %d %v", status, signedIn)
	}
	auth := []string{"Authorization", "Bearer " + signedIn["accessToken"].(string)}
	hash := tokenSubject(t, signedIn["accessToken"].(string))

	status, _, second := do(t, "POST", base+"/v1/venues", `{"businessName":"Gerai Pak Mat Cawangan 2","address":"40 Jalan Tun Razak, Kuala Lumpur"}`, auth...)
	if status != 201 {
		t.Fatalf("add: %d %v", status, second)
	}
	status, _, renamed := do(t, "PATCH", base+"/v1/venues/"+first, `{"businessName":"Gerai Pak Mat & Anak"}`, auth...)
	if status != 200 {
		t.Fatalf("rename: %d %v", status, renamed)
	}
	newPayload := renamed["qr"].(map[string]any)["payload"].(string)
	check := func(p string) map[string]any {
		body, _ := json.Marshal(map[string]string{"payload": p})
		_, _, res := do(t, "POST", base+"/v1/qr/verify", string(body))
		return res
	}
	if res := check(oldPayload); res["valid"] != false || res["reason"] != "revoked" {
		t.Fatalf("old poster after the rename: %v", res)
	}
	if res := check(newPayload); res["valid"] != true || res["businessName"] != "Gerai Pak Mat & Anak" {
		t.Fatalf("new poster: %v", res)
	}
	secondID := second["venueId"].(string)
	if status, _, _ := do(t, "POST", base+"/v1/venues/"+secondID+"/reissue", "", auth...); status != 200 {
		t.Fatalf("reissue: %d", status)
	}
	status, _, list := do(t, "GET", base+"/v1/venues", "", auth...)
	if status != 200 || len(list["venues"].([]any)) != 2 {
		t.Fatalf("list: %d %v", status, list)
	}
	if status, _, _ := do(t, "GET", base+"/v1/revocations", ""); status != 200 {
		t.Fatalf("revocations: %d", status)
	}
	// A help request naming the contact, typed as the owner would: its ticket is
	// held about the contact, so the export shows it and the deletion takes it.
	status, _, ticket := do(t, "POST", base+"/v1/helpdesk/tickets",
		`{"name":"Pak Mat","topic":"registration","phone":"012-777 1234","message":"The poster of Gerai Pak Mat went missing, please help."}`)
	if status != 201 {
		t.Fatalf("help ticket: %d %v", status, ticket)
	}
	ticketID := ticket["ticketId"].(string)
	status, _, export := do(t, "GET", base+"/v1/account/export", "", auth...)
	if status != 200 || export["contact"].(map[string]any)["address"] != phone {
		t.Fatalf("export: %d %v", status, export)
	}
	if tickets, _ := export["tickets"].([]any); len(tickets) != 1 || tickets[0].(map[string]any)["ticketId"] != ticketID ||
		tickets[0].(map[string]any)["contact"] != phone || !strings.Contains(tickets[0].(map[string]any)["message"].(string), "went missing") {
		t.Fatalf("export's tickets = %v, want the one help ticket %s", export["tickets"], ticketID)
	}

	// Every item holding personal data expires.
	personal := []string{phone, "0127771234", hash, "Gerai Pak Mat", "Jalan Ampang", "Jalan Tun Razak"}
	items := walk(t, s)
	held := holding(items, personal)
	if len(held) < 4 {
		t.Fatalf("only %d items hold the owner's data: %v", len(held), held)
	}
	for pk := range held {
		if _, ok := items[pk]["ttl"].(float64); !ok {
			t.Errorf("%s holds personal data and has no ttl: %v", pk, items[pk])
		}
	}

	if status, _, _ := do(t, "DELETE", base+"/v1/venues/"+secondID, "", auth...); status != 204 {
		t.Fatalf("close: %d", status)
	}
	if status, _, _ := do(t, "DELETE", base+"/v1/account", "", auth...); status != 204 {
		t.Fatalf("delete account: %d", status)
	}
	for pk := range holding(walk(t, s), []string{phone, "0127771234", hash, ticketID, "went missing"}) {
		if !strings.HasPrefix(pk, "audit#") {
			t.Errorf("after the deletion %s still holds the contact: %v", pk, walk(t, s)[pk])
		}
	}
}

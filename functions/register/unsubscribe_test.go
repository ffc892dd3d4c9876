package register_test

import (
	"bytes"
	"mime/multipart"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/apitest"
)

// oneClick is the POST a mail provider makes to a List-Unsubscribe URL (RFC 8058):
// the body "List-Unsubscribe=One-Click", URL-encoded or multipart, and no cookie,
// no Authorization, nothing else.
func oneClick(t *testing.T, link string, multipartBody bool) events.APIGatewayProxyRequest {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Path != "/v1/optout" {
		t.Fatalf("List-Unsubscribe URL %q is not the opt-out link", link)
	}
	r := apitest.Request("POST", "/v1/optout", nil, nil, "209.85.220.41")
	r.QueryStringParameters = map[string]string{}
	for k, v := range u.Query() {
		r.QueryStringParameters[k] = v[0]
	}
	if !multipartBody {
		r.Headers["Content-Type"], r.Body = "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click"
		return r
	}
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField("List-Unsubscribe", "One-Click")
	w.Close()
	r.Headers["Content-Type"], r.Body = w.FormDataContentType(), b.String()
	return r
}

// listUnsubscribe is the List-Unsubscribe URL of the e-mail SES was handed for to,
// read back from the emulator, after checking that it offers one-click.
func listUnsubscribe(t *testing.T, to string) string {
	t.Helper()
	var found []string
	for _, e := range mototest.SentEmails(t) {
		msg, err := mail.ReadMessage(strings.NewReader(e.Raw))
		if err != nil || msg.Header.Get("To") != to {
			continue
		}
		if got := msg.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
			t.Fatalf("List-Unsubscribe-Post = %q, want List-Unsubscribe=One-Click", got)
		}
		found = append(found, strings.Trim(msg.Header.Get("List-Unsubscribe"), "<>"))
	}
	if len(found) != 1 {
		t.Fatalf("%d e-mails to %s in SES, want 1", len(found), to)
	}
	return found[0]
}

// A mail provider's one-click unsubscribe opts the address out, as the link in the
// message does: the List-Unsubscribe URL is that link, and posting
// List-Unsubscribe=One-Click to it (either form encoding) stops every further code.
func TestOneClickUnsubscribe(t *testing.T) {
	hs := newHarness(t, nil)
	for i, multipartBody := range []bool{false, true} {
		to := "oneclick" + moto.RandomHex(4) + "@example.com"
		wantStatus(t, hs.register(spread(i), registration("", to)), 202, "")
		link := listUnsubscribe(t, to)
		if msgs := hs.outbox.To(to); len(msgs) != 1 || msgs[0].Unsubscribe != link || !strings.Contains(msgs[0].Body, link) {
			t.Fatalf("List-Unsubscribe %q is not the opt-out link in the message: %+v", link, msgs)
		}
		before := len(hs.items("supp#"))

		// Forged and missing tokens opt nobody out.
		forged := oneClick(t, link, multipartBody)
		forged.QueryStringParameters["token"] += "x"
		wantStatus(t, hs.call(hs.h, forged), 400, "")
		bare := oneClick(t, link, multipartBody)
		delete(bare.QueryStringParameters, "token")
		wantStatus(t, hs.call(hs.h, bare), 400, "")
		if n := len(hs.items("supp#")); n != before {
			t.Fatalf("%d suppressions after refused one-click posts, want %d", n, before)
		}

		resp := hs.call(hs.h, oneClick(t, link, multipartBody))
		if resp.StatusCode != 200 {
			t.Fatalf("one-click post: status=%d, want 200: %s", resp.StatusCode, resp.Body)
		}
		if n := len(hs.items("supp#")); n != before+1 {
			t.Fatalf("%d suppressions after the one-click post, want %d", n, before+1)
		}

		hs.clock.Advance(2 * time.Hour)
		wantStatus(t, hs.register(spread(i+10), registration("", to)), 202, "")
		if n := len(hs.outbox.To(to)); n != 1 {
			t.Fatalf("%d messages to %s after the one-click opt-out, want 1", n, to)
		}
	}
}

package notify_test

import (
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/contact/policy"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/notify/ses"
	"github.com/checkin-registry/registry/shared/notify/sns"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

// The real SES v2 and SNS clients, against the emulator: what they accept and
// what they refuse.
func TestSendersAgainstTheEmulator(t *testing.T) {
	st := mototest.NewTestStack(t, nil)
	from := st.Template.Parameters["SenderEmail"]
	mail := &ses.Sender{Client: st.Clients.SES, From: from}
	sms := &sns.SMS{Client: st.Clients.SNS, SenderID: "CHECKIN"}
	ctx := context.Background()
	email, _ := contact.EmailPolicy{}.Email("ali@example.com")
	phone, _ := policy.Phone{DefaultRegion: "MY", Regions: []string{"MY"}, Types: []policy.PhoneType{policy.Mobile}}.Phone("0123456789")
	tests := []struct {
		name    string
		sender  notify.Sender
		msg     notify.Message
		wantErr bool
	}{
		{"e-mail from the verified sender", mail, notify.CodeMessage(email, "123456", 5*time.Minute, "https://x.example/v1/optout?token=t"), false},
		{"e-mail from an unverified sender", &ses.Sender{Client: st.Clients.SES, From: "someone@elsewhere.example"}, notify.CodeMessage(email, "123456", 5*time.Minute, "https://x"), true},
		{"sms to an E.164 number", sms, notify.CodeMessage(phone, "123456", 5*time.Minute, ""), false},
		{"sms to no number", sms, notify.Message{Channel: contact.SMS, To: "not-a-number", Body: "x"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.sender.Send(ctx, tt.msg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
		})
	}
	// What a failure says is safe to log: the AWS error code, never the recipient.
	err := (&ses.Sender{Client: st.Clients.SES, From: "someone@elsewhere.example"}).Send(ctx, notify.CodeMessage(email, "123456", time.Minute, "https://x"))
	if err == nil || strings.Contains(err.Error(), "ali@example.com") || strings.Contains(err.Error(), "elsewhere") {
		t.Fatalf("error %q: want one that names no address", err)
	}
	if err := (notify.Channels{contact.SMS: sms}).Send(ctx, notify.Message{Channel: contact.Email}); err == nil {
		t.Fatal("a channel with no sender sent")
	}
}

func TestCodeMessagesAreFixed(t *testing.T) {
	email, _ := contact.EmailPolicy{}.Email("ali@example.com")
	m := notify.CodeMessage(email, "654321", 5*time.Minute, "https://checkin.example/v1/optout?token=abc")
	if !strings.Contains(m.Body, "654321") || !strings.Contains(m.Body, "5 minit") || !strings.Contains(m.Body, "optout?token=abc") || strings.ContainsAny(m.Subject, "\r\n") {
		t.Fatalf("message = %+v", m)
	}
	phone, _ := policy.Phone{DefaultRegion: "MY", Regions: []string{"MY"}, Types: []policy.PhoneType{policy.Mobile}}.Phone("0123456789")
	sms := notify.CodeMessage(phone, "654321", 5*time.Minute, "")
	if len(sms.Body) > 160 || !strings.Contains(sms.Body, "654321") || sms.To != "+60123456789" {
		t.Fatalf("sms = %q (%d bytes): must fit one 160-character SMS", sms.Body, len(sms.Body))
	}
}

// What SES is handed for a code e-mail, read back from the emulator: the message
// carries RFC 8058's one-click unsubscribe headers, and its body and subject decode
// to the template's.
func TestCodeEmailCarriesOneClickUnsubscribe(t *testing.T) {
	st := mototest.NewTestStack(t, nil)
	from := st.Template.Parameters["SenderEmail"]
	to := "oneclick-" + moto.RandomHex(4) + "@example.com"
	email, _ := contact.EmailPolicy{}.Email(to)
	const optout = "https://checkin.example/v1/optout?token=v1.abc.def"
	m := notify.CodeMessage(email, "123456", 5*time.Minute, optout)
	m.Subject += " · Kod"
	if err := (&ses.Sender{Client: st.Clients.SES, From: from}).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	var raw string
	for _, e := range mototest.SentEmails(t) {
		if strings.Contains(e.Raw, to) {
			if raw != "" {
				t.Fatal("two e-mails to one address")
			}
			raw = e.Raw
		}
	}
	if raw == "" {
		t.Fatal("SES got no e-mail to the address")
	}
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"From", msg.Header.Get("From"), from},
		{"To", msg.Header.Get("To"), to},
		{"Subject", subject, m.Subject},
		{"List-Unsubscribe", msg.Header.Get("List-Unsubscribe"), "<" + optout + ">"},
		{"List-Unsubscribe-Post", msg.Header.Get("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click"},
		{"Content-Type", msg.Header.Get("Content-Type"), "text/plain; charset=UTF-8"},
		{"body", strings.ReplaceAll(string(body), "\r\n", "\n"), m.Body},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

// No header can be added through a message's fields.
func TestMIMERefusesHeaderInjection(t *testing.T) {
	for _, m := range []notify.Message{
		{To: "a@example.com\r\nBcc: b@example.com", Subject: "x", Body: "x"},
		{To: "a@example.com", Subject: "x", Body: "x", Unsubscribe: "https://x.example/\r\nBcc: b@example.com"},
		{To: "a@example.com", Subject: "x", Body: "x", Unsubscribe: "https://x.example/\x00"},
	} {
		if raw, err := notify.MIME("no-reply@checkin.example", m); err == nil {
			t.Errorf("MIME(%q) = %q, want an error", m.To+m.Unsubscribe, raw)
		}
	}
	// Staff messages have no opt-out: no unsubscribe headers.
	raw, err := notify.MIME("no-reply@checkin.example", notify.Message{To: "staff@checkin.example", Subject: "Ticket", Body: "x"})
	if err != nil || strings.Contains(string(raw), "List-Unsubscribe") {
		t.Fatalf("MIME = %q, %v: want no List-Unsubscribe", raw, err)
	}
}

package contact_test

import (
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/contact/policy"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/secret"
)

var ids = func() identity.Hasher {
	k, _ := secret.New([]byte("fuzzing-key-fuzzing-key-fuzzing-key"))
	return identity.New(k)
}()

// sameLimits says whether two destinations share every limit key: the hash of
// their mailbox or phone and of their receiving domain.
func sameLimits(a, b contact.Destination) bool {
	sa, sb := ids.Subject(a, "192.0.2.1"), ids.Subject(b, "192.0.2.1")
	return sa.Destination == sb.Destination && sa.Domain == sb.Domain && sa.Channel == sb.Channel
}

// onlyTo checks that the message for d goes to d.Address and nowhere else: one
// recipient in the To header of the MIME message SES sends as it is, and no other
// recipient header.
func onlyTo(t *testing.T, d contact.Destination) {
	t.Helper()
	m := notify.CodeMessage(d, "123456", 5*time.Minute, "https://checkin.example/v1/optout?token=t")
	if m.To != d.Address || m.Channel != d.Channel {
		t.Fatalf("message to %q (%s), want %q (%s)", m.To, m.Channel, d.Address, d.Channel)
	}
	if d.Channel == contact.SMS {
		return
	}
	raw, err := notify.MIME("no-reply@checkin.example", m)
	if err != nil {
		t.Fatalf("an accepted address %q makes no message: %v", d.Address, err)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("message for %q does not parse: %v", d.Address, err)
	}
	to, err := mail.ParseAddressList(msg.Header.Get("To"))
	if err != nil || len(to) != 1 || to[0].Address != d.Address || to[0].Name != "" {
		t.Fatalf("To %q reads as %v (%v), want exactly %q", msg.Header.Get("To"), to, err, d.Address)
	}
	for _, h := range []string{"Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"} {
		if msg.Header.Get(h) != "" {
			t.Fatalf("message for %q has a %s header", d.Address, h)
		}
	}
}

// FuzzEmail: whatever is typed, an accepted address has the limit keys of its
// canonical form (the mailbox its key names), normalising is idempotent, and the
// code goes to the address and to nothing else.
func FuzzEmail(f *testing.F) {
	for _, s := range []string{"ali@example.com", "Ali.Baba+shop@Example.COM", "v.i.c.t.i.m+1@googlemail.com",
		"V-i_c.tim+9@pm.me", "x@victim.fastmail.com", "ali-x@yahoo.com", "a@b.c", "ali@[127.0.0.1]", "a\"b@example.com"} {
		f.Add(s)
	}
	p := contact.EmailPolicy{}
	f.Fuzz(func(t *testing.T, raw string) {
		d, err := p.Email(raw)
		if err != nil {
			return
		}
		canonical, ok := strings.CutPrefix(d.Key, "email:")
		if !ok {
			t.Fatalf("key %q is not an e-mail key", d.Key)
		}
		c, err := p.Email(canonical)
		if err != nil || c.Key != d.Key || !sameLimits(c, d) {
			t.Fatalf("%q: canonical form %q is keyed %q domain %q (%v), want %q domain %q", raw, canonical, c.Key, c.Domain, err, d.Key, d.Domain)
		}
		again, err := p.Email(d.Address)
		if err != nil || again != d {
			t.Fatalf("%q: normalising %q again gives %+v (%v), want %+v", raw, d.Address, again, err, d)
		}
		onlyTo(t, d)
	})
}

// FuzzPhone: an accepted number, however written, is keyed by its E.164 form,
// which is accepted as itself, and the SMS goes to it.
func FuzzPhone(f *testing.F) {
	for _, s := range []string{"012-345 6789", "+60 12-345 6789", "0060123456789", "+60123456789", "(012) 345-6789", "+65 8123 4567", "1-300-88-1234", "012345678901234567890"} {
		f.Add(s)
	}
	p := policy.Phone{DefaultRegion: "MY", Regions: []string{"MY", "SG"}, Types: []policy.PhoneType{policy.Mobile, policy.FixedLine}}
	f.Fuzz(func(t *testing.T, raw string) {
		d, err := p.Phone(raw)
		if err != nil {
			return
		}
		if d.Key != "sms:"+d.Address || !strings.HasPrefix(d.Address, "+") || strings.Trim(d.Address[1:], "0123456789") != "" {
			t.Fatalf("%q: address %q key %q, want E.164 keyed by itself", raw, d.Address, d.Key)
		}
		c, err := p.Phone(d.Address)
		if err != nil || c != d || !sameLimits(c, d) {
			t.Fatalf("%q: E.164 form %q gives %+v (%v), want %+v", raw, d.Address, c, err, d)
		}
		onlyTo(t, d)
	})
}

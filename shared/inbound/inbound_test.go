package inbound

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact"
)

func TestNewText(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		text, err := NewText(rand.Reader, RegisterWord)
		if err != nil {
			t.Fatal(err)
		}
		word, code, ok := strings.Cut(text, " ")
		if !ok || word != RegisterWord || len(code) != textLen || strings.Trim(code, textAlphabet) != "" {
			t.Fatalf("text %q: want %s and %d characters of %s", text, RegisterWord, textLen, textAlphabet)
		}
		if seen[text] {
			t.Fatalf("text %q came twice", text)
		}
		seen[text] = true
	}
	// Bytes past the last multiple of the alphabet are drawn again, not folded.
	text, err := NewText(bytes.NewReader(append(bytes.Repeat([]byte{255}, 20), make([]byte, textLen)...)), "W")
	if err != nil || text != "W "+strings.Repeat("A", textLen) {
		t.Fatalf("text=%q err=%v, want the high bytes skipped", text, err)
	}
}

func TestNormalizeAndKeywords(t *testing.T) {
	if got := Normalize(" daftar\tk7qm 3xhpa\n"); got != "DAFTARK7QM3XHPA" {
		t.Errorf("Normalize = %q", got)
	}
	for _, s := range []string{"STOP", " stop ", "Berhenti"} {
		if !IsStop(s) || IsStart(s) {
			t.Errorf("%q: want a stop", s)
		}
	}
	for _, s := range []string{"START", "mula\n"} {
		if !IsStart(s) || IsStop(s) {
			t.Errorf("%q: want a start", s)
		}
	}
	if IsStop("please stop") {
		t.Error("a sentence that holds STOP is not the keyword")
	}
}

func TestOffers(t *testing.T) {
	c, err := FromEnv(config.FromMap(map[string]string{
		"INBOUND_WHATSAPP_NUMBER": "+60380000000", "INBOUND_WHATSAPP_PHONE_NUMBER_ID": "1",
		"INBOUND_SMS_NUMBER": "+60380000001", "INBOUND_EMAIL_ADDRESS": "Daftar@Checkin.example",
	}))
	if err != nil {
		t.Fatal(err)
	}
	phone := c.Offers(contact.SMS, "DAFTAR K7QM3XHPA")
	if len(phone) != 2 || phone[0].Via != WhatsApp || phone[0].Link != "https://wa.me/60380000000?text=DAFTAR%20K7QM3XHPA" || phone[1].Via != SMS || phone[1].Link != "" {
		t.Errorf("phone offers %+v", phone)
	}
	if mail := c.Offers(contact.Email, "x"); len(mail) != 1 || mail[0].To != "daftar@checkin.example" {
		t.Errorf("e-mail offers %+v", mail)
	}
	if (Config{}).Open(contact.SMS) || (Config{}).Open(contact.Email) || !c.Open(contact.Email) {
		t.Error("Open does not follow the addresses")
	}
	for _, bad := range []map[string]string{
		{"INBOUND_WHATSAPP_NUMBER": "+60380000000"},
		{"INBOUND_SMS_NUMBER": "0380000001"},
		{"INBOUND_EMAIL_ADDRESS": "nope"},
	} {
		if _, err := FromEnv(config.FromMap(bad)); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
	if c.TTL != 10*time.Minute {
		t.Errorf("TTL = %v", c.TTL)
	}
}

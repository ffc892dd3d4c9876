// Package inbound is what the register side and the inbound function share about
// proof by inbound message: a business proves its contact by sending us a short
// text from it, so the service never messages an unproven destination. It holds
// which sources are open, the texts, their normalisation and the offers a client
// is shown.
package inbound

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/store"
)

// The sources a message can arrive by.
const (
	WhatsApp = "whatsapp"
	SMS      = "sms"
	Email    = "email"
)

// Config says which sources are open and where messages go: a source is open
// where its address is set.
type Config struct {
	// WhatsAppNumber is the E.164 number businesses message on WhatsApp, and
	// WhatsAppPhoneNumberID its Meta phone number id, which inbound events name.
	WhatsAppNumber        string
	WhatsAppPhoneNumberID string
	// SMSNumber is the two-way SMS number (E.164) businesses text.
	SMSNumber string
	// EmailAddress is the address SES receives proof e-mails at.
	EmailAddress string
	// TTL is how long a proof text is valid.
	TTL time.Duration
}

// FromEnv reads Config: INBOUND_WHATSAPP_NUMBER, INBOUND_WHATSAPP_PHONE_NUMBER_ID,
// INBOUND_SMS_NUMBER, INBOUND_EMAIL_ADDRESS and INBOUND_TTL (default 10 minutes).
func FromEnv(env *config.Env) (Config, error) {
	c := Config{
		WhatsAppNumber:        env.String("INBOUND_WHATSAPP_NUMBER", ""),
		WhatsAppPhoneNumberID: env.String("INBOUND_WHATSAPP_PHONE_NUMBER_ID", ""),
		SMSNumber:             env.String("INBOUND_SMS_NUMBER", ""),
		EmailAddress:          strings.ToLower(env.String("INBOUND_EMAIL_ADDRESS", "")),
		TTL:                   env.Duration("INBOUND_TTL", 10*time.Minute, time.Minute),
	}
	for name, n := range map[string]string{"INBOUND_WHATSAPP_NUMBER": c.WhatsAppNumber, "INBOUND_SMS_NUMBER": c.SMSNumber} {
		if n != "" && !e164(n) {
			return c, fmt.Errorf("%s: %q is not an E.164 number (+ and digits)", name, n)
		}
	}
	if (c.WhatsAppNumber == "") != (c.WhatsAppPhoneNumberID == "") {
		return c, fmt.Errorf("INBOUND_WHATSAPP_NUMBER and INBOUND_WHATSAPP_PHONE_NUMBER_ID go together")
	}
	if c.EmailAddress != "" && strings.Count(c.EmailAddress, "@") != 1 {
		return c, fmt.Errorf("INBOUND_EMAIL_ADDRESS: %q is not an e-mail address", c.EmailAddress)
	}
	return c, env.Err()
}

func e164(n string) bool {
	return len(n) > 4 && len(n) <= 16 && n[0] == '+' && strings.Trim(n[1:], "0123456789") == ""
}

// Open says whether some source can prove a contact of this channel.
func (c Config) Open(ch contact.Channel) bool { return len(c.Offers(ch, "")) > 0 }

// Offer is one way to send the proof text: the 202's `inbound` entries.
type Offer struct {
	Via  string `json:"via"`
	To   string `json:"to"`
	Text string `json:"text"`
	Link string `json:"link,omitempty"`
}

// Offers are the open sources for a contact of channel ch, with text to send.
// A phone is proven by WhatsApp or SMS, an e-mail address by e-mail.
func (c Config) Offers(ch contact.Channel, text string) []Offer {
	var out []Offer
	switch ch {
	case contact.SMS:
		if c.WhatsAppNumber != "" {
			link := "https://wa.me/" + strings.TrimPrefix(c.WhatsAppNumber, "+") + "?text=" + strings.ReplaceAll(url.QueryEscape(text), "+", "%20")
			out = append(out, Offer{Via: WhatsApp, To: c.WhatsAppNumber, Text: text, Link: link})
		}
		if c.SMSNumber != "" {
			out = append(out, Offer{Via: SMS, To: c.SMSNumber, Text: text})
		}
	case contact.Email:
		if c.EmailAddress != "" {
			out = append(out, Offer{Via: Email, To: c.EmailAddress, Text: text})
		}
	}
	return out
}

// Words that begin a proof text: what a registration and a sign-in ask the
// business to send.
const (
	RegisterWord = "DAFTAR"
	SignInWord   = "MASUK"
)

// textAlphabet has no 0/O, 1/I/L: easy to read and type on a phone.
const textAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// textLen random characters from 31 give 44 bits: a text cannot be guessed, and
// even a guessed one proves nothing unless it comes from the destination.
const textLen = 9

// NewText is a fresh proof text: word, a space and random characters, each drawn
// uniformly (bytes past the last whole multiple of the alphabet are drawn again).
func NewText(r io.Reader, word string) (string, error) {
	var s strings.Builder
	s.WriteString(word + " ")
	limit := 256 - 256%len(textAlphabet)
	var b [1]byte
	for n := 0; n < textLen; {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", fmt.Errorf("proof text: %w", err)
		}
		if int(b[0]) < limit {
			s.WriteByte(textAlphabet[int(b[0])%len(textAlphabet)])
			n++
		}
	}
	return s.String(), nil
}

// Normalize is text with case and every space aside, as messages are matched.
func Normalize(text string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, text)
}

// Keywords a number sends to stop or restart every message to it.
var (
	stopWords  = map[string]bool{"STOP": true, "BERHENTI": true}
	startWords = map[string]bool{"START": true, "MULA": true}
)

// IsStop and IsStart say whether text is an opt-out or opt-in keyword.
func IsStop(text string) bool  { return stopWords[Normalize(text)] }
func IsStart(text string) bool { return startWords[Normalize(text)] }

// Proof is the identity.Kind of a proof text's hash.
const Proof identity.Kind = "proof"

// TextHash is the keyed hash a proof text is stored and found under.
func TextHash(h identity.Hasher, text string) string { return h.Hash(Proof, Normalize(text)) }

// Pending is a fresh proof for the item with key subject (a registration's or a
// session's) whose contact has channel ch and identity hash destHash: the text
// to show, and the proof to add to the subject's transaction with
// store.Tx.PutProof(textHash, proof). It expires after c.TTL and is kept until
// keep, so a late or repeated message is recognised rather than unmatched.
func (c Config) Pending(r io.Reader, h identity.Hasher, word, subject string, ch contact.Channel, destHash string, now, keep time.Time) (text, textHash string, p store.Proof, err error) {
	if text, err = NewText(r, word); err != nil {
		return "", "", store.Proof{}, err
	}
	expires := now.Add(c.TTL)
	p = store.Proof{Subject: subject, Channel: string(ch), DestHash: destHash, ExpiresAt: expires.Unix(), TTL: max(keep.Unix(), expires.Unix())}
	return text, TextHash(h, text), p, nil
}

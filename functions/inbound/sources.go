package inbound

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/inbound"
)

// message is one inbound message, whatever its source.
type message struct {
	via string
	// id is the source's id of the message: a redelivery carries the same one.
	id string
	// from is the sender as the source gives it; to is where it was sent (our
	// number, phone number id or address).
	from, to string
	text     string
	// unauthenticated names the failed check of a message whose sender the
	// source could not vouch for (an e-mail without DKIM and DMARC PASS), or "".
	unauthenticated string
}

// envelope is enough of an SNS message body to tell the three sources apart.
type envelope struct {
	NotificationType  string  `json:"notificationType"`
	WhatsAppEntry     *string `json:"whatsAppWebhookEntry"`
	OriginationNumber *string `json:"originationNumber"`
}

// parse reads an SNS message body from any of the three sources into messages;
// it answers none for a notification that carries no inbound message (a
// WhatsApp delivery status, say) or that it cannot read.
func parse(body string) ([]message, string) {
	var e envelope
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		return nil, "not JSON"
	}
	switch {
	case e.NotificationType == "Received":
		m, ok := parseEmail(body)
		if !ok {
			return nil, "unreadable SES notification"
		}
		return []message{m}, ""
	case e.WhatsAppEntry != nil:
		ms, ok := parseWhatsApp(*e.WhatsAppEntry)
		if !ok {
			return nil, "unreadable WhatsApp entry"
		}
		return ms, ""
	case e.OriginationNumber != nil:
		m, ok := parseSMS(body)
		if !ok {
			return nil, "unreadable SMS"
		}
		return []message{m}, ""
	}
	return nil, "not an inbound message"
}

// sesReceived is an SES "Received" notification, as an SNS receipt rule action
// publishes it (https://docs.aws.amazon.com/ses/latest/dg/receiving-email-notifications-contents.html).
type sesReceived struct {
	NotificationType string                    `json:"notificationType"`
	Receipt          events.SimpleEmailReceipt `json:"receipt"`
	Mail             events.SimpleEmailMessage `json:"mail"`
	// Content is the raw MIME message (SNS actions only).
	Content string `json:"content"`
}

func parseEmail(body string) (message, bool) {
	var n sesReceived
	if err := json.Unmarshal([]byte(body), &n); err != nil || n.Mail.MessageID == "" {
		return message{}, false
	}
	m := message{via: inbound.Email, id: n.Mail.MessageID}
	if len(n.Mail.CommonHeaders.From) == 1 {
		m.from = n.Mail.CommonHeaders.From[0]
	}
	if len(n.Receipt.Recipients) > 0 {
		m.to = strings.Join(n.Receipt.Recipients, ",")
	}
	switch {
	case n.Receipt.DKIMVerdict.Status != "PASS":
		m.unauthenticated = "dkim"
	case n.Receipt.DMARCVerdict.Status != "PASS":
		m.unauthenticated = "dmarc"
	case n.Receipt.VirusVerdict.Status == "FAIL":
		m.unauthenticated = "virus"
	}
	m.text = emailText(n.Mail.CommonHeaders.Subject, n.Content)
	return m, true
}

// emailText is the proof text of an e-mail: its subject (the site's mailto link
// fills it in) or, where the subject holds none, the first line of its plain
// text body.
func emailText(subject, content string) string {
	if s, err := new(mime.WordDecoder).DecodeHeader(subject); err == nil {
		subject = s
	}
	if looksLikeProof(subject) || content == "" {
		return subject
	}
	msg, err := mail.ReadMessage(strings.NewReader(content))
	if err != nil {
		return subject
	}
	text := plainText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			return line
		}
	}
	return subject
}

func looksLikeProof(s string) bool {
	n := inbound.Normalize(s)
	return strings.HasPrefix(n, inbound.RegisterWord) || strings.HasPrefix(n, inbound.SignInWord)
}

// maxBody bounds what is read of a body: a proof text is one short line.
const maxBody = 64 << 10

// plainText is the first text/plain part of a MIME body, decoded, or "".
func plainText(contentType, encoding string, body io.Reader, depth int) string {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if contentType == "" {
		mediaType, err = "text/plain", nil
	}
	switch {
	case err != nil || depth > 3:
		return ""
	case strings.HasPrefix(mediaType, "multipart/"):
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextPart()
			if err != nil {
				return ""
			}
			if t := plainText(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1); t != "" {
				return t
			}
		}
	case mediaType == "text/plain":
		if strings.EqualFold(strings.TrimSpace(encoding), "base64") {
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, _ := io.ReadAll(io.LimitReader(body, maxBody))
		return string(b)
	}
	return ""
}

// whatsAppEntry is the webhook entry of an inbound WhatsApp message, which AWS End
// User Messaging Social publishes as a JSON string in whatsAppWebhookEntry
// (https://docs.aws.amazon.com/social-messaging/latest/userguide/managing-event-destination-dlrs.html).
type whatsAppEntry struct {
	Changes []struct {
		Field string `json:"field"`
		Value struct {
			Metadata struct {
				PhoneNumberID string `json:"phone_number_id"`
			} `json:"metadata"`
			Messages []struct {
				From string `json:"from"`
				ID   string `json:"id"`
				Type string `json:"type"`
				Text struct {
					Body string `json:"body"`
				} `json:"text"`
			} `json:"messages"`
		} `json:"value"`
	} `json:"changes"`
}

func parseWhatsApp(entry string) ([]message, bool) {
	var e whatsAppEntry
	if err := json.Unmarshal([]byte(entry), &e); err != nil {
		return nil, false
	}
	var out []message
	for _, c := range e.Changes {
		for _, wm := range c.Value.Messages {
			m := message{via: inbound.WhatsApp, id: wm.ID, from: "+" + strings.TrimPrefix(wm.From, "+"), to: c.Value.Metadata.PhoneNumberID}
			if wm.Type == "text" {
				m.text = wm.Text.Body
			}
			out = append(out, m)
		}
	}
	return out, true
}

// twoWaySMS is the payload AWS End User Messaging SMS publishes for an inbound SMS
// (https://docs.aws.amazon.com/sms-voice/latest/userguide/two-way-sms-payload.html).
type twoWaySMS struct {
	OriginationNumber string `json:"originationNumber"`
	DestinationNumber string `json:"destinationNumber"`
	MessageBody       string `json:"messageBody"`
	InboundMessageID  string `json:"inboundMessageId"`
}

func parseSMS(body string) (message, bool) {
	var s twoWaySMS
	if err := json.Unmarshal([]byte(body), &s); err != nil || s.InboundMessageID == "" {
		return message{}, false
	}
	return message{via: inbound.SMS, id: s.InboundMessageID, from: s.OriginationNumber, to: s.DestinationNumber, text: s.MessageBody}, true
}

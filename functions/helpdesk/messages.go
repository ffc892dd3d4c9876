package helpdesk

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/store"
)

// The helpdesk's metrics, besides the shared challenge and send ones.
const (
	MetricTicketOpened       = "TicketOpened"
	MetricTicketDuplicate    = "TicketDuplicate"
	MetricTicketRefused      = "TicketRefused"
	MetricStaffNotified      = "StaffNotified"
	MetricStaffNotifyFailed  = "StaffNotifyFailed"
	MetricTicketAcknowledged = "TicketAcknowledged"
)

// staffSubject is the subject of the staff notification: fixed words, the ticket's
// own id and a topic from the fixed list, so nothing typed can reach a header.
func staffSubject(tk store.Ticket) string {
	return "New helpdesk ticket " + tk.ID + " (" + tk.Topic + ")"
}

// staffBody is the plain-text staff notification. Everything the requester typed
// is made inert and quoted under a line that says so; the contact is shown masked
// (staff find it whole in the ticket) and says whether a venue proved it.
func staffBody(tk store.Ticket) string {
	var b strings.Builder
	fmt.Fprintf(&b, "A new help request was received.\n\n")
	fmt.Fprintf(&b, "Ticket:   %s\n", tk.ID)
	fmt.Fprintf(&b, "Topic:    %s\n", tk.Topic)
	fmt.Fprintf(&b, "Received: %s\n", time.Unix(tk.CreatedAt, 0).UTC().Format(time.RFC3339))
	proof := "NOT proven: anyone may have typed it"
	if tk.ContactVenueID != "" {
		proof = "proven by venue " + tk.ContactVenueID
	}
	fmt.Fprintf(&b, "Contact:  %s %s (%s)\n", tk.Channel, inert(contact.Mask(contact.Channel(tk.Channel), tk.Contact), true), proof)
	if tk.RegistrationID != "" || tk.VenueID != "" {
		fmt.Fprintf(&b, "About:    registration %s, venue %s (as stated by the requester, unchecked)\n", orNone(tk.RegistrationID), orNone(tk.VenueID))
	}
	ack := "no"
	if tk.Acknowledged {
		ack = "yes, with the fixed acknowledgement"
	}
	fmt.Fprintf(&b, "Reply sent to contact: %s\n\n", ack)
	b.WriteString("Below the line is what the requester typed, made inert: links and addresses are broken\n" +
		"(hxxp, [:], [.], [at]), angle brackets are shown as ‹ ›, and invisible characters as [U+XXXX].\n" +
		"Do not follow or reassemble anything in it. Reply only through the support tools.\n")
	b.WriteString("---------------- typed by the requester ----------------\n")
	fmt.Fprintf(&b, "Name: %s\nMessage:\n%s\n", inert(tk.Name, true), quoted(tk.Message, "  | "))
	b.WriteString("------------------------- end -------------------------\n")
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// notifyStaff announces tk on the staff topic and, if configured, to the staff
// address. The ticket is already stored: a failure is counted and logged, and the
// requester still gets the ticket.
func (h *Handler) notifyStaff(ctx context.Context, tk store.Ticket) {
	subject, body := staffSubject(tk), staffBody(tk)
	msgs := []notify.Message{{Channel: notify.Topic, To: h.cfg.StaffTopicARN, Subject: subject, Body: body}}
	if h.cfg.StaffEmail != "" {
		msgs = append(msgs, notify.Message{Channel: contact.Email, To: h.cfg.StaffEmail, Subject: subject, Body: body})
	}
	for _, m := range msgs {
		if err := h.sender.Send(ctx, m); err != nil {
			h.metrics.Count(MetricStaffNotifyFailed, 1, "Channel", string(m.Channel))
			h.log.ErrorContext(ctx, "staff notification failed", "ticket", tk.ID, "channel", string(m.Channel), "err", err)
			continue
		}
		h.metrics.Count(MetricStaffNotified, 1, "Channel", string(m.Channel))
	}
}

// acknowledgement is the fixed e-mail to an address that a venue proved. Its only
// variable part is the ticket's id, which the service made: nothing typed.
func acknowledgement(to, ticketID string) notify.Message {
	body := `We received your help request to the check-in registry.

Reference: ` + ticketID + `

Our support team will reply to you. You do not need to send it again.

Permintaan bantuan anda kepada daftar daftar masuk telah diterima. Rujukan: ` + ticketID + `.
Pasukan sokongan kami akan membalas.

You receive this because this address belongs to a registered venue and a help
request named it. If that was not you, you can ignore this message.
`
	return notify.Message{Channel: contact.Email, To: to, Subject: "We received your help request / Permintaan bantuan diterima", Body: body}
}

// acknowledge sends the fixed acknowledgement to the proven address in vc.
func (h *Handler) acknowledge(ctx context.Context, vc store.VerifiedContact, ticketID string) {
	if err := h.sender.Send(ctx, acknowledgement(vc.Contact, ticketID)); err != nil {
		h.metrics.Count(metrics.SendFailed, 1, "Channel", string(contact.Email))
		h.log.ErrorContext(ctx, "acknowledgement failed", "ticket", ticketID, "err", err)
		return
	}
	h.metrics.Count(MetricTicketAcknowledged, 1)
}

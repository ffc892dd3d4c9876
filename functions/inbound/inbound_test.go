package inbound_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/checkin-registry/registry/functions/inbound"
	"github.com/checkin-registry/registry/shared/store"
)

const owner, ownerWA, ownerMail = "+60123456789", "60123456789", "nadia.rahman@example.com"

// source is one inbound channel: how a message of its kind is built from a
// sender, a text and a message id, and the sender's contact as registered.
type source struct {
	via     string
	contact string
	from    string // the sender as the source names the owner
	other   string // another sender, as the source names it
	message func(from, text, id string) string
}

var sources = []source{
	{"whatsapp", owner, ownerWA, "60198765432", whatsApp},
	{"sms", owner, owner, "+60198765432", sms},
	{"email", ownerMail, "Nadia Rahman <" + ownerMail + ">", "Mallory <mallory@example.com>", func(from, text, id string) string {
		return email(from, text, id, pass)
	}},
}

func TestProof(t *testing.T) {
	for _, src := range sources {
		t.Run(src.via, func(t *testing.T) {
			tests := []struct {
				name string
				// send is the message that arrives, given the pending text.
				send      func(hs *harness, text string) string
				wantProof bool
				dropped   string // the Reason counted, if the message is dropped
			}{
				{"from the contact, with the text", func(hs *harness, text string) string { return src.message(src.from, text, "m1") }, true, ""},
				{"case and spaces aside", func(hs *harness, text string) string {
					return src.message(src.from, "  "+strings.ToLower(strings.ReplaceAll(text, " ", "  "))+"\n", "m1")
				}, true, ""},
				{"spoofed sender", func(hs *harness, text string) string { return src.message(src.other, text, "m1") }, false, "wrong_sender"},
				{"wrong text", func(hs *harness, text string) string {
					last := "Z"
					if strings.HasSuffix(text, last) {
						last = "Y"
					}
					return src.message(src.from, text[:len(text)-1]+last, "m1")
				}, false, "unmatched"},
				{"expired", func(hs *harness, text string) string {
					hs.clock.Advance(10*time.Minute + time.Second)
					return src.message(src.from, text, "m1")
				}, false, "expired"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					hs := newHarness(t)
					text, id := hs.pending(src.contact)
					hs.deliver(tt.send(hs, text))
					if ok, via := hs.proven(id); ok != tt.wantProof || (ok && via != src.via) {
						t.Fatalf("proven=%v via %q, want %v via %s", ok, via, tt.wantProof, src.via)
					}
					if tt.dropped != "" && hs.count(inbound.Dropped, tt.dropped) != 1 {
						t.Errorf("no InboundDropped with Reason %s:\n%s", tt.dropped, hs.stack.Metrics.String())
					}
					if tt.dropped != "" && (len(hs.stack.Items(t, "rl#inbound-sender#")) != 1 || len(hs.stack.Items(t, "rl#inbound-net#")) != 1) {
						t.Errorf("the drop is not counted per sender and per network")
					}
				})
			}
		})
	}
}

func TestReplayAndRedelivery(t *testing.T) {
	for _, src := range sources {
		t.Run(src.via, func(t *testing.T) {
			hs := newHarness(t)
			text, id := hs.pending(src.contact)
			first := src.message(src.from, text, "m1")
			hs.deliver(first)
			// The same message again (SNS or Lambda retrying) is not a replay.
			hs.deliver(first)
			if hs.count(inbound.Dropped, "replay") != 0 || hs.count(inbound.Proven, src.via) != 1 {
				t.Fatalf("a redelivery was counted as a replay or a second proof:\n%s", hs.stack.Metrics.String())
			}
			// Another message with the text is a replay: dropped.
			hs.deliver(src.message(src.from, text, "m2"))
			if hs.count(inbound.Dropped, "replay") != 1 || hs.count(inbound.Proven, src.via) != 1 {
				t.Fatalf("replay not dropped:\n%s", hs.stack.Metrics.String())
			}
			if ok, _ := hs.proven(id); !ok {
				t.Fatal("not proven")
			}
		})
	}
}

// TestConcurrentDeliveries delivers one message twice at once, both reading the
// proof before either writes: one proves it, the other sees it done.
func TestConcurrentDeliveries(t *testing.T) {
	for _, src := range sources {
		t.Run(src.via, func(t *testing.T) {
			hs := newHarness(t)
			text, id := hs.pending(src.contact)
			msg := src.message(src.from, text, "m1")
			hs.barrier(2)
			var wg sync.WaitGroup
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := hs.invoke.Invoke(context.Background(), snsEvent(msg)); err != nil {
						t.Errorf("invoke: %v", err)
					}
				}()
			}
			wg.Wait()
			if n := hs.count(inbound.Proven, src.via); n != 1 {
				t.Fatalf("%d proofs, want 1:\n%s", n, hs.stack.Metrics.String())
			}
			if ok, _ := hs.proven(id); !ok {
				t.Fatal("not proven")
			}
			if n := hs.count(inbound.Dropped, "replay"); n != 0 {
				t.Errorf("the second delivery of the same message counted as a replay")
			}
		})
	}
}

func TestEmailVerdicts(t *testing.T) {
	for _, tt := range []struct {
		name   string
		v      verdicts
		proven bool
	}{
		{"DKIM and DMARC pass", pass, true},
		{"DKIM fails", verdicts{"FAIL", "PASS"}, false},
		{"DMARC fails", verdicts{"PASS", "FAIL"}, false},
		{"no DMARC policy (GRAY)", verdicts{"PASS", "GRAY"}, false},
		{"DKIM unchecked", verdicts{"GRAY", "PASS"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			text, id := hs.pending(ownerMail)
			hs.deliver(email(ownerMail, text, "m1", tt.v))
			if ok, _ := hs.proven(id); ok != tt.proven {
				t.Fatalf("proven=%v, want %v", ok, tt.proven)
			}
			if !tt.proven && hs.count(inbound.Dropped, "unauthenticated") != 1 {
				t.Errorf("not counted as unauthenticated:\n%s", hs.stack.Metrics.String())
			}
		})
	}
}

func TestOtherRecipientIgnored(t *testing.T) {
	hs := newHarness(t)
	text, id := hs.pending(owner)
	msg := strings.Replace(sms(owner, text, "m1"), parameters["InboundSmsNumber"], "+60380000009", 1)
	hs.deliver(msg)
	if ok, _ := hs.proven(id); ok {
		t.Fatal("a message to another number proved the registration")
	}
}

// TestEmailBody takes the text from the body's first line where the subject
// holds none, through quoted-printable multipart mail.
func TestEmailBody(t *testing.T) {
	hs := newHarness(t)
	text, id := hs.pending(ownerMail)
	content := "From: " + ownerMail + "\r\nSubject: hello\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\r\n" +
		strings.ToLower(text) + "=\r\n\r\n-- =\r\nSent from my phone\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b1--\r\n"
	msg := strings.Replace(email(ownerMail, "hello", "m1", pass), `"notificationType"`, `"content":`+quote(content)+`,"notificationType"`, 1)
	hs.deliver(msg)
	if ok, _ := hs.proven(id); !ok {
		t.Fatalf("the body's text did not prove it:\n%s", hs.stack.Logs.String())
	}
}

func TestStopAndStart(t *testing.T) {
	for _, src := range sources[:2] {
		t.Run(src.via, func(t *testing.T) {
			hs := newHarness(t)
			for _, word := range []string{"STOP", "berhenti"} {
				hs.deliver(src.message(src.from, word, "stop-"+word))
				if s, ok := hs.suppressed(owner); !ok || s.Reason != inbound.StopReason {
					t.Fatalf("after %s: suppressed=%v %+v, want a stop", word, ok, s)
				}
				hs.deliver(src.message(src.from, "Mula", "start-"+word))
				if _, ok := hs.suppressed(owner); ok {
					t.Fatalf("after MULA the number is still suppressed")
				}
			}
			hs.deliver(src.message(src.from, "STOP", "s1"))
			hs.deliver(src.message(src.from, " start ", "s2"))
			if _, ok := hs.suppressed(owner); ok {
				t.Fatal("after START the number is still suppressed")
			}
			// A STOP from another number stops only that one.
			hs.deliver(src.message(src.other, "STOP", "s3"))
			if _, ok := hs.suppressed(owner); ok {
				t.Fatal("another number's STOP suppressed the owner")
			}
		})
	}
}

// TestStartLiftsOnlyStop: START undoes a STOP, never another reason's block.
func TestStartLiftsOnlyStop(t *testing.T) {
	hs := newHarness(t)
	if err := hs.store.Suppress(context.Background(), hs.ids.Destination(hs.destination(owner)), store.Suppression{Reason: "complaint", CreatedAt: start.Unix()}, start); err != nil {
		t.Fatal(err)
	}
	hs.deliver(sms(owner, "START", "s1"))
	if s, ok := hs.suppressed(owner); !ok || s.Reason != "complaint" {
		t.Fatalf("suppressed=%v %+v, want the complaint kept", ok, s)
	}
}

func TestEmailStopIsNoKeyword(t *testing.T) {
	hs := newHarness(t)
	hs.deliver(email(ownerMail, "STOP", "m1", pass))
	if _, ok := hs.suppressed(ownerMail); ok {
		t.Fatal("an e-mail STOP suppressed the address: e-mail has its own opt-out link")
	}
}

// TestCalls counts the DynamoDB calls one proof and one dropped message cost.
func TestCalls(t *testing.T) {
	hs := newHarness(t)
	text, _ := hs.pending(owner)
	hs.db.Reset()
	hs.deliver(whatsApp(ownerWA, text, "m1"))
	total, by := hs.db.Calls()
	if total != 2 || by["GetItem"] != 1 || by["TransactWriteItems"] != 1 {
		t.Errorf("a proof took %d calls %v, want 2: one GetItem, one TransactWriteItems", total, by)
	}
	hs.db.Reset()
	hs.deliver(whatsApp(ownerWA, "DAFTAR WRONG", "m2"))
	if total, by = hs.db.Calls(); total != 2 || by["GetItem"] != 1 || by["TransactWriteItems"] != 1 {
		t.Errorf("a dropped message took %d calls %v, want 2: the read and one write of both counters", total, by)
	}
	if logs := hs.stack.Logs.String(); strings.Contains(logs, "123456789") || strings.Contains(logs, text[7:]) {
		t.Errorf("logs hold a full number or a proof text:\n%s", logs)
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

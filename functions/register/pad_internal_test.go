package register

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/checkin-registry/registry/shared/contact"
)

// TestSendTimesDrawsRecentSends: a silent answer waits coldSendTime before any
// send, then only times this instance's last sendSamples sends of that channel
// took.
func TestSendTimesDrawsRecentSends(t *testing.T) {
	var s sendTimes
	if d := s.draw(contact.SMS, rand.Reader); d != coldSendTime {
		t.Fatalf("before any send: %v, want %v", d, coldSendTime)
	}
	for i := range sendSamples + 8 {
		s.add(contact.SMS, time.Duration(i)*time.Millisecond)
	}
	s.add(contact.Email, time.Hour)
	for range 500 {
		d := s.draw(contact.SMS, rand.Reader)
		if d < 8*time.Millisecond || d >= (sendSamples+8)*time.Millisecond {
			t.Fatalf("drew %v: not one of the last %d SMS sends", d, sendSamples)
		}
	}
	if d := s.draw(contact.Email, rand.Reader); d != time.Hour {
		t.Fatalf("e-mail drew %v, want its own send's hour", d)
	}
}

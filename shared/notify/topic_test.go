package notify_test

import (
	"context"
	"testing"

	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/notify/sns"
)

// SNSTopic against the emulator: the template's staff topic takes a message, a
// topic that does not exist refuses it, and Channels routes the topic channel.
func TestSNSTopicAgainstTheEmulator(t *testing.T) {
	st := mototest.NewTestStack(t, nil)
	topic := &sns.Topic{Client: st.Clients.SNS}
	ctx := context.Background()
	m := notify.Message{Channel: notify.Topic, To: st.Refs["StaffTopic"], Subject: "New helpdesk ticket x (other)", Body: "text"}
	if err := topic.Send(ctx, m); err != nil {
		t.Fatalf("publish to the staff topic: %v", err)
	}
	m.Subject = ""
	if err := topic.Send(ctx, m); err != nil {
		t.Fatalf("publish without a subject: %v", err)
	}
	if err := topic.Send(ctx, notify.Message{Channel: notify.Topic, To: st.Refs["StaffTopic"] + "-missing", Body: "text"}); err == nil {
		t.Fatal("a topic that does not exist took a message")
	}
	if err := (notify.Channels{contact.Email: topic}).Send(ctx, m); err == nil {
		t.Fatal("Channels without a topic sender sent a topic message")
	}
	if err := (notify.Channels{notify.Topic: topic}).Send(ctx, m); err != nil {
		t.Fatalf("Channels with a topic sender: %v", err)
	}
}

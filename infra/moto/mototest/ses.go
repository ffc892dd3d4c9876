package mototest

import (
	"encoding/json"
	"net/http"
	"testing"
)

// SentEmail is a raw e-mail that the emulator's SES accepted.
type SentEmail struct {
	Source       string   `json:"source"`
	Destinations []string `json:"destinations"`
	Raw          string   `json:"raw_data"`
}

// SentEmails is every raw e-mail that SES in this process's emulator accepted, in
// the order sent, read from moto's model data: what SES would deliver, headers and
// all, which the local outbox (the sender's view) does not show.
func SentEmails(t testing.TB) []SentEmail {
	t.Helper()
	resp, err := http.Get(URL(t) + "/moto-api/data.json")
	if err != nil {
		t.Fatalf("moto model data: %v", err)
	}
	defer resp.Body.Close()
	var data struct {
		SES struct {
			RawMessage []SentEmail `json:"RawMessage"`
		} `json:"ses"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&data); err != nil {
		t.Fatalf("moto model data: %v", err)
	}
	return data.SES.RawMessage
}

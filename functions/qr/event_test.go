package qr

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/checkin-registry/registry/infra/moto"
)

// TestSampleEvent feeds events/qr.json (the sample for `sam local invoke -e`) to the
// handler through the Lambda runtime's own decoding, with the sample's venue id and
// placeholder token replaced by a real venue's, and reads the PNG back.
func TestSampleEvent(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(moto.Root(), "events", "qr.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	// The sample is an API Gateway REST proxy event: it survives a round trip.
	again, _ := json.Marshal(ev)
	var a, b any
	json.Unmarshal(raw, &a)
	json.Unmarshal(again, &b)
	if !reflect.DeepEqual(withoutEmpty(a), withoutEmpty(b)) {
		t.Fatalf("events/qr.json does not round-trip:\n%s\n%s", raw, again)
	}

	hs := newHarness(t)
	id, tok := hs.venue("Kedai Runcit Ali")
	invoke := func(ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
		t.Helper()
		payload, _ := json.Marshal(ev)
		out, err := lambda.NewHandler(hs.qr.Handle).Invoke(context.Background(), payload)
		if err != nil {
			t.Fatal(err)
		}
		var resp events.APIGatewayProxyResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if resp := invoke(ev); resp.StatusCode != 401 {
		t.Fatalf("sample as is (placeholder token): status=%d, want 401", resp.StatusCode)
	}

	ev.PathParameters["venueId"] = id
	ev.Headers["Authorization"] = "Bearer " + tok
	ev.MultiValueHeaders["Authorization"] = []string{"Bearer " + tok}
	resp := invoke(ev)
	if resp.StatusCode != 200 || !resp.IsBase64Encoded || resp.Headers["Content-Type"] != "image/png" {
		t.Fatalf("status=%d base64=%v type=%q, want 200 true image/png", resp.StatusCode, resp.IsBase64Encoded, resp.Headers["Content-Type"])
	}
	png, err := base64.StdEncoding.DecodeString(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	_, body := hs.getVenue(hs.qr, id, tok)
	got, img := decodePNG(t, png)
	if want := URL(hs.cfg.BaseURL, payloadOf(t, body)); got != want || img.Bounds().Dx() != 512 {
		t.Fatalf("PNG reads %q at %d px, want %q at 512 (the event's size)", got, img.Bounds().Dx(), want)
	}
}

// withoutEmpty drops null, "" and false members: the Go event type writes an
// absent body as "" where API Gateway writes null.
func withoutEmpty(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for k, x := range m {
		if x == nil || x == "" || x == false {
			continue
		}
		out[k] = withoutEmpty(x)
	}
	return out
}

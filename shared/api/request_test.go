package api

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestClientAddress(t *testing.T) {
	req := func(headers map[string]string) events.APIGatewayProxyRequest {
		r := events.APIGatewayProxyRequest{Headers: headers}
		r.RequestContext.Identity.SourceIP = "130.176.1.1" // a CloudFront edge
		return r
	}
	const secret = "s3cret-s3cret-s3cret-s3cret-s3cret"
	tests := []struct {
		name    string
		c       ClientAddress
		headers map[string]string
		want    string
		code    string
	}{
		{"no CloudFront: the source", ClientAddress{}, map[string]string{"CloudFront-Viewer-Address": "198.51.100.1:443"}, "130.176.1.1", ""},
		{"viewer IPv4", ClientAddress{secret}, map[string]string{"X-Origin-Verify": secret, "CloudFront-Viewer-Address": "198.51.100.7:53211"}, "198.51.100.7", ""},
		{"viewer IPv6", ClientAddress{secret}, map[string]string{"x-origin-verify": secret, "cloudfront-viewer-address": "2001:db8::1:53211"}, "2001:db8::1", ""},
		{"bypassed CloudFront", ClientAddress{secret}, map[string]string{"CloudFront-Viewer-Address": "198.51.100.7:1"}, "", CodeForbidden},
		{"wrong secret", ClientAddress{secret}, map[string]string{"X-Origin-Verify": secret + "x", "CloudFront-Viewer-Address": "198.51.100.7:1"}, "", CodeForbidden},
		{"rotation: the new secret", ClientAddress{"new-new-new-new-new-new-new-new-new, " + secret}, map[string]string{"X-Origin-Verify": "new-new-new-new-new-new-new-new-new", "CloudFront-Viewer-Address": "198.51.100.7:1"}, "198.51.100.7", ""},
		{"rotation: the old secret", ClientAddress{"new-new-new-new-new-new-new-new-new, " + secret}, map[string]string{"X-Origin-Verify": secret, "CloudFront-Viewer-Address": "198.51.100.7:1"}, "198.51.100.7", ""},
		{"rotation: an empty header", ClientAddress{secret + ","}, map[string]string{"X-Origin-Verify": "", "CloudFront-Viewer-Address": "198.51.100.7:1"}, "", CodeForbidden},
		{"no viewer", ClientAddress{secret}, map[string]string{"X-Origin-Verify": secret}, "", CodeForbidden},
		{"garbage viewer", ClientAddress{secret}, map[string]string{"X-Origin-Verify": secret, "CloudFront-Viewer-Address": "me:1"}, "", CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.IP(req(tt.headers))
			if got != tt.want || ErrorCode(err) != tt.code && !(err == nil && tt.code == "") {
				t.Fatalf("IP = %q, %v; want %q, %q", got, err, tt.want, tt.code)
			}
		})
	}
}

func TestDecodeJSON(t *testing.T) {
	type body struct {
		Name *string `json:"name"`
		N    int     `json:"n"`
	}
	tests := []struct {
		name, ctype, body string
		base64            bool
		code, field       string
	}{
		{"ok", "application/json", `{"name":"a","n":1}`, false, "", ""},
		{"charset", "application/json; charset=utf-8", `{"n":1}`, false, "", ""},
		{"base64 body", "application/json", "eyJuIjoxfQ==", true, "", ""},
		{"bad base64", "application/json", "%%%", true, CodeInvalidRequest, ""},
		{"no content type", "", `{"n":1}`, false, CodeUnsupportedMediaType, ""},
		{"form", "application/x-www-form-urlencoded", `n=1`, false, CodeUnsupportedMediaType, ""},
		{"unknown field", "application/json", `{"x":1}`, false, CodeInvalidRequest, "x"},
		{"wrong type", "application/json", `{"n":"1"}`, false, CodeInvalidRequest, "n"},
		{"array", "application/json", `[]`, false, CodeInvalidRequest, ""},
		{"empty", "application/json", ``, false, CodeInvalidRequest, ""},
		{"trailing", "application/json", `{"n":1} x`, false, CodeInvalidRequest, ""},
		{"too large", "application/json", `{"name":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, false, CodePayloadTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := events.APIGatewayProxyRequest{Body: tt.body, IsBase64Encoded: tt.base64, Headers: map[string]string{}}
			if tt.ctype != "" {
				req.Headers["content-type"] = tt.ctype
			}
			var b body
			err := DecodeJSON(req, &b)
			var e *Error
			switch {
			case tt.code == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.code != "" && (!errors.As(err, &e) || e.Code != tt.code):
				t.Fatalf("err = %v, want %s", err, tt.code)
			case tt.field != "" && e.Fields[tt.field] == "":
				t.Fatalf("fields = %v, want %s named", e.Fields, tt.field)
			}
		})
	}
}

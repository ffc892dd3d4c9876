package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// MaxBodyBytes is the contract's limit on request bodies.
const MaxBodyBytes = 8 << 10

// Header is the value of a request header, matched case-insensitively as HTTP requires.
func Header(req events.APIGatewayProxyRequest, name string) string {
	if v, ok := req.Headers[name]; ok {
		return v
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, vs := range req.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// Body is the raw request body, decoded from base64 where API Gateway encoded it.
func Body(req events.APIGatewayProxyRequest) ([]byte, error) {
	if !req.IsBase64Encoded {
		return []byte(req.Body), nil
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, Errorf(CodeInvalidRequest, "The request body is not valid base64.")
	}
	return b, nil
}

// DecodeJSON decodes the JSON request body into v with the contract's rules: at most
// MaxBodyBytes, media type application/json, one JSON object, no unknown fields.
func DecodeJSON(req events.APIGatewayProxyRequest, v any) error {
	body, err := Body(req)
	if err != nil {
		return err
	}
	if len(body) > MaxBodyBytes {
		return Errorf(CodePayloadTooLarge, "The request body is larger than %d bytes.", MaxBodyBytes)
	}
	if mt, _, err := mime.ParseMediaType(Header(req, "Content-Type")); err != nil || mt != "application/json" {
		return Errorf(CodeUnsupportedMediaType, "The request body must be application/json.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(CodeInvalidRequest, "The request body must hold a single JSON object.")
	}
	return nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return Invalid(map[string]string{typeErr.Field: "must be a " + typeErr.Type.String()})
	case errors.As(err, &typeErr):
		return Errorf(CodeInvalidRequest, "The request body must be a JSON object.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return Invalid(map[string]string{name: "unknown field"})
	case errors.Is(err, io.EOF):
		return Errorf(CodeInvalidRequest, "The request body is empty.")
	default:
		return Errorf(CodeInvalidRequest, "The request body is not valid JSON.")
	}
}

// ClientIP is the caller's address as API Gateway saw it.
func ClientIP(req events.APIGatewayProxyRequest) string {
	return req.RequestContext.Identity.SourceIP
}

package api

import (
	"bytes"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/netip"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/config"
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

// ClientAddress finds the address of the client behind a request.
type ClientAddress struct {
	// OriginSecret is set where the API is reached through the site's CloudFront
	// distribution, which adds it as the OriginSecretHeader of every request it
	// forwards. API Gateway then sees a CloudFront edge as the source, so the client
	// is the viewer address CloudFront reports; a request without the secret did not
	// come through CloudFront and is refused, so the viewer address cannot be forged.
	// During a rotation it may hold the new and the old secret, comma-separated:
	// Lambda takes a new value in seconds, CloudFront in minutes.
	OriginSecret string
}

// accepts says whether got is one of the configured secrets, in constant time.
func (c ClientAddress) accepts(got string) bool {
	ok := false
	for _, s := range strings.Split(c.OriginSecret, ",") {
		if s = strings.TrimSpace(s); s != "" && hmac.Equal([]byte(got), []byte(s)) {
			ok = true
		}
	}
	return ok
}

// OriginSecretHeader carries ClientAddress.OriginSecret from CloudFront.
const OriginSecretHeader = "X-Origin-Verify"

// ViewerAddressHeader is where CloudFront reports the viewer: "ip:port".
const ViewerAddressHeader = "CloudFront-Viewer-Address"

// IP is the client's address: API Gateway's source address, or behind CloudFront
// the viewer's, where the request carries the origin secret.
func (c ClientAddress) IP(req events.APIGatewayProxyRequest) (string, error) {
	if c.OriginSecret == "" {
		return req.RequestContext.Identity.SourceIP, nil
	}
	if !c.accepts(Header(req, OriginSecretHeader)) {
		return "", Errorf(CodeForbidden, "Requests must come through the registry's own site.")
	}
	viewer := Header(req, ViewerAddressHeader)
	i := strings.LastIndexByte(viewer, ':')
	if i < 0 {
		return "", Errorf(CodeForbidden, "The request does not say where it came from.")
	}
	addr, err := netip.ParseAddr(strings.Trim(viewer[:i], "[]"))
	if err != nil {
		return "", Errorf(CodeForbidden, "The request does not say where it came from.")
	}
	return addr.String(), nil
}

// ClientAddressFromEnv reads the origin secret (ORIGIN_VERIFY_SECRET) that every
// function counting clients by address shares.
func ClientAddressFromEnv(env *config.Env) ClientAddress {
	return ClientAddress{OriginSecret: env.String("ORIGIN_VERIFY_SECRET", "")}
}

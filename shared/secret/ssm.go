package secret

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// ssmReader reads SecureString parameters with SSM's GetParameter, one
// hand-written request signed by the SDK's own SigV4 signer, instead of the SDK's
// SSM client. That client cannot be linked without its package's init, which
// builds a schema for each of SSM's ~150 operations (1.4 MB in 7,900
// allocations: 6–8 ms of every cold start, measured with GODEBUG=inittrace=1),
// whether or not it is ever built or called; the service reads one parameter,
// once per process, and no function needs any other SSM operation. The request
// is the documented JSON 1.1 protocol; the signer, the credentials chain and the
// HTTP client are the SDK's, from the function's aws.Config.
type ssmReader struct {
	http     aws.HTTPClient
	creds    aws.CredentialsProvider
	region   string
	endpoint string
	signer   *v4.Signer
	// backoff is the wait before each retry: a throttled or failed call is tried
	// len(backoff)+1 times in all.
	backoff []time.Duration
}

// newSSMReader reads through awsCfg's credentials and HTTP client, at SSM's
// endpoint for awsCfg: AWS_ENDPOINT_URL_SSM, else the configured base endpoint
// (AWS_ENDPOINT_URL), else the region's public one, as the SDK's client picks it.
// Neither a shared config file's services section nor AWS_USE_FIPS_ENDPOINT and
// the like are read: name a FIPS or dual-stack endpoint in AWS_ENDPOINT_URL_SSM.
func newSSMReader(awsCfg aws.Config) *ssmReader {
	hc := awsCfg.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	return &ssmReader{http: hc, creds: awsCfg.Credentials, region: awsCfg.Region,
		endpoint: ssmEndpoint(awsCfg, os.Getenv), signer: v4.NewSigner(),
		backoff: []time.Duration{50 * time.Millisecond, 200 * time.Millisecond}}
}

func ssmEndpoint(awsCfg aws.Config, getenv func(string) string) string {
	if !strings.EqualFold(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		if u := getenv("AWS_ENDPOINT_URL_SSM"); u != "" {
			return u
		}
	}
	if awsCfg.BaseEndpoint != nil && *awsCfg.BaseEndpoint != "" {
		return *awsCfg.BaseEndpoint
	}
	if awsCfg.Region == "" {
		return ""
	}
	domain := "amazonaws.com"
	if strings.HasPrefix(awsCfg.Region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	return "https://ssm." + awsCfg.Region + "." + domain
}

// SSMError is an error answer of SSM, such as ParameterNotFound or
// AccessDeniedException.
type SSMError struct {
	Status  int
	Code    string
	Message string
}

func (e *SSMError) Error() string {
	s := fmt.Sprintf("ssm %s (HTTP %d)", e.Code, e.Status)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// retryable is an answer worth asking again: throttling or a fault of SSM's.
func (e *SSMError) retryable() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests ||
		e.Code == "ThrottlingException" || e.Code == "TooManyUpdates"
}

// getParameter is the decrypted value of the parameter name.
func (r *ssmReader) getParameter(ctx context.Context, name string) (string, error) {
	if r.endpoint == "" {
		return "", errors.New("no AWS region configured for SSM")
	}
	if r.creds == nil {
		return "", errors.New("no AWS credentials configured for SSM")
	}
	body, err := json.Marshal(struct {
		Name           string
		WithDecryption bool
	}{name, true})
	if err != nil {
		return "", err
	}
	for attempt := 0; ; attempt++ {
		v, err := r.call(ctx, body)
		var se *SSMError
		if err == nil || attempt == len(r.backoff) || ctx.Err() != nil || errors.As(err, &se) && !se.retryable() {
			return v, err
		}
		select {
		case <-ctx.Done():
			return "", err
		case <-time.After(r.backoff[attempt]):
		}
	}
}

func (r *ssmReader) call(ctx context.Context, body []byte) (string, error) {
	creds, err := r.creds.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("credentials: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(r.endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonSSM.GetParameter")
	sum := sha256.Sum256(body)
	if err := r.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "ssm", r.region, time.Now()); err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	res, err := r.http.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", ssmError(res, raw)
	}
	var out struct {
		Parameter *struct{ Value *string }
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", fmt.Errorf("ssm answer: %w", err)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", errors.New("no value")
	}
	return *out.Parameter.Value, nil
}

// ssmError reads an error answer: its type is in the X-Amzn-ErrorType header or
// the body's __type, either of which may be prefixed with a namespace ("…#") or
// followed by ":…".
func ssmError(res *http.Response, raw []byte) error {
	var body struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(raw, &body)
	code := res.Header.Get("X-Amzn-ErrorType")
	if code == "" {
		code = body.Type
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	code, _, _ = strings.Cut(code, ":")
	if code == "" {
		code = http.StatusText(res.StatusCode)
	}
	msg := body.Message
	if msg == "" {
		msg = body.MessageU
	}
	return &SSMError{Status: res.StatusCode, Code: code, Message: msg}
}

// Package local is the local stack: one HTTP server that mounts every API route of
// template.yaml and calls each function's handler exactly as Lambda would (the
// event JSON through lambda.NewHandler), against moto_server in place of AWS.
package local

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/tracing"
)

// Options configure the server.
type Options struct {
	// Root holds template.yaml and web/.
	Root string
	// Addr to listen on; "127.0.0.1:0" picks a free port.
	Addr string
	// MotoURL is an emulator already running; empty starts one.
	MotoURL string
	// TrustForwardedFor takes the client IP from the first X-Forwarded-For entry.
	TrustForwardedFor bool
	// Env is added to every function's environment (after the process's own).
	Env map[string]string
	// Parameters set template parameters (InboundParameters, say); the others
	// take their defaults.
	Parameters map[string]string
	// Log receives the functions' logs; defaults to standard error.
	Log *slog.Logger
	// Metrics receives the EMF lines; defaults to standard error.
	Metrics io.Writer
	// Now, if set, is every function's clock (tests that span limits and days).
	Now func() time.Time
}

// Server is a running local stack.
type Server struct {
	opts     Options
	moto     *moto.Server
	stack    *moto.Stack
	handlers map[string]lambda.Handler
	served   map[string][]api.Route
	short    map[string]string
	http     *http.Server
	listener net.Listener
	outbox   outbox
	log      *slog.Logger
}

// Start provisions the stack from template.yaml, builds every function and serves.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Log == nil {
		o.Log = slog.New(LogHandler(os.Stderr, slog.LevelInfo))
	}
	if o.Metrics == nil {
		o.Metrics = os.Stderr
	}
	s := &Server{opts: o, handlers: map[string]lambda.Handler{}, served: map[string][]api.Route{}, short: map[string]string{}, log: o.Log}
	url := o.MotoURL
	if url == "" {
		m, err := moto.Start(ctx, o.Root)
		if err != nil {
			return nil, err
		}
		s.moto, url = m, m.URL
	}
	if err := s.provision(ctx, url); err != nil {
		s.Close()
		return nil, err
	}
	l, err := net.Listen("tcp", o.Addr)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("listen %s: %w", o.Addr, err)
	}
	s.listener = l
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go s.http.Serve(l)
	return s, nil
}

func (s *Server) provision(ctx context.Context, url string) error {
	cfg, err := moto.Config(ctx, url)
	if err != nil {
		return err
	}
	// Off unless asked: OTEL_TRACES_EXPORTER=console, with -tags tracing, prints a
	// span per SDK call.
	if err := tracing.Instrument(ctx, &cfg, "local", os.Getenv); err != nil {
		return err
	}
	clients := moto.NewClients(cfg)
	s.stack, err = moto.Provision(ctx, clients, filepath.Join(s.opts.Root, "template.yaml"), "local", maps.Clone(s.opts.Parameters))
	if err != nil {
		return err
	}
	for id := range s.stack.Template.Functions {
		wire, ok := Functions[id]
		if !ok {
			return fmt.Errorf("template function %s has no Wire in infra/local", id)
		}
		env := s.stack.Env(id)
		for _, kv := range os.Environ() {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env[k] = v
			}
		}
		for k, v := range s.opts.Env {
			env[k] = v
		}
		name := strings.ToLower(strings.TrimSuffix(id, "Function"))
		rt := process.New(name, s.log, s.opts.Metrics)
		rt.WrapSender = s.outbox.wrap
		if s.opts.Now != nil {
			rt.Now = s.opts.Now
		}
		f, err := wire(ctx, config.FromMap(env), cfg, rt)
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		s.handlers[id] = lambda.NewHandler(f.Handler)
		s.served[id] = f.Routes
		s.short[name] = id
	}
	return nil
}

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.listener.Addr().String() }

// Routes are, for each template function, the routes of its events in
// template.yaml and the routes its handler serves (its Routes()), both sorted.
func (s *Server) Routes() map[string][2][]string {
	out := map[string][2][]string{}
	for id, f := range s.stack.Template.Functions {
		var declared, served []string
		for _, r := range f.Routes {
			declared = append(declared, r.Method+" "+r.Path)
		}
		for _, r := range s.served[id] {
			served = append(served, r.Method+" "+r.Resource)
		}
		sort.Strings(declared)
		sort.Strings(served)
		out[id] = [2][]string{declared, served}
	}
	return out
}

// Table is the emulator's name for the template's table logicalID.
func (s *Server) Table(logicalID string) string { return s.stack.Tables[logicalID] }

// Close stops serving and stops the emulator if Start started it.
func (s *Server) Close() error {
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.http.Shutdown(ctx)
	}
	return s.moto.Close()
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	byPath := map[string]map[string]string{}
	for id, f := range s.stack.Template.Functions {
		for _, r := range f.Routes {
			if byPath[r.Path] == nil {
				byPath[r.Path] = map[string]string{}
			}
			byPath[r.Path][r.Method] = id
		}
	}
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		methods := byPath[p]
		mux.HandleFunc(strings.ReplaceAll(p, "+}", "...}"), func(w http.ResponseWriter, r *http.Request) {
			id, ok := methods[r.Method]
			if !ok {
				w.Header().Set("Allow", api.AllowHeader(slices.Collect(maps.Keys(methods))))
				writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method "+r.Method+" is not allowed here.")
				return
			}
			s.serveAPI(w, r, id, p)
		})
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /_local/outbox", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"messages": s.outbox.list()})
	})
	mux.HandleFunc("DELETE /_local/outbox", func(w http.ResponseWriter, r *http.Request) {
		s.outbox.clear()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_local/invoke/{function}", s.invoke)
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "No such resource.")
	})
	web := filepath.Join(s.opts.Root, "web", "dist")
	if _, err := os.Stat(web); err != nil {
		web = filepath.Join(s.opts.Root, "web")
	}
	files := http.FileServer(http.Dir(web))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", api.AllowHeader([]string{http.MethodGet, http.MethodHead}))
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method "+r.Method+" is not allowed here.")
			return
		}
		files.ServeHTTP(w, r)
	})
	return withRequestID(mux)
}

func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := moto.RandomHex(16)
		r.Header.Set("X-Local-Request-Id", id)
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r)
	})
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// maxEventBody is API Gateway's own payload limit; the functions apply the contract's.
const maxEventBody = 10 << 20

// serveAPI turns the HTTP request into the REST API proxy event API Gateway would
// send, invokes the function through the Lambda runtime's decoding, and writes
// the proxy response back.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, id, resource string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxEventBody+1))
	if err != nil || len(body) > maxEventBody {
		writeError(w, http.StatusRequestEntityTooLarge, "payload_too_large", "The request body is too large.")
		return
	}
	reqID := r.Header.Get("X-Local-Request-Id")
	r.Header.Del("X-Local-Request-Id")
	ev := events.APIGatewayProxyRequest{
		Resource: resource, Path: r.URL.Path, HTTPMethod: r.Method,
		Headers: map[string]string{}, MultiValueHeaders: map[string][]string{},
		PathParameters: map[string]string{},
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID: reqID, Stage: "local", ResourcePath: resource, HTTPMethod: r.Method, Path: r.URL.Path,
			RequestTimeEpoch: time.Now().UnixMilli(),
			Identity:         events.APIGatewayRequestIdentity{SourceIP: s.clientIP(r), UserAgent: r.UserAgent()},
		},
	}
	for k, vs := range r.Header {
		ev.Headers[k] = vs[len(vs)-1]
		ev.MultiValueHeaders[k] = vs
	}
	if q := r.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		ev.MultiValueQueryStringParameters = map[string][]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = vs[len(vs)-1]
			ev.MultiValueQueryStringParameters[k] = vs
		}
	}
	for _, seg := range strings.Split(resource, "/") {
		if strings.HasPrefix(seg, "{") {
			name := strings.TrimSuffix(strings.Trim(seg, "{}"), "+")
			ev.PathParameters[name] = r.PathValue(name)
		}
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	out, err := s.call(r.Context(), id, reqID, ev)
	if err != nil {
		s.log.Error("invoke failed", "function", id, "err", err)
		writeError(w, http.StatusBadGateway, "internal", "Internal error.")
		return
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		writeError(w, http.StatusBadGateway, "internal", "Internal error.")
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	respBody := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if respBody, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			writeError(w, http.StatusBadGateway, "internal", "Internal error.")
			return
		}
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(respBody)
}

func (s *Server) call(ctx context.Context, id, reqID string, ev any) ([]byte, error) {
	payload, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: reqID, InvokedFunctionArn: "arn:aws:lambda:local:000000000000:function:" + id})
	return s.handlers[id].Invoke(ctx, payload)
}

func (s *Server) clientIP(r *http.Request) string {
	if s.opts.TrustForwardedFor {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			return strings.TrimSpace(first)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// invoke hands a raw event to a function API Gateway does not front, by short
// name ("alarm") or logical ID ("AlarmFunction"), and answers its result.
func (s *Server) invoke(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxEventBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "Unreadable body.")
		return
	}
	out, err := s.Invoke(r.Context(), r.PathValue("function"), body)
	w.Header().Set("Content-Type", "application/json")
	switch {
	case errors.Is(err, errNoFunction):
		writeError(w, http.StatusNotFound, "not_found", "No such function.")
	case err != nil:
		w.WriteHeader(http.StatusBadGateway)
		json.NewEncoder(w).Encode(map[string]string{"errorMessage": err.Error()})
	default:
		w.Write(out)
	}
}

var errNoFunction = errors.New("no such function")

// Invoke hands payload to the function named by short name ("alarm") or logical
// ID ("AlarmFunction") through the Lambda runtime's own decoding, and answers
// the function's JSON result.
func (s *Server) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	id, ok := s.short[strings.ToLower(function)]
	if !ok {
		if _, ok = s.handlers[function]; !ok {
			return nil, errNoFunction
		}
		id = function
	}
	return s.call(ctx, id, moto.RandomHex(16), json.RawMessage(payload))
}

// FunctionFor is the logical ID of the function serving an API route, or "".
func (s *Server) FunctionFor(method, resource string) string {
	for id, f := range s.stack.Template.Functions {
		for _, r := range f.Routes {
			if r.Method == method && r.Path == resource {
				return id
			}
		}
	}
	return ""
}

// Message is one message the delivery layer handed to SES or SNS.
type Message struct {
	Channel string    `json:"channel"`
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	SentAt  time.Time `json:"sentAt"`
}

// outbox records every message after SES or SNS accepted it.
type outbox struct {
	mu       sync.Mutex
	messages []Message
}

func (o *outbox) wrap(next notify.Sender) notify.Sender {
	return notify.SenderFunc(func(ctx context.Context, m notify.Message) error {
		if err := next.Send(ctx, m); err != nil {
			return err
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		o.messages = append(o.messages, Message{Channel: string(m.Channel), To: m.To, Subject: m.Subject, Body: m.Body, SentAt: time.Now().UTC()})
		return nil
	})
}

func (o *outbox) list() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Message{}, o.messages...)
}

func (o *outbox) clear() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.messages = nil
}

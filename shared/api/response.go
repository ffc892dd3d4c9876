package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// JSON is a response with v as its JSON body and the headers every response carries.
func JSON(req events.APIGatewayProxyRequest, status int, v any) events.APIGatewayProxyResponse {
	body, err := json.Marshal(v)
	if err != nil {
		// Only our own response types reach here; they always marshal.
		status, body = 500, []byte(`{"error":{"code":"internal","message":"Internal error."}}`)
	}
	return Raw(req, status, "application/json", string(body), false)
}

// Raw is a response with a body of the given media type; binary bodies are base64-encoded.
func Raw(req events.APIGatewayProxyRequest, status int, mediaType, body string, binary bool) events.APIGatewayProxyResponse {
	return events.APIGatewayProxyResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type":           mediaType,
			"X-Request-Id":           req.RequestContext.RequestID,
			"Cache-Control":          "no-store",
			"X-Content-Type-Options": "nosniff",
		},
		Body:            body,
		IsBase64Encoded: binary,
	}
}

type errorBody struct {
	Code              string            `json:"code"`
	Message           string            `json:"message"`
	Fields            map[string]string `json:"fields,omitempty"`
	RetryAfterSeconds int               `json:"retryAfterSeconds,omitempty"`
	AttemptsRemaining *int              `json:"attemptsRemaining,omitempty"`
	InboundAvailable  bool              `json:"inboundAvailable,omitempty"`
}

// ErrorResponse renders err in the contract's envelope. Internal errors are logged
// here, once, and clients see only "Internal error."; so are causes of 503s.
func ErrorResponse(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest, err error) events.APIGatewayProxyResponse {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: CodeInternal, Err: err}
	}
	body := errorBody{Code: e.Code, Message: e.Message, Fields: e.Fields, RetryAfterSeconds: e.RetryAfterSeconds, AttemptsRemaining: e.AttemptsRemaining, InboundAvailable: e.InboundAvailable}
	status := Status(e.Code)
	if status >= 500 {
		log.ErrorContext(ctx, "request failed", "code", e.Code, "resource", req.Resource, "method", req.HTTPMethod, "err", err)
	}
	if e.Code == CodeInternal {
		body.Message = "Internal error."
	}
	resp := JSON(req, status, map[string]errorBody{"error": body})
	if e.RetryAfterSeconds > 0 && (status == 429 || status == 503) {
		resp.Headers["Retry-After"] = strconv.Itoa(e.RetryAfterSeconds)
	}
	return resp
}

// AllowHeader is the Allow header of a 405: the methods, sorted, comma-separated.
func AllowHeader(methods []string) string {
	return strings.Join(slices.Sorted(slices.Values(methods)), ", ")
}

// Route is one method and resource of a function's API.
type Route struct {
	Method, Resource string
}

// HandlerFunc handles one route: a response value and status, or an error.
type HandlerFunc func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// Router dispatches a REST API proxy event on its method and resource template, the
// way API Gateway names the route, and renders any error in the contract's envelope.
type Router struct {
	Log      *slog.Logger
	Handlers map[Route]HandlerFunc
	// Ready, if set, runs before every route; an error answers 503
	// temporarily_unavailable (a dependency, such as the master secret, is down).
	Ready func(ctx context.Context) error
}

// Routes are the routes r serves, sorted by resource and method: the ones its
// function's template events must declare.
func (r *Router) Routes() []Route {
	out := make([]Route, 0, len(r.Handlers))
	for rt := range r.Handlers {
		out = append(out, rt)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Resource < out[j].Resource || out[i].Resource == out[j].Resource && out[i].Method < out[j].Method
	})
	return out
}

// Handle is the Lambda entry point for an API Gateway REST proxy event.
func (r *Router) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	h, ok := r.Handlers[Route{req.HTTPMethod, req.Resource}]
	if !ok {
		var allow []string
		for rt := range r.Handlers {
			if rt.Resource == req.Resource {
				allow = append(allow, rt.Method)
			}
		}
		if len(allow) == 0 {
			return ErrorResponse(ctx, r.Log, req, Errorf(CodeNotFound, "No such resource.")), nil
		}
		resp := ErrorResponse(ctx, r.Log, req, Errorf(CodeMethodNotAllowed, "Method %s is not allowed here.", req.HTTPMethod))
		resp.Headers["Allow"] = AllowHeader(allow)
		return resp, nil
	}
	if r.Ready != nil {
		if err := r.Ready(ctx); err != nil {
			return ErrorResponse(ctx, r.Log, req, Unavailable(5, err)), nil
		}
	}
	resp, err := h(ctx, req)
	if err != nil {
		return ErrorResponse(ctx, r.Log, req, err), nil
	}
	return resp, nil
}

// Package api holds what every HTTP-facing function shares: the contract's error
// codes and envelope, request decoding with the contract's limits, and responses.
package api

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"
)

// The contract's error codes.
const (
	CodeInvalidRequest         = "invalid_request"
	CodeUnauthorized           = "unauthorized"
	CodeForbidden              = "forbidden"
	CodeNotFound               = "not_found"
	CodeMethodNotAllowed       = "method_not_allowed"
	CodeCodeExpired            = "code_expired"
	CodePayloadTooLarge        = "payload_too_large"
	CodeUnsupportedMediaType   = "unsupported_media_type"
	CodeDestinationNotAllowed  = "destination_not_allowed"
	CodeInvalidCode            = "invalid_code"
	CodeNotReceived            = "not_received"
	CodeChallengeRequired      = "challenge_required"
	CodeRateLimited            = "rate_limited"
	CodeTooManyAttempts        = "too_many_attempts"
	CodeTemporarilyUnavailable = "temporarily_unavailable"
	CodeInternal               = "internal"
)

// statusByCode is the one table from error code to HTTP status.
var statusByCode = map[string]int{
	CodeInvalidRequest:         http.StatusBadRequest,
	CodeUnauthorized:           http.StatusUnauthorized,
	CodeForbidden:              http.StatusForbidden,
	CodeNotFound:               http.StatusNotFound,
	CodeMethodNotAllowed:       http.StatusMethodNotAllowed,
	CodeCodeExpired:            http.StatusGone,
	CodePayloadTooLarge:        http.StatusRequestEntityTooLarge,
	CodeUnsupportedMediaType:   http.StatusUnsupportedMediaType,
	CodeDestinationNotAllowed:  http.StatusUnprocessableEntity,
	CodeInvalidCode:            http.StatusUnprocessableEntity,
	CodeNotReceived:            http.StatusConflict,
	CodeChallengeRequired:      http.StatusPreconditionRequired,
	CodeRateLimited:            http.StatusTooManyRequests,
	CodeTooManyAttempts:        http.StatusTooManyRequests,
	CodeTemporarilyUnavailable: http.StatusServiceUnavailable,
	CodeInternal:               http.StatusInternalServerError,
}

// Codes lists every error code, sorted.
func Codes() []string {
	return slices.Sorted(maps.Keys(statusByCode))
}

// Status is the HTTP status for an error code; unknown codes are internal.
func Status(code string) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error is an error a client may see. Message is written for the client; Err, if
// set, is the internal cause and never leaves the server.
type Error struct {
	Code              string
	Message           string
	Fields            map[string]string
	RetryAfterSeconds int
	AttemptsRemaining *int
	// InboundAvailable marks a refused code where the contact could prove itself
	// by messaging us instead (inbound proof).
	InboundAvailable bool
	Err              error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf is a client-facing error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid is an invalid_request naming the fields at fault.
func Invalid(fields map[string]string) *Error {
	return &Error{Code: CodeInvalidRequest, Message: "The request has invalid fields.", Fields: fields}
}

// RateLimited is a rate_limited error that tells the client when to retry.
func RateLimited(message string, retryAfter int) *Error {
	if retryAfter < 1 {
		retryAfter = 1
	}
	return &Error{Code: CodeRateLimited, Message: message, RetryAfterSeconds: retryAfter}
}

// Unavailable is a temporarily_unavailable error wrapping its internal cause.
func Unavailable(retryAfter int, cause error) *Error {
	return &Error{Code: CodeTemporarilyUnavailable, Message: "The service is temporarily unavailable. Please try again later.", RetryAfterSeconds: retryAfter, Err: cause}
}

// ErrorCode is the contract code of err: the Code of an *Error in its chain, else internal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// TooManyAttempts is the 429 for a registration whose code attempts are used up.
// Retrying it never helps: Retry-After says when the registration itself is gone.
func TooManyAttempts(registrationExpires, now time.Time) *Error {
	return &Error{Code: CodeTooManyAttempts, Message: "Too many wrong codes. Start a new registration.",
		RetryAfterSeconds: max(int(registrationExpires.Sub(now)/time.Second), 1)}
}

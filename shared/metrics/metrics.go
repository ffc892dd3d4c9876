// Package metrics writes CloudWatch Embedded Metric Format lines: CloudWatch Logs
// turns each into metrics, so recording one costs no API call.
package metrics

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of the service's metrics.
const Namespace = "CheckinRegistry"

// Names of the metrics the alarms and the dashboard watch.
const (
	// CodeSent counts codes handed to SES or SNS, by Channel.
	CodeSent = "CodeSent"
	// SendBlocked counts sending requests a limit refused, by Limit.
	SendBlocked     = "SendBlocked"
	BudgetExhausted = "BudgetExhausted"
	// PrefixBlocked counts the number ranges blocked for sending many codes that
	// were almost never verified (SMS pumping).
	PrefixBlocked     = "PrefixBlocked"
	ChallengeRequired = "ChallengeRequired"
	ChallengeFailed   = "ChallengeFailed"
	// VerifyFailed counts wrong codes and used-up attempts, by Reason.
	VerifyFailed = "VerifyFailed"
	// VerifySucceeded counts codes verified, by Channel: with CodeSent, the conversion.
	VerifySucceeded = "VerifySucceeded"
	SendFailed      = "SendFailed"
	Suppressed      = "Suppressed"
	// ModeChanged counts protection mode changes, by the Mode changed to.
	ModeChanged = "ModeChanged"
)

// Names lists every metric name above.
var Names = []string{CodeSent, SendBlocked, BudgetExhausted, ChallengeRequired, ChallengeFailed,
	VerifyFailed, VerifySucceeded, SendFailed, Suppressed, ModeChanged}

// Recorder writes one EMF line per count to W.
type Recorder struct {
	W        io.Writer
	Function string
	Now      func() time.Time

	mu sync.Mutex
}

// Count records value of the metric name with one optional dimension (key, value).
func (r *Recorder) Count(name string, value int, dims ...string) {
	if r == nil || r.W == nil {
		return
	}
	dimNames := []string{"Function"}
	line := map[string]any{"Function": r.Function, name: value}
	if len(dims) == 2 {
		dimNames = append(dimNames, dims[0])
		line[dims[0]] = dims[1]
	}
	line["_aws"] = map[string]any{
		"Timestamp": r.Now().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  Namespace,
			"Dimensions": [][]string{dimNames},
			"Metrics":    []any{map[string]string{"Name": name, "Unit": "Count"}},
		}},
	}
	b, _ := json.Marshal(line)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.W.Write(append(b, '\n'))
}

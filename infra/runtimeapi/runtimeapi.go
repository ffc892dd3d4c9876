// Package runtimeapi is the Lambda Runtime API on loopback, as far as a function
// binary uses it: it hands out events and takes results, so that a built
// bootstrap can be run, tested and timed exactly as Lambda runs it.
package runtimeapi

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Result is what the function answered for one event.
type Result struct {
	RequestID string
	Body      []byte
	Err       bool // posted to /error rather than /response
	At        time.Time
}

// Server serves queued events to one function process.
type Server struct {
	Addr    string
	events  chan []byte
	results chan Result
	polls   chan time.Time
	srv     *http.Server
	seq     int
	mu      sync.Mutex
}

// Start listens on a free loopback port.
func Start() (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: l.Addr().String(), events: make(chan []byte, 16), results: make(chan Result, 16), polls: make(chan time.Time, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", s.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/{kind}", s.result)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.results <- Result{Body: body, Err: true, At: time.Now()}
		w.WriteHeader(http.StatusAccepted)
	})
	s.srv = &http.Server{Handler: mux}
	go s.srv.Serve(l)
	return s, nil
}

// Send queues an event for the function.
func (s *Server) Send(event []byte) { s.events <- event }

// Result waits up to timeout for the function's next result.
func (s *Server) Result(timeout time.Duration) (Result, error) {
	select {
	case r := <-s.results:
		return r, nil
	case <-time.After(timeout):
		return Result{}, fmt.Errorf("no result within %s", timeout)
	}
}

// Poll waits up to timeout for the function's next GET of /next and answers when
// it came: the first one marks the end of the function's initialisation.
func (s *Server) Poll(timeout time.Duration) (time.Time, error) {
	select {
	case at := <-s.polls:
		return at, nil
	case <-time.After(timeout):
		return time.Time{}, fmt.Errorf("no poll within %s", timeout)
	}
}

// Close stops serving; a function blocked on its next event sees the connection end.
func (s *Server) Close() error { return s.srv.Close() }

func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	select {
	case s.polls <- time.Now():
	default: // nobody is counting polls
	}
	var ev []byte
	select {
	case ev = <-s.events:
	case <-r.Context().Done():
		return
	}
	s.mu.Lock()
	s.seq++
	id := "req-" + strconv.Itoa(s.seq)
	s.mu.Unlock()
	w.Header().Set("Lambda-Runtime-Aws-Request-Id", id)
	w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
	w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:local")
	w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
	w.Header().Set("Content-Type", "application/json")
	w.Write(ev)
}

func (s *Server) result(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.results <- Result{RequestID: r.PathValue("id"), Body: body, Err: strings.HasPrefix(r.PathValue("kind"), "error"), At: time.Now()}
	w.WriteHeader(http.StatusAccepted)
}

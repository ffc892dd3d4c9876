// Package config reads a function's settings from its environment once, at start-up.
package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Env reads typed settings from environment variables, collecting every bad value
// so that a misconfigured function reports all of them at once.
type Env struct {
	lookup func(string) (string, bool)
	errs   []error
}

// FromOS reads the process environment.
func FromOS() *Env { return &Env{lookup: os.LookupEnv} }

// FromMap reads a fixed map, for tests and the local server.
func FromMap(m map[string]string) *Env {
	return &Env{lookup: func(k string) (string, bool) { v, ok := m[k]; return v, ok }}
}

func (e *Env) get(name string) (string, bool) {
	v, ok := e.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// String is the variable's value, or def when unset.
func (e *Env) String(name, def string) string {
	if v, ok := e.get(name); ok {
		return v
	}
	return def
}

// Required is the variable's value; an unset one is an error.
func (e *Env) Required(name string) string {
	v, ok := e.get(name)
	if !ok {
		e.errs = append(e.errs, fmt.Errorf("%s is required", name))
	}
	return v
}

// Int is the variable as a whole number of at least min, or def when unset.
func (e *Env) Int(name string, def, min int) int {
	v, ok := e.get(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want a whole number >= %d", name, v, min))
		return def
	}
	return n
}

// Duration is the variable as a Go duration ("90s", "5m") of at least min, or def.
func (e *Env) Duration(name string, def, min time.Duration) time.Duration {
	v, ok := e.get(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < min {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want a duration >= %s", name, v, min))
		return def
	}
	return d
}

// Bool is the variable as true/false/1/0, or def.
func (e *Env) Bool(name string, def bool) bool {
	v, ok := e.get(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want true or false", name, v))
		return def
	}
	return b
}

// List is the variable split on commas, trimmed, empty entries dropped; def when unset.
func (e *Env) List(name string, def []string) []string {
	v, ok := e.get(name)
	if !ok {
		return def
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Err is every problem met so far, or nil.
func (e *Env) Err() error { return errors.Join(e.errs...) }

// Check adds err, if any, to the problems: for a setting a package validates itself.
func (e *Env) Check(err error) {
	if err != nil {
		e.errs = append(e.errs, err)
	}
}

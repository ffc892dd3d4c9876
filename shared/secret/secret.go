// Package secret loads the service's master secret from SSM Parameter Store and
// derives one independent key per purpose from it, so that one SecureString
// parameter serves code hashing, tokens and challenges without key reuse.
package secret

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/checkin-registry/registry/shared/config"
)

// MinBytes is the shortest master secret accepted.
const MinBytes = 32

// parameterReader reads one decrypted SecureString parameter.
type parameterReader interface {
	getParameter(ctx context.Context, name string) (string, error)
}

var _ parameterReader = (*ssmReader)(nil)

// Keys is the master secret; Derive gives the key for one purpose.
type Keys struct{ master []byte }

// New wraps a master secret of at least MinBytes.
func New(master []byte) (Keys, error) {
	if len(master) < MinBytes {
		return Keys{}, fmt.Errorf("master secret is %d bytes, want at least %d", len(master), MinBytes)
	}
	return Keys{master: append([]byte(nil), master...)}, nil
}

// Load reads the SecureString parameter name, decrypted, from SSM with awsCfg's
// region, credentials and endpoint.
func Load(ctx context.Context, awsCfg aws.Config, name string) (Keys, error) {
	return load(ctx, newSSMReader(awsCfg), name)
}

func load(ctx context.Context, r parameterReader, name string) (Keys, error) {
	v, err := r.getParameter(ctx, name)
	if err != nil {
		return Keys{}, fmt.Errorf("get parameter %s: %w", name, err)
	}
	return New([]byte(v))
}

// Source gives the master secret: Keys is one in hand, Parameter one in SSM.
type Source interface {
	Keys(ctx context.Context) (Keys, error)
}

// Keys is itself a Source.
func (k Keys) Keys(context.Context) (Keys, error) { return k, nil }

// Parameter is the master secret in an SSM SecureString, read on first use and
// kept for the life of the process. A function whose requests do not all need it
// starts without a call to SSM, and one that starts while SSM is down serves what
// it can; a failed read is tried again on the next use.
type Parameter struct {
	client parameterReader
	name   string

	mu   sync.Mutex
	keys *Keys
}

// NewParameter reads the parameter name from SSM with awsCfg, when first asked.
func NewParameter(awsCfg aws.Config, name string) *Parameter {
	return &Parameter{client: newSSMReader(awsCfg), name: name}
}

// Keys loads the secret once.
func (p *Parameter) Keys(ctx context.Context) (Keys, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.keys != nil {
		return *p.keys, nil
	}
	k, err := load(ctx, p.client, p.name)
	if err != nil {
		return Keys{}, fmt.Errorf("load secret: %w", err)
	}
	p.keys = &k
	return k, nil
}

// Once hands the master secret to apply the first time it can be read, and
// never again: a handler whose every request needs its keys derives them there.
type Once struct {
	src  Source
	mu   sync.Mutex
	done bool
}

// NewOnce reads the secret from src.
func NewOnce(src Source) *Once { return &Once{src: src} }

// Do calls apply with the secret unless it already has; it answers an error, and
// calls nothing, while the secret cannot be read.
func (o *Once) Do(ctx context.Context, apply func(Keys)) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return nil
	}
	k, err := o.src.Keys(ctx)
	if err != nil {
		return err
	}
	apply(k)
	o.done = true
	return nil
}

// FromEnv is the Parameter that SECRET_PARAMETER names, read from SSM with
// awsCfg; an unset one is added to env's errors.
func FromEnv(env *config.Env, awsCfg aws.Config) *Parameter {
	return NewParameter(awsCfg, env.Required("SECRET_PARAMETER"))
}

// Derive is the key for purpose: HMAC-SHA256(master, "checkin-registry/" + purpose).
func (k Keys) Derive(purpose string) []byte {
	m := hmac.New(sha256.New, k.master)
	m.Write([]byte("checkin-registry/" + purpose))
	return m.Sum(nil)
}

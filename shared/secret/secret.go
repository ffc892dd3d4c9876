// Package secret loads the service's master secret from SSM Parameter Store and
// derives one independent key per purpose from it, so that one SecureString
// parameter serves code hashing, tokens and challenges without key reuse.
package secret

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/checkin-registry/registry/shared/config"
)

// MinBytes is the shortest master secret accepted.
const MinBytes = 32

type parameterGetter interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

var _ parameterGetter = (*ssm.Client)(nil)

// Keys is the master secret; Derive gives the key for one purpose.
type Keys struct{ master []byte }

// New wraps a master secret of at least MinBytes.
func New(master []byte) (Keys, error) {
	if len(master) < MinBytes {
		return Keys{}, fmt.Errorf("master secret is %d bytes, want at least %d", len(master), MinBytes)
	}
	return Keys{master: append([]byte(nil), master...)}, nil
}

// Load reads the SecureString parameter name, decrypted.
func Load(ctx context.Context, client parameterGetter, name string) (Keys, error) {
	out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return Keys{}, fmt.Errorf("get parameter %s: %w", name, err)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return Keys{}, errors.New("get parameter " + name + ": no value")
	}
	return New([]byte(*out.Parameter.Value))
}

// FromEnv loads the master secret from the SSM SecureString that SECRET_PARAMETER
// names. Call it once every other setting is read: if env holds an error, it
// answers them all together and makes no call.
func FromEnv(ctx context.Context, env *config.Env, awsCfg aws.Config) (Keys, error) {
	name := env.Required("SECRET_PARAMETER")
	if err := env.Err(); err != nil {
		return Keys{}, err
	}
	keys, err := Load(ctx, ssm.NewFromConfig(awsCfg), name)
	if err != nil {
		return Keys{}, fmt.Errorf("load secret: %w", err)
	}
	return keys, nil
}

// Derive is the key for purpose: HMAC-SHA256(master, "checkin-registry/" + purpose).
func (k Keys) Derive(purpose string) []byte {
	m := hmac.New(sha256.New, k.master)
	m.Write([]byte("checkin-registry/" + purpose))
	return m.Sum(nil)
}

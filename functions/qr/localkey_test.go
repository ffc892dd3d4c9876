package qr

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
)

// LocalKey signs with a private key in this process: for tests and benchmarks.
type LocalKey struct {
	priv *ecdsa.PrivateKey
	key  Key
}

var (
	_ Signer = (*LocalKey)(nil)
	_ KeySet = (*LocalKey)(nil)
)

// GenerateLocalKey is a new P-256 key from rand (crypto/rand where nil).
func GenerateLocalKey(r io.Reader) (*LocalKey, error) {
	if r == nil {
		r = rand.Reader
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), r)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	key, err := NewKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return &LocalKey{priv: priv, key: key}, nil
}

// SigningKey is the key's public half.
func (l *LocalKey) SigningKey(context.Context) (Key, error) { return l.key, nil }

// PublicKeys is the one key.
func (l *LocalKey) PublicKeys(context.Context) ([]Key, error) { return []Key{l.key}, nil }

// SignMessage signs SHA-256(message).
func (l *LocalKey) SignMessage(_ context.Context, message []byte) ([]byte, error) {
	digest := sha256.Sum256(message)
	return ecdsa.SignASN1(rand.Reader, l.priv, digest[:])
}

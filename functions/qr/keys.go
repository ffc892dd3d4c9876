package qr

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// kmsAPI is the part of the KMS API the signer uses.
type kmsAPI interface {
	Sign(ctx context.Context, in *kms.SignInput, opts ...func(*kms.Options)) (*kms.SignOutput, error)
	GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, opts ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
}

var _ kmsAPI = (*kms.Client)(nil)

// KMS signs with an AWS KMS asymmetric key (ECC_NIST_P256, SIGN_VERIFY): the
// private key never leaves KMS. It publishes that key and the previous ones still
// listed. Public keys are fetched once per process and kept.
type KMS struct {
	client   kmsAPI
	current  string
	previous []string

	mu    sync.Mutex
	cache map[string]Key
}

var (
	_ Signer = (*KMS)(nil)
	_ KeySet = (*KMS)(nil)
)

// NewKMS signs with the KMS key keyID (a key id, ARN or alias) and also
// publishes the keys previous, so that codes they signed keep verifying.
func NewKMS(client kmsAPI, keyID string, previous []string) *KMS {
	return &KMS{client: client, current: keyID, previous: previous, cache: map[string]Key{}}
}

// SigningKey is the current key's public half.
func (k *KMS) SigningKey(ctx context.Context) (Key, error) { return k.publicKey(ctx, k.current) }

// PublicKeys is the current key and then the previous ones.
func (k *KMS) PublicKeys(ctx context.Context) ([]Key, error) {
	keys := make([]Key, 0, 1+len(k.previous))
	for _, id := range append([]string{k.current}, k.previous...) {
		key, err := k.publicKey(ctx, id)
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// SignMessage signs message with the current key in KMS, which hashes it with
// SHA-256 (a RAW message: KMS takes up to 4 KiB; a signing input is under 500 bytes).
func (k *KMS) SignMessage(ctx context.Context, message []byte) ([]byte, error) {
	out, err := k.client.Sign(ctx, &kms.SignInput{
		KeyId: aws.String(k.current), Message: message,
		MessageType: types.MessageTypeRaw, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256,
	})
	if err != nil {
		return nil, fmt.Errorf("kms sign: %w", err)
	}
	return out.Signature, nil
}

func (k *KMS) publicKey(ctx context.Context, id string) (Key, error) {
	k.mu.Lock()
	key, ok := k.cache[id]
	k.mu.Unlock()
	if ok {
		return key, nil
	}
	out, err := k.client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(id)})
	if err != nil {
		return Key{}, fmt.Errorf("kms get public key %s: %w", id, err)
	}
	// The curve is checked on the parsed key below (moto leaves KeySpec empty).
	if out.KeyUsage != types.KeyUsageTypeSignVerify {
		return Key{}, fmt.Errorf("kms key %s is for %s, want SIGN_VERIFY", id, out.KeyUsage)
	}
	pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return Key{}, fmt.Errorf("kms key %s: %w", id, err)
	}
	ec, _ := pub.(*ecdsa.PublicKey)
	key, err = NewKey(ec)
	if err != nil {
		return Key{}, fmt.Errorf("kms key %s: %w", id, err)
	}
	k.mu.Lock()
	k.cache[id] = key
	k.mu.Unlock()
	return key, nil
}

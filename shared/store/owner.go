package store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// PayloadHash names one signed QR payload in a venue's valid set and in the
// revocation list: the first 16 bytes of SHA-256 of the bare payload, unpadded
// base64url (22 characters).
func PayloadHash(payload string) string {
	sum := sha256.Sum256([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// RevokedAll in a venue's revocation entry revokes every payload of the venue;
// RevokedLegacy every format 1 payload of it (those printed before payloads
// were recorded, so that their hashes are not known).
const (
	RevokedAll    = "*"
	RevokedLegacy = "CKR1"
)

// revocationShards spread the revocation list over items keyed by the first
// character of the venue id (32 of them), so that no item nears DynamoDB's
// 400 KB: each holds one string-set attribute per revoked venue.
const revocationShards = "abcdefghijklmnopqrstuvwxyz234567"

func revocationKey(venueID string) string { return "revoked#" + venueID[:1] }

// revocationAttr is the attribute of a venue's entry in its shard.
func revocationAttr(venueID string) string { return "v_" + venueID }

// ValidPayloads is every payload of v that verifies today, as hashes.
func (v Venue) ValidPayloads() []string {
	out := slices.Clone(v.Payloads)
	if v.QRPayload != "" && !slices.Contains(out, PayloadHash(v.QRPayload)) {
		out = append(out, PayloadHash(v.QRPayload))
	}
	return out
}

// Owns says whether the venue is one of the contact's with this hash.
func (v Venue) Owns(contactHash string) bool {
	return contactHash != "" && v.ContactHash == contactHash
}

// PayloadValid says whether payload, whose signature was checked, is still
// standing: its venue exists and has not revoked it. A legacy (format 1)
// payload stands until its venue's first edit or reissue. One GetItem of the few
// attributes needed.
func (s *Store) PayloadValid(ctx context.Context, venueID, payload string, legacy bool, now time.Time) (bool, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(venueKey(venueID)), ConsistentRead: aws.Bool(true),
		ProjectionExpression:     aws.String("qrPayload, payloads, legacyRevoked, #ttl"),
		ExpressionAttributeNames: map[string]string{"#ttl": "ttl"},
	})
	if err != nil {
		return false, fmt.Errorf("get venue payloads: %w", err)
	}
	if res.Item == nil || !live(res.Item, now) {
		return false, nil
	}
	var v Venue
	if _, err := (Items{"v": res.Item}).Decode("v", &v); err != nil {
		return false, err
	}
	return slices.Contains(v.ValidPayloads(), PayloadHash(payload)) || legacy && !v.LegacyRevoked, nil
}

// OwnsVenues says whether items, read with VerifiedContactKey(hash), hold an
// account with at least one venue for that contact.
func (it Items) OwnsVenues(hash string) bool {
	var c VerifiedContact
	ok, err := it.Decode(VerifiedContactKey(hash), &c)
	return ok && err == nil && len(c.VenueIDs) > 0
}

// GetContact reads a proven contact by its hash.
func (s *Store) GetContact(ctx context.Context, hash string, now time.Time) (VerifiedContact, error) {
	var c VerifiedContact
	err := s.get(ctx, VerifiedContactKey(hash), now, &c)
	return c, err
}

// Venues reads the venues with these ids (at most 100) in one call, in the
// order given, leaving out any that no longer exist.
func (s *Store) Venues(ctx context.Context, ids []string, now time.Time) ([]Venue, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = venueKey(id)
	}
	out, err := getAll[Venue](ctx, s, keys, now)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Venue) int { return int(a.CreatedAt - b.CreatedAt) })
	return out, nil
}

// ErrTooManyVenues is an account that already has as many venues as allowed.
var ErrTooManyVenues = errors.New("too many venues")

// ErrChanged is a venue or account that another request changed since it was
// read: read again and retry.
var ErrChanged = errors.New("changed concurrently")

// AddVenue creates v under its contact's account, on the condition that the
// account exists and holds fewer than maxVenues. v.TTL should be the account's.
func (s *Store) AddVenue(ctx context.Context, v Venue, maxVenues int) error {
	t := s.Tx()
	item, err := Marshal(venueKey(v.ID), v)
	if err != nil {
		return err
	}
	t.Put("venue", item, Expr{Condition: "attribute_not_exists(pk)"})
	t.renewExpiry(v.ID, v.TTL)
	t.Update("contact", VerifiedContactKey(v.ContactHash), Expr{
		Update:    "SET venueId = :v ADD venueIds :vs",
		Condition: "attribute_exists(pk) AND (attribute_not_exists(venueIds) OR size(venueIds) < :max)",
		Values: map[string]types.AttributeValue{
			":v": str(v.ID), ":vs": &types.AttributeValueMemberSS{Value: []string{v.ID}}, ":max": num(int64(maxVenues)),
		},
	})
	err = s.Commit(ctx, t)
	var failed *ConditionFailed
	if errors.As(err, &failed) && failed.Name == "contact" {
		return ErrTooManyVenues
	}
	return err
}

// versioned is the condition that venue v is still as it was read.
func versioned(v Venue) Expr {
	if v.Version == 0 {
		return Expr{Condition: "attribute_exists(pk) AND attribute_not_exists(version)"}
	}
	return Expr{Condition: "version = :ver", Values: map[string]types.AttributeValue{":ver": num(v.Version)}}
}

// revoke adds to t the revocation of these venues' listed payloads (all of a
// venue's, where its entry is RevokedAll), one update per shard.
func (t *Tx) revoke(entries map[string][]string) {
	byShard := map[string][]string{}
	for id, hashes := range entries {
		if len(hashes) > 0 {
			byShard[revocationKey(id)] = append(byShard[revocationKey(id)], id)
		}
	}
	for _, shard := range slices.Sorted(maps.Keys(byShard)) {
		e := Expr{Names: map[string]string{}, Values: map[string]types.AttributeValue{}}
		var adds []string
		for i, id := range byShard[shard] {
			n, val := fmt.Sprintf("#v%d", i), fmt.Sprintf(":v%d", i)
			e.Names[n] = revocationAttr(id)
			e.Values[val] = &types.AttributeValueMemberSS{Value: entries[id]}
			adds = append(adds, n+" "+val)
		}
		e.Update = "ADD " + strings.Join(adds, ", ")
		t.Update("revocation", shard, e)
	}
}

// ReplaceVenue writes next over old (the same venue, with a new payload and
// perhaps a new name or address) and revokes every payload old had, on the
// condition that no other request changed the venue since old was read.
func (s *Store) ReplaceVenue(ctx context.Context, old, next Venue) error {
	next.Version = old.Version + 1
	next.Payloads = []string{PayloadHash(next.QRPayload)}
	next.LegacyRevoked = true
	item, err := Marshal(venueKey(next.ID), next)
	if err != nil {
		return err
	}
	// The whole item is written, ttl too: a sign-in that renewed the venue since
	// it was read (which changes no version) must not be undone, or the venue
	// would expire before its expiry item says.
	cond := versioned(old)
	cond.Condition = "(" + cond.Condition + ") AND #ttl = :oldttl"
	cond.Names = map[string]string{"#ttl": "ttl"}
	if cond.Values == nil {
		cond.Values = map[string]types.AttributeValue{}
	}
	cond.Values[":oldttl"] = num(old.TTL)
	t := s.Tx()
	t.Put("venue", item, cond)
	t.revoke(map[string][]string{old.ID: append(old.ValidPayloads(), RevokedLegacy)})
	return s.commitVersioned(ctx, t)
}

func (s *Store) commitVersioned(ctx context.Context, t *Tx) error {
	err := s.Commit(ctx, t)
	var failed *ConditionFailed
	if errors.As(err, &failed) {
		return ErrChanged
	}
	return err
}

// eraseVenue adds to t the erasure of v, of the registration that created it (it
// holds the contact) and of its expiry item, and the revocation of all its
// payloads (as part of revoked).
func (t *Tx) eraseVenue(v Venue, revoked map[string][]string) {
	t.Delete("venue", venueKey(v.ID), versioned(v))
	t.Delete("expiry", ExpiryKey(v.ID), Expr{})
	if v.RegistrationID != "" {
		t.Delete("registration", registrationKey(v.RegistrationID), Expr{})
	}
	revoked[v.ID] = []string{RevokedAll}
}

// DeleteVenue erases v and revokes its payloads. Where it is the account's last
// venue the account (the contact item) goes too; otherwise v leaves its list.
func (s *Store) DeleteVenue(ctx context.Context, c VerifiedContact, v Venue) error {
	t := s.Tx()
	revoked := map[string][]string{}
	t.eraseVenue(v, revoked)
	t.revoke(revoked)
	one := map[string]types.AttributeValue{":id": str(v.ID), ":vs": &types.AttributeValueMemberSS{Value: []string{v.ID}}, ":one": num(1)}
	if len(c.VenueIDs) == 1 && c.VenueIDs[0] == v.ID {
		t.Delete("contact", VerifiedContactKey(v.ContactHash), Expr{
			Condition: "contains(venueIds, :id) AND size(venueIds) = :one", Values: map[string]types.AttributeValue{":id": one[":id"], ":one": one[":one"]},
		})
	} else {
		t.Update("contact", VerifiedContactKey(v.ContactHash), Expr{
			Update: "DELETE venueIds :vs", Condition: "contains(venueIds, :id) AND size(venueIds) > :one", Values: one,
		})
	}
	return s.commitVersioned(ctx, t)
}

// accountChunk is how many venues one transaction of an account's erasure
// takes: each costs up to four writes (the venue, its registration, its expiry
// item and its revocation shard), with the contact, of at most 100.
const accountChunk = 20

// DeleteAccount erases every venue of the contact with this hash, revokes their
// payloads, and erases the contact. Each venue goes in a transaction with its
// registration and revocation; the contact goes last, with the items also
// named (the contact's own send log), so that an erasure cut short leaves an
// account to finish erasing, never a venue without an account.
func (s *Store) DeleteAccount(ctx context.Context, contactHash string, venues []Venue, also ...string) error {
	for chunk := range slices.Chunk(venues, accountChunk) {
		t := s.Tx()
		revoked := map[string][]string{}
		ids := make([]string, len(chunk))
		for i, v := range chunk {
			t.eraseVenue(v, revoked)
			ids[i] = v.ID
		}
		t.revoke(revoked)
		t.Update("contact", VerifiedContactKey(contactHash), Expr{
			Update: "DELETE venueIds :vs", Condition: "attribute_exists(pk)",
			Values: map[string]types.AttributeValue{":vs": &types.AttributeValueMemberSS{Value: ids}},
		})
		if err := s.commitVersioned(ctx, t); err != nil {
			return err
		}
	}
	t := s.Tx()
	t.Delete("contact", VerifiedContactKey(contactHash), Expr{})
	for _, pk := range also {
		t.Delete("also", pk, Expr{})
	}
	return s.Commit(ctx, t)
}

// renewChunk is how many venues one renewal transaction takes: two writes
// each (the venue and its expiry item), with the contact, of at most 100.
const renewChunk = 45

// RenewAccount records a sign-in of the contact at now: the contact and every one
// of its venues are kept as keep says from now, and the reminder is due again.
func (s *Store) RenewAccount(ctx context.Context, c VerifiedContact, hash string, venues []Venue, now time.Time, keep Retention) error {
	ttl := num(keep.Until(now))
	for i := 0; i == 0 || i < len(venues); i += renewChunk {
		t := s.Tx()
		if i == 0 {
			t.Update("contact", VerifiedContactKey(hash), Expr{
				Update:    "SET lastProvenAt = :now, #ttl = :ttl, remindAt = :remind, #due = :due REMOVE remindedAt",
				Condition: "attribute_exists(pk)",
				Names:     map[string]string{"#ttl": "ttl", "#due": "due"},
				Values: map[string]types.AttributeValue{":now": num(now.Unix()), ":ttl": ttl, ":remind": num(keep.RemindAt(now)),
					":due": str(DueHour(keep.RemindAt(now)))},
			})
		}
		for _, v := range venues[i:min(i+renewChunk, len(venues))] {
			t.Update("venue", venueKey(v.ID), Expr{
				Update: "SET #ttl = :ttl", Condition: "attribute_exists(pk)",
				Names: map[string]string{"#ttl": "ttl"}, Values: map[string]types.AttributeValue{":ttl": ttl},
			})
			t.renewExpiry(v.ID, keep.Until(now))
		}
		if err := s.commitVersioned(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// Revocations is the whole revocation list: for each venue with revoked
// payloads, their hashes (or RevokedAll). One BatchGetItem of the 32 shards.
func (s *Store) Revocations(ctx context.Context) (map[string][]string, error) {
	keys := make([]string, len(revocationShards))
	for i := range revocationShards {
		keys[i] = revocationKey(revocationShards[i : i+1])
	}
	items, err := s.GetMany(ctx, keys, time.Time{})
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, item := range items {
		for name, av := range item {
			id, ok := strings.CutPrefix(name, "v_")
			ss, isSet := av.(*types.AttributeValueMemberSS)
			if !ok || !isSet {
				continue
			}
			hashes := slices.Sorted(slices.Values(ss.Value))
			if slices.Contains(hashes, RevokedAll) {
				hashes = []string{RevokedAll}
			}
			out[id] = hashes
		}
	}
	return out, nil
}

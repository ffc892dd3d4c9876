package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Retention work is found through the sparse global secondary index DueIndex,
// keyed by the hour the work falls due (attribute "due", "2028-05-24T10") and
// the item's key. An account carries "due" while its reminder is pending; each
// venue has an expiry item (expiry#<venue id>) that carries it until the
// venue's erasure and revocation are done. A pass queries the hours since the
// last one, so that it reads what is due and never the rest of the table.

// DueIndex is the name of the index of retention work by the hour it is due.
const DueIndex = "due"

const dueLayout = "2006-01-02T15"

// DueHour is the index's bucket for work due at unix: its UTC hour.
func DueHour(unix int64) string { return time.Unix(unix, 0).UTC().Format(dueLayout) }

// ExpiryGrace is how long a venue's expiry item outlives the venue's term: the
// time a pass has to revoke the venue's payloads, which it can do whether or not
// DynamoDB's TTL has deleted the venue meanwhile.
const ExpiryGrace = 30 * 24 * time.Hour

// Expiry is a venue's expiry item: when its term ends, and nothing else about it.
type Expiry struct {
	VenueID   string `dynamodbav:"venueId"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
	Due       string `dynamodbav:"due"`
	TTL       int64  `dynamodbav:"ttl"`
}

// ExpiryKey is the key of venue id's expiry item.
func ExpiryKey(venueID string) string { return "expiry#" + venueID }

// renewExpiry adds to t the venue's expiry item for a term ending at ttl,
// created where it is missing (a venue older than the index gets one at its
// owner's next sign-in).
func (t *Tx) renewExpiry(venueID string, ttl int64) {
	t.Update("expiry", ExpiryKey(venueID), Expr{
		Update: "SET venueId = :id, expiresAt = :at, #due = :due, #ttl = :ttl",
		Names:  map[string]string{"#due": "due", "#ttl": "ttl"},
		Values: map[string]types.AttributeValue{
			":id": str(venueID), ":at": num(ttl), ":due": str(DueHour(ttl)), ":ttl": num(ttl + int64(ExpiryGrace/time.Second)),
		},
	})
}

// DueKeys pages through the keys of the items due in hour (a DueHour), handing
// each page's to each: a Query of a keys-only index, a read unit per some 40 keys.
func (s *Store) DueKeys(ctx context.Context, hour string, each func(pks []string) error) error {
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(DueIndex),
		KeyConditionExpression:    aws.String("#due = :h"),
		ExpressionAttributeNames:  map[string]string{"#due": "due"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": str(hour)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("query due %s: %w", hour, err)
		}
		pks := make([]string, 0, len(page.Items))
		for _, item := range page.Items {
			if pk, ok := item["pk"].(*types.AttributeValueMemberS); ok {
				pks = append(pks, pk.Value)
			}
		}
		if len(pks) > 0 {
			if err := each(pks); err != nil {
				return err
			}
		}
	}
	return nil
}

// DueReminders reads the accounts with these keys (from DueKeys, at most 100)
// and answers those whose reminder is due at now and not yet sent.
func (s *Store) DueReminders(ctx context.Context, pks []string, now time.Time) ([]DueReminder, error) {
	items, err := s.GetMany(ctx, pks, now)
	if err != nil {
		return nil, err
	}
	var out []DueReminder
	for _, pk := range pks {
		hash, ok := strings.CutPrefix(pk, "contact#")
		if !ok {
			continue
		}
		d := DueReminder{Hash: hash}
		if ok, err := items.Decode(pk, &d.VerifiedContact); err != nil {
			return nil, err
		} else if ok && d.RemindAt != 0 && d.RemindAt <= now.Unix() && d.RemindedAt == 0 {
			out = append(out, d)
		}
	}
	return out, nil
}

// ExpiredVenue is a venue whose term is over: its expiry item, its record
// where DynamoDB's TTL has not deleted it yet, and its account where that is
// still live and lists it (a registration renews the account, not its other
// venues, so an account may outlive some of its venues).
type ExpiredVenue struct {
	Expiry  Expiry
	Venue   *Venue
	Account *VerifiedContact
}

// DueExpiries reads the expiry items with these keys (from DueKeys, at most 33)
// with their venues and accounts in one BatchGetItem, and answers the venues
// whose term is over at now and was not renewed.
func (s *Store) DueExpiries(ctx context.Context, pks []string, now time.Time) ([]ExpiredVenue, error) {
	var keys []string
	for _, pk := range pks {
		if id, ok := strings.CutPrefix(pk, "expiry#"); ok {
			keys = append(keys, pk, venueKey(id))
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	// Expired items too: a venue past its term is what this is for.
	items, err := s.GetMany(ctx, keys, time.Time{})
	if err != nil {
		return nil, err
	}
	var out []ExpiredVenue
	var accounts []string
	for i := 0; i < len(keys); i += 2 {
		var e ExpiredVenue
		if ok, err := items.Decode(keys[i], &e.Expiry); err != nil {
			return nil, err
		} else if !ok || e.Expiry.ExpiresAt > now.Unix() {
			continue
		}
		var v Venue
		if ok, err := items.Decode(keys[i+1], &v); err != nil {
			return nil, err
		} else if ok {
			if v.TTL > now.Unix() {
				continue // renewed, and its expiry item with it
			}
			e.Venue = &v
			accounts = append(accounts, VerifiedContactKey(v.ContactHash))
		}
		out = append(out, e)
	}
	if len(accounts) == 0 {
		return out, nil
	}
	live, err := s.GetMany(ctx, accounts, now)
	if err != nil {
		return nil, err
	}
	for i, e := range out {
		if e.Venue == nil {
			continue
		}
		var c VerifiedContact
		if ok, err := live.Decode(VerifiedContactKey(e.Venue.ContactHash), &c); err != nil {
			return nil, err
		} else if ok && slices.Contains(c.VenueIDs, e.Venue.ID) {
			out[i].Account = &c
		}
	}
	return out, nil
}

// ExpireVenue erases an expired venue and its registration, revokes every
// payload of it ("*"), deletes its expiry item, and takes it off its account's
// list (the account with it, where it was the last), in one transaction: on the
// condition that nothing of it changed since it was read (ErrChanged
// otherwise: nothing is written; read it again). Where DynamoDB's TTL has
// already deleted the venue, the revocation is still made. Repeating it is
// harmless: the revocation is a set, and the deletions are of what is gone.
func (s *Store) ExpireVenue(ctx context.Context, e ExpiredVenue, now time.Time) error {
	t := s.Tx()
	id := e.Expiry.VenueID
	t.Delete("expiry", ExpiryKey(id), Expr{
		Condition: "expiresAt = :at AND expiresAt <= :now",
		Values:    map[string]types.AttributeValue{":at": num(e.Expiry.ExpiresAt), ":now": num(now.Unix())},
	})
	if v := e.Venue; v != nil {
		t.Delete("venue", venueKey(v.ID), Expr{
			Condition: "attribute_not_exists(pk) OR #ttl <= :now",
			Names:     map[string]string{"#ttl": "ttl"}, Values: map[string]types.AttributeValue{":now": num(now.Unix())},
		})
		if v.RegistrationID != "" {
			t.Delete("registration", registrationKey(v.RegistrationID), Expr{})
		}
	}
	if c := e.Account; c != nil {
		ids := map[string]types.AttributeValue{":id": str(id), ":one": num(1)}
		if len(c.VenueIDs) == 1 {
			t.Delete("contact", VerifiedContactKey(e.Venue.ContactHash), Expr{
				Condition: "contains(venueIds, :id) AND size(venueIds) = :one", Values: ids,
			})
		} else {
			ids[":vs"] = &types.AttributeValueMemberSS{Value: []string{id}}
			t.Update("contact", VerifiedContactKey(e.Venue.ContactHash), Expr{
				Update: "DELETE venueIds :vs", Condition: "contains(venueIds, :id) AND size(venueIds) > :one", Values: ids,
			})
		}
	}
	t.revoke(map[string][]string{id: {RevokedAll}})
	err := s.Commit(ctx, t)
	var failed *ConditionFailed
	if errors.As(err, &failed) && !failed.Conflict {
		return ErrChanged
	}
	return err
}

// retentionCursorKey is the item that says up to which hour every pass's work
// is done. It holds nothing about anyone.
const retentionCursorKey = "retention#cursor"

type retentionCursor struct {
	// Through is the start (Unix) of the last hour whose due work is all done.
	Through int64 `dynamodbav:"through"`
}

// RetentionCursor is the start of the last hour whose due work is done; the
// zero time before the first pass.
func (s *Store) RetentionCursor(ctx context.Context) (time.Time, error) {
	var c retentionCursor
	err := s.get(ctx, retentionCursorKey, time.Time{}, &c)
	if errors.Is(err, ErrNotFound) || err == nil && c.Through == 0 {
		return time.Time{}, nil
	}
	return time.Unix(c.Through, 0).UTC(), err
}

// AdvanceRetentionCursor records that the work of every hour up to the one
// starting at through is done; it never moves the cursor back, so that passes
// that overlap leave the later one.
func (s *Store) AdvanceRetentionCursor(ctx context.Context, through time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(retentionCursorKey),
		UpdateExpression:          aws.String("SET through = :t"),
		ConditionExpression:       aws.String("attribute_not_exists(through) OR through < :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": num(through.Unix())},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("advance retention cursor: %w", err)
	}
	return nil
}

package retention

import (
	"context"
	"errors"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/apitest"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/secret"
	"github.com/checkin-registry/registry/shared/store"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

var start = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

type harness struct {
	t      *testing.T
	stack  *mototest.TestStack
	clock  *apitest.Clock
	outbox *apitest.Outbox
	db     *readCounter
	store  *store.Store
	keys   secret.Keys
	rt     process.Runtime
	h      *Handler
	keep   store.Retention
	// failSends makes every message fail, as when SNS or SES refuses it.
	failSends atomic.Bool
}

var errSendFailed = errors.New("sns: throttled")

// readCounter counts the calls made through it and the items they read (a
// Scan's or Query's scanned count, a BatchGetItem's and GetItem's items found);
// with failWrites set, every transaction fails as when DynamoDB is unreachable.
type readCounter struct {
	store.Client
	db                *dynamodb.Client
	mu                sync.Mutex
	calls             map[string]int
	read              int
	failWrites        atomic.Bool
	transactionsTried atomic.Int64
}

func (c *readCounter) add(op string, items int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op]++
	c.read += items
}

func (c *readCounter) reset() (map[string]int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	calls, read := c.calls, c.read
	c.calls, c.read = map[string]int{}, 0
	return calls, read
}

func (c *readCounter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := c.db.GetItem(ctx, in, o...)
	if err == nil && out.Item != nil {
		c.add("GetItem", 1)
	} else {
		c.add("GetItem", 0)
	}
	return out, err
}

func (c *readCounter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	out, err := c.db.BatchGetItem(ctx, in, o...)
	n := 0
	if err == nil {
		for _, items := range out.Responses {
			n += len(items)
		}
	}
	c.add("BatchGetItem", n)
	return out, err
}

func (c *readCounter) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := c.db.Query(ctx, in, o...)
	n := 0
	if err == nil {
		n = int(out.ScannedCount)
	}
	c.add("Query", n)
	return out, err
}

// Scan is here so that the count covers a pass that scans.
func (c *readCounter) Scan(ctx context.Context, in *dynamodb.ScanInput, o ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	out, err := c.db.Scan(ctx, in, o...)
	n := 0
	if err == nil {
		n = int(out.ScannedCount)
	}
	c.add("Scan", n)
	return out, err
}

var errUnreachable = errors.New("dynamodb: connection refused")

func (c *readCounter) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.add("TransactWriteItems", 0)
	c.transactionsTried.Add(1)
	if c.failWrites.Load() {
		return nil, errUnreachable
	}
	return c.db.TransactWriteItems(ctx, in, o...)
}

func newHarness(t *testing.T) *harness {
	st := mototest.NewTestStack(t, nil)
	hs := &harness{t: t, stack: st, clock: apitest.NewClock(start), outbox: &apitest.Outbox{}}
	env := st.Config("RetentionFunction", map[string]string{"PUBLIC_BASE_URL": "https://checkin.example"})
	hs.rt = st.Runtime("RetentionFunction")
	hs.rt.Now = hs.clock.Now
	hs.rt.WrapSender = func(next notify.Sender) notify.Sender {
		inner := hs.outbox.Wrap(next)
		return notify.SenderFunc(func(ctx context.Context, m notify.Message) error {
			if hs.failSends.Load() {
				return errSendFailed
			}
			return inner.Send(ctx, m)
		})
	}
	cfg, err := LoadConfig(env)
	if err != nil {
		t.Fatal(err)
	}
	raw := dynamodb.NewFromConfig(st.AWS)
	hs.db = &readCounter{Client: raw, db: raw, calls: map[string]int{}}
	hs.store, hs.keys, hs.keep = store.New(hs.db, st.Store().Table()), st.Keys(t), store.RetentionFromEnv(env)
	hs.h = New(cfg, hs.store, Senders(env, st.AWS, hs.rt), hs.keys, hs.rt)
	return hs
}

// venue creates a venue of the contact, as a registration does.
func (hs *harness) venue(address, hash string) store.Venue {
	hs.t.Helper()
	ctx, now := context.Background(), hs.clock.Now()
	id, _ := store.NewID(hs.rt.Rand)
	tx := hs.store.Tx()
	reg := store.Registration{ID: id, Channel: "email", Destination: address, DestinationHash: hash, Sends: 1,
		Status: store.Pending, CreatedAt: now.Unix(), TTL: now.Add(time.Hour).Unix()}
	if err := tx.PutRegistration(reg); err != nil {
		hs.t.Fatal(err)
	}
	if err := hs.store.Commit(ctx, tx); err != nil {
		hs.t.Fatal(err)
	}
	v := store.Venue{ID: id, BusinessName: "Kedai", Address: "12 Jalan Ampang", Channel: "email", Contact: address,
		ContactHash: hash, RegistrationID: id, CreatedAt: now.Unix(), TTL: hs.keep.Until(now)}
	if err := hs.store.CompleteVerification(ctx, reg, v, hs.keep); err != nil {
		hs.t.Fatal(err)
	}
	return v
}

func (hs *harness) pass() Result {
	hs.t.Helper()
	res, err := hs.h.Handle(context.Background(), nil)
	if err != nil {
		hs.t.Fatal(err)
	}
	return res
}

func TestOneReminderBeforeErasure(t *testing.T) {
	hs := newHarness(t)
	a := hs.venue("ali@example.my", "hash-a")
	hs.venue("ali@example.my", "hash-a")
	hs.venue("bee@example.my", "hash-b")
	// bee@ opted out: by its exact address, as a bounce suppresses it.
	bee := identity.New(hs.keys).Address("Bee@example.my")
	if err := hs.store.Suppress(context.Background(), bee, store.Suppression{Reason: "bounce"}, hs.clock.Now()); err != nil {
		t.Fatal(err)
	}

	// Nothing is due for 18 months.
	hs.clock.Advance(hs.keep.Keep - hs.keep.RemindBefore - time.Hour)
	if res := hs.pass(); res.Sent+res.Suppressed+res.Failed+res.Expired != 0 || len(hs.outbox.Messages) != 0 {
		t.Fatalf("before due: %+v, %d messages", res, len(hs.outbox.Messages))
	}
	hs.clock.Advance(time.Hour)
	if res := hs.pass(); res.Sent != 1 || res.Suppressed != 1 {
		t.Fatalf("due: %+v, want one sent and one suppressed", res)
	}
	msgs := hs.outbox.To("ali@example.my")
	erases := time.Unix(a.TTL, 0).UTC().Format("2 January 2006")
	if len(msgs) != 1 || !strings.Contains(msgs[0].Body, "2 venue record(s)") || !strings.Contains(msgs[0].Body, erases) ||
		!strings.Contains(msgs[0].Body, "https://checkin.example/signin.html") {
		t.Fatalf("reminder = %+v, want one naming 2 venues, %s and the sign-in page", msgs, erases)
	}
	if len(hs.outbox.To("bee@example.my")) != 0 {
		t.Fatal("a reminder went to a suppressed contact")
	}
	// Once only, however many passes follow.
	hs.clock.Advance(24 * time.Hour)
	if res := hs.pass(); res.Sent+res.Suppressed+res.Failed != 0 || len(hs.outbox.Messages) != 1 {
		t.Fatalf("second pass: %+v, %d messages", res, len(hs.outbox.Messages))
	}

	// A sign-in renews the account and every venue; the reminder is due again
	// 18 months after it.
	ctx := context.Background()
	c, err := hs.store.GetContact(ctx, "hash-a", hs.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	venues, err := hs.store.Venues(ctx, c.VenueIDs, hs.clock.Now())
	if err != nil || len(venues) != 2 {
		t.Fatalf("venues = %v, %v", venues, err)
	}
	signIn := hs.clock.Now()
	if err := hs.store.RenewAccount(ctx, c, "hash-a", venues, signIn, hs.keep); err != nil {
		t.Fatal(err)
	}
	hs.clock.Advance(hs.keep.Keep - hs.keep.RemindBefore - time.Hour)
	if res := hs.pass(); res.Sent != 0 {
		t.Fatalf("after the sign-in, before due again: %+v", res)
	}
	hs.clock.Advance(time.Hour)
	if res := hs.pass(); res.Sent != 1 {
		t.Fatalf("due again: %+v", res)
	}
	// The venues outlive the first term: the sign-in renewed them too.
	hs.clock.Advance(hs.keep.RemindBefore - time.Hour)
	if got, err := hs.store.Venues(ctx, c.VenueIDs, hs.clock.Now()); err != nil || len(got) != 2 {
		t.Fatalf("venues just before the renewed erasure = %d, %v", len(got), err)
	}
	hs.clock.Advance(time.Hour)
	if got, _ := hs.store.Venues(ctx, c.VenueIDs, hs.clock.Now()); len(got) != 0 {
		t.Fatalf("venues after the renewed erasure = %d, want 0", len(got))
	}
	if _, err := hs.store.GetContact(ctx, "hash-a", hs.clock.Now()); err == nil {
		t.Fatal("the contact outlived its retention")
	}
}

// A venue whose term ends is revoked for offline scanners too: the pass that
// finds it due erases it in one transaction with a "*" entry in the revocation
// list, whether or not DynamoDB's TTL has deleted its record already, and leaves
// alone a venue renewed in time and every other venue.
func TestExpiredVenueIsRevoked(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	a := hs.venue("ali@example.my", "hash-a")
	gone := hs.venue("gone@example.my", "hash-g")
	renewed := hs.venue("ren@example.my", "hash-r")
	hs.clock.Advance(24 * time.Hour)
	b := hs.venue("bee@example.my", "hash-b") // a day younger

	// A sign-in renews one account a month before the end.
	hs.idle(hs.keep.Keep - 24*time.Hour - 30*24*time.Hour)
	c, err := hs.store.GetContact(ctx, "hash-r", hs.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := hs.store.RenewAccount(ctx, c, "hash-r", []store.Venue{renewed}, hs.clock.Now(), hs.keep); err != nil {
		t.Fatal(err)
	}
	hs.pass()
	hs.idle(30*24*time.Hour - time.Hour)
	if res := hs.pass(); res.Expired != 0 {
		t.Fatalf("an hour before the end: %+v", res)
	}
	hs.clock.Advance(time.Hour)
	// Online, every read checks the term itself, pass or no pass.
	if ok, err := hs.store.PayloadValid(ctx, a.ID, "any", true, hs.clock.Now()); err != nil || ok {
		t.Fatalf("expired venue's payload valid=%v, %v", ok, err)
	}
	// DynamoDB's TTL may delete a record before the pass: here it does for one.
	if _, err := hs.stack.Clients.DynamoDB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(hs.store.Table()), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "venue#" + gone.ID}},
	}); err != nil {
		t.Fatal(err)
	}

	// A pass that cannot write leaves everything as it was, and says so.
	hs.db.failWrites.Store(true)
	if _, err := hs.h.Handle(ctx, nil); err == nil {
		t.Fatal("a pass whose writes failed reported no error")
	}
	if list := hs.revocations(); len(list) != 0 {
		t.Fatalf("failed pass left revocations %v", list)
	}
	if hs.stack.Items(t, "venue#"+a.ID) == nil || hs.stack.Items(t, store.ExpiryKey(a.ID)) == nil {
		t.Fatal("failed pass erased the venue without its revocation")
	}
	hs.db.failWrites.Store(false)

	// The next pass does it all.
	if res := hs.pass(); res.Expired != 2 {
		t.Fatalf("pass after the end: %+v, want 2 expired", res)
	}
	list := hs.revocations()
	for _, id := range []string{a.ID, gone.ID} {
		if !slices.Equal(list[id], []string{store.RevokedAll}) {
			t.Errorf("revocations[%s] = %v, want [*]", id, list[id])
		}
	}
	if len(list) != 2 {
		t.Errorf("revocations = %v, want only the two expired venues", list)
	}
	// (gone's registration is left to its own ttl, a day after it was verified.)
	for _, prefix := range []string{"venue#" + a.ID, "reg#" + a.ID, store.ExpiryKey(a.ID), store.ExpiryKey(gone.ID)} {
		if items := hs.stack.Items(t, prefix); len(items) != 0 {
			t.Errorf("%s outlived its venue's revocation", prefix)
		}
	}
	for _, v := range []store.Venue{b, renewed} {
		if _, err := hs.store.GetVenue(ctx, v.ID, hs.clock.Now()); err != nil {
			t.Errorf("venue %s not due: %v", v.ID, err)
		}
	}

	// Again: nothing more is due, and the list stays as it was.
	if res := hs.pass(); res.Expired != 0 {
		t.Fatalf("repeated pass: %+v", res)
	}
	if again := hs.revocations(); len(again) != 2 {
		t.Fatalf("repeated pass changed the list: %v", again)
	}
	// A day later, the younger venue's turn.
	hs.clock.Advance(24 * time.Hour)
	if res := hs.pass(); res.Expired != 1 || !slices.Equal(hs.revocations()[b.ID], []string{store.RevokedAll}) {
		t.Fatalf("a day later: %+v, list %v", res, hs.revocations())
	}
}

// An expiry the pass could not finish is done by a later one: the cursor does
// not move past an hour whose work failed.
func TestFailedHourIsReadAgain(t *testing.T) {
	hs := newHarness(t)
	a := hs.venue("ali@example.my", "hash-a")
	hs.pass()
	hs.clock.Advance(hs.keep.Keep + time.Hour)
	hs.db.failWrites.Store(true)
	if _, err := hs.h.Handle(context.Background(), nil); err == nil {
		t.Fatal("no error")
	}
	hs.db.failWrites.Store(false)
	hs.clock.Advance(5 * time.Hour)
	if res := hs.pass(); res.Expired != 1 || hs.revocations()[a.ID] == nil {
		t.Fatalf("later pass: %+v", res)
	}
}

// idle advances the clock by d as if hourly passes had run meanwhile and found
// nothing due: the cursor moves to the hour before the new time's.
func (hs *harness) idle(d time.Duration) {
	hs.t.Helper()
	hs.clock.Advance(d)
	if err := hs.store.AdvanceRetentionCursor(context.Background(), hs.clock.Now().UTC().Truncate(time.Hour).Add(-time.Hour)); err != nil {
		hs.t.Fatal(err)
	}
}

func (hs *harness) revocations() map[string][]string {
	hs.t.Helper()
	list, err := hs.store.Revocations(context.Background())
	if err != nil {
		hs.t.Fatal(err)
	}
	return list
}

// A pass reads what is due and nothing else: over tables of hundreds or
// thousands of items that are not due (other accounts, their venues, anything
// else), its calls and reads are the same, those of the two due accounts and
// their venues.
func TestPassReadsOnlyWhatIsDue(t *testing.T) {
	type phase struct {
		calls map[string]int
		read  int
	}
	var sizes [][]phase
	for _, fill := range []int{300, 3000} {
		hs := newHarness(t)
		for i := range 2 {
			hs.venue(strings.Repeat("d", i+1)+"@example.my", "due-"+strings.Repeat("d", i+1))
		}
		hs.clock.Advance(48 * time.Hour)
		for i := range 40 {
			hs.venue(strings.Repeat("n", i+1)+"@example.my", "later-"+strings.Repeat("n", i+1))
		}
		hs.stack.Fill(t, fill)
		total := len(hs.stack.Items(t, ""))
		var phases []phase
		for _, tt := range []struct {
			name string
			at   time.Duration
			want func(Result) bool
			// reads is what the pass must read at most: the due index's keys and
			// the due items (the cursor's read comes on top).
			reads int
		}{
			// Two accounts' reminders: 2 keys, 2 accounts (their suppressions: none).
			{"reminders", hs.keep.Keep - hs.keep.RemindBefore - 48*time.Hour, func(r Result) bool { return r.Sent == 2 }, 4},
			// Two venues' expiries: 2 keys, 2 expiry items, 2 venues, 2 accounts.
			{"expiries", hs.keep.RemindBefore, func(r Result) bool { return r.Expired == 2 }, 8},
			// Nothing: a pass an hour later.
			{"nothing due", time.Hour, func(r Result) bool { return r == Result{Hours: 1} }, 0},
		} {
			hs.idle(tt.at)
			hs.db.reset()
			res := hs.pass()
			calls, read := hs.db.reset()
			t.Logf("%s over %d items: %+v; calls %v; items read %d", tt.name, total, res, calls, read)
			if !tt.want(res) {
				t.Fatalf("%s: pass = %+v", tt.name, res)
			}
			if calls["Scan"] != 0 {
				t.Fatalf("%s: the pass scanned the table (%d calls)", tt.name, calls["Scan"])
			}
			if read > tt.reads+1 {
				t.Fatalf("%s: the pass read %d items of %d, want at most %d", tt.name, read, total, tt.reads+1)
			}
			phases = append(phases, phase{calls, read})
		}
		sizes = append(sizes, phases)
	}
	for i := range sizes[0] {
		small, big := sizes[0][i], sizes[1][i]
		if small.read != big.read || !maps.Equal(small.calls, big.calls) {
			t.Errorf("phase %d: %v calls, %d read over the small table, %v, %d over the big one", i, small.calls, small.read, big.calls, big.read)
		}
	}
}

// A reminder whose message failed is due again the next hour, and goes then,
// once; the cursor does not wait for it.
func TestFailedReminderIsRetriedNextHour(t *testing.T) {
	hs := newHarness(t)
	hs.venue("ali@example.my", "hash-a")
	hs.idle(hs.keep.Keep - hs.keep.RemindBefore)
	hs.failSends.Store(true)
	if res := hs.pass(); res.Failed != 1 || res.Sent != 0 {
		t.Fatalf("failing pass: %+v", res)
	}
	hs.failSends.Store(false)
	hs.clock.Advance(10 * time.Minute)
	if res := hs.pass(); res.Sent+res.Failed != 0 {
		t.Fatalf("same hour: %+v, want the retry left to the next hour", res)
	}
	hs.clock.Advance(time.Hour)
	if res := hs.pass(); res.Sent != 1 || len(hs.outbox.To("ali@example.my")) != 1 {
		t.Fatalf("next hour: %+v, %d messages", res, len(hs.outbox.To("ali@example.my")))
	}
	hs.clock.Advance(time.Hour)
	if res := hs.pass(); res.Sent != 0 || len(hs.outbox.Messages) != 1 {
		t.Fatalf("after: %+v, %d messages", res, len(hs.outbox.Messages))
	}
}

// A registration renews its account, not the account's other venues: when an
// older venue's term ends, the pass takes it off the account's list, and takes
// the account too where that venue was the last one left.
func TestExpiryKeepsTheAccountTrue(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	a1 := hs.venue("ali@example.my", "hash-a")
	l1 := hs.venue("lee@example.my", "hash-l")
	hs.clock.Advance(24 * time.Hour)
	a2 := hs.venue("ali@example.my", "hash-a")
	l2 := hs.venue("lee@example.my", "hash-l")
	c, err := hs.store.GetContact(ctx, "hash-l", hs.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := hs.store.DeleteVenue(ctx, c, l2); err != nil {
		t.Fatal(err)
	}
	hs.idle(hs.keep.Keep - 24*time.Hour)
	if res := hs.pass(); res.Expired != 2 {
		t.Fatalf("pass = %+v, want the two older venues expired", res)
	}
	ca, err := hs.store.GetContact(ctx, "hash-a", hs.clock.Now())
	if err != nil || !slices.Equal(ca.VenueIDs, []string{a2.ID}) {
		t.Fatalf("ali's account = %v (%v), want only %s listed", ca.VenueIDs, err, a2.ID)
	}
	if items := hs.stack.Items(t, store.VerifiedContactKey("hash-l")); len(items) != 0 {
		t.Fatalf("lee's account outlived its last venue: %v", items)
	}
	list := hs.revocations()
	for _, id := range []string{a1.ID, l1.ID, l2.ID} {
		if !slices.Equal(list[id], []string{store.RevokedAll}) {
			t.Errorf("revocations[%s] = %v, want [*]", id, list[id])
		}
	}
	if list[a2.ID] != nil {
		t.Errorf("the younger venue is revoked: %v", list[a2.ID])
	}
}

// A pass near its invocation's deadline takes up no more work, and the next
// run does it: nothing is claimed and then cut off before it is sent.
func TestPassNearItsDeadlineLeavesTheWork(t *testing.T) {
	hs := newHarness(t)
	hs.venue("ali@example.my", "hash-a")
	hs.idle(hs.keep.Keep - hs.keep.RemindBefore)
	ctx, cancel := context.WithTimeout(context.Background(), reserve/2)
	defer cancel()
	if res, err := hs.h.Handle(ctx, nil); !errors.Is(err, ErrOutOfTime) || res.Sent+res.Failed != 0 {
		t.Fatalf("pass near its deadline: %+v, %v; want nothing done and ErrOutOfTime", res, err)
	}
	hs.clock.Advance(time.Hour)
	if res := hs.pass(); res.Sent != 1 {
		t.Fatalf("next run: %+v, want the reminder sent", res)
	}
}

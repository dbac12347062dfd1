// Package redisstream keeps a processor's live analytics in Redis, shared by
// every process and machine that uses the same name there: distinct users
// per one-minute bucket in HyperLogLogs (PFADD into keys that expire after
// the window; a window is PFCOUNT over its minutes' keys) and events per
// channel per minute in sorted sets (ZINCRBY; the last hour is merged on
// query with ZUNION).
//
// Analytics implements stream.Sink: the processor's analyser hands it each
// analysed chunk, which it folds into an aggregate in memory (users as a
// set per minute, counts per channel per minute) and returns. One goroutine
// (a redisconn.Sender) sends the aggregate, one round trip per batch (a Lua script, so that a
// batch retried after a lost reply is not counted twice), never one per
// event. While Redis is down the aggregate keeps growing up to a bound
// (events past it are dropped and counted) and is retried with backoff;
// queries fail with redisconn.ErrUnavailable.
//
// The keys of one name share the hash tag {engagehub:proc:NAME}, so they
// live in one cluster slot.
package redisstream

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/engagehub/engagehub-native/core/redisconn"
	"github.com/engagehub/engagehub-native/core/stream"
)

const (
	// WindowMinutes is the longest window a query answers, as the local
	// analytics.
	WindowMinutes = 60
	// DefaultMaxPending bounds the events folded into the aggregate and not
	// yet sent (what is held is distinct users and channels per minute, at
	// most one entry per event); it also keeps one send's arguments well
	// below Redis's limit on a command's length.
	DefaultMaxPending = 200_000
	// keep is how long a minute's keys outlive their minute: the window,
	// and one minute of slack for clocks a little apart.
	keep = (WindowMinutes + 1) * 60
)

var (
	// ErrInvalidName is returned by Open for an empty name or one holding
	// '{' or '}'.
	ErrInvalidName = errors.New("redis: analytics name must be non-empty, without '{' or '}'")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("redis: analytics closed")
)

// Stats are the counters of an Analytics since Open, in events: Queued
// folded in and not yet acknowledged (the aggregate being sent included),
// Applied those whose aggregate Redis acknowledged, Dropped those not
// shared because the aggregate was full.
type Stats = redisconn.Stats

// minute is one minute's aggregate: distinct users, events per channel.
type minute struct {
	users    map[string]struct{}
	channels map[string]uint64
}

// Analytics is one name's shared analytics. Safe for concurrent use.
type Analytics struct {
	conn   *redisconn.Conn
	name   string
	prefix string // {engagehub:proc:NAME}:
	client string // this client's batch-number key

	sender     *redisconn.Sender[map[int64]*minute]
	maxPending int
	// The aggregate not yet taken by the sender, guarded by its lock.
	pending  map[int64]*minute // by minute (Unix seconds / 60)
	pendingN int               // events folded into pending
}

// Open connects to name's analytics at url (redisconn.ParseURL).
// maxPending ≤ 0 selects DefaultMaxPending.
func Open(url, name string, maxPending int) (*Analytics, error) {
	if name == "" || strings.ContainsAny(name, "{}") {
		return nil, fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	if maxPending <= 0 {
		maxPending = DefaultMaxPending
	}
	conn, id, err := redisconn.DialClient(url)
	if err != nil {
		return nil, err
	}
	prefix := "{engagehub:proc:" + name + "}:"
	a := &Analytics{conn: conn, name: name, prefix: prefix, client: prefix + "client:" + id,
		pending: map[int64]*minute{}, maxPending: maxPending}
	// Close gives up at once while Redis is down: a processor's close
	// should not wait on a server that is gone.
	a.sender = redisconn.NewSender(redisconn.SenderOptions{Where: conn.Where, Waiting: "events waiting",
		Closed: ErrClosed, CloseWait: 3 * time.Second, CloseWhenDown: true}, a.take, a.apply)
	return a, nil
}

func (a *Analytics) usersKey(m int64) string    { return a.prefix + "u:" + strconv.FormatInt(m, 10) }
func (a *Analytics) channelsKey(m int64) string { return a.prefix + "c:" + strconv.FormatInt(m, 10) }

// Observe folds a chunk of events analysed at now into the aggregate, with
// the local analytics' minute rules: an event up to 60 s in the future
// counts as now, one further ahead or older than the window not at all. It
// never blocks on Redis.
func (a *Analytics) Observe(events []stream.Event, now time.Time) {
	nowSec := now.Unix()
	oldest := nowSec/60 - WindowMinutes + 1
	a.sender.Add(func(int) (accepted, dropped int) { // after Close: nothing
		var cur *minute
		curMin := int64(-1)
		for i := range events {
			e := &events[i]
			if a.pendingN >= a.maxPending {
				return accepted, len(events) - i
			}
			ts := e.Timestamp
			if ts > nowSec {
				if ts-nowSec > 60 {
					continue
				}
				ts = nowSec
			}
			m := ts / 60
			if m < oldest {
				continue
			}
			if m != curMin {
				cur = a.pending[m]
				if cur == nil {
					cur = &minute{users: map[string]struct{}{}, channels: map[string]uint64{}}
					a.pending[m] = cur
				}
				curMin = m
			}
			// Strings are copied: the processor reuses the events.
			if _, ok := cur.users[e.UserID]; !ok {
				cur.users[strings.Clone(e.UserID)] = struct{}{}
			}
			if _, ok := cur.channels[e.ChannelID]; ok {
				cur.channels[e.ChannelID]++
			} else {
				cur.channels[strings.Clone(e.ChannelID)] = 1
			}
			a.pendingN++
			accepted++
		}
		return accepted, 0
	})
}

// Sync waits until every event observed before it is in Redis; while Redis
// cannot be reached it returns an error wrapping ErrUnavailable at once.
func (a *Analytics) Sync() error { return a.sender.Sync() }

// Stats returns the counters.
func (a *Analytics) Stats() Stats { return a.sender.Stats() }

// take hands the sender what has accumulated (called with its lock held);
// events fold into a new aggregate meanwhile.
func (a *Analytics) take() (map[int64]*minute, int) {
	agg, n := a.pending, a.pendingN
	if n > 0 {
		a.pending, a.pendingN = map[int64]*minute{}, 0
	}
	return agg, n
}

// apply sends one aggregate: shareScript with every minute's keys.
func (a *Analytics) apply(agg map[int64]*minute, number uint64) error {
	minutes := make([]int64, 0, len(agg))
	for m := range agg {
		minutes = append(minutes, m)
	}
	slices.Sort(minutes)
	keys := []string{a.client}
	args := []any{strconv.FormatUint(number, 10), strconv.Itoa(keep)}
	for _, m := range minutes {
		mi := agg[m]
		keys = append(keys, a.usersKey(m), a.channelsKey(m))
		args = append(args, strconv.FormatInt((m+1)*60, 10), strconv.Itoa(len(mi.users)), strconv.Itoa(len(mi.channels)))
		for u := range mi.users {
			args = append(args, u)
		}
		for c, n := range mi.channels {
			args = append(args, c, strconv.FormatUint(n, 10))
		}
	}
	ctx, cancel := redisconn.Context()
	defer cancel()
	return shareScript.Run(ctx, a.conn, keys, args...).Err()
}

// shareScript adds one aggregate. KEYS: the client's batch-number key, then
// per minute its users key and channels key. ARGV: batch number, seconds
// the keys outlive their minute, then per minute: the minute's end (Unix
// seconds), the number of users u, of channels c, the u users, and c
// (channel, count) pairs. A batch number at or below the client's last is
// a retry whose first attempt was applied: nothing is done.
var shareScript = redis.NewScript(`
local batch = tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[1]) or '-1') >= batch then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', 86400)
local keep = tonumber(ARGV[2])
local i, k = 3, 2
while i <= #ARGV do
  local expires = tonumber(ARGV[i]) + keep
  local nu, nc = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  i = i + 3
  local ukey, ckey = KEYS[k], KEYS[k + 1]
  k = k + 2
  local j = 0
  while j < nu do
    local n = math.min(nu - j, 1000)
    redis.call('PFADD', ukey, unpack(ARGV, i + j, i + j + n - 1))
    j = j + n
  end
  i = i + nu
  if nu > 0 then redis.call('EXPIREAT', ukey, expires) end
  for c = 0, nc - 1 do
    redis.call('ZINCRBY', ckey, ARGV[i + 2 * c + 1], ARGV[i + 2 * c])
  end
  i = i + 2 * nc
  if nc > 0 then redis.call('EXPIREAT', ckey, expires) end
end
return 1
`)

// UniqueUsers estimates the distinct users among events of the window
// ending in now's minute (rounded to whole minutes, 1..60, as the local
// analytics), shared by every process: PFCOUNT over its minutes' keys.
// Events observed before the call are counted first (Sync).
func (a *Analytics) UniqueUsers(window time.Duration, now time.Time) (uint64, error) {
	if window <= 0 {
		return 0, nil
	}
	if err := a.Sync(); err != nil {
		return 0, err
	}
	keys := a.windowKeys(window, now, a.usersKey)
	ctx, cancel := redisconn.Context()
	defer cancel()
	n, err := a.conn.PFCount(ctx, keys...).Result()
	if err != nil {
		return 0, a.conn.Unavailable(err)
	}
	return uint64(n), nil
}

// TopChannels returns up to k channels with the most events in the last
// hour (all processes), busiest first, ties by channel id: the hour's
// per-minute sets merged with ZUNION. Counts are exact.
func (a *Analytics) TopChannels(k int, now time.Time) ([]stream.ChannelCount, error) {
	if k <= 0 {
		return nil, a.Sync()
	}
	if err := a.Sync(); err != nil {
		return nil, err
	}
	keys := a.windowKeys(WindowMinutes*time.Minute, now, a.channelsKey)
	ctx, cancel := redisconn.Context()
	defer cancel()
	zs, err := a.conn.ZUnionWithScores(ctx, redis.ZStore{Keys: keys}).Result()
	if err != nil {
		return nil, a.conn.Unavailable(err)
	}
	out := make([]stream.ChannelCount, len(zs))
	for i, z := range zs {
		out[i] = stream.ChannelCount{ChannelID: fmt.Sprint(z.Member), Count: uint64(z.Score)}
	}
	slices.SortFunc(out, func(x, y stream.ChannelCount) int {
		if c := cmp.Compare(y.Count, x.Count); c != 0 {
			return c
		}
		return cmp.Compare(x.ChannelID, y.ChannelID)
	})
	return out[:min(k, len(out))], nil
}

// windowKeys names the keys of the window's minutes, as the local
// analytics bound a window.
func (a *Analytics) windowKeys(window time.Duration, now time.Time, key func(int64) string) []string {
	width := int64((window + 30*time.Second) / time.Minute)
	width = min(max(width, 1), WindowMinutes)
	nowMin := now.Unix() / 60
	keys := make([]string, 0, width)
	for m := nowMin - width + 1; m <= nowMin; m++ {
		keys = append(keys, key(m))
	}
	return keys
}

// Close sends what is pending (waiting a few seconds at most, not at all
// while Redis is down) and closes the connections. Idempotent.
func (a *Analytics) Close() error {
	if !a.sender.Close() {
		return nil
	}
	return a.conn.Close()
}

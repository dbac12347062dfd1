// Package redisboard is a leaderboard kept in Redis: the same ranking as
// core/leaderboard's Board (scores decayed by a factor per day, ties by user
// id ascending), shared by every process and machine that opens the same
// board name on the same Redis or Redis Cluster.
//
// Scores are stored in forward-decay form (see core/leaderboard/decay.go
// and scripts.go here), so an update is one ZINCRBY and nothing is ever
// rescored; the landmark lives beside the set and moves (a rebase) inside
// the same Lua script that applies a batch, so every client sees it move
// atomically. Updates are queued in bounded memory and sent by one
// goroutine (a redisconn.Sender), a batch per round trip; while Redis is
// unreachable they stay queued (counted, dropped past the bound) and are
// retried with backoff, and reads fail with ErrUnavailable. A batch whose
// reply was lost is retried under the same number, which the script
// recognises, so no update is applied twice.
//
// All methods are safe for concurrent use. A Board must be closed.
package redisboard

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/engagehub/engagehub-native/core/leaderboard"
	"github.com/engagehub/engagehub-native/core/redisconn"
)

var (
	// ErrUnavailable is wrapped by Open when the server cannot be reached
	// or refuses the credentials, and by reads while it cannot be reached.
	ErrUnavailable = redisconn.ErrUnavailable
	// ErrInvalidURL is wrapped by Open for a URL it cannot use (see
	// redisconn.ParseURL).
	ErrInvalidURL = redisconn.ErrInvalidURL
	// ErrInvalidName is returned by Open for an empty board name or one
	// holding '{' or '}' (which would break the keys' hash tag).
	ErrInvalidName = errors.New("redis: board name must be non-empty, without '{' or '}'")
	// ErrConfigMismatch is wrapped by Open when the board already exists in
	// Redis, holds users, and was made with another decay factor.
	ErrConfigMismatch = errors.New("redis: the board exists with another decay factor")
	// ErrClosed is returned by every method after Close.
	ErrClosed = errors.New("redis: board closed")
)

const (
	// DefaultMaxQueued bounds the updates a Board holds while Redis is
	// slow or down; updates submitted past it are dropped and counted.
	DefaultMaxQueued = 1 << 20
	// batchMax is the most updates one script call applies.
	batchMax = 2048
	// closeTimeout bounds how long Close waits for queued updates.
	closeTimeout = 3 * time.Second
)

// Options tune a Board beyond its URL.
type Options struct {
	MaxQueued int // 0: DefaultMaxQueued
}

// Stats are a Board's counters since Open, in updates: Queued waiting to
// be sent (or being sent), Applied sent and acknowledged (refused ones
// included), Dropped refused because the queue was full.
type Stats = redisconn.Stats

type update struct {
	id     string
	points float64
	ts     int64
}

// Board is one leaderboard in Redis.
type Board struct {
	client *redisconn.Conn
	name   string
	keys   []string // z, last, meta, client
	where  string   // the server(s), for messages

	sender    *redisconn.Sender[[]update]
	maxQueued int
	queue     []update // not yet taken by the sender; guarded by its lock

	mu       sync.Mutex
	decay    leaderboard.Decay // as last read from Redis
	maxUsers int
	refused  int
	first    error
}

// Open connects to the board name at url (see ParseURL), creating it with
// decayFactor and maxUsers if Redis does not hold it. An existing board
// keeps its users; its max users becomes maxUsers; a different decay
// factor is refused (ErrConfigMismatch) while it holds users. An
// unreachable server or refused credentials give ErrUnavailable within
// seconds.
func Open(url, name string, decayFactor float64, maxUsers int, opt Options) (*Board, error) {
	decay, err := leaderboard.NewDecay(decayFactor)
	if err != nil {
		return nil, err
	}
	if maxUsers < 0 || maxUsers > leaderboard.MaxUsersLimit {
		return nil, leaderboard.ErrInvalidLimit
	}
	if name == "" || strings.ContainsAny(name, "{}") {
		return nil, fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	if opt.MaxQueued <= 0 {
		opt.MaxQueued = DefaultMaxQueued
	}
	conn, id, err := redisconn.DialClient(url)
	if err != nil {
		return nil, err
	}
	tag := "{engagehub:board:" + name + "}:"
	b := &Board{
		client:    conn,
		name:      name,
		keys:      []string{tag + "z", tag + "last", tag + "meta", tag + "client:" + id},
		where:     conn.Where,
		decay:     decay,
		maxUsers:  maxUsers,
		maxQueued: opt.MaxQueued,
	}
	b.sender = redisconn.NewSender(redisconn.SenderOptions{Where: conn.Where, Waiting: "updates queued",
		Closed: ErrClosed, CloseWait: closeTimeout}, b.take, b.send)
	if err := b.init(); err != nil {
		b.client.Close()
		return nil, err
	}
	return b, nil
}

func (b *Board) init() error {
	ctx, cancel := redisconn.Context()
	defer cancel()
	z, meta := b.keys[0], b.keys[2]
	var stored *redis.SliceCmd
	var users *redis.IntCmd
	_, err := b.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		stored = p.HMGet(ctx, meta, "decay")
		users = p.ZCard(ctx, z)
		return nil
	})
	if err != nil {
		return b.unavailable(err)
	}
	if s, ok := stored.Val()[0].(string); ok && users.Val() > 0 {
		if f, _ := strconv.ParseFloat(s, 64); f != b.decay.Factor() {
			return fmt.Errorf("%w: board %q on %s has decay factor %s and %d users; open it with that factor, or load a snapshot into it to replace it",
				ErrConfigMismatch, b.name, b.where, s, users.Val())
		}
	}
	err = b.client.HSet(ctx, meta, "decay", fmtFloat(b.decay.Factor()), "lnf", fmtFloat(b.decay.LnFactor()),
		"max_users", strconv.Itoa(b.maxUsers)).Err()
	if err != nil {
		return b.unavailable(err)
	}
	return nil
}

func (b *Board) unavailable(err error) error { return b.client.Unavailable(err) }

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Name returns the board's name.
func (b *Board) Name() string { return b.name }

// DecayFactor returns the board's decay factor as Redis last said.
func (b *Board) DecayFactor() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.decay.Factor()
}

// MaxUsers returns the board's bound on users as Redis last said.
func (b *Board) MaxUsers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.maxUsers
}

// LatestTimestamp returns the latest timestamp an update may carry now
// (the wall clock plus the decay factor's horizon, as core/leaderboard).
func (b *Board) LatestTimestamp() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.decay.LatestTimestamp()
}

// Refresh reads the board's decay factor and max users from Redis.
func (b *Board) Refresh() error {
	if err := b.Sync(); err != nil {
		return err
	}
	ctx, cancel := b.ctx()
	defer cancel()
	vals, err := b.client.HMGet(ctx, b.keys[2], "decay", "max_users").Result()
	if err != nil {
		return b.unavailable(err)
	}
	b.adopt(vals[0], vals[1])
	return nil
}

// adopt takes the decay factor and max users Redis holds (nil: keep).
func (b *Board) adopt(decay, maxUsers any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := decay.(string); ok {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f != b.decay.Factor() {
			if d, err := leaderboard.NewDecay(f); err == nil {
				b.decay = d
			}
		}
	}
	if s, ok := maxUsers.(string); ok {
		if n, err := strconv.Atoi(s); err == nil {
			b.maxUsers = n
		}
	}
}

func (b *Board) ctx() (context.Context, context.CancelFunc) { return redisconn.Context() }

// Close sends what is queued (waiting a few seconds at most), then closes
// the connections. Updates still queued then are lost. Idempotent.
func (b *Board) Close() error {
	if !b.sender.Close() {
		return nil
	}
	return b.client.Close()
}

package redisboard

import (
	"fmt"
	"strconv"

	"github.com/engagehub/engagehub-native/core/leaderboard"
)

// Every read first waits for the updates submitted before it (Sync), so a
// reader sees its own process's updates; updates of other processes are
// seen once their batch has reached Redis.

// Len returns the number of users on the board.
func (b *Board) Len() (int, error) {
	if err := b.Sync(); err != nil {
		return 0, err
	}
	ctx, cancel := b.ctx()
	defer cancel()
	n, err := b.client.ZCard(ctx, b.keys[0]).Result()
	if err != nil {
		return 0, b.unavailable(err)
	}
	return int(n), nil
}

// Rank returns userID's entry with its score decayed to now, and whether
// it is on the board.
func (b *Board) Rank(userID string, now float64) (leaderboard.Entry, bool, error) {
	es, err := b.read(now, "rank", userID)
	if err != nil || len(es) == 0 {
		return leaderboard.Entry{}, false, err
	}
	return es[0], true, nil
}

// Page returns the entries ranked offset+1 to offset+limit, scores decayed
// to now. Negative offset or limit count as 0.
func (b *Board) Page(offset, limit int, now float64) ([]leaderboard.Entry, error) {
	offset, limit = max(offset, 0), max(limit, 0)
	if limit == 0 {
		return []leaderboard.Entry{}, b.Sync()
	}
	stop := int64(offset) + int64(limit) - 1
	return b.read(now, "page", strconv.Itoa(offset), strconv.FormatInt(stop, 10))
}

// Around returns up to before users ranked just above userID, userID, and
// up to after users ranked just below, in rank order; none when userID is
// not on the board. Negative before or after count as 0.
func (b *Board) Around(userID string, before, after int, now float64) ([]leaderboard.Entry, error) {
	return b.read(now, "around", userID, strconv.Itoa(max(before, 0)), strconv.Itoa(max(after, 0)))
}

// read runs readScript and turns its rows into entries decayed to now.
func (b *Board) read(now float64, args ...string) ([]leaderboard.Entry, error) {
	v, err := b.readRows(args...)
	if err != nil {
		return nil, err
	}
	return v.entries(now), nil
}

// readRows runs readScript with args (see its comment) once the updates
// submitted before it are applied.
func (b *Board) readRows(args ...string) (*rows, error) {
	if err := b.Sync(); err != nil {
		return nil, err
	}
	ctx, cancel := b.ctx()
	defer cancel()
	argv := make([]any, len(args))
	for i, a := range args {
		argv[i] = a
	}
	reply, err := readScript.Run(ctx, b.client, b.keys[:3], argv...).Slice()
	if err != nil {
		return nil, b.unavailable(err)
	}
	v, err := decodeRows(reply)
	if err != nil {
		return nil, fmt.Errorf("redis at %s: board %q: %w", b.where, b.name, err)
	}
	b.adopt(v.decay, v.maxUsers)
	return v, nil
}

// entries returns the rows as entries with ordinal ranks, scores decayed
// to now.
func (v *rows) entries(now float64) []leaderboard.Entry {
	out := make([]leaderboard.Entry, len(v.ids))
	for i, id := range v.ids {
		out[i] = leaderboard.Entry{
			UserID:     id,
			Score:      v.score(-v.negG[i], now),
			Rank:       v.start + i + 1,
			LastUpdate: v.lasts[i],
		}
	}
	return out
}

// rows is a decoded readScript reply.
type rows struct {
	arith    leaderboard.Decay
	landmark int64
	decay    any // string, or nil when the board has no metadata yet
	maxUsers any
	start    int
	ids      []string
	negG     []float64
	lasts    []int64
	above    int // users strictly above the first row (a counted mode)
}

// score turns G into a score at now with core/leaderboard's arithmetic.
func (v *rows) score(g, now float64) float64 {
	return v.arith.Score(g, v.landmark, now)
}

func decodeRows(reply []any) (*rows, error) {
	bad := fmt.Errorf("unexpected reply from the read script")
	if len(reply) != 5 {
		return nil, bad
	}
	head, ok1 := reply[0].([]any)
	start, ok2 := reply[1].(int64)
	flat, ok3 := reply[2].([]any)
	lasts, ok4 := reply[3].([]any)
	above, ok5 := reply[4].(int64)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || len(head) != 4 || len(flat) != 2*len(lasts) {
		return nil, bad
	}
	v := &rows{start: int(start), above: int(above)}
	v.arith, _ = leaderboard.NewDecay(1)
	if s, _ := head[1].(string); s != "" {
		v.landmark, _ = strconv.ParseInt(s, 10, 64)
	}
	if s, _ := head[2].(string); s != "" {
		v.decay = s
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			if d, err := leaderboard.NewDecay(f); err == nil {
				v.arith = d
			}
		}
	}
	if s, _ := head[3].(string); s != "" {
		v.maxUsers = s
	}
	v.ids = make([]string, len(lasts))
	v.negG = make([]float64, len(lasts))
	v.lasts = make([]int64, len(lasts))
	for i := range lasts {
		id, ok := flat[2*i].(string)
		g, err := strconv.ParseFloat(fmt.Sprint(flat[2*i+1]), 64)
		last, err2 := strconv.ParseInt(fmt.Sprint(lasts[i]), 10, 64)
		if !ok || err != nil || err2 != nil {
			return nil, bad
		}
		v.ids[i], v.negG[i], v.lasts[i] = id, g, last
	}
	return v, nil
}

// Remove deletes userID and reports whether it was on the board.
func (b *Board) Remove(userID string) (bool, error) {
	if err := b.Sync(); err != nil {
		return false, err
	}
	ctx, cancel := b.ctx()
	defer cancel()
	n, err := removeScript.Run(ctx, b.client, b.keys[:2], userID).Int64()
	if err != nil {
		return false, b.unavailable(err)
	}
	return n == 1, nil
}

// Clear removes every user; the decay factor and max users stay.
func (b *Board) Clear() error {
	if err := b.Sync(); err != nil {
		return err
	}
	ctx, cancel := b.ctx()
	defer cancel()
	if err := b.client.Del(ctx, b.keys[0], b.keys[1]).Err(); err != nil {
		return b.unavailable(err)
	}
	return nil
}

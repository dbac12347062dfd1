package redisboard

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/engagehub/engagehub-native/core/leaderboard"
)

// Rank styles and percentiles, as core/leaderboard's RankAs, PageAs,
// AroundAs, Percentile and AtPercentile, each one script call (one atomic
// view) of O(log n + rows) in Redis.
//
// Ties are equal stored values −G: the set orders by −G, then by member,
// and every score shown at a time t is G times one positive factor, so
// equal −G is equal score at every t, as equal G is in the embedded board
// (core/leaderboard/ties.go). Negation is exact and the scripts pass −G as
// Redis prints it (a string that reads back as the same double), so a
// comparison in Lua, in ZCOUNT or here in Go sees the value ZRANGE ordered
// by. A rebase (scripts.go) multiplies every −G by one factor: tied users
// stay tied, as in the embedded board's rebase.
//
// What a sorted set can count in O(log n) is users in a range of scores
// (ZCOUNT), so:
//
//   - competition rank is 1 + ZCOUNT(−inf, (−G): the users whose −G is
//     strictly lower, whose score is strictly higher;
//   - a page numbered in competition style needs that count for its first
//     row only; each later row's rank is its position + 1 where its value
//     differs from the row before, else the row before's rank;
//   - percentile is ZCOUNT((−G, +inf) (users strictly below) over ZCARD;
//   - dense rank needs the number of distinct scores above a user, which
//     no sorted-set command counts in less than O(n): it is refused with
//     an error wrapping ErrUnsupported.

// ErrUnsupported is wrapped by the reads a board in Redis cannot answer in
// O(log n) (dense rank); the message names the feature.
var ErrUnsupported = errors.New("not available on a Redis-backed board")

// checkStyle returns nil for the styles a board in Redis numbers ranks in.
func checkStyle(style leaderboard.RankStyle) error {
	switch style {
	case leaderboard.Ordinal, leaderboard.Competition:
		return nil
	case leaderboard.Dense:
		return fmt.Errorf("dense rank: %w: a sorted set cannot count the distinct scores above a user "+
			"in O(log n); use competition rank, or an embedded board", ErrUnsupported)
	}
	return fmt.Errorf("%w: %d", leaderboard.ErrInvalidRankStyle, int(style))
}

// readAs runs readScript in mode with args and returns its rows as entries
// decayed to now, ranks numbered in style (checked by the caller).
func (b *Board) readAs(style leaderboard.RankStyle, now float64, mode string, args ...string) ([]leaderboard.Entry, error) {
	if style == leaderboard.Competition {
		mode = "+" + mode
	}
	v, err := b.readRows(append([]string{mode}, args...)...)
	if err != nil {
		return nil, err
	}
	out := v.entries(now)
	if style == leaderboard.Competition {
		rank := v.above + 1
		for i := range out {
			if i > 0 && v.negG[i] != v.negG[i-1] {
				rank = v.start + i + 1
			}
			out[i].Rank = rank
		}
	}
	return out, nil
}

// RankAs is Rank with the rank numbered in style. It returns an error
// wrapping ErrUnsupported for Dense, one wrapping
// leaderboard.ErrInvalidRankStyle for an unknown style.
func (b *Board) RankAs(style leaderboard.RankStyle, userID string, now float64) (leaderboard.Entry, bool, error) {
	if err := checkStyle(style); err != nil {
		return leaderboard.Entry{}, false, err
	}
	es, err := b.readAs(style, now, "rank", userID)
	if err != nil || len(es) == 0 {
		return leaderboard.Entry{}, false, err
	}
	return es[0], true, nil
}

// PageAs is Page with ranks numbered in style (errors as RankAs).
func (b *Board) PageAs(style leaderboard.RankStyle, offset, limit int, now float64) ([]leaderboard.Entry, error) {
	if err := checkStyle(style); err != nil {
		return nil, err
	}
	offset, limit = max(offset, 0), max(limit, 0)
	if limit == 0 {
		return []leaderboard.Entry{}, b.Sync()
	}
	stop := int64(offset) + int64(limit) - 1
	return b.readAs(style, now, "page", strconv.Itoa(offset), strconv.FormatInt(stop, 10))
}

// AroundAs is Around with ranks numbered in style (errors as RankAs); the
// bool reports whether userID is on the board.
func (b *Board) AroundAs(style leaderboard.RankStyle, userID string, before, after int, now float64) ([]leaderboard.Entry, bool, error) {
	if err := checkStyle(style); err != nil {
		return nil, false, err
	}
	es, err := b.readAs(style, now, "around", userID, strconv.Itoa(max(before, 0)), strconv.Itoa(max(after, 0)))
	if err != nil || len(es) == 0 {
		return nil, false, err // as core/leaderboard: no entries for an unknown user
	}
	return es, true, nil
}

// AtPercentile returns the entry at percentile p of the board (0 to 100),
// rank numbered in style, and whether the board has any entry: the entry
// core/leaderboard's AtPercentile returns for the same users (nearest rank,
// ⌈p·n/100⌉ entries, at least one, up from the bottom). p outside [0, 100]
// or NaN yields an error wrapping leaderboard.ErrInvalidPercentile; styles
// are checked as by RankAs.
func (b *Board) AtPercentile(style leaderboard.RankStyle, p float64, now float64) (leaderboard.Entry, bool, error) {
	if !(p >= 0 && p <= 100) {
		return leaderboard.Entry{}, false, fmt.Errorf("%w, got %v", leaderboard.ErrInvalidPercentile, p)
	}
	if err := checkStyle(style); err != nil {
		return leaderboard.Entry{}, false, err
	}
	es, err := b.readAs(style, now, "at", strconv.FormatFloat(p, 'g', -1, 64))
	if err != nil || len(es) == 0 {
		return leaderboard.Entry{}, false, err
	}
	return es[0], true, nil
}

// percentileScript counts, in one view, the board's users and those whose
// score is strictly below userID's. KEYS: z. ARGV: id. Returns {users,
// below}, or {-1, -1} for an unknown id.
var percentileScript = redis.NewScript(`
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not s then return {-1, -1} end
return {redis.call('ZCARD', KEYS[1]), redis.call('ZCOUNT', KEYS[1], '(' .. s, '+inf')}
`)

// Percentile returns the share of the board, in percent (0 to 100), whose
// score is strictly below userID's, and whether userID is on the board:
// the same double core/leaderboard's Percentile returns for the same users.
func (b *Board) Percentile(userID string) (float64, bool, error) {
	if err := b.Sync(); err != nil {
		return 0, false, err
	}
	ctx, cancel := b.ctx()
	defer cancel()
	counts, err := percentileScript.Run(ctx, b.client, b.keys[:1], userID).Int64Slice()
	if err != nil {
		return 0, false, b.unavailable(err)
	}
	if len(counts) != 2 {
		return 0, false, fmt.Errorf("redis at %s: board %q: unexpected reply from the percentile script", b.where, b.name)
	}
	n, below := counts[0], counts[1]
	if n <= 0 {
		return 0, false, nil
	}
	return 100 * float64(below) / float64(n), true, nil
}

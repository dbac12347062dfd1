package redisboard

import (
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/engagehub/engagehub-native/core/leaderboard"
	"github.com/engagehub/engagehub-native/core/redisconn/redistest"
)

// tiedStream is a reproducible stream of integer points from a handful of
// values over few users, so that most users share their score with
// others: the case rank styles and percentiles are about.
func tiedStream(seed uint64, n, users int, span int64) (ids []string, pts []float64, ts []int64) {
	r := rand.New(rand.NewPCG(seed, 2))
	for range n {
		ids = append(ids, "u"+strconv.Itoa(r.IntN(users)))
		pts = append(pts, float64(1+r.IntN(3)))
		ts = append(ts, t0+r.Int64N(span))
	}
	return
}

func TestCompetitionRanksAndPercentiles(t *testing.T) {
	s := redistest.Start(t)
	rb := open(t, s.URL(), "styles", 0.95, 0)
	// Scores 10, 7, 7, 7, 3 (d, a, b, c, e).
	require.NoError(t, rb.Submit([]string{"a", "b", "c", "d", "e"}, []float64{7, 7, 7, 10, 3},
		[]int64{t0, t0, t0, t0, t0}))
	now := float64(t0 + 86400)
	page, err := rb.PageAs(leaderboard.Competition, 0, 10, now)
	require.NoError(t, err)
	var got []string
	for _, e := range page {
		got = append(got, e.UserID+":"+strconv.Itoa(e.Rank))
	}
	assert.Equal(t, []string{"d:1", "a:2", "b:2", "c:2", "e:5"}, got)
	assert.InDelta(t, 7*0.95, page[1].Score, 1e-12)

	// A page starting inside a tie takes the tie's rank.
	page, err = rb.PageAs(leaderboard.Competition, 2, 3, now)
	require.NoError(t, err)
	require.Len(t, page, 3)
	assert.Equal(t, []int{2, 2, 5}, []int{page[0].Rank, page[1].Rank, page[2].Rank})
	assert.Equal(t, "b", page[0].UserID)

	e, ok, err := rb.RankAs(leaderboard.Competition, "c", now)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, 2, e.Rank)
	assert.Equal(t, int64(t0), e.LastUpdate)
	e, ok, err = rb.RankAs(leaderboard.Ordinal, "c", now)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, 4, e.Rank)

	around, found, err := rb.AroundAs(leaderboard.Competition, "e", 2, 5, now)
	require.NoError(t, err)
	require.True(t, found)
	require.Len(t, around, 3)
	assert.Equal(t, []int{2, 2, 5}, []int{around[0].Rank, around[1].Rank, around[2].Rank})

	for id, want := range map[string]float64{"d": 80, "a": 20, "c": 20, "e": 0} {
		p, ok, err := rb.Percentile(id)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, want, p, id)
	}

	// Nearest rank from the bottom: 100 the top, 0 the bottom, 50 the
	// third of five (⌈2.5⌉ = 3 up from the bottom: "b").
	for p, want := range map[float64]string{100: "d:1", 0: "e:5", 50: "b:2", 20: "e:5", 20.0001: "c:2"} {
		e, ok, err := rb.AtPercentile(leaderboard.Competition, p, now)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, want, e.UserID+":"+strconv.Itoa(e.Rank), "p=%v", p)
	}
	e, ok, err = rb.AtPercentile(leaderboard.Ordinal, 50, now)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "b:3", e.UserID+":"+strconv.Itoa(e.Rank))
}

func TestUnknownUsersAndEmptyBoard(t *testing.T) {
	s := redistest.Start(t)
	rb := open(t, s.URL(), "empty", 0.95, 0)
	_, ok, err := rb.AtPercentile(leaderboard.Competition, 50, t0)
	require.NoError(t, err)
	assert.False(t, ok)
	require.NoError(t, rb.Submit([]string{"a"}, []float64{1}, []int64{t0}))
	_, ok, err = rb.RankAs(leaderboard.Competition, "nobody", t0)
	require.NoError(t, err)
	assert.False(t, ok)
	p, ok, err := rb.Percentile("nobody")
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Zero(t, p)
	es, found, err := rb.AroundAs(leaderboard.Competition, "nobody", 3, 3, t0)
	require.NoError(t, err)
	assert.False(t, found)
	assert.Empty(t, es)
	es, err = rb.PageAs(leaderboard.Competition, 5, 10, t0)
	require.NoError(t, err)
	assert.Empty(t, es)
	es, err = rb.PageAs(leaderboard.Competition, 0, 0, t0)
	require.NoError(t, err)
	assert.Empty(t, es)
	p, ok, err = rb.Percentile("a")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Zero(t, p) // nobody below the only user
}

func TestDenseAndBadArgumentsRefused(t *testing.T) {
	s := redistest.Start(t)
	rb := open(t, s.URL(), "refused", 0.95, 0)
	require.NoError(t, rb.Submit([]string{"a", "b"}, []float64{1, 1}, []int64{t0, t0}))
	_, _, err := rb.RankAs(leaderboard.Dense, "a", t0)
	require.ErrorIs(t, err, ErrUnsupported)
	assert.Contains(t, err.Error(), "dense rank")
	_, err = rb.PageAs(leaderboard.Dense, 0, 10, t0)
	require.ErrorIs(t, err, ErrUnsupported)
	_, _, err = rb.AroundAs(leaderboard.Dense, "a", 1, 1, t0)
	require.ErrorIs(t, err, ErrUnsupported)
	_, _, err = rb.AtPercentile(leaderboard.Dense, 50, t0)
	require.ErrorIs(t, err, ErrUnsupported)

	for _, style := range []leaderboard.RankStyle{-1, 3} {
		_, _, err = rb.RankAs(style, "a", t0)
		require.ErrorIs(t, err, leaderboard.ErrInvalidRankStyle)
		_, err = rb.PageAs(style, 0, 1, t0)
		require.ErrorIs(t, err, leaderboard.ErrInvalidRankStyle)
	}
	for _, p := range []float64{-0.5, 100.5, nan()} {
		_, _, err = rb.AtPercentile(leaderboard.Competition, p, t0)
		require.ErrorIs(t, err, leaderboard.ErrInvalidPercentile, "p=%v", p)
	}
	// Nothing was changed by the refused calls.
	page, err := rb.PageAs(leaderboard.Competition, 0, 10, t0)
	require.NoError(t, err)
	require.Len(t, page, 2)
	assert.Equal(t, []int{1, 1}, []int{page[0].Rank, page[1].Rank})
}

func nan() float64 { z := 0.0; return z / z }

// TestTiesSurviveRebase: a landmark move multiplies every stored value by
// one factor, so users tied before it are tied after it.
func TestTiesSurviveRebase(t *testing.T) {
	s := redistest.Start(t)
	rb := open(t, s.URL(), "rebase-ties", 0.5, 0)
	require.NoError(t, rb.Submit([]string{"a", "b", "c"}, []float64{3, 3, 1}, []int64{t0, t0, t0}))
	later := int64(t0 + 500*86400) // an exponent of 347 > 300: a rebase
	require.NoError(t, rb.Submit([]string{"d"}, []float64{1}, []int64{later}))
	page, err := rb.PageAs(leaderboard.Competition, 0, 10, float64(later))
	require.NoError(t, err)
	require.Len(t, page, 4)
	assert.Equal(t, []string{"d", "a", "b", "c"}, []string{page[0].UserID, page[1].UserID, page[2].UserID, page[3].UserID})
	assert.Equal(t, []int{1, 2, 2, 4}, []int{page[0].Rank, page[1].Rank, page[2].Rank, page[3].Rank})
	p, _, err := rb.Percentile("b")
	require.NoError(t, err)
	assert.Equal(t, 25.0, p)
}

// TestStylesMatchEmbeddedBoard feeds an embedded board and a board in
// Redis the same updates, most users tied with others, and requires the
// same competition ranks, percentiles, entries at percentiles and
// competition pages, exactly. Ties must be the same ties in both, so every
// update's weight p·f^(−(t−L)/D) must be exact in both boards: with no
// decay, or with every update at the landmark. (Elsewhere Go's math.Exp,
// in one board, and C's exp, in the other, may differ in the last bit:
// f = 0.95 one day after the landmark gives 1.0526315789473684 in Go and
// ...686 in Redis's Lua; each board's ties are then its own, which
// TestStylesMatchSortedSet checks for the board in Redis.)
func TestStylesMatchEmbeddedBoard(t *testing.T) {
	s := redistest.Start(t)
	cases := []struct {
		name     string
		decay    float64
		maxUsers int
		updates  int
		span     int64 // timestamps in t0 .. t0+span-1
	}{
		{"nodecay", 1, 0, 6000, 30 * 86400},
		{"nodecay-trimmed", 1, 300, 6000, 30 * 86400},
		{"decay95", 0.95, 0, 6000, 1}, // every update at t0: weights of exactly p
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ids, pts, ts := tiedStream(uint64(len(c.name)), c.updates, 800, c.span)
			emb, rb := replay(t, s, c.name, c.decay, c.maxUsers, ids, pts, ts)
			now := float64(t0 + c.span + 3600)
			n := emb.Len()
			rn, err := rb.Len()
			require.NoError(t, err)
			require.Equal(t, n, rn)
			requireStylesMatch(t, emb, rb, n, now)
		})
	}
}

func requireStylesMatch(t *testing.T, emb *leaderboard.Board, rb *Board, n int, now float64) {
	t.Helper()
	want, err := emb.PageAs(leaderboard.Competition, 0, n, now)
	require.NoError(t, err)
	got, err := rb.PageAs(leaderboard.Competition, 0, n, now)
	require.NoError(t, err)
	require.Len(t, got, n)
	ties := 0
	for i := range want {
		require.Equal(t, want[i].UserID, got[i].UserID, "position %d", i)
		require.Equal(t, want[i].Rank, got[i].Rank, "user %s", want[i].UserID)
		require.Equal(t, want[i].LastUpdate, got[i].LastUpdate)
		if want[i].Rank != i+1 {
			ties++
		}
	}
	require.Greater(t, ties, n/2, "the stream must tie most users")

	for _, e := range want {
		ge, ok, err := rb.RankAs(leaderboard.Competition, e.UserID, now)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, e.Rank, ge.Rank, "user %s", e.UserID)
		wp, wok := emb.Percentile(e.UserID)
		gp, gok, err := rb.Percentile(e.UserID)
		require.NoError(t, err)
		require.Equal(t, wok, gok)
		require.Equal(t, wp, gp, "user %s", e.UserID) // the same double
	}
	for i := 0; i <= 1000; i++ {
		p := float64(i) / 10
		for _, style := range []leaderboard.RankStyle{leaderboard.Ordinal, leaderboard.Competition} {
			we, wok, err := emb.AtPercentile(style, p, now)
			require.NoError(t, err)
			ge, gok, err := rb.AtPercentile(style, p, now)
			require.NoError(t, err)
			require.Equal(t, wok, gok)
			require.Equal(t, we.UserID, ge.UserID, "p=%v %v", p, style)
			require.Equal(t, we.Rank, ge.Rank, "p=%v %v", p, style)
		}
	}
	r := rand.New(rand.NewPCG(uint64(n), 3))
	for range 200 {
		off, lim := r.IntN(n+5), r.IntN(40)
		wp, err := emb.PageAs(leaderboard.Competition, off, lim, now)
		require.NoError(t, err)
		gp, err := rb.PageAs(leaderboard.Competition, off, lim, now)
		require.NoError(t, err)
		require.Equal(t, ranksOf(wp), ranksOf(gp), "page %d+%d", off, lim)
		id := want[r.IntN(n)].UserID
		before, after := r.IntN(6), r.IntN(6)
		wa, wok, err := emb.AroundAs(leaderboard.Competition, id, before, after, now)
		require.NoError(t, err)
		ga, gok, err := rb.AroundAs(leaderboard.Competition, id, before, after, now)
		require.NoError(t, err)
		require.Equal(t, wok, gok)
		require.Equal(t, ranksOf(wa), ranksOf(ga), "around %s", id)
	}
}

// ranksOf lists "user:rank" of entries.
func ranksOf(es []leaderboard.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.UserID + ":" + strconv.Itoa(e.Rank)
	}
	return out
}

// TestStylesMatchSortedSet checks the board in Redis against its own
// sorted set, read raw: with decay and updates spread over days (and over
// a landmark move), a user's competition rank is 1 + the users whose
// stored −G is strictly lower, its percentile the share whose −G is
// strictly higher, whatever the last bits of the weights.
func TestStylesMatchSortedSet(t *testing.T) {
	s := redistest.Start(t)
	for _, c := range []struct {
		name  string
		decay float64
		span  int64
	}{
		{"days", 0.95, 4 * 86400},
		{"rebase", 0.5, 3 * 365 * 86400},
	} {
		t.Run(c.name, func(t *testing.T) {
			ids, pts, ts := tiedStream(uint64(len(c.name)), 3000, 600, c.span)
			for i := range ts { // whole days: many equal weights, so ties
				ts[i] = t0 + (ts[i]-t0)/86400*86400
			}
			rb := open(t, s.URL(), c.name, c.decay, 0)
			require.NoError(t, rb.Submit(ids, pts, ts))
			require.NoError(t, rb.Sync())
			raw, err := s.Raw(t).ZRangeWithScores(context.Background(), rb.keys[0], 0, -1).Result()
			require.NoError(t, err)
			n := len(raw)
			wantRank := make([]int, n)
			for i := range raw {
				wantRank[i] = i + 1
				if i > 0 && raw[i].Score == raw[i-1].Score {
					wantRank[i] = wantRank[i-1]
				}
			}
			now := float64(t0 + c.span)
			page, err := rb.PageAs(leaderboard.Competition, 0, n, now)
			require.NoError(t, err)
			require.Len(t, page, n)
			ties := 0
			for i, e := range page {
				require.Equal(t, raw[i].Member, e.UserID)
				require.Equal(t, wantRank[i], e.Rank, "user %s", e.UserID)
				if e.Rank != i+1 {
					ties++
				}
			}
			require.Greater(t, ties, n/10, "the stream must tie many users")
			for i := 0; i < n; i += 7 {
				id := raw[i].Member.(string)
				e, ok, err := rb.RankAs(leaderboard.Competition, id, now)
				require.NoError(t, err)
				require.True(t, ok)
				require.Equal(t, wantRank[i], e.Rank)
				below := 0
				for _, z := range raw {
					if z.Score > raw[i].Score {
						below++
					}
				}
				p, ok, err := rb.Percentile(id)
				require.NoError(t, err)
				require.True(t, ok)
				require.Equal(t, 100*float64(below)/float64(n), p, "user %s", id)
			}
			for i := 0; i <= 100; i++ {
				p := float64(i)
				up := max(int(math.Ceil(p*float64(n)/100)), 1)
				e, ok, err := rb.AtPercentile(leaderboard.Competition, p, now)
				require.NoError(t, err)
				require.True(t, ok)
				require.Equal(t, raw[n-up].Member, e.UserID, "p=%v", p)
				require.Equal(t, wantRank[n-up], e.Rank, "p=%v", p)
			}
		})
	}
}

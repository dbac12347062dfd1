package leaderboard

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUpdateManyMatchesUpdates drives one board with UpdateMany and a twin
// with the same updates one Update at a time, in batches that mix new
// users, existing ones, users repeated within the batch, users removed
// between batches and updates both boards refuse, under both tie-break
// policies, with and without a limit, decay and time windows. UpdateMany
// must leave exactly what the updates applied in order leave: the same
// ranking (ties and evictions included), last updates, windows and
// refusals; boards ordered by user id must also agree with the model.
func TestUpdateManyMatchesUpdates(t *testing.T) {
	ids := snowflakeIDs(150, 21)
	ids = append(ids, "a", "b", "", "abcdefgh1", "abcdefgh2", "abcdefgh", "\xc3\xa9t\xc3\xa9")
	for _, tie := range []TieBreak{TieByUserID, TieEarliest} {
		for _, tc := range []struct {
			decay    float64
			maxUsers int
			windows  bool
		}{{1, 0, false}, {1, 40, false}, {0.95, 0, true}, {1, 0, true}, {0.5, 25, true}} {
			name := fmt.Sprintf("tie=%d/f=%v/max=%d/windows=%v", tie, tc.decay, tc.maxUsers, tc.windows)
			t.Run(name, func(t *testing.T) {
				cfg := Config{DecayFactor: tc.decay, MaxUsers: tc.maxUsers, TieBreak: tie}
				if tc.windows {
					cfg.Windows = []Window{{Name: "hour", Length: 3600}, {Name: "day", Length: 86400}}
				}
				many, err := NewBoard(cfg)
				require.NoError(t, err)
				one, err := NewBoard(cfg)
				require.NoError(t, err)
				var m *model
				if tie == TieByUserID {
					m = newModel(tc.decay, tc.maxUsers)
				}
				rng := rand.New(rand.NewPCG(uint64(tie)+1, uint64(tc.maxUsers)))
				now := int64(1_700_000_000)
				for round := range 60 {
					n := 1 + rng.IntN(300) // across several warm runs
					us := make([]string, n)
					ps := make([]float64, n)
					ts := make([]int64, n)
					for i := range us {
						us[i] = ids[rng.IntN(len(ids))]
						if i > 0 && rng.IntN(6) == 0 {
							us[i] = us[rng.IntN(i)] // again within the batch
						}
						ps[i] = float64(rng.IntN(13) - 3) // integers: ties; some 0, some negative
						now += int64(rng.IntN(90))
						ts[i] = now - int64(rng.IntN(2*3600)) // out of order, across periods
						switch rng.IntN(40) {
						case 0:
							ps[i] = math.NaN()
						case 1:
							us[i] = "bad\xff"
						}
					}
					refused, first := many.UpdateMany(us, ps, ts)
					wantRefused := 0
					for i := range us {
						if err := one.Update(us[i], ps[i], ts[i]); err != nil {
							wantRefused++
							continue
						}
						if m != nil {
							m.update(us[i], ps[i], ts[i])
						}
					}
					require.Equal(t, wantRefused, refused, "round %d", round)
					require.Equal(t, wantRefused > 0, first != nil)
					for range rng.IntN(4) {
						id := ids[rng.IntN(len(ids))]
						require.Equal(t, one.Remove(id), many.Remove(id))
						if m != nil {
							m.remove(id)
						}
					}
					checkTree(t, many)
					requireSamePage(t, one, many, float64(now))
					if m != nil {
						checkBoard(t, many, m, float64(now), rng)
					}
					requireSameWindows(t, cfg.Windows, one, many, float64(now))
				}
			})
		}
	}
}

// requireSamePage requires want and got to hold the same entries in the
// same order, with the same ranks, last updates and (bit for bit) scores.
func requireSamePage(t *testing.T, want, got *Board, now float64) {
	t.Helper()
	require.Equal(t, want.Len(), got.Len())
	w, g := want.Page(0, want.Len(), now), got.Page(0, got.Len(), now)
	require.Equal(t, w, g)
}

// requireSameWindows requires want and got to hold the same pages in each
// of windows (see requireSamePage).
func requireSameWindows(t *testing.T, windows []Window, want, got *Board, now float64) {
	t.Helper()
	for _, w := range windows {
		ww, err := want.Window(w.Name, now)
		require.NoError(t, err)
		gw, err := got.Window(w.Name, now)
		require.NoError(t, err)
		requireSamePage(t, ww, gw, now)
	}
}

// updateBoth applies updates to want one Update at a time and to got in
// one UpdateMany, and requires the same refusals, no key left waiting and a
// sound tree.
func updateBoth(t *testing.T, want, got *Board, us []string, ps []float64, ts []int64, what string) {
	t.Helper()
	wantRefused := 0
	for i := range us {
		if want.Update(us[i], ps[i], ts[i]) != nil {
			wantRefused++
		}
	}
	refused, _ := got.UpdateMany(us, ps, ts)
	require.Equal(t, wantRefused, refused, what)
	require.Zero(t, got.waiting(), "keys left waiting after UpdateMany")
	checkTree(t, got)
}

// requireSameDense requires want and got to give ids the same dense ranks
// and percentiles, which read the tied values.
func requireSameDense(t *testing.T, want, got *Board, ids []string, now float64) {
	t.Helper()
	for _, id := range ids {
		w, wok, err := want.RankAs(Dense, id, now)
		require.NoError(t, err)
		g, gok, err := got.RankAs(Dense, id, now)
		require.NoError(t, err)
		require.Equal(t, wok, gok)
		require.Equal(t, w, g, "dense rank of %s", id)
		wp, _ := want.Percentile(id)
		gp, _ := got.Percentile(id)
		require.Equal(t, wp, gp, "percentile of %s", id)
	}
}

// TestUpdateManyOfManyNewUsers covers new users' keys waiting to be put in
// the tree together (arrivals.go), under both tie-break policies, with and
// without time windows: a batch of more new users than wait at once, with
// timestamps that move the decay's landmark twice within the batch (the
// keys that wait must be placed before the rebase rescales the tree) and
// updates both boards refuse among them, then a batch that mixes new users
// with updates of users that are waiting. The board and its windows must
// equal a twin driven by Update.
func TestUpdateManyOfManyNewUsers(t *testing.T) {
	for _, tie := range []TieBreak{TieByUserID, TieEarliest} {
		for _, windows := range []bool{false, true} {
			if raceEnabled && (tie != TieByUserID || !windows) {
				continue // one goroutine: one case suffices under the race detector
			}
			t.Run(fmt.Sprintf("tie=%d/windows=%v", tie, windows), func(t *testing.T) {
				cfg := Config{DecayFactor: 0.5, TieBreak: tie} // a rebase every ~433 days
				if windows {
					cfg.Windows = []Window{{Name: "month", Length: 30 * 86400}, {Name: "year", Length: 365 * 86400}}
				}
				many, err := NewBoard(cfg)
				require.NoError(t, err)
				one, err := NewBoard(cfg)
				require.NoError(t, err)
				ids := snowflakeIDs(maxArrivals+5000, 5)
				rng := rand.New(rand.NewPCG(9, uint64(tie)))
				const start, span = int64(1_600_000_000), int64(3 * 365 * 86400)
				n := maxArrivals + 3000
				us, ps, ts := make([]string, n), make([]float64, n), make([]int64, n)
				for i := range us {
					us[i], ps[i] = ids[i], float64(1+rng.IntN(50))
					ts[i] = start + span*int64(i)/int64(n)
					switch rng.IntN(5000) {
					case 0:
						ps[i] = math.NaN()
					case 1:
						us[i] = "bad\xff"
					}
				}
				now := float64(start + span)
				same := func(round string) {
					t.Helper()
					updateBoth(t, one, many, us, ps, ts, round)
					requireSamePage(t, one, many, now)
					requireSameWindows(t, cfg.Windows, one, many, now)
				}
				same("new users")

				us, ps, ts = us[:0], ps[:0], ts[:0]
				for i := range gatherFrom + 900 {
					id := ids[n+i/3] // new, then again while it waits
					if i%3 == 0 {
						id = ids[rng.IntN(n)]
					}
					us, ps, ts = append(us, id), append(ps, float64(rng.IntN(7)-2)), append(ts, start+span)
				}
				same("new and waiting users")
			})
		}
	}
}

// TestUpdateManyMovesUsersOnce covers users already on the board whose
// keys wait among the arrivals (arrivals.go): batches large enough to
// gather, each updating the users of a board many times over (integer
// points, so that many tie) beside new users and refused updates, with
// timestamps that move the decay's landmark within a batch. The board must
// equal a twin driven by Update, down to its dense ranks and percentiles,
// which read the tied values the moves counted.
func TestUpdateManyMovesUsersOnce(t *testing.T) {
	for _, tie := range []TieBreak{TieByUserID, TieEarliest} {
		for _, decay := range []float64{1, 0.5} {
			if raceEnabled && tie != TieByUserID {
				continue // one goroutine: one tie-break suffices under the race detector
			}
			windows := decay == 1 // the windows' boards move their users as before
			t.Run(fmt.Sprintf("tie=%d/f=%v/windows=%v", tie, decay, windows), func(t *testing.T) {
				cfg := Config{DecayFactor: decay, TieBreak: tie} // 0.5: a rebase every ~433 days
				if windows {
					cfg.Windows = []Window{{Name: "day", Length: 86400}, {Name: "month", Length: 30 * 86400}}
				}
				many, err := NewBoard(cfg)
				require.NoError(t, err)
				one, err := NewBoard(cfg)
				require.NoError(t, err)
				ids := snowflakeIDs(4000, 7)
				rng := rand.New(rand.NewPCG(11, uint64(tie)))
				ts := int64(1_600_000_000)
				for round := range 4 {
					n := gatherFrom + rng.IntN(3*gatherFrom)
					us, ps, tss := make([]string, n), make([]float64, n), make([]int64, n)
					for i := range us {
						us[i] = ids[rng.IntN(1000+1000*round)] // existing users, repeated; new ones
						ps[i] = float64(rng.IntN(14) - 3)      // some 0, some negative
						ts += int64(rng.IntN(20_000))          // about 500 days a batch
						tss[i] = ts
						if rng.IntN(3000) == 0 {
							ps[i] = math.NaN()
						}
					}
					updateBoth(t, one, many, us, ps, tss, fmt.Sprintf("round %d", round))
					now := float64(ts)
					requireSamePage(t, one, many, now)
					requireSameDense(t, one, many, ids[:1000+1000*round], now)
					requireSameWindows(t, cfg.Windows, one, many, now)
				}
			})
		}
	}
}

// TestUpdateManyValidChecksPoints: UpdateManyValid trusts its ids' UTF-8
// but still refuses points that are not finite, and otherwise leaves what
// UpdateMany leaves.
func TestUpdateManyValidChecksPoints(t *testing.T) {
	valid, err := New(0.9, 0)
	require.NoError(t, err)
	checked, err := New(0.9, 0)
	require.NoError(t, err)
	us := []string{"a", "b", "a", "c", "é"}
	ps := []float64{1, math.NaN(), 2, math.Inf(-1), 3}
	ts := []int64{benchBase, benchBase, benchBase + 60, benchBase, benchBase}
	r1, e1 := valid.UpdateManyValid(us, ps, ts)
	r2, e2 := checked.UpdateMany(us, ps, ts)
	require.Equal(t, 2, r1)
	require.Equal(t, r2, r1)
	require.ErrorIs(t, e1, ErrInvalidPoints)
	require.Equal(t, e2.Error(), e1.Error())
	requireSamePage(t, checked, valid, float64(benchBase+60))
}

// TestUpdateManyGathersWithinAUserLimit: a board with a user limit lets
// keys wait to be placed together only while the users it holds and the
// batch stay within the limit, and a bounded board driven by UpdateMany,
// across batches below and beyond its limit (then evicting), must equal a
// twin driven by Update.
func TestUpdateManyGathersWithinAUserLimit(t *testing.T) {
	b, err := New(1, 10_000)
	require.NoError(t, err)
	require.True(t, b.roomFor(10_000))
	require.False(t, b.roomFor(10_001))
	place := b.gather(gatherFrom)
	require.True(t, b.arrivals.gathering, "room for the batch: gathers")
	place()
	place = b.gather(10_001)
	require.False(t, b.arrivals.gathering, "a batch that could evict places each key at once")
	place()

	const limit = 9000
	many, err := New(0.5, limit)
	require.NoError(t, err)
	one, err := New(0.5, limit)
	require.NoError(t, err)
	ids := snowflakeIDs(14_000, 8)
	rng := rand.New(rand.NewPCG(12, 12))
	ts := int64(1_600_000_000)
	for round := range 5 {
		n := gatherFrom + rng.IntN(gatherFrom)
		us, ps, tss := make([]string, n), make([]float64, n), make([]int64, n)
		for i := range us {
			us[i] = ids[rng.IntN(2000+3000*round)] // existing users, repeated; new ones
			ps[i] = float64(rng.IntN(14) - 3)      // ties; some 0, some negative
			ts += int64(rng.IntN(20_000))
			tss[i] = ts
		}
		updateBoth(t, one, many, us, ps, tss, fmt.Sprintf("round %d", round))
		requireSamePage(t, one, many, float64(ts))
	}
	require.Equal(t, limit, many.Len(), "the last rounds evicted")
}

// TestUpdateManyFindsAgainAUserAnEvictionFreed covers the users warm finds
// for an UpdateMany run (a board of warmFrom users or more): an update
// that evicts a user frees its slot, the next new user takes that slot,
// and a later update of the evicted user in the same run must make it a
// new user again, not add to the one now in its slot.
func TestUpdateManyFindsAgainAUserAnEvictionFreed(t *testing.T) {
	const limit = warmFrom + 100
	many, err := New(1, limit)
	require.NoError(t, err)
	one, err := New(1, limit)
	require.NoError(t, err)
	ids := snowflakeIDs(limit+2, 9)
	us, ps, ts := ids[:limit], make([]float64, limit), make([]int64, limit)
	for i := range ps {
		ps[i], ts[i] = float64(10+i), 1_600_000_000
	}
	updateBoth(t, one, many, us, ps, ts, "fill")
	last := ids[0] // the fewest points: evicted first
	evicting := []string{ids[limit], ids[limit+1], last}
	updateBoth(t, one, many, evicting, []float64{1e6, 2e6, 3e6}, ts[:3], "evictions")
	requireSamePage(t, one, many, 1_600_000_000)
	score, ok := many.Score(last, 1_600_000_000)
	require.True(t, ok)
	require.Equal(t, 3e6, score, "the evicted user came back with its new points only")
	score, ok = many.Score(ids[limit+1], 1_600_000_000)
	require.True(t, ok)
	require.Equal(t, 2e6, score)
}

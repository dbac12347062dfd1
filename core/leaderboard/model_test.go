package leaderboard

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// model is the naive leaderboard the Board must agree with: every update
// kept, scores computed by the direct formula, full sort on every query.
type model struct {
	decay    float64
	maxUsers int
	ups      map[string][][2]float64 // (points, timestamp)
	last     map[string]int64
}

func newModel(decay float64, maxUsers int) *model {
	return &model{decay: decay, maxUsers: maxUsers, ups: map[string][][2]float64{}, last: map[string]int64{}}
}

func (m *model) score(id string, now float64) float64 {
	s := 0.0
	for _, u := range m.ups[id] {
		s += u[0] * math.Pow(m.decay, (now-u[1])/86400)
	}
	return s
}

func (m *model) update(id string, p float64, ts int64) {
	if _, ok := m.ups[id]; !ok {
		if p == 0 {
			return
		}
		m.last[id] = ts
	}
	m.ups[id] = append(m.ups[id], [2]float64{p, float64(ts)})
	m.last[id] = max(m.last[id], ts)
	if m.maxUsers > 0 && len(m.ups) > m.maxUsers {
		r := m.ranking(float64(ts))
		m.remove(r[len(r)-1].UserID)
	}
}

func (m *model) remove(id string) { delete(m.ups, id); delete(m.last, id) }

func (m *model) ranking(now float64) []Entry {
	out := make([]Entry, 0, len(m.ups))
	for id := range m.ups {
		out = append(out, Entry{UserID: id, Score: m.score(id, now), LastUpdate: m.last[id]})
	}
	slices.SortFunc(out, func(a, b Entry) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return strings.Compare(a.UserID, b.UserID)
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

func near(t *testing.T, want, got float64, msg string, args ...any) {
	t.Helper()
	tol := 1e-9 * math.Max(math.Abs(want), 1e-300)
	if math.Abs(want-got) > tol && !(want == 0 && math.Abs(got) < 1e-300) {
		t.Fatalf("%s: want %.17g, got %.17g", fmt.Sprintf(msg, args...), want, got)
	}
}

// checkBoard compares the full ranking, pages, ranks and neighbourhoods.
// Scores must be far enough apart for rounding not to reorder them, which
// the integer-valued points used by the tests guarantee for f = 1 and make
// overwhelmingly likely otherwise; ties on equal scores are exercised with
// f = 1.
func checkBoard(t *testing.T, b *Board, m *model, now float64, rng *rand.Rand) {
	t.Helper()
	want := m.ranking(now)
	require.Equal(t, len(want), b.Len())
	got := b.Page(0, len(want)+5, now)
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].UserID, got[i].UserID, "rank %d", i+1)
		require.Equal(t, want[i].Rank, got[i].Rank)
		require.Equal(t, want[i].LastUpdate, got[i].LastUpdate, "last update of %q", want[i].UserID)
		near(t, want[i].Score, got[i].Score, "score of %q", want[i].UserID)
	}
	for range 5 {
		off, lim := rng.IntN(len(want)+3), rng.IntN(20)
		page := b.Page(off, lim, now)
		hi := min(off+lim, len(want))
		if off > len(want) {
			hi = off
		}
		require.Len(t, page, max(hi-off, 0))
		for i, e := range page {
			require.Equal(t, want[off+i].UserID, e.UserID)
		}
	}
	for range 5 {
		if len(want) == 0 {
			break
		}
		w := want[rng.IntN(len(want))]
		e, ok := b.Rank(w.UserID, now)
		require.True(t, ok)
		require.Equal(t, w.Rank, e.Rank)
		bef, aft := rng.IntN(4), rng.IntN(4)
		around, ok := b.Around(w.UserID, bef, aft, now)
		require.True(t, ok)
		lo, hi := max(w.Rank-1-bef, 0), min(w.Rank+aft, len(want))
		ids := make([]string, 0, hi-lo)
		for _, x := range want[lo:hi] {
			ids = append(ids, x.UserID)
		}
		gotIDs := make([]string, 0, len(around))
		for _, x := range around {
			gotIDs = append(gotIDs, x.UserID)
		}
		require.Equal(t, ids, gotIDs)
	}
}

func TestModelRandom(t *testing.T) {
	cases := []struct {
		decay    float64
		maxUsers int
		users    int
		ops      int
	}{
		{1, 0, 300, 6000},
		{1, 50, 200, 4000},
		{0.95, 0, 400, 6000},
		{0.5, 0, 300, 4000},
		{0.5, 40, 300, 4000},
		{0.95, 1, 20, 500},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("f=%v/max=%d", tc.decay, tc.maxUsers), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.users), uint64(tc.ops)))
			b, err := New(tc.decay, tc.maxUsers)
			require.NoError(t, err)
			m := newModel(tc.decay, tc.maxUsers)
			base := int64(1_700_000_000)
			now := base
			for op := range tc.ops {
				id := fmt.Sprintf("u%03d", rng.IntN(tc.users))
				switch r := rng.IntN(20); {
				case r == 0:
					_, had := m.ups[id]
					m.remove(id)
					assert.Equal(t, had, b.Remove(id))
				default:
					p := float64(rng.IntN(21) - 5) // integers, some 0, some negative
					now += int64(rng.IntN(3600))
					ts := now - int64(rng.IntN(3*86400)) // out of order
					require.NoError(t, b.Update(id, p, ts))
					m.update(id, p, ts)
				}
				if op%500 == 0 || op == tc.ops-1 {
					checkTree(t, b)
					checkBoard(t, b, m, float64(now), rng)
				}
			}
		})
	}
}

// TestLargeTreeModel drives the tree through several levels of splits,
// shifts, merges and separator repairs.
func TestLargeTreeModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	b, err := New(1, 0)
	require.NoError(t, err)
	m := newModel(1, 0)
	n := 30000
	for i := range 3 * n {
		id := fmt.Sprintf("user-%06d", rng.IntN(n))
		if i%3 == 2 {
			b.Remove(id)
			m.remove(id)
		} else {
			p := float64(rng.IntN(1000) - 100)
			require.NoError(t, b.Update(id, p, 1))
			m.update(id, p, 1)
		}
		if i%5000 == 0 {
			checkTree(t, b)
		}
	}
	checkTree(t, b)
	checkBoard(t, b, m, 1, rng)
	for id := range m.ups {
		require.True(t, b.Remove(id))
	}
	assert.Equal(t, 0, b.Len())
	assert.Empty(t, b.Top(10, 0))
}

// TestModelTies crowds many users onto few scores, with ids that share long
// prefixes (snowflakes of one day, and ids equal in their first 8 bytes or
// differing only in trailing zero bytes, which the tree's id prefix cannot
// tell apart), so the order among ties rests on the full-id fallback.
func TestModelTies(t *testing.T) {
	snow := snowflakeIDs(400, 9)
	var ids []string
	for i, s := range snow {
		ids = append(ids, s[:10]+snow[(i*7)%len(snow)][10:]) // shared leading digits
	}
	// Ids at the edges of the numeric form (more than 15 digits, at most 19,
	// no leading zero) and just outside it, which live in the arena.
	ids = append(ids, "1234567890123456", "1234567890123457", "9999999999999999999",
		"999999999999999999", "10000000000000000000", "0123456789012345678",
		"123456789012345678a", "12345678901234567\x00", "123456789012345")
	for _, stem := range []string{"", "a", "abcdefgh", "abcdefg", "snowflak"} {
		for _, tail := range []string{"", "\x00", "\x00\x00", "\x01", "0", "00", "1", "\xc3\xa9"} {
			ids = append(ids, stem+tail)
		}
	}
	for _, decay := range []float64{1, 0.95} {
		t.Run(fmt.Sprint(decay), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, uint64(decay*100)))
			b, err := New(decay, 0)
			require.NoError(t, err)
			m := newModel(decay, 0)
			ts := int64(1_700_000_000)
			for op := range 8000 {
				id := ids[rng.IntN(len(ids))]
				if rng.IntN(25) == 0 {
					_, had := m.ups[id]
					m.remove(id)
					require.Equal(t, had, b.Remove(id))
				} else {
					p := float64(1 + rng.IntN(12)) // few distinct totals
					if rng.IntN(4) == 0 {
						p = -p
					}
					require.NoError(t, b.Update(id, p, ts))
					m.update(id, p, ts)
				}
				if op%1000 == 0 || op == 7999 {
					checkTree(t, b)
					checkBoard(t, b, m, float64(ts), rng)
				}
			}
		})
	}
}

// TestManyTiesLargeTree puts 1,000 integer scores under 60,000 snowflake
// ids, so whole subtrees share one score, then moves users among them.
func TestManyTiesLargeTree(t *testing.T) {
	ids := snowflakeIDs(60000, 10)
	rng := rand.New(rand.NewPCG(12, 12))
	b, err := New(1, 0)
	require.NoError(t, err)
	m := newModel(1, 0)
	for _, id := range ids {
		p := float64(1 + rng.IntN(1000))
		require.NoError(t, b.Update(id, p, 1))
		m.update(id, p, 1)
	}
	for i := range 60000 {
		id := ids[rng.IntN(len(ids))]
		if i%4 == 3 {
			b.Remove(id)
			m.remove(id)
			continue
		}
		p := float64(rng.IntN(9) - 4)
		require.NoError(t, b.Update(id, p, 1))
		m.update(id, p, 1)
	}
	checkTree(t, b)
	checkBoard(t, b, m, 1, rng)
}

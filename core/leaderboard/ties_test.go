package leaderboard

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tieModel is a brute-force board without decay (factor 1, so scores are
// exact sums of integer points and ties are plentiful): every query sorts
// everything and numbers ranks by definition.
type tieModel struct {
	tie      TieBreak
	maxUsers int
	score    map[string]float64
	arrival  map[string]int // when the score last changed
	clock    int
}

func newTieModel(tie TieBreak, maxUsers int) *tieModel {
	return &tieModel{tie: tie, maxUsers: maxUsers, score: map[string]float64{}, arrival: map[string]int{}}
}

func (m *tieModel) update(id string, p float64) {
	if p == 0 {
		return
	}
	m.clock++
	m.score[id] += p
	m.arrival[id] = m.clock
	if m.maxUsers > 0 && len(m.score) > m.maxUsers {
		r := m.ranking()
		m.remove(r[len(r)-1].UserID)
	}
}

func (m *tieModel) remove(id string) { delete(m.score, id); delete(m.arrival, id) }

// ranking returns the entries in order, each with its ordinal rank.
func (m *tieModel) ranking() []Entry {
	out := make([]Entry, 0, len(m.score))
	for id, s := range m.score {
		out = append(out, Entry{UserID: id, Score: s})
	}
	slices.SortFunc(out, func(a, b Entry) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		if m.tie == TieEarliest {
			return m.arrival[a.UserID] - m.arrival[b.UserID]
		}
		return strings.Compare(a.UserID, b.UserID)
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

// styled numbers ranked entries (in order) in style, by definition.
func styled(ranked []Entry, style RankStyle) []int {
	out := make([]int, len(ranked))
	for i, e := range ranked {
		above, distinct := 0, map[float64]bool{}
		for _, o := range ranked {
			if o.Score > e.Score {
				above++
				distinct[o.Score] = true
			}
		}
		switch style {
		case Ordinal:
			out[i] = i + 1
		case Competition:
			out[i] = above + 1
		case Dense:
			out[i] = len(distinct) + 1
		}
	}
	return out
}

func percentileOf(ranked []Entry, s float64) float64 {
	below := 0
	for _, o := range ranked {
		if o.Score < s {
			below++
		}
	}
	return 100 * float64(below) / float64(len(ranked))
}

var allStyles = []RankStyle{Ordinal, Competition, Dense}

// checkStyles compares every query of every style with the model.
func checkStyles(t *testing.T, b *Board, m *tieModel, rng *rand.Rand) {
	t.Helper()
	checkTree(t, b)
	checkTies(t, b)
	want := m.ranking()
	require.Equal(t, len(want), b.Len())
	for _, style := range allStyles {
		ranks := styled(want, style)
		got, err := b.PageAs(style, 0, len(want)+1, 0)
		require.NoError(t, err)
		require.Len(t, got, len(want))
		for i, e := range want {
			require.Equal(t, e.UserID, got[i].UserID, "%v entry %d", style, i)
			require.Equal(t, e.Score, got[i].Score, "%v entry %d", style, i)
			require.Equal(t, ranks[i], got[i].Rank, "%v page rank of %s", style, e.UserID)
			one, ok, err := b.RankAs(style, e.UserID, 0)
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, ranks[i], one.Rank, "%v rank of %s", style, e.UserID)
		}
		if len(want) == 0 {
			continue
		}
		off, lim := rng.IntN(len(want)), rng.IntN(12)
		page, err := b.PageAs(style, off, lim, 0)
		require.NoError(t, err)
		require.Len(t, page, min(lim, len(want)-off))
		for i, e := range page {
			require.Equal(t, want[off+i].UserID, e.UserID)
			require.Equal(t, ranks[off+i], e.Rank, "%v page(%d, %d) entry %d", style, off, lim, i)
		}
		c := rng.IntN(len(want))
		bf, af := rng.IntN(5), rng.IntN(5)
		around, ok, err := b.AroundAs(style, want[c].UserID, bf, af, 0)
		require.NoError(t, err)
		require.True(t, ok)
		lo := max(c-bf, 0)
		require.Len(t, around, min(c+af, len(want)-1)-lo+1)
		for i, e := range around {
			require.Equal(t, want[lo+i].UserID, e.UserID)
			require.Equal(t, ranks[lo+i], e.Rank)
		}
		for _, p := range []float64{0, 100, rng.Float64() * 100, 50} {
			e, ok, err := b.AtPercentile(style, p, 0)
			require.NoError(t, err)
			require.True(t, ok)
			up := max(int(math.Ceil(p*float64(len(want))/100)), 1)
			require.Equal(t, want[len(want)-up].UserID, e.UserID, "at percentile %v", p)
			require.Equal(t, ranks[len(want)-up], e.Rank)
		}
	}
	for _, e := range want {
		p, ok := b.Percentile(e.UserID)
		require.True(t, ok)
		require.Equal(t, percentileOf(want, e.Score), p, "percentile of %s", e.UserID)
	}
}

// checkTies compares the kept tied values with a recount.
func checkTies(t *testing.T, b *Board) {
	t.Helper()
	c := &b.standings
	want := map[float64]int64{}
	c.forEachLeafKeys(func(lf *leafNode) {
		for j := 0; j < int(lf.n); j++ {
			want[lf.g[j]]++
		}
	})
	got := tiedContents(t, c.tied())
	for g := range got {
		got[g]++ // entries: the weight is those beyond the first
	}
	for g, n := range want {
		if n == 1 {
			delete(want, g)
		}
	}
	require.Equal(t, want, got)
}

func TestRankStylesAgainstModel(t *testing.T) {
	for _, tie := range []TieBreak{TieByUserID, TieEarliest} {
		for _, maxUsers := range []int{0, 40} {
			t.Run(fmt.Sprintf("%v/max%d", tie, maxUsers), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(maxUsers), uint64(tie)))
				b, err := NewBoard(Config{DecayFactor: 1, MaxUsers: maxUsers, TieBreak: tie})
				require.NoError(t, err)
				m := newTieModel(tie, maxUsers)
				for round := range 60 {
					for range 1 + rng.IntN(300) {
						id := fmt.Sprintf("u%03d", rng.IntN(150))
						if rng.IntN(25) == 0 {
							b.Remove(id)
							m.remove(id)
							continue
						}
						p := float64(rng.IntN(7) - 2)
						require.NoError(t, b.Update(id, p, int64(1000+round)))
						m.update(id, p)
					}
					checkStyles(t, b, m, rng)
				}
			})
		}
	}
}

// churnTies plays rounds of perRound moves on b and m, with ids from
// users possible ones, about one in removeOneIn a removal and the rest
// updates of points(id) points, and compares every query after each round.
func churnTies(t *testing.T, b *Board, m *tieModel, rng *rand.Rand, rounds, perRound, users, removeOneIn int,
	points func(id string) float64) {
	t.Helper()
	for round := range rounds {
		for range perRound {
			id := fmt.Sprintf("u%05d", rng.IntN(users))
			if rng.IntN(removeOneIn) == 0 {
				b.Remove(id)
				m.remove(id)
				continue
			}
			p := points(id)
			require.NoError(t, b.Update(id, p, int64(1000+round)))
			m.update(id, p)
		}
		checkStyles(t, b, m, rng)
	}
}

// A board of thousands of users over a few scores has runs of tied users
// across many leaves and parents, and leaves that are first children of
// parents other than the first: styled ranks and percentiles still agree
// with the model after moves, removals and arrivals.
func TestRankStylesOnATallTree(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	b, err := NewBoard(Config{DecayFactor: 1})
	require.NoError(t, err)
	m := newTieModel(TieByUserID, 0)
	churnTies(t, b, m, rng, 4, 3000, 6000, 30, func(string) float64 { return float64(rng.IntN(9)) * 10 })
	require.GreaterOrEqual(t, b.height, 2, "the tree should have grown two inner levels")
}

// Mostly distinct scores with a few pairs and triples: ties of two or three
// users straddle leaf boundaries, where a user's neighbours in its own leaf
// differ from it and only the neighbouring leaf holds its tie.
func TestRankStylesWithSparseTies(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 3))
	b, err := NewBoard(Config{DecayFactor: 1})
	require.NoError(t, err)
	m := newTieModel(TieByUserID, 0)
	churnTies(t, b, m, rng, 3, 2500, 4000, 40, func(id string) float64 {
		return float64(rng.IntN(6000)) - m.score[id] // a new score, drawn from few enough for pairs
	})
}

// Decayed boards: equal G (the same points at the same second) are ties,
// scores that differ in G are not, and the board's ranks follow G.
func TestRankStylesWithDecay(t *testing.T) {
	b, err := New(0.5, 0)
	require.NoError(t, err)
	const t0 = 1_700_000_000
	for i, u := range []struct {
		id string
		p  float64
		ts int64
	}{{"a", 10, t0}, {"b", 10, t0}, {"c", 10, t0 - 86400}, {"d", 20, t0 - 86400}, {"e", 5, t0}} {
		require.NoError(t, b.Update(u.id, u.p, u.ts), "update %d", i)
	}
	// a, b and d all score 10 at t0 (d: 20 halved): d's G equals a's.
	got, err := b.PageAs(Competition, 0, 10, t0)
	require.NoError(t, err)
	ids, ranks := []string{}, []int{}
	for _, e := range got {
		ids, ranks = append(ids, e.UserID), append(ranks, e.Rank)
	}
	assert.Equal(t, []string{"a", "b", "d", "c", "e"}, ids)
	assert.Equal(t, []int{1, 1, 1, 4, 4}, ranks)
	dense, err := b.PageAs(Dense, 0, 10, t0)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 1, 1, 2, 2}, []int{dense[0].Rank, dense[1].Rank, dense[2].Rank, dense[3].Rank, dense[4].Rank})
	p, ok := b.Percentile("c")
	require.True(t, ok)
	assert.Equal(t, 0.0, p)
	p, _ = b.Percentile("a")
	assert.Equal(t, 40.0, p)
	_, ok = b.Percentile("nobody")
	assert.False(t, ok)
}

// A rebase multiplies every G by one factor, which may turn distinct values
// into equal ones: the ties are recounted.
func TestTiesSurviveRebase(t *testing.T) {
	for _, tie := range []TieBreak{TieByUserID, TieEarliest} {
		b, err := NewBoard(Config{DecayFactor: 0.5, TieBreak: tie})
		require.NoError(t, err)
		const t0 = 1_600_000_000
		for i := range 200 {
			require.NoError(t, b.Update(fmt.Sprintf("u%d", i), float64(1+i%5), t0+int64(i%3)))
		}
		// Far enough ahead to move the landmark (about 433 days at f = 0.5).
		require.NoError(t, b.Update("late", 1, t0+500*86400))
		checkTree(t, b)
		checkTies(t, b)
		e, _, err := b.RankAs(Dense, "late", t0+500*86400)
		require.NoError(t, err)
		assert.Equal(t, 1, e.Rank)
	}
}

func TestEarliestTieBreak(t *testing.T) {
	b, err := NewBoard(Config{DecayFactor: 1, TieBreak: TieEarliest})
	require.NoError(t, err)
	require.NoError(t, b.Update("zed", 5, 10))
	require.NoError(t, b.Update("amy", 5, 11))
	require.NoError(t, b.Update("bob", 3, 12))
	require.NoError(t, b.Update("bob", 2, 13)) // reaches 5 last
	top := b.Top(3, 20)
	assert.Equal(t, []string{"zed", "amy", "bob"}, []string{top[0].UserID, top[1].UserID, top[2].UserID})
	require.NoError(t, b.Update("zed", 1, 14))
	require.NoError(t, b.Update("zed", -1, 15)) // back to 5, now the latest to reach it
	top = b.Top(3, 20)
	assert.Equal(t, []string{"amy", "bob", "zed"}, []string{top[0].UserID, top[1].UserID, top[2].UserID})

	// The policy and the order survive a snapshot; a board with the
	// default policy loading it takes the file's policy.
	var buf bytes.Buffer
	require.NoError(t, b.WriteSnapshot(&buf))
	assert.Contains(t, buf.String(), `"tie_break":"earliest"`)
	c, err := New(1, 0)
	require.NoError(t, err)
	require.NoError(t, c.ReadSnapshot(bytes.NewReader(buf.Bytes())))
	assert.Equal(t, TieEarliest, c.TieBreak())
	assert.Equal(t, dump(t, b), dump(t, c))
	checkTree(t, c)
	// Arrivals after the load rank after the loaded ties.
	require.NoError(t, c.Update("ann", 5, 30))
	assert.Equal(t, "ann", c.Top(4, 40)[3].UserID)
	checkTree(t, c)

	// A file without tie_break (the original's, or a default board's)
	// keeps the loading board's policy; its order is the file's.
	old := `{"decay_factor":1,"max_users":0,"entries":[{"user_id":"b","score":2,"last_update":1},{"user_id":"a","score":2,"last_update":1}]}`
	e, err := NewBoard(Config{DecayFactor: 1, TieBreak: TieEarliest})
	require.NoError(t, err)
	require.NoError(t, e.ReadSnapshot(strings.NewReader(old)))
	assert.Equal(t, TieEarliest, e.TieBreak())
	assert.Equal(t, "b", e.Top(1, 2)[0].UserID)
	d, _ := New(1, 0)
	require.NoError(t, d.ReadSnapshot(strings.NewReader(old)))
	assert.Equal(t, "a", d.Top(1, 2)[0].UserID)

	// An unknown policy in a file is a malformed snapshot; nothing changes.
	before := dump(t, c)
	bad := strings.Replace(buf.String(), `"earliest"`, `"latest"`, 1)
	require.ErrorIs(t, c.ReadSnapshot(strings.NewReader(bad)), ErrSnapshot)
	assert.Equal(t, before, dump(t, c))
}

func TestStyleAndPercentileArgumentErrors(t *testing.T) {
	b, _ := New(1, 0)
	require.NoError(t, b.Update("a", 1, 1))
	_, _, err := b.RankAs(RankStyle(7), "a", 0)
	require.ErrorIs(t, err, ErrInvalidRankStyle)
	_, err = b.PageAs(RankStyle(-1), 0, 1, 0)
	require.ErrorIs(t, err, ErrInvalidRankStyle)
	_, _, err = b.AroundAs(RankStyle(3), "a", 1, 1, 0)
	require.ErrorIs(t, err, ErrInvalidRankStyle)
	for _, p := range []float64{-0.1, 100.5, math.NaN(), math.Inf(1)} {
		_, _, err = b.AtPercentile(Ordinal, p, 0)
		require.ErrorIs(t, err, ErrInvalidPercentile, "p=%v", p)
	}
	_, err = ParseRankStyle("olympic")
	require.ErrorIs(t, err, ErrInvalidRankStyle)
	_, err = ParseTieBreak("latest")
	require.ErrorIs(t, err, ErrInvalidTieBreak)
	_, err = NewBoard(Config{DecayFactor: 1, TieBreak: 9})
	require.ErrorIs(t, err, ErrInvalidTieBreak)
	empty, _ := New(1, 0)
	_, ok, err := empty.AtPercentile(Dense, 50, 0)
	require.NoError(t, err)
	assert.False(t, ok)
}

// Styled queries share the read lock with each other and with updates.
func TestRankStylesConcurrent(t *testing.T) {
	b, _ := NewBoard(Config{DecayFactor: 1, TieBreak: TieEarliest})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				id := fmt.Sprintf("u%d", (i*7+w)%300)
				if w%2 == 0 {
					_ = b.Update(id, float64(i%3), int64(i+1))
				} else {
					_, _, _ = b.RankAs(Dense, id, 0)
					_, _ = b.Percentile(id)
					_, _, _ = b.AtPercentile(Competition, 50, 0)
				}
			}
		}()
	}
	wg.Wait()
	checkTree(t, b)
	checkTies(t, b)
}

// TestTieChangesAppliedOnceByConcurrentReaders: updates leave their tie
// changes for the next reader; readers arriving together under the read
// lock must apply them once between them and all answer from the result.
func TestTieChangesAppliedOnceByConcurrentReaders(t *testing.T) {
	b, _ := New(1, 0)
	for i := range 3000 {
		require.NoError(t, b.Update(fmt.Sprintf("u%04d", i), float64(i%10+1), 1))
	}
	for round := range 20 {
		for i := range 500 { // moves among 10 values: every one leaves and joins a tie
			require.NoError(t, b.Update(fmt.Sprintf("u%04d", (i*31+round*7)%3000), 1, 1))
		}
		require.True(t, b.tieChanges.waiting.Load(), "updates apply their tie changes themselves")
		ids := make([]string, 0, 40)
		for i := 0; i < 3000; i += 79 {
			ids = append(ids, fmt.Sprintf("u%04d", i))
		}
		got := readDenseRanks(t, b, ids, 8)
		require.False(t, b.tieChanges.waiting.Load())
		checkTies(t, b)
		want := denseRanks(t, b, ids)
		for _, g := range got {
			require.Equal(t, want, g, "round %d", round)
		}
	}
}

// denseRanks returns the dense ranks of users ids counted from every
// entry's score: 1 + the distinct scores above each.
func denseRanks(t *testing.T, b *Board, ids []string) []int {
	t.Helper()
	values := map[float64]bool{}
	b.Visit(0, b.Len(), 0, func(e Entry) bool {
		values[e.Score] = true
		return true
	})
	want := make([]int, 0, len(ids))
	for _, id := range ids {
		s, ok := b.Score(id, 0)
		require.True(t, ok)
		above := 0
		for v := range values {
			if v > s {
				above++
			}
		}
		want = append(want, above+1)
	}
	return want
}

// TestTiesUnkeptWhileUnreadAreRecountedByAReader: writers that count more
// tie changes than keepTiesFor with no reader asking stop keeping the tied
// values; readers asking at once, then, get dense ranks and percentiles
// from one recount, and writers keep them again after it.
func TestTiesUnkeptWhileUnreadAreRecountedByAReader(t *testing.T) {
	b, _ := New(1, 0)
	const users = 20_000
	id := func(i int) string { return fmt.Sprintf("u%05d", i) }
	for i := range users { // 10,000 values, two users each
		require.NoError(t, b.Update(id(i), float64(i%10_000+1), 1))
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for range 4 * keepTiesFor(users) { // moves among 20,000 values, nobody reading
		require.NoError(t, b.Update(id(rng.IntN(users)), float64(1+rng.IntN(10_000)), 1))
	}
	require.True(t, b.tieChanges.unkept.Load(), "tied values still kept")
	require.Zero(t, len(b.tieChanges.delta))
	ids := make([]string, 0, 50)
	for i := 0; i < users; i += 401 {
		ids = append(ids, id(i))
	}
	got := readDenseRanks(t, b, ids, 8)
	require.False(t, b.tieChanges.unkept.Load(), "not recounted")
	want := denseRanks(t, b, ids)
	for _, g := range got {
		require.Equal(t, want, g)
	}
	for range 1000 { // kept again: counted as they change
		require.NoError(t, b.Update(id(rng.IntN(users)), float64(1+rng.IntN(10_000)), 1))
	}
	require.False(t, b.tieChanges.unkept.Load())
	checkTies(t, b)
	require.Equal(t, [][]int{denseRanks(t, b, ids[:10])}, readDenseRanks(t, b, ids[:10], 1))
}

// readDenseRanks has readers goroutines each ask b, at once, for the dense
// rank and the percentile of every user of ids (all on the board), and
// returns each reader's dense ranks.
func readDenseRanks(t *testing.T, b *Board, ids []string, readers int) [][]int {
	t.Helper()
	var wg sync.WaitGroup
	got := make([][]int, readers)
	for r := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, uid := range ids {
				e, ok, err := b.RankAs(Dense, uid, 0)
				assert.NoError(t, err)
				assert.True(t, ok, "user %q", uid)
				got[r] = append(got[r], e.Rank)
				_, ok = b.Percentile(uid)
				assert.True(t, ok, "user %q", uid)
			}
		}()
	}
	wg.Wait()
	return got
}

// TestTieChangesBounded: a board that is updated and never read applies its
// tie changes once they cover maxTieChanges values, so they stay bounded.
func TestTieChangesBounded(t *testing.T) {
	b, _ := New(1, 0)
	const values = 3 * maxTieChanges
	for v := range values {
		for k := range 2 { // each value tied by two users
			require.NoError(t, b.Update(fmt.Sprintf("v%d-%d", v, k), float64(v+1), 1))
		}
		require.LessOrEqual(t, len(b.tieChanges.delta), maxTieChanges)
	}
	require.Greater(t, len(tiedContents(t, &b.ties)), maxTieChanges, "applied while writing")
	checkTies(t, b)
}

// tiedContents returns the tied values tv holds, with their weights, after
// checking its layout: the array ascending and distinct, its Fenwick tree
// and total its weights' sums, fresh ascending, apart from the array and of
// weights not 0, and above agreeing with a plain sum at every value.
func tiedContents(t *testing.T, tv *tiedValues) map[float64]int64 {
	t.Helper()
	got := map[float64]int64{}
	var total, dead int64
	for i, g := range tv.g {
		require.True(t, i == 0 || tv.g[i-1] < g, "array ascending at %d", i)
		require.Equal(t, total, tv.prefix(i), "Fenwick sum of the first %d", i)
		total += tv.w[i]
		if tv.w[i] == 0 {
			dead++
			continue
		}
		got[g] = tv.w[i]
	}
	require.Equal(t, total, tv.total)
	require.Equal(t, dead, int64(tv.dead))
	for j, v := range tv.fresh {
		require.True(t, j == 0 || tv.fresh[j-1].g < v.g, "fresh ascending at %d", j)
		require.NotZero(t, v.w)
		_, inArray := tv.find(v.g)
		require.False(t, inArray, "fresh value %v also in the array", v.g)
		got[v.g] = v.w
	}
	values := slices.Sorted(maps.Keys(got))
	var above int64
	for i := len(values) - 1; i >= 0; i-- {
		g := values[i]
		require.Equal(t, above, tv.above(g), "above(%v)", g)
		require.Equal(t, got[g], tv.weight(g), "weight(%v)", g)
		above += got[g]
	}
	return got
}

// TestTiedValuesAgainstAMap changes weights at random, one value at a time
// and in batches as a read applies tieChanges, over few and over many
// values (so fresh fills and merges, and values dropping to 0 pile up in
// the array until they are merged away), and compares with a map.
func TestTiedValuesAgainstAMap(t *testing.T) {
	for _, values := range []int{8, 300, 5_000} {
		t.Run(fmt.Sprint(values), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(values), 7))
			var tv tiedValues
			model := map[float64]int64{}
			change := func(g float64, d int64) { // as tieChanges sums them
				if model[g]+d < 0 {
					d = -model[g]
				}
				if d == 0 {
					return
				}
				if !tv.add(g, d) {
					require.Zero(t, model[g], "add missed tied value %v", g)
					tv.insert(g, d)
				}
				if model[g] += d; model[g] == 0 {
					delete(model, g)
				}
			}
			for round := range 40 {
				if round%4 == 3 { // a batch, as tied() applies
					deltas := map[float64]int64{}
					for range values {
						g := float64(rng.IntN(2 * values))
						d := int64(rng.IntN(5)) - 2
						if model[g]+deltas[g]+d < 0 {
							continue
						}
						deltas[g] += d
					}
					tv.apply(deltas)
					for g, d := range deltas {
						if model[g] += d; model[g] == 0 {
							delete(model, g)
						}
					}
				} else {
					for range values / 2 {
						change(float64(rng.IntN(2*values)), int64(rng.IntN(5))-2)
					}
				}
				require.Equal(t, model, tiedContents(t, &tv), "round %d", round)
			}
			for g := range model { // every value untied: all of them dropped
				change(g, -model[g])
			}
			require.Empty(t, tiedContents(t, &tv))
			require.Zero(t, tv.above(math.Inf(-1)))
		})
	}
}

// TestTiedValuesTreatZerosAlike: -0 and 0 are one value on the board (the
// tree compares floats; a rebase can underflow a negative G to -0), so the
// tied values must find either for the other.
func TestTiedValuesTreatZerosAlike(t *testing.T) {
	negZero := math.Copysign(0, -1)
	for _, stored := range []float64{0, negZero} {
		var tv tiedValues
		for i, g := range []float64{-1, stored, 1, 2} {
			tv.insert(g, int64(i+1))
		}
		for _, g := range []float64{0, negZero} {
			require.Equal(t, int64(2), tv.weight(g), "weight(%v) with %v stored", g, stored)
			require.Equal(t, int64(7), tv.above(g), "above(%v) with %v stored", g, stored)
		}
		require.True(t, tv.add(negZero, 1))
		require.True(t, tv.add(0, -2))
		require.Equal(t, int64(1), tv.weight(0))
		require.Equal(t, int64(8), tv.above(-1))
	}
}

// BenchmarkTiedValuesAdd is the tied values' part of moving a user on a
// tie-heavy board: one value loses an entry, another gains one, among
// 1,000 tied values (integer points).
func BenchmarkTiedValuesAdd(b *testing.B) {
	var tv tiedValues
	for g := 1; g <= 1000; g++ {
		tv.insert(float64(g), 1000)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	gs := make([]float64, 1<<12)
	for i := range gs {
		gs[i] = float64(1 + rng.IntN(1000))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tv.add(gs[i&(len(gs)-1)], -1)
		tv.add(gs[(i+7)&(len(gs)-1)], 1)
	}
}

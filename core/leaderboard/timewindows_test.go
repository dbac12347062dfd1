package leaderboard

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	week = 7 * 86400
)

func windowedBoard(t testing.TB, cfg Config) *Board {
	t.Helper()
	if cfg.DecayFactor == 0 {
		cfg.DecayFactor = 1
	}
	if cfg.Windows == nil {
		cfg.Windows = []Window{{"week", week}, {"month", 30 * day}}
	}
	b, err := NewBoard(cfg)
	require.NoError(t, err)
	return b
}

func ids(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.UserID
	}
	return out
}

func TestWindowsCountTheirPeriodOnly(t *testing.T) {
	b := windowedBoard(t, Config{})
	w0 := int64(2800 * week) // the start of a week period (origin 0)
	require.NoError(t, b.Update("ann", 5, w0+10))
	require.NoError(t, b.Update("bob", 3, w0+day))
	require.NoError(t, b.Update("ann", 1, w0-10)) // last week: all time only
	wk, err := b.Window("week", float64(w0+2*day))
	require.NoError(t, err)
	assert.Equal(t, []string{"ann", "bob"}, ids(wk.Top(10, 0)))
	s, _ := wk.Score("ann", 0)
	assert.Equal(t, 5.0, s)
	all, _ := b.Score("ann", 0)
	assert.Equal(t, 6.0, all)

	// Next week: nobody has earned points yet, so the week is empty...
	wk, err = b.Window("week", float64(w0+week+1))
	require.NoError(t, err)
	assert.Equal(t, 0, wk.Len())
	assert.Empty(t, wk.Top(10, 0))
	// ...until an update rolls it over; the month goes on.
	require.NoError(t, b.Update("bob", 1, w0+week+5))
	wk, _ = b.Window("week", float64(w0+week+6))
	assert.Equal(t, []string{"bob"}, ids(wk.Top(10, 0)))
	e, ok, err := wk.RankAs(Dense, "bob", 0)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, 1, e.Rank)
	// A late event of a week that is over counts in all time only.
	require.NoError(t, b.Update("cat", 9, w0+3*day))
	wk, _ = b.Window("week", float64(w0+week+6))
	assert.Equal(t, 1, wk.Len())
	assert.Equal(t, 3, b.Len())

	// Remove takes the user off every window too.
	assert.True(t, b.Remove("bob"))
	wk, _ = b.Window("week", float64(w0+week+6))
	assert.Equal(t, 0, wk.Len())

	_, err = b.Window("fortnight", 0)
	require.ErrorIs(t, err, ErrUnknownWindow)
	assert.Equal(t, []Window{{"week", week}, {"month", 30 * day}}, b.Windows())
}

func TestWindowOrigin(t *testing.T) {
	// Weeks from Monday 00:00 UTC: 1970-01-05 is a Monday.
	b := windowedBoard(t, Config{Windows: []Window{{"week", week}}, WindowOrigin: 4 * day})
	monday := int64(2800*week + 4*day)
	require.NoError(t, b.Update("ann", 1, monday-1)) // Sunday night
	require.NoError(t, b.Update("bob", 1, monday))
	wk, _ := b.Window("week", float64(monday+10))
	assert.Equal(t, []string{"bob"}, ids(wk.Top(10, 0)))
}

func TestInvalidWindowsAreRefused(t *testing.T) {
	for _, ws := range [][]Window{
		{{"week", 0}}, {{"week", -60}}, {{"week", 90}}, {{"week", 59}},
		{{"", 60}}, {{"a", 60}, {"a", 120}}, {{"\xff", 60}},
		slices.Repeat([]Window{{"x", 60}}, MaxWindows+1),
	} {
		_, err := NewBoard(Config{DecayFactor: 1, Windows: ws})
		require.ErrorIs(t, err, ErrInvalidWindow, "%v", ws)
	}
	for _, origin := range []int64{-1, MaxWindowOrigin} {
		_, err := NewBoard(Config{DecayFactor: 1, Windows: []Window{{"w", 60}}, WindowOrigin: origin})
		require.ErrorIs(t, err, ErrInvalidWindow)
	}
}

// windowModel is a window by definition: every accepted update kept, the
// current period the latest one an update reached.
type windowModel struct {
	length int64
	period int64
	score  map[string]float64
}

func (m *windowModel) update(id string, p float64, ts int64) {
	k := ts / m.length
	switch {
	case k < m.period:
		return
	case k > m.period:
		m.period, m.score = k, map[string]float64{}
	}
	if p == 0 {
		return
	}
	m.score[id] += p
}

func TestWindowsAgainstModel(t *testing.T) {
	for _, tie := range []TieBreak{TieByUserID, TieEarliest} {
		rng := rand.New(rand.NewPCG(3, uint64(tie)))
		specs := []Window{{"hour", 3600}, {"day", day}, {"week", week}}
		b := windowedBoard(t, Config{Windows: specs, TieBreak: tie})
		models := make([]*windowModel, len(specs))
		for i, w := range specs {
			models[i] = &windowModel{length: w.Length, period: -1, score: map[string]float64{}}
		}
		ts := int64(2800 * week)
		for round := range 40 {
			var us []string
			var ps []float64
			var tss []int64
			for range 200 {
				ts += int64(rng.IntN(1200))
				at := ts
				if rng.IntN(10) == 0 {
					at -= int64(rng.IntN(2 * day)) // late
				}
				id := fmt.Sprintf("u%02d", rng.IntN(60))
				p := float64(rng.IntN(5))
				us, ps, tss = append(us, id), append(ps, p), append(tss, at)
				for _, m := range models {
					m.update(id, p, at)
				}
			}
			if round%2 == 0 {
				refused, err := b.UpdateMany(us, ps, tss)
				require.NoError(t, err)
				require.Zero(t, refused)
			} else {
				for i := range us {
					require.NoError(t, b.Update(us[i], ps[i], tss[i]))
				}
			}
			for i, w := range specs {
				view, err := b.Window(w.Name, float64(ts))
				require.NoError(t, err)
				got := view.Top(1000, 0)
				m := models[i]
				if ts/w.Length > m.period {
					assert.Empty(t, got, "%s after its period", w.Name)
					continue
				}
				want := make([]Entry, 0, len(m.score))
				for id, s := range m.score {
					want = append(want, Entry{UserID: id, Score: s})
				}
				require.Len(t, got, len(want), "%s size", w.Name)
				slices.SortFunc(want, func(a, b Entry) int { return strings.Compare(a.UserID, b.UserID) })
				byID := slices.Clone(got)
				slices.SortFunc(byID, func(a, b Entry) int { return strings.Compare(a.UserID, b.UserID) })
				for j := range want {
					require.Equal(t, want[j].UserID, byID[j].UserID)
					require.Equal(t, want[j].Score, byID[j].Score, "%s score of %s", w.Name, want[j].UserID)
				}
				for j := 1; j < len(got); j++ {
					require.GreaterOrEqual(t, got[j-1].Score, got[j].Score)
				}
				checkTree(t, view)
				checkTies(t, view)
			}
		}
	}
}

func TestSnapshotsHoldTheWindows(t *testing.T) {
	b := windowedBoard(t, Config{TieBreak: TieEarliest, WindowOrigin: 4 * day})
	w0 := int64(2800*week + 4*day)
	for i := range 300 {
		require.NoError(t, b.Update(fmt.Sprintf("u%03d", i%120), float64(i%4), w0+int64(i)*3000))
	}
	var buf bytes.Buffer
	require.NoError(t, b.WriteSnapshot(&buf))
	require.True(t, strings.Contains(buf.String(),
		`"window_origin":345600,"windows":[{"name":"week","length":604800,"period":2801,"users":74,"board":{`),
		"the windows as written: %.300s", buf.String()[strings.Index(buf.String(), `"window_origin"`):])

	// "users" is a hint: a file without it, or with a wrong count or a
	// bad value, loads the same board.
	for _, users := range []string{``, `"users":1,`, `"users":999999999,`, `"users":"x",`, `"users":-3,`} {
		edited := strings.ReplaceAll(buf.String(), `"users":74,`, users)
		edited = strings.ReplaceAll(edited, `"users":90,`, users)
		c, err := New(0.5, 10)
		require.NoError(t, err)
		require.NoError(t, c.ReadSnapshot(strings.NewReader(edited)), users)
		assert.Equal(t, dump(t, b), dump(t, c), users)
		for _, name := range []string{"week", "month"} {
			bw, _ := b.Window(name, float64(w0+300*3000))
			cw, _ := c.Window(name, float64(w0+300*3000))
			assert.Equal(t, bw.Top(1000, 0), cw.Top(1000, 0), users)
			checkTree(t, cw)
		}
	}

	c, err := New(0.5, 10) // a board without windows takes the file's
	require.NoError(t, err)
	require.NoError(t, c.ReadSnapshot(bytes.NewReader(buf.Bytes())))
	assert.Equal(t, dump(t, b), dump(t, c))
	assert.Equal(t, b.Windows(), c.Windows())
	assert.Equal(t, int64(4*day), c.WindowOrigin())
	now := float64(w0 + 300*3000)
	for _, name := range []string{"week", "month"} {
		bw, _ := b.Window(name, now)
		cw, _ := c.Window(name, now)
		assert.Equal(t, bw.Top(1000, 0), cw.Top(1000, 0), name)
		checkTree(t, cw)
	}
	// Updates go on after the load, windows included.
	require.NoError(t, c.Update("new", 100, w0+300*3000))
	cw, _ := c.Window("month", now)
	assert.Equal(t, "new", cw.Top(1, 0)[0].UserID)

	// A file without windows keeps the loading board's windows, empty.
	old := `{"decay_factor":1,"max_users":0,"entries":[{"user_id":"a","score":2,"last_update":1}]}`
	require.NoError(t, c.ReadSnapshot(strings.NewReader(old)))
	assert.Equal(t, b.Windows(), c.Windows())
	cw, _ = c.Window("week", 2)
	assert.Equal(t, 0, cw.Len())
	require.NoError(t, c.Update("a", 1, 3))
	cw, _ = c.Window("week", 3)
	assert.Equal(t, 1, cw.Len())
}

func TestMalformedWindowsInASnapshotAreRefusedWhole(t *testing.T) {
	b := windowedBoard(t, Config{})
	require.NoError(t, b.Update("a", 1, 2800*week))
	var buf bytes.Buffer
	require.NoError(t, b.WriteSnapshot(&buf))
	good := buf.String()
	before := dump(t, b)
	for _, bad := range []string{
		strings.Replace(good, `"length":604800`, `"length":604801`, 1),
		strings.Replace(good, `"length":604800`, `"length":0`, 1),
		strings.Replace(good, `"name":"week"`, `"name":"month"`, 1),
		strings.Replace(good, `"name":"week"`, `"name":7`, 1),
		strings.Replace(good, `"period":2800`, `"period":"x"`, 1),
		strings.Replace(good, `"windows":[`, `"windows":{`, 1),
		strings.Replace(good, `"window_origin":0`, `"window_origin":-5`, 1),
		strings.Replace(good, `"board":{"decay_factor":1`, `"board":{"decay_factor":0.5`, 1),
		strings.Replace(good, `,"board":{`, `,"nope":{`, 1),
		good[:len(good)-20],
	} {
		require.NotEqual(t, good, bad)
		require.ErrorIs(t, b.ReadSnapshot(strings.NewReader(bad)), ErrSnapshot, bad)
		assert.Equal(t, before, dump(t, b))
	}
}

func TestWindowsConcurrent(t *testing.T) {
	b := windowedBoard(t, Config{Windows: []Window{{"hour", 3600}}})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 3000 {
				ts := int64(1_700_000_000 + i*5)
				id := fmt.Sprintf("u%d", (i*7+w)%200)
				if w%2 == 0 {
					_ = b.Update(id, 1, ts)
				} else {
					v, err := b.Window("hour", float64(ts))
					if err == nil {
						v.Top(5, 0)
						_, _, _ = v.RankAs(Competition, id, 0)
						v.Len()
					}
				}
			}
		}()
	}
	wg.Wait()
	var buf bytes.Buffer
	require.NoError(t, b.WriteSnapshot(&buf))
}

package leaderboard

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const now = int64(1_700_000_000)

// pinClock makes the wall clock read at.
func pinClock(t *testing.T, at int64) {
	t.Helper()
	old := wallClock
	t.Cleanup(func() { wallClock = old })
	wallClock = func() int64 { return at }
}

// residents puts three ordinary users on a board and returns their scores at
// now, keyed by id.
func residents(t *testing.T, b *Board) map[string]float64 {
	t.Helper()
	require.NoError(t, b.Update("alice", 150.5, now-3*day))
	require.NoError(t, b.Update("bob", 120, now-day))
	require.NoError(t, b.Update("carol", -3.25, now))
	scores := map[string]float64{}
	for _, id := range []string{"alice", "bob", "carol"} {
		s, ok := b.Score(id, float64(now))
		require.True(t, ok)
		scores[id] = s
	}
	return scores
}

func requireScores(t *testing.T, b *Board, want map[string]float64) {
	t.Helper()
	for id, w := range want {
		s, ok := b.Score(id, float64(now))
		require.True(t, ok, id)
		require.Equal(t, w, s, "score of %s", id) // bit-identical
	}
}

// TestFarFutureTimestampCannotCorruptOthers is the reproduction: a
// timestamp in milliseconds used to rebase the landmark 54,000 years ahead,
// underflowing every other user's value to 0 for good.
func TestFarFutureTimestampCannotCorruptOthers(t *testing.T) {
	pinClock(t, now)
	for _, decay := range []float64{0.5, 0.95} {
		for name, ts := range map[string]int64{
			"milliseconds": now * 1000,
			"max int64":    math.MaxInt64,
		} {
			t.Run(fmt.Sprintf("%v/%s", decay, name), func(t *testing.T) {
				b, err := New(decay, 0)
				require.NoError(t, err)
				want := residents(t, b)
				before := dump(t, b)

				err = b.Update("mallory", 1.0, ts)
				require.ErrorIs(t, err, ErrTimestampRange)
				assert.Contains(t, err.Error(), "days after now")
				assert.Equal(t, before, dump(t, b))
				require.ErrorIs(t, b.Update("alice", 0, ts), ErrTimestampRange, "a zero update still moves LastUpdate")
				assert.False(t, b.Remove("mallory"))
				assert.Equal(t, before, dump(t, b))
				requireScores(t, b, want)
				require.NoError(t, b.Update("dave", 1, now))
			})
		}
	}
}

// Past timestamps are never refused: their weight underflows to 0, which is
// their decayed value, and nobody else is touched.
func TestFarPastTimestampIsHarmless(t *testing.T) {
	pinClock(t, now)
	for _, decay := range []float64{0.5, 0.95} {
		b, err := New(decay, 0)
		require.NoError(t, err)
		want := residents(t, b)
		require.NoError(t, b.Update("ancient", 1, math.MinInt64))
		requireScores(t, b, want)
		require.True(t, b.Remove("ancient"))
		requireScores(t, b, want)
	}
}

// A board whose only user is fifty years old moves on to the present (the
// drop-in's test of a half-life of a day): the old score is ~0 now anyway.
func TestFiftyYearsOldThenNow(t *testing.T) {
	pinClock(t, now)
	b, err := New(0.5, 0)
	require.NoError(t, err)
	require.NoError(t, b.Update("old", 1, now-50*365*day))
	require.NoError(t, b.Update("new", 3, now))
	s, _ := b.Score("new", float64(now))
	assert.Equal(t, 3.0, s)
	s, _ = b.Score("old", float64(now))
	assert.True(t, s >= 0 && s < 1e-300)
}

// The wall clock is read again when a timestamp is beyond the horizon of
// its last reading, so a long-lived board keeps accepting the present.
func TestHorizonFollowsTheWallClock(t *testing.T) {
	clock := now
	old := wallClock
	t.Cleanup(func() { wallClock = old })
	wallClock = func() int64 { return clock }
	b, err := New(0.5, 0)
	require.NoError(t, err)
	require.NoError(t, b.Update("a", 1, now+865*day))
	require.ErrorIs(t, b.Update("a", 1, now+870*day), ErrTimestampRange)
	clock += 10 * day
	require.NoError(t, b.Update("a", 1, now+870*day))
}

func TestTenYearsAhead(t *testing.T) {
	pinClock(t, now)
	ahead := now + 3650*day
	// f = 0.5: 3650 days is beyond the 865-day horizon.
	b, err := New(0.5, 0)
	require.NoError(t, err)
	want := residents(t, b)
	require.ErrorIs(t, b.Update("mallory", 1, ahead), ErrTimestampRange)
	requireScores(t, b, want)

	// f = 0.95: ten years is within its 32-year horizon and needs no rebase,
	// so nobody else's value changes, before or after the removal.
	b, err = New(0.95, 0)
	require.NoError(t, err)
	want = residents(t, b)
	require.NoError(t, b.Update("mallory", 1, ahead))
	requireScores(t, b, want)
	assert.True(t, b.Remove("mallory"))
	requireScores(t, b, want)
}

// An outlier cannot become the landmark of an empty board either.
func TestOutlierFirstOnEmptyBoard(t *testing.T) {
	pinClock(t, now)
	b, err := New(0.95, 0)
	require.NoError(t, err)
	require.ErrorIs(t, b.Update("mallory", 1, now*1000), ErrTimestampRange)
	assert.Equal(t, 0, b.Len())
	require.NoError(t, b.Update("alice", 10, now))
	s, _ := b.Score("alice", float64(now+day))
	assert.InEpsilon(t, 9.5, s, 1e-12)
}

func TestNoDecayAcceptsAnyTimestamp(t *testing.T) {
	pinClock(t, now)
	b, err := New(1, 0)
	require.NoError(t, err)
	for i, ts := range []int64{now, now * 1000, math.MaxInt64, math.MinInt64, 0} {
		require.NoError(t, b.Update(fmt.Sprint("u", i), float64(i+1), ts))
	}
	require.NoError(t, b.Update("u0", 1, math.MaxInt64))
	s, _ := b.Score("u0", float64(now))
	assert.Equal(t, 2.0, s)
}

// A board that advances in steps shorter than its horizon never gets stuck,
// however long it lives.
func TestSteadyTrafficCrossesManyHorizons(t *testing.T) {
	b, err := New(0.5, 0)
	require.NoError(t, err)
	for ts := int64(0); ts < 40*365*day; ts += 7 * day {
		require.NoError(t, b.Update(fmt.Sprint("w", ts%(70*day)), 1, ts))
	}
	checkTree(t, b)
}

func TestSnapshotWithFarFutureEntryIsRefused(t *testing.T) {
	pinClock(t, now)
	for _, decay := range []float64{0.5, 0.95} {
		for name, ts := range map[string]int64{"milliseconds": now * 1000, "ten years": now + 3650*day} {
			if decay == 0.95 && name == "ten years" {
				continue // representable: see TestTenYearsAhead
			}
			t.Run(fmt.Sprintf("%v/%s", decay, name), func(t *testing.T) {
				input := fmt.Sprintf(`{"decay_factor":%v,"max_users":0,"entries":[
					{"user_id":"mallory","score":1,"last_update":%d},
					{"user_id":"alice","score":150.5,"last_update":%d}]}`, decay, ts, now)
				b := sampleBoard(t)
				before := dump(t, b)
				err := b.ReadSnapshot(strings.NewReader(input))
				require.ErrorIs(t, err, ErrSnapshot)
				require.ErrorIs(t, err, ErrTimestampRange)
				assert.Equal(t, before, dump(t, b))

				path := filepath.Join(t.TempDir(), "s.json")
				require.NoError(t, os.WriteFile(path, []byte(input), 0o644))
				err = b.Load(path)
				require.ErrorIs(t, err, ErrSnapshot)
				require.ErrorIs(t, err, ErrTimestampRange)
				assert.Equal(t, before, dump(t, b))
			})
		}
	}
	// Nor may the landmark of an exact snapshot lie beyond the horizon.
	b := sampleBoard(t)
	err := b.ReadSnapshot(strings.NewReader(fmt.Sprintf(`{"decay_factor":0.5,"max_users":0,"landmark":%d,"entries":[
		{"user_id":"alice","score":150.5,"last_update":%d,"g":0}]}`, now*1000, now)))
	require.ErrorIs(t, err, ErrTimestampRange)
	require.ErrorIs(t, err, ErrSnapshot)

	// With no decay any timestamps load.
	b = sampleBoard(t)
	require.NoError(t, b.ReadSnapshot(strings.NewReader(fmt.Sprintf(`{"decay_factor":1,"max_users":0,"entries":[
		{"user_id":"mallory","score":1,"last_update":%d},
		{"user_id":"alice","score":150.5,"last_update":%d}]}`, int64(math.MaxInt64), int64(math.MinInt64)))))
	s, _ := b.Score("alice", float64(now))
	assert.Equal(t, 150.5, s)
}

package redisboard

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/engagehub/engagehub-native/core/leaderboard"
	"github.com/engagehub/engagehub-native/core/redisconn/redistest"
)

const t0 = 1_700_000_000

func open(t *testing.T, url, name string, decay float64, maxUsers int) *Board {
	t.Helper()
	b, err := Open(url, name, decay, maxUsers, Options{})
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	return b
}

// stream is a reproducible update stream: integer points (many exact
// ties), fractional points, negative points, out-of-order timestamps
// spread over span seconds.
func stream(seed uint64, n, users int, span int64) (ids []string, pts []float64, ts []int64) {
	r := rand.New(rand.NewPCG(seed, 1))
	for range n {
		ids = append(ids, "user"+strconv.Itoa(r.IntN(users)))
		switch r.IntN(4) {
		case 0:
			pts = append(pts, r.Float64()*100)
		case 1:
			pts = append(pts, -r.Float64()*10)
		default:
			pts = append(pts, float64(1+r.IntN(5)))
		}
		ts = append(ts, t0+r.Int64N(span))
	}
	return
}

// requireSameRanking compares two rankings: equal length and users, scores
// equal to a relative 1e-12 (the weights are computed by Go's math.Exp in
// one and C's exp in the other, each within one ulp of exact, and a score
// sums at most a few hundred of them), and the same order except between
// users whose scores are that close.
func requireSameRanking(t *testing.T, want, got []leaderboard.Entry) {
	t.Helper()
	require.Equal(t, len(want), len(got))
	close := func(a, b float64) bool {
		return a == b || math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
	}
	byID := map[string]leaderboard.Entry{}
	for _, e := range got {
		byID[e.UserID] = e
	}
	for i, w := range want {
		g, ok := byID[w.UserID]
		require.True(t, ok, "user %s missing", w.UserID)
		require.True(t, close(w.Score, g.Score), "user %s: score %v, want %v", w.UserID, g.Score, w.Score)
		require.Equal(t, w.LastUpdate, g.LastUpdate, "user %s", w.UserID)
		if got[i].UserID != w.UserID {
			require.True(t, close(w.Score, got[i].Score), "rank %d: %s (%v), want %s (%v)",
				i+1, got[i].UserID, got[i].Score, w.UserID, w.Score)
		}
		require.Equal(t, i+1, got[i].Rank)
	}
}

func replay(t *testing.T, s *redistest.Server, name string, decay float64, maxUsers int, ids []string, pts []float64, ts []int64) (*leaderboard.Board, *Board) {
	t.Helper()
	emb, err := leaderboard.New(decay, maxUsers)
	require.NoError(t, err)
	rb := open(t, s.URL(), name, decay, maxUsers)
	for lo := 0; lo < len(ids); lo += 700 {
		hi := min(lo+700, len(ids))
		emb.UpdateMany(ids[lo:hi], pts[lo:hi], ts[lo:hi])
		require.NoError(t, rb.Submit(ids[lo:hi], pts[lo:hi], ts[lo:hi]))
	}
	require.NoError(t, rb.Sync())
	n, _ := rb.Refusals()
	require.Zero(t, n)
	return emb, rb
}

func TestMatchesEmbeddedBoard(t *testing.T) {
	s := redistest.Start(t)
	cases := []struct {
		name     string
		decay    float64
		maxUsers int
		span     int64
	}{
		{"decay95", 0.95, 0, 30 * 86400},
		{"nodecay", 1, 0, 86400},
		{"trimmed", 0.9, 150, 10 * 86400},
		// f = 0.5 over three years: the landmark moves (rebase) mid-stream.
		{"rebase", 0.5, 0, 3 * 365 * 86400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ids, pts, ts := stream(uint64(len(c.name)), 20000, 400, c.span)
			emb, rb := replay(t, s, c.name, c.decay, c.maxUsers, ids, pts, ts)
			now := float64(t0 + c.span)
			want := emb.Page(0, 1000, now)
			got, err := rb.Page(0, 1000, now)
			require.NoError(t, err)
			requireSameRanking(t, want, got)
			n, err := rb.Len()
			require.NoError(t, err)
			assert.Equal(t, emb.Len(), n)
			for _, id := range []string{"user0", "user17", "nobody"} {
				we, wok := emb.Rank(id, now)
				ge, gok, err := rb.Rank(id, now)
				require.NoError(t, err)
				require.Equal(t, wok, gok)
				if wok {
					requireSameRanking(t, []leaderboard.Entry{we}, []leaderboard.Entry{{UserID: ge.UserID, Score: ge.Score, Rank: 1, LastUpdate: ge.LastUpdate}})
					assert.InDelta(t, we.Rank, ge.Rank, 1)
				}
				wa, _ := emb.Around(id, 3, 2, now)
				ga, err := rb.Around(id, 3, 2, now)
				require.NoError(t, err)
				require.Equal(t, len(wa), len(ga))
			}
		})
	}
}

func TestRebaseStoredBeside(t *testing.T) {
	s := redistest.Start(t)
	rb := open(t, s.URL(), "landmark", 0.5, 0)
	require.NoError(t, rb.Submit([]string{"a", "b"}, []float64{1, 1}, []int64{t0, t0 + 500*86400}))
	require.NoError(t, rb.Sync())
	// 500 days at f = 0.5 is an exponent of 347 > 300: the landmark moved.
	l, err := s.Raw(t).HGet(context.Background(), "{engagehub:board:landmark}:meta", "landmark").Result()
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(t0+500*86400), l)
	top, err := rb.Page(0, 2, t0+500*86400)
	require.NoError(t, err)
	assert.Equal(t, "b", top[0].UserID)
	assert.Equal(t, 1.0, top[0].Score)
}

func TestTiesByUserIDAscending(t *testing.T) {
	s := redistest.Start(t)
	rb := open(t, s.URL(), "ties", 0.95, 0)
	require.NoError(t, rb.Submit([]string{"c", "a", "b", "d"}, []float64{5, 5, 5, 7}, []int64{t0, t0, t0, t0}))
	top, err := rb.Page(0, 10, t0)
	require.NoError(t, err)
	var order []string
	for _, e := range top {
		order = append(order, e.UserID)
	}
	assert.Equal(t, []string{"d", "a", "b", "c"}, order)
	e, ok, err := rb.Rank("b", t0)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, 3, e.Rank)
}

func TestRefusesFarFuture(t *testing.T) {
	s := redistest.Start(t)
	rb := open(t, s.URL(), "future", 0.5, 0)
	far := time.Now().Unix() + 2000*86400 // beyond f = 0.5's horizon of 865 days
	require.NoError(t, rb.Submit([]string{"a", "b"}, []float64{1, 1}, []int64{far, t0}))
	require.NoError(t, rb.Sync())
	n, err := rb.Refusals()
	assert.Equal(t, 1, n)
	assert.ErrorIs(t, err, leaderboard.ErrTimestampRange)
	l, err := rb.Len()
	require.NoError(t, err)
	assert.Equal(t, 1, l)
}

func TestRemoveAndClear(t *testing.T) {
	s := redistest.Start(t)
	rb := open(t, s.URL(), "remove", 0.95, 0)
	require.NoError(t, rb.Submit([]string{"a", "b"}, []float64{1, 2}, []int64{t0, t0}))
	ok, err := rb.Remove("a")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = rb.Remove("a")
	require.NoError(t, err)
	assert.False(t, ok)
	require.NoError(t, rb.Clear())
	n, err := rb.Len()
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestSnapshotRoundTrip(t *testing.T) {
	s := redistest.Start(t)
	ids, pts, ts := stream(7, 3000, 200, 20*86400)
	emb, rb := replay(t, s, "snap", 0.9, 0, ids, pts, ts)
	dir := t.TempDir()
	// A snapshot of the Redis board loads into an embedded one ...
	require.NoError(t, rb.Save(filepath.Join(dir, "redis.json")))
	back, err := leaderboard.New(0.5, 1)
	require.NoError(t, err)
	require.NoError(t, back.Load(filepath.Join(dir, "redis.json")))
	now := float64(t0 + 20*86400)
	requireSameRanking(t, emb.Page(0, 500, now), back.Page(0, 500, now))
	// ... and an embedded board's snapshot replaces a Redis board exactly.
	require.NoError(t, emb.Save(filepath.Join(dir, "emb.json")))
	other := open(t, s.URL(), "snap2", 0.5, 3)
	require.NoError(t, other.Load(filepath.Join(dir, "emb.json")))
	assert.Equal(t, 0.9, other.DecayFactor())
	got, err := other.Page(0, 500, now)
	require.NoError(t, err)
	want := emb.Page(0, 500, now)
	require.Equal(t, len(want), len(got))
	for i := range want {
		assert.Equal(t, want[i], got[i]) // G values copied bit for bit
	}
	// A malformed file leaves the board as it was.
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"decay_factor": 0.5, "entries": [`), 0o644))
	require.ErrorIs(t, other.Load(bad), leaderboard.ErrSnapshot)
	n, err := other.Len()
	require.NoError(t, err)
	assert.Equal(t, emb.Len(), n)
}

func TestDecayMismatchRefused(t *testing.T) {
	s := redistest.Start(t)
	rb := open(t, s.URL(), "mismatch", 0.95, 0)
	require.NoError(t, rb.Submit([]string{"a"}, []float64{1}, []int64{t0}))
	require.NoError(t, rb.Sync())
	_, err := Open(s.URL(), "mismatch", 0.5, 0, Options{})
	require.ErrorIs(t, err, ErrConfigMismatch)
	same, err := Open(s.URL(), "mismatch", 0.95, 10, Options{})
	require.NoError(t, err)
	defer same.Close()
	assert.Equal(t, 10, same.MaxUsers())
}

func TestBadURLs(t *testing.T) {
	for _, u := range []string{"", "localhost:6379", "http://x:1", "redis://", "redis://h:1/x",
		"redis+cluster://h:1,,h:2", "redis+cluster://h:1,h/0", "redis+cluster://h:1/3", "redis://h:1?bogus=1"} {
		_, err := Open(u, "x", 0.95, 0, Options{})
		assert.ErrorIs(t, err, ErrInvalidURL, "%q", u)
	}
	_, err := Open("redis://user:s3cret@h:notaport/0", "x", 0.95, 0, Options{})
	require.ErrorIs(t, err, ErrInvalidURL)
	assert.NotContains(t, err.Error(), "s3cret")
	for _, name := range []string{"", "a{b", "c}"} {
		_, err := Open("redis://127.0.0.1:1", name, 0.95, 0, Options{})
		assert.ErrorIs(t, err, ErrInvalidName)
	}
	_, err = Open("redis://127.0.0.1:1", "x", 1.5, 0, Options{})
	assert.ErrorIs(t, err, leaderboard.ErrInvalidDecay)
}

func TestUnreachableFailsFast(t *testing.T) {
	start := time.Now()
	_, err := Open("redis://127.0.0.1:"+strconv.Itoa(redistest.FreePort(t)), "x", 0.95, 0, Options{})
	require.ErrorIs(t, err, ErrUnavailable)
	assert.Less(t, time.Since(start), 6*time.Second)
}

func TestWrongPassword(t *testing.T) {
	s := redistest.Start(t, "--requirepass", "right")
	_, err := Open("redis://:wrong@127.0.0.1:"+strconv.Itoa(s.Port), "x", 0.95, 0, Options{})
	require.ErrorIs(t, err, ErrUnavailable)
	assert.Contains(t, err.Error(), "credentials")
	assert.NotContains(t, err.Error(), "wrong@")
	_, err = Open(s.URL(), "x", 0.95, 0, Options{})
	require.ErrorIs(t, err, ErrUnavailable)
	rb, err := Open("redis://:right@127.0.0.1:"+strconv.Itoa(s.Port), "x", 0.95, 0, Options{})
	require.NoError(t, err)
	rb.Close()
}

func TestQueuesWhileDownAndDrains(t *testing.T) {
	s := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	rb, err := Open(s.URL(), "restart", 0.95, 0, Options{MaxQueued: 5000})
	require.NoError(t, err)
	defer rb.Close()
	require.NoError(t, rb.Submit([]string{"a"}, []float64{1}, []int64{t0}))
	require.NoError(t, rb.Sync())
	s.Stop()
	ids := make([]string, 3000)
	pts := make([]float64, 3000)
	ts := make([]int64, 3000)
	for i := range ids {
		ids[i], pts[i], ts[i] = "a", 1, t0
	}
	require.NoError(t, rb.Submit(ids, pts, ts))
	require.NoError(t, rb.Submit(ids, pts, ts)) // 1000 of these past the bound
	start := time.Now()
	_, err = rb.Len()
	require.ErrorIs(t, err, ErrUnavailable)
	assert.Contains(t, err.Error(), "queued")
	assert.Less(t, time.Since(start), 8*time.Second)
	st := rb.Stats()
	assert.Equal(t, uint64(1000), st.Dropped)
	assert.False(t, st.Connected)
	s.Start(t)
	deadline := time.Now().Add(20 * time.Second)
	for rb.Sync() != nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	require.NoError(t, rb.Sync())
	e, ok, err := rb.Rank("a", t0)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, 5001.0, e.Score) // 1 before, 5000 queued: each applied once
	st = rb.Stats()
	assert.Equal(t, uint64(5001), st.Applied)
	assert.Zero(t, st.Queued)
	assert.True(t, st.Connected)
	assert.Positive(t, st.Retries)
}

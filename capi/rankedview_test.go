package main

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/engagehub/engagehub-native/core/leaderboard"
	"github.com/engagehub/engagehub-native/core/redisboard"
	"github.com/engagehub/engagehub-native/core/redisconn/redistest"
)

func TestUnsupportedOnRedisIsInvalidArgument(t *testing.T) {
	err := fmt.Errorf("dense rank: %w", redisboard.ErrUnsupported)
	assert.Equal(t, ehErrInvalidArgument, int(statusOf(err)))
}

// TestRankedViewsAgree reads an embedded board and a board in Redis, fed
// the same tied integer updates, through the interface the statistics
// exports use: the same competition ranks, percentiles and entries at
// percentiles; dense rank is refused on Redis only.
func TestRankedViewsAgree(t *testing.T) {
	s := redistest.Start(t)
	const t0 = 1_700_000_000
	emb, err := leaderboard.New(1, 0)
	require.NoError(t, err)
	rb, err := redisboard.Open(s.URL(), "views", 1, 0, redisboard.Options{})
	require.NoError(t, err)
	defer rb.Close()
	var ids []string
	var pts []float64
	var ts []int64
	for i := range 300 {
		ids = append(ids, "u"+strconv.Itoa(i%120))
		pts = append(pts, float64(1+i%4))
		ts = append(ts, t0+int64(i))
	}
	emb.UpdateMany(ids, pts, ts)
	require.NoError(t, rb.Submit(ids, pts, ts))
	require.NoError(t, rb.Sync())
	views := []rankedView{embeddedView{emb}, redisBoard{rb, new(boardStats)}}

	collect := func(v rankedView, offset, limit int) []string {
		var out []string
		require.NoError(t, v.VisitAs(leaderboard.Competition, offset, limit, t0, func(e leaderboard.Entry) bool {
			out = append(out, e.UserID+":"+strconv.Itoa(e.Rank))
			return len(out) < 50 // stopping early is honoured
		}))
		return out
	}
	for _, off := range []int{0, 7, 33, 110} {
		assert.Equal(t, collect(views[0], off, 60), collect(views[1], off, 60), "offset %d", off)
	}
	for _, id := range []string{"u0", "u5", "u77", "nobody"} {
		we, wok, err := views[0].RankAs(leaderboard.Competition, id, t0)
		require.NoError(t, err)
		ge, gok, err := views[1].RankAs(leaderboard.Competition, id, t0)
		require.NoError(t, err)
		assert.Equal(t, wok, gok)
		assert.Equal(t, we.Rank, ge.Rank, id)
		wp, wok, _ := views[0].Percentile(id)
		gp, gok, err := views[1].Percentile(id)
		require.NoError(t, err)
		assert.Equal(t, wok, gok)
		assert.Equal(t, wp, gp, id)
		wa, _, _ := views[0].AroundAs(leaderboard.Competition, id, 2, 2, t0)
		ga, _, err := views[1].AroundAs(leaderboard.Competition, id, 2, 2, t0)
		require.NoError(t, err)
		assert.Equal(t, wa, ga, id)
	}
	for _, p := range []float64{0, 12.5, 50, 99.9, 100} {
		we, _, _ := views[0].AtPercentile(leaderboard.Competition, p, t0)
		ge, _, err := views[1].AtPercentile(leaderboard.Competition, p, t0)
		require.NoError(t, err)
		assert.Equal(t, we, ge, "p=%v", p)
	}
	n0, _ := views[0].Len()
	n1, err := views[1].Len()
	require.NoError(t, err)
	assert.Equal(t, n0, n1)
	_, _, err = views[0].RankAs(leaderboard.Dense, "u0", t0)
	require.NoError(t, err)
	_, _, err = views[1].RankAs(leaderboard.Dense, "u0", t0)
	require.ErrorIs(t, err, redisboard.ErrUnsupported)
	assert.Equal(t, ehErrInvalidArgument, int(statusOf(err)))
}

package leaderboard

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUpdateManySkipsWhatUpdateRefuses(t *testing.T) {
	b, err := New(1, 0)
	require.NoError(t, err)
	refused, first := b.UpdateMany([]string{"a", "\xff", "b", "a"}, []float64{1, 1, 2, 3}, []int64{10, 10, 10, 11})
	assert.Equal(t, 1, refused)
	require.ErrorIs(t, first, ErrInvalidUserID)
	assert.Contains(t, first.Error(), "update 1")
	e, ok := b.Rank("a", 20)
	require.True(t, ok)
	assert.Equal(t, 4.0, e.Score)
	assert.Equal(t, int64(11), e.LastUpdate)
	assert.Equal(t, 2, b.Len())
}

func TestBackgroundAppliesInOrderAndSyncSeesEverything(t *testing.T) {
	b, err := New(1, 0)
	require.NoError(t, err)
	g := NewBackground(b)
	const batches, per = 50, 100
	for k := range batches {
		ids := make([]string, per)
		pts := make([]float64, per)
		tss := make([]int64, per)
		for i := range ids {
			ids[i] = fmt.Sprintf("u%d", i)
			pts[i] = float64(k) // later batches add more: order shows in LastUpdate
			tss[i] = int64(1000 + k)
		}
		g.Submit(ids, pts, tss, k*per, nil)
	}
	g.Sync()
	assert.Equal(t, per, b.Len())
	e, ok := b.Rank("u7", 2000)
	require.True(t, ok)
	assert.Equal(t, float64(batches*(batches-1)/2), e.Score)
	assert.Equal(t, int64(1000+batches-1), e.LastUpdate)
	n, first := g.Refusals()
	assert.Zero(t, n)
	assert.NoError(t, first)
}

func TestBackgroundCountsRefusalsUntilAsked(t *testing.T) {
	b, err := New(1, 0)
	require.NoError(t, err)
	g := NewBackground(b)
	// Numbered as the caller's updates 40000, 40001, then 40002.
	g.Submit([]string{"ok", "nan"}, []float64{1, math.NaN()}, []int64{1, 1}, 40_000, nil)
	g.Submit([]string{"inf"}, []float64{math.Inf(1)}, []int64{1}, 40_002, nil)
	g.Sync()
	n, first := g.Refusals()
	assert.Equal(t, 2, n)
	require.ErrorIs(t, first, ErrInvalidPoints)
	var refusal *UpdateError
	require.ErrorAs(t, first, &refusal)
	assert.Equal(t, UpdateError{Index: 40_001, UserID: "nan", Timestamp: 1, Err: ErrInvalidPoints}, *refusal)
	assert.Contains(t, first.Error(), `update 40001 (user "nan")`)
	n, first = g.Refusals()
	assert.Zero(t, n)
	assert.NoError(t, first)

	// Updates without numbers (gathered from many calls) are named by user.
	g.Submit([]string{"staged"}, []float64{math.NaN()}, []int64{7}, -1, nil)
	g.Sync()
	n, first = g.Refusals()
	assert.Equal(t, 1, n)
	require.ErrorIs(t, first, ErrInvalidPoints)
	assert.Contains(t, first.Error(), `update of user "staged" at 7: `)
	assert.NotContains(t, first.Error(), "update 0")
}

func TestBackgroundWithConcurrentReaders(t *testing.T) {
	b, err := New(0.95, 0)
	require.NoError(t, err)
	g := NewBackground(b)
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				g.Sync()
				_ = b.Top(10, 5000)
			}
		}()
	}
	for k := range 200 {
		g.Submit([]string{fmt.Sprintf("u%d", k%37)}, []float64{1}, []int64{int64(1000 + k)}, -1, nil)
	}
	g.Sync()
	done <- struct{}{}
	done <- struct{}{}
	done <- struct{}{}
	wg.Wait()
	assert.Equal(t, 37, b.Len())
}

// Batches that wait while the applier is busy are applied together: each
// keeps its own numbering of refusals and its own applied call, in order,
// and by the time the first of them is called applied, the last is on the
// board too.
func TestBackgroundAppliesWaitingBatchesTogether(t *testing.T) {
	b, err := New(1, 0)
	require.NoError(t, err)
	g := NewBackground(b)
	batchOf := func(name string, n, nanAt int) ([]string, []float64, []int64) {
		ids, pts, tss := make([]string, n), make([]float64, n), make([]int64, n)
		for i := range ids {
			ids[i], pts[i], tss[i] = fmt.Sprintf("%s-%05d", name, i), float64(i%1000+1), 100
		}
		if nanAt >= 0 {
			pts[nanAt] = math.NaN()
		}
		return ids, pts, tss
	}
	var mu sync.Mutex
	var order []string
	var lastThere bool
	entered, release := make(chan struct{}), make(chan struct{})
	ids, pts, tss := batchOf("a", 10, -1)
	g.Submit(ids, pts, tss, 0, func() { close(entered); <-release })
	<-entered // the applier is busy with batch a until released
	ids, pts, tss = batchOf("b", 3000, 5)
	g.Submit(ids, pts, tss, 10, func() {
		_, there := b.Score("c-02999", 200)
		mu.Lock()
		order, lastThere = append(order, "b"), there
		mu.Unlock()
	})
	ids, pts, tss = batchOf("c", 3000, 7)
	g.Submit(ids, pts, tss, 3010, func() {
		mu.Lock()
		order = append(order, "c")
		mu.Unlock()
	})
	close(release)
	g.Sync()
	assert.Equal(t, []string{"b", "c"}, order)
	assert.True(t, lastThere, "batch c applied with batch b")
	assert.Equal(t, 10+2*2999, b.Len())
	checkTree(t, b)
	n, first := g.Refusals()
	assert.Equal(t, 2, n)
	var refusal *UpdateError
	require.ErrorAs(t, first, &refusal)
	assert.Equal(t, 15, refusal.Index) // batch b's update 5, numbered from 10
	assert.Equal(t, "b-00005", refusal.UserID)
	e, ok := b.Rank("c-00999", 200)
	require.True(t, ok)
	assert.Equal(t, 1000.0, e.Score)
}

// TestBackgroundBoundsWaitingUpdates: while a run is applied, Submit takes
// batches until maxWaitingUpdates updates wait beside it, and the next one
// waits until the run is done, then joins the next run.
func TestBackgroundBoundsWaitingUpdates(t *testing.T) {
	b, err := New(1, 0)
	require.NoError(t, err)
	g := NewBackground(b)
	const per = 1024
	batchOf := func(k int) ([]string, []float64, []int64) {
		ids, pts, tss := make([]string, per), make([]float64, per), make([]int64, per)
		for i := range ids {
			ids[i], pts[i], tss[i] = fmt.Sprintf("u%06d", (k*per+i)%5000), 1, 100
		}
		return ids, pts, tss
	}
	entered, release := make(chan struct{}), make(chan struct{})
	ids, pts, tss := batchOf(0)
	g.Submit(ids, pts, tss, 0, func() { close(entered); <-release })
	<-entered // the applier is busy with batch 0 until released
	k := 1
	for ; k <= maxWaitingUpdates/per; k++ { // would block the test if over the bound
		ids, pts, tss = batchOf(k)
		g.Submit(ids, pts, tss, k*per, nil)
	}
	submitted := make(chan struct{})
	go func() {
		ids, pts, tss := batchOf(k)
		g.Submit(ids, pts, tss, k*per, nil)
		close(submitted)
	}()
	select {
	case <-submitted:
		t.Fatal("Submit took a batch past maxWaitingUpdates")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	select {
	case <-submitted:
	case <-time.After(10 * time.Second):
		t.Fatal("Submit still waits after the run was applied")
	}
	g.Sync()
	e, ok := b.Rank("u000007", 200)
	require.True(t, ok)
	// Batches 0..k hold (k+1)·1024 updates over 5,000 users, one point each.
	assert.Equal(t, float64(((k+1)*per-7+4999)/5000), e.Score)
	checkTree(t, b)
}

// TestBackgroundReadsWaitForTheTree covers runs that end while their new
// users are still being put in the tree (finishRun): batches of new users,
// large enough to gather and to hand groups to the placer, with updates of
// users already on the board and refusals among them. As soon as Sync
// returns, the refusals are known and every read, each taking the board's
// lock, must find what a twin driven by UpdateMany holds; a reader beside
// the submissions must find a sound board at any time.
func TestBackgroundReadsWaitForTheTree(t *testing.T) {
	b, err := New(0.9, 0)
	require.NoError(t, err)
	twin, err := New(0.9, 0)
	require.NoError(t, err)
	g := NewBackground(b)
	ids := snowflakeIDs(4*placeFrom, 17)
	stop := make(chan struct{})
	var reader sync.WaitGroup
	reader.Add(1)
	go func() {
		defer reader.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if n := b.Len(); n > 0 { // the board only grows: rank n is still there
				page := b.Page(n-1, 1, float64(benchBase))
				if assert.Len(t, page, 1) {
					assert.Equal(t, n, page[0].Rank)
				}
			}
		}
	}()
	wantRefused := 0
	for round := range 4 {
		n := placeFrom + 3000
		us, ps, ts := make([]string, n), make([]float64, n), make([]int64, n)
		for i := range us {
			us[i], ps[i], ts[i] = ids[(round*placeFrom+i)%len(ids)], float64(1+i%50), benchBase+int64(i)
			if i%5000 == 7 {
				ps[i] = math.NaN()
			}
		}
		r, _ := twin.UpdateMany(us, ps, ts)
		wantRefused += r
		for lo := 0; lo < n; lo += 4096 {
			hi := min(n, lo+4096)
			g.Submit(us[lo:hi], ps[lo:hi], ts[lo:hi], lo, nil)
		}
		g.Sync()
		refused, _ := g.Refusals()
		require.Equal(t, wantRefused, refused, "round %d", round)
		wantRefused = 0
		requireSamePage(t, twin, b, float64(benchBase+60))
	}
	close(stop)
	reader.Wait()
	b.mu.RLock()
	defer b.mu.RUnlock()
	require.Nil(t, b.placing())
	require.Zero(t, b.waiting())
	checkTree(t, b)
}

// TestBackgroundRunWithinAUserLimit: on a board with a user limit, a run
// whose batches together could evict gathers nothing (see
// TestGatherRunStopsBeforeALimit for batches that arrive during a run);
// the board must equal a twin driven by Update in the same order.
func TestBackgroundRunWithinAUserLimit(t *testing.T) {
	const limit, per = 10_000, gatherFrom
	b, err := New(1, limit)
	require.NoError(t, err)
	twin, err := New(1, limit)
	require.NoError(t, err)
	g := NewBackground(b)
	entered, release := make(chan struct{}), make(chan struct{})
	g.Submit([]string{"first"}, []float64{1}, []int64{1}, 0, func() { close(entered); <-release })
	require.NoError(t, twin.Update("first", 1, 1))
	<-entered // the next batches wait, then go in one run
	for k := range 4 {
		ids, pts, tss := newUsersBatch(t, twin, k, per)
		g.Submit(ids, pts, tss, 1+k*per, nil)
	}
	close(release)
	g.Sync()
	require.Equal(t, limit, b.Len())
	require.Zero(t, b.waiting())
	checkTree(t, b)
	requireSamePage(t, twin, b, 10)
}

// TestGatherRunStopsBeforeALimit: a run on a board with a user limit
// gathers new users' keys while they and the batches taken so far fit, and
// places them before a batch that could evict, which then evicts in order
// of arrival: the board must equal a twin driven by Update.
func TestGatherRunStopsBeforeALimit(t *testing.T) {
	const limit, per = 10_000, gatherFrom
	b, err := New(1, limit)
	require.NoError(t, err)
	twin, err := New(1, limit)
	require.NoError(t, err)
	var place func()
	for k, gathers := range []bool{true, true, false, false} {
		ids, pts, tss := newUsersBatch(t, twin, k, per)
		place = b.gatherRun(per, place)
		require.Equal(t, gathers, b.arrivals.gathering, "batch %d", k)
		require.Equal(t, gathers, place != nil, "batch %d", k)
		if !gathers {
			require.Zero(t, b.waiting(), "batch %d: what waited was placed first", k)
		}
		refused, err := b.applyUpdates(ids, pts, tss, true)
		require.Zero(t, refused)
		require.NoError(t, err)
	}
	require.Equal(t, limit, b.Len())
	checkTree(t, b)
	requireSamePage(t, twin, b, 10)
}

// newUsersBatch returns batch k of n users new to the board, with tied
// points, after applying it to twin one Update at a time.
func newUsersBatch(t *testing.T, twin *Board, k, n int) ([]string, []float64, []int64) {
	t.Helper()
	ids, pts, tss := make([]string, n), make([]float64, n), make([]int64, n)
	for i := range ids {
		ids[i], pts[i], tss[i] = fmt.Sprintf("b%d-%05d", k, i), float64((i*7919+k)%5000), 2
		require.NoError(t, twin.Update(ids[i], pts[i], tss[i]))
	}
	return ids, pts, tss
}

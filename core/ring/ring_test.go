package ring

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewCapacity(t *testing.T) {
	tests := []struct {
		in, want int
	}{
		{1, 2}, {2, 2}, {3, 4}, {4, 4}, {5, 8}, {1000, 1024}, {1024, 1024},
		{1025, 2048}, {1 << 20, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.in), func(t *testing.T) {
			r, err := New[int](tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, r.Cap())
			assert.Equal(t, 0, r.Len())
		})
	}
}

func TestNewInvalidCapacity(t *testing.T) {
	for _, c := range []int{0, -1, -1 << 40, MaxCapacity + 1, 1 << 40} {
		r, err := New[int](c)
		require.ErrorIs(t, err, ErrInvalidCapacity, "capacity %d", c)
		assert.Nil(t, r)
	}
}

func TestMaxCapacityAccepted(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 1<<30 slots")
	}
	if unsafe.Sizeof(uintptr(0)) < 8 {
		t.Skip("32-bit")
	}
	// Only check the rounding arithmetic at the bound, without the allocation.
	n := 2
	for n < MaxCapacity {
		n <<= 1
	}
	assert.Equal(t, MaxCapacity, n)
}

func TestFullAndEmptyEdges(t *testing.T) {
	r, err := New[int](4)
	require.NoError(t, err)

	v, ok := r.TryPop()
	assert.False(t, ok, "pop from a new ring")
	assert.Zero(t, v)

	for i := range 4 {
		require.True(t, r.TryPush(i), "push %d", i)
		assert.Equal(t, i+1, r.Len())
	}
	assert.False(t, r.TryPush(99), "push into a full ring")
	assert.Equal(t, 4, r.Len())

	// One pop frees exactly one slot.
	v, ok = r.TryPop()
	require.True(t, ok)
	assert.Equal(t, 0, v)
	assert.True(t, r.TryPush(4))
	assert.False(t, r.TryPush(5))

	for want := 1; want <= 4; want++ {
		v, ok = r.TryPop()
		require.True(t, ok)
		assert.Equal(t, want, v)
	}
	v, ok = r.TryPop()
	assert.False(t, ok, "pop from a drained ring")
	assert.Zero(t, v)
	assert.Equal(t, 0, r.Len())
}

func TestMinimumCapacityTwo(t *testing.T) {
	// Capacity 1 is rounded to 2, the smallest size the sequence scheme can
	// tell full from empty with.
	r, err := New[string](1)
	require.NoError(t, err)
	require.True(t, r.TryPush("a"))
	require.True(t, r.TryPush("b"))
	require.False(t, r.TryPush("c"))
	for _, want := range []string{"a", "b"} {
		v, ok := r.TryPop()
		require.True(t, ok)
		assert.Equal(t, want, v)
	}
	_, ok := r.TryPop()
	assert.False(t, ok)
}

func TestWrapAroundManyTimes(t *testing.T) {
	r, err := New[uint64](8)
	require.NoError(t, err)
	var next, want uint64
	// 1000 laps of the ring with a fill level that keeps changing, so every
	// slot is reused at every offset.
	for lap := range 1000 {
		for i := 0; i < 1+lap%8 && r.TryPush(next); i++ {
			next++
		}
		for i := 0; i < 1+(lap*5)%8; i++ {
			v, ok := r.TryPop()
			if !ok {
				break
			}
			require.Equal(t, want, v)
			want++
		}
		require.Equal(t, int(next-want), r.Len())
	}
	for {
		v, ok := r.TryPop()
		if !ok {
			break
		}
		require.Equal(t, want, v)
		want++
	}
	assert.Equal(t, next, want)
	assert.Greater(t, next, uint64(8*100), "the test must wrap many times")
}

func TestPopClearsSlot(t *testing.T) {
	r, err := New[*[64]byte](2)
	require.NoError(t, err)
	require.True(t, r.TryPush(new([64]byte)))
	_, ok := r.TryPop()
	require.True(t, ok)
	for i := range r.slots {
		assert.Nil(t, r.slots[i].val, "slot %d keeps a reference after pop", i)
	}
}

func TestLayoutSeparatesCounters(t *testing.T) {
	var r Ring[int]
	enq := unsafe.Offsetof(r.enq)
	deq := unsafe.Offsetof(r.deq)
	slots := unsafe.Offsetof(r.slots)
	assert.GreaterOrEqual(t, deq-enq, uintptr(cacheLine))
	assert.GreaterOrEqual(t, enq-slots, uintptr(cacheLine-8), "enq shares a line with the read-only fields")
	assert.GreaterOrEqual(t, unsafe.Sizeof(r)-deq, uintptr(cacheLine))
}

type item struct {
	producer int
	seq      int
}

// runMPMC pushes perProducer items from each of producers goroutines through a
// ring of capacity capacity, popped by consumers goroutines, and checks that
// every item arrives exactly once and that every consumer sees each
// producer's items in push order. With run > 1, odd-numbered producers and
// consumers use TryPushMany and TryPopMany with runs of up to run items, the
// others TryPush and TryPop, so both kinds meet on one ring.
func runMPMC(t *testing.T, producers, consumers, perProducer, capacity, run int) {
	t.Helper()
	r, err := New[item](capacity)
	require.NoError(t, err)

	total := int64(producers * perProducer)
	var popped atomic.Int64
	seen := make([][]atomic.Int32, producers)
	for p := range seen {
		seen[p] = make([]atomic.Int32, perProducer)
	}
	orderErrs := make(chan string, consumers)

	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			if run > 1 && p%2 == 1 {
				items := make([]item, perProducer)
				for i := range items {
					items[i] = item{p, i}
				}
				for i := 0; i < perProducer; {
					n := r.TryPushMany(items[i:min(i+1+i%run, perProducer)])
					if n == 0 {
						runtime.Gosched()
					}
					i += n
				}
				return
			}
			for i := range perProducer {
				for !r.TryPush(item{p, i}) {
					runtime.Gosched()
				}
			}
		})
	}
	for c := range consumers {
		wg.Go(func() {
			last := make([]int, producers)
			for p := range last {
				last[p] = -1
			}
			buf := make([]item, max(run, 1))
			for popped.Load() < total {
				var got []item
				if run > 1 && c%2 == 1 {
					got = buf[:r.TryPopMany(buf[:1+int(popped.Load())%run])]
				} else if it, ok := r.TryPop(); ok {
					got = append(buf[:0], it)
				}
				if len(got) == 0 {
					runtime.Gosched()
					continue
				}
				popped.Add(int64(len(got)))
				for _, it := range got {
					seen[it.producer][it.seq].Add(1)
					if it.seq <= last[it.producer] {
						orderErrs <- fmt.Sprintf("producer %d: item %d after %d", it.producer, it.seq, last[it.producer])
						return
					}
					last[it.producer] = it.seq
				}
			}
		})
	}
	wg.Wait()
	close(orderErrs)
	for msg := range orderErrs {
		t.Error(msg)
	}

	require.Equal(t, total, popped.Load())
	for p := range seen {
		for i := range seen[p] {
			if n := seen[p][i].Load(); n != 1 {
				t.Fatalf("producer %d item %d delivered %d times", p, i, n)
			}
		}
	}
	assert.Equal(t, 0, r.Len())
	_, ok := r.TryPop()
	assert.False(t, ok)
}

func TestConcurrentProducersConsumers(t *testing.T) {
	perProducer := 20_000
	if testing.Short() {
		perProducer = 2_000
	}
	tests := []struct {
		producers, consumers, capacity, run int
	}{
		{1, 1, 16, 1},
		{4, 4, 64, 1},
		{8, 2, 32, 1},
		{2, 8, 32, 1},
		{4, 4, 2, 1}, // the smallest ring: maximal contention on full and empty
		// Runs (TryPushMany, TryPopMany) beside single pushes and pops.
		{2, 2, 64, 16},
		{4, 4, 32, 64}, // runs longer than the ring
		{8, 2, 16, 5},
		{4, 4, 2, 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dP%dC_cap%d_run%d", tt.producers, tt.consumers, tt.capacity, tt.run), func(t *testing.T) {
			t.Parallel()
			runMPMC(t, tt.producers, tt.consumers, perProducer, tt.capacity, tt.run)
		})
	}
}

// TestSingleConsumerStrictOrder checks that, with one consumer, the items of
// each producer come out in exactly the order they went in (no gaps, no
// reordering), while several producers interleave.
func TestSingleConsumerStrictOrder(t *testing.T) {
	const producers = 4
	perProducer := 10_000
	if testing.Short() {
		perProducer = 1_000
	}
	r, err := New[item](8)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range perProducer {
				for !r.TryPush(item{p, i}) {
					runtime.Gosched()
				}
			}
		})
	}
	next := make([]int, producers)
	for n := 0; n < producers*perProducer; {
		it, ok := r.TryPop()
		if !ok {
			runtime.Gosched()
			continue
		}
		require.Equal(t, next[it.producer], it.seq, "producer %d", it.producer)
		next[it.producer]++
		n++
	}
	wg.Wait()
	for p := range next {
		assert.Equal(t, perProducer, next[p])
	}
}

func TestLenBoundedUnderConcurrency(t *testing.T) {
	r, err := New[int](16)
	require.NoError(t, err)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r.TryPush(1)
				r.TryPop()
			}
		})
	}
	for range 10_000 {
		n := r.Len()
		if n < 0 || n > r.Cap() {
			close(stop)
			wg.Wait()
			t.Fatalf("Len() = %d outside 0..%d", n, r.Cap())
		}
	}
	close(stop)
	wg.Wait()
}

// TestRunsStopAtFullAndEmpty: TryPushMany takes the prefix that fits,
// TryPopMany hands out what is there, in order, and clears the slots.
func TestRunsStopAtFullAndEmpty(t *testing.T) {
	r, err := New[*int](4)
	require.NoError(t, err)
	vals := make([]*int, 6)
	for i := range vals {
		vals[i] = new(int)
		*vals[i] = i
	}
	assert.Equal(t, 0, r.TryPushMany(nil))
	assert.Equal(t, 3, r.TryPushMany(vals[:3]))
	assert.Equal(t, 1, r.TryPushMany(vals[3:]), "only one slot left")
	assert.Equal(t, 0, r.TryPushMany(vals[4:]), "full")

	dst := make([]*int, 3)
	require.Equal(t, 3, r.TryPopMany(dst))
	assert.Equal(t, []int{0, 1, 2}, []int{*dst[0], *dst[1], *dst[2]})
	for i := range 3 {
		assert.Nil(t, r.slots[i].val, "slot %d keeps no reference", i)
	}
	assert.Equal(t, 2, r.TryPushMany(vals[4:]), "wraps around")
	require.Equal(t, 3, r.TryPopMany(dst))
	assert.Equal(t, []int{3, 4, 5}, []int{*dst[0], *dst[1], *dst[2]})
	assert.Equal(t, 0, r.TryPopMany(dst), "empty")
	assert.Equal(t, 0, r.TryPopMany(nil))
	assert.Equal(t, 0, r.Len())
}

// TestClaimedCountsPositionsPushed: Claimed counts every position a push
// took, refused pushes none, and pops leave it alone.
func TestClaimedCountsPositionsPushed(t *testing.T) {
	r, err := New[int](4)
	require.NoError(t, err)
	assert.Equal(t, uint64(0), r.Claimed())
	require.True(t, r.TryPush(1))
	assert.Equal(t, 3, r.TryPushMany([]int{2, 3, 4, 5}), "room for three")
	assert.Equal(t, uint64(4), r.Claimed())
	assert.False(t, r.TryPush(6))
	assert.Equal(t, uint64(4), r.Claimed(), "a refused push claims nothing")
	_, ok := r.TryPop()
	require.True(t, ok)
	assert.Equal(t, uint64(4), r.Claimed())
	require.True(t, r.TryPush(6))
	assert.Equal(t, uint64(5), r.Claimed())
}

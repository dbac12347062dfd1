package topk

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewCapacity(t *testing.T) {
	for _, c := range []int{0, -1, MaxCapacity + 1} {
		tr, err := New(c)
		require.ErrorIs(t, err, ErrInvalidCapacity, "capacity %d", c)
		assert.Nil(t, tr)
	}
	tr, err := New(5)
	require.NoError(t, err)
	assert.Equal(t, 5, tr.Capacity())
	assert.Zero(t, tr.Len())
	assert.Zero(t, tr.Total())
	assert.Empty(t, tr.Top(3))
}

func TestExactWhileUnderCapacity(t *testing.T) {
	tr, err := New(10)
	require.NoError(t, err)
	adds := []struct {
		key   string
		count uint64
	}{{"b", 3}, {"a", 3}, {"c", 5}, {"d", 1}, {"b", 1}, {"e", 0}}
	for _, a := range adds {
		tr.Add(a.key, a.count)
	}
	assert.Equal(t, uint64(13), tr.Total())
	assert.Equal(t, 4, tr.Len(), "a count of 0 must not insert")
	assert.Equal(t, []Item{{"c", 5, 0}, {"b", 4, 0}, {"a", 3, 0}, {"d", 1, 0}}, tr.Top(10))
	assert.Equal(t, []Item{{"c", 5, 0}, {"b", 4, 0}}, tr.Top(2))
	assert.Empty(t, tr.Top(0))
	assert.Empty(t, tr.Top(-1))

	it, ok := tr.Count("b")
	require.True(t, ok)
	assert.Equal(t, Item{"b", 4, 0}, it)
	_, ok = tr.Count("zzz")
	assert.False(t, ok)
}

func TestTopOrderingTies(t *testing.T) {
	tr, err := New(10)
	require.NoError(t, err)
	for _, k := range []string{"delta", "alpha", "charlie", "bravo"} {
		tr.Add(k, 2)
	}
	tr.Add("echo", 7)
	got := tr.Top(10)
	keys := make([]string, len(got))
	for i, it := range got {
		keys[i] = it.Key
	}
	assert.Equal(t, []string{"echo", "alpha", "bravo", "charlie", "delta"}, keys)
}

func TestTopMatchesFullSort(t *testing.T) {
	// Top(k) through the bounded selection heap must equal the first k of a full sort,
	// including among many ties.
	r := rand.New(rand.NewPCG(3, 4))
	tr, err := New(500)
	require.NoError(t, err)
	for range 5000 {
		tr.Add("k"+strconv.Itoa(r.IntN(400)), uint64(r.IntN(4)))
	}
	all := make([]Item, 0, tr.Len())
	for _, e := range tr.heap {
		all = append(all, e.Item)
	}
	slices.SortFunc(all, compareItems)
	for _, k := range []int{1, 2, 3, 10, 57, 100, tr.Len() - 1, tr.Len(), tr.Len() + 5} {
		assert.Equal(t, all[:min(k, len(all))], tr.Top(k), "k=%d", k)
	}
}

func TestSpaceSavingGuarantees(t *testing.T) {
	const capacity = 100
	n := 1_000_000
	if testing.Short() {
		n = 200_000
	}
	z := rand.NewZipf(rand.New(rand.NewPCG(11, 12)), 1.2, 1, 1_000_000)
	truth := map[string]uint64{}
	tr, err := New(capacity)
	require.NoError(t, err)
	for range n {
		k := "ch-" + strconv.FormatUint(z.Uint64(), 10)
		truth[k]++
		tr.Add(k, 1)
	}
	require.Equal(t, uint64(n), tr.Total())
	require.Equal(t, capacity, tr.Len())

	for _, it := range tr.Top(capacity) {
		tc := truth[it.Key]
		assert.GreaterOrEqual(t, it.Count, tc, "%s under-estimated", it.Key)
		assert.LessOrEqual(t, it.Count-it.Error, tc, "%s: Count-Error above the true count", it.Key)
	}
	threshold := uint64(n) / capacity
	heavy := 0
	for k, tc := range truth {
		if tc <= threshold {
			continue
		}
		heavy++
		it, ok := tr.Count(k)
		if assert.True(t, ok, "%s (true %d > N/m = %d) not tracked", k, tc, threshold) {
			assert.GreaterOrEqual(t, it.Count, tc)
			assert.LessOrEqual(t, it.Count-it.Error, tc)
		}
	}
	t.Logf("N=%d distinct=%d heavy (> N/m)=%d", n, len(truth), heavy)
	require.Positive(t, heavy)

	// The heaviest keys come first, in their true order.
	top := tr.Top(3)
	assert.Equal(t, []string{"ch-0", "ch-1", "ch-2"}, []string{top[0].Key, top[1].Key, top[2].Key})
}

func TestWeightedGuarantees(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	tr, err := New(20)
	require.NoError(t, err)
	truth := map[string]uint64{}
	var n uint64
	for range 50_000 {
		k := strconv.Itoa(int(math.Sqrt(float64(r.IntN(10_000)))) * 7 % 97)
		c := uint64(r.IntN(10))
		truth[k] += c
		n += c
		tr.Add(k, c)
	}
	assert.Equal(t, n, tr.Total())
	for _, it := range tr.Top(20) {
		assert.GreaterOrEqual(t, it.Count, truth[it.Key])
		assert.LessOrEqual(t, it.Count-it.Error, truth[it.Key])
	}
	for k, c := range truth {
		if c > n/20 {
			_, ok := tr.Count(k)
			assert.True(t, ok, k)
		}
	}
}

func TestManyDistinctKeysStayBounded(t *testing.T) {
	const capacity = 1000
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	tr, err := New(capacity)
	require.NoError(t, err)
	for i := range n {
		tr.Add("user-"+strconv.Itoa(i), 1)
		if tr.Len() > capacity {
			t.Fatalf("Len() = %d above capacity after %d keys", tr.Len(), i+1)
		}
	}
	assert.Equal(t, capacity, tr.Len())
	assert.Len(t, tr.index, capacity)
	assert.Equal(t, uint64(n), tr.Total())
	assert.Len(t, tr.Top(5*capacity), capacity)
}

func TestAddCopiesAliasedKey(t *testing.T) {
	tr, err := New(4)
	require.NoError(t, err)
	buf := []byte("alpha")
	key := unsafe.String(&buf[0], len(buf)) // aliases buf, like a reused read buffer
	tr.Add(key, 2)
	copy(buf, "omega") // the caller reuses its buffer
	tr.Add(key, 1)     // now "omega"

	a, ok := tr.Count("alpha")
	require.True(t, ok, "the tracked key changed with the caller's buffer")
	assert.Equal(t, uint64(2), a.Count)
	o, ok := tr.Count("omega")
	require.True(t, ok)
	assert.Equal(t, uint64(1), o.Count)
	assert.Equal(t, []Item{{"alpha", 2, 0}, {"omega", 1, 0}}, tr.Top(2))
}

func TestEvictionInheritsMinimum(t *testing.T) {
	tr, err := New(2)
	require.NoError(t, err)
	tr.Add("a", 5)
	tr.Add("b", 3)
	tr.Add("c", 1) // evicts b (3)
	_, ok := tr.Count("b")
	assert.False(t, ok)
	c, ok := tr.Count("c")
	require.True(t, ok)
	assert.Equal(t, Item{"c", 4, 3}, c)
	assert.Equal(t, []Item{{"a", 5, 0}, {"c", 4, 3}}, tr.Top(5))
}

func TestSaturation(t *testing.T) {
	tr, err := New(2)
	require.NoError(t, err)
	tr.Add("a", math.MaxUint64-1)
	tr.Add("a", 10)
	it, _ := tr.Count("a")
	assert.Equal(t, uint64(math.MaxUint64), it.Count)
	assert.Equal(t, uint64(math.MaxUint64), tr.Total())
}

func TestReset(t *testing.T) {
	tr, err := New(3)
	require.NoError(t, err)
	for i := range 10 {
		tr.Add(fmt.Sprint(i), uint64(i))
	}
	tr.Reset()
	assert.Zero(t, tr.Len())
	assert.Zero(t, tr.Total())
	assert.Empty(t, tr.Top(3))
	_, ok := tr.Count("9")
	assert.False(t, ok)
	assert.Equal(t, 3, tr.Capacity())
	tr.Add("x", 1)
	assert.Equal(t, []Item{{"x", 1, 0}}, tr.Top(3))
}

func TestAddTrackedKeyDoesNotAllocate(t *testing.T) {
	tr, err := New(8)
	require.NoError(t, err)
	tr.Add("general", 1)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { tr.Add("general", 1) }))
}

func TestHeapInvariant(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	tr, err := New(64)
	require.NoError(t, err)
	for range 20_000 {
		tr.Add(strconv.Itoa(r.IntN(300)), uint64(r.IntN(3)))
	}
	for i, e := range tr.heap {
		require.Equal(t, i, e.pos)
		require.Same(t, e, tr.index[e.Key])
		if i > 0 {
			require.LessOrEqual(t, tr.heap[(i-1)/2].Count, e.Count)
		}
	}
	require.Len(t, tr.index, len(tr.heap))
}

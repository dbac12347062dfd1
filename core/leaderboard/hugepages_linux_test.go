//go:build amd64 || arm64

package leaderboard

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// skipWithoutHugePages skips a test on a kernel without transparent huge
// pages, where the advice is refused.
func skipWithoutHugePages(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("this kernel has no transparent huge pages:", err)
	}
}

// mappingOf returns the /proc/self/smaps entry of the mapping holding
// address a: its VmFlags and its AnonHugePages in KiB.
func mappingOf(t *testing.T, a uintptr) (flags []string, hugeKiB int) {
	f, err := os.Open("/proc/self/smaps")
	require.NoError(t, err)
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			l, err1 := strconv.ParseUint(lo, 16, 64)
			h, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				if in {
					break
				}
				in = uint64(a) >= l && uint64(a) < h
				continue
			}
		}
		if !in {
			continue
		}
		switch fields[0] {
		case "AnonHugePages:":
			hugeKiB, err = strconv.Atoi(fields[1])
			require.NoError(t, err)
		case "VmFlags:":
			flags = fields[1:]
		}
	}
	require.NoError(t, sc.Err())
	require.True(t, in, "no mapping holds %#x", a)
	return flags, hugeKiB
}

// The board's leaves, records, ids and index sit in memory advised for huge
// pages (VmFlags "hg"), whatever the kernel then makes of the advice.
func TestBoardMemoryIsAdvisedForHugePages(t *testing.T) {
	skipWithoutHugePages(t)
	board, err := New(0.95, 0)
	require.NoError(t, err)
	const n = 200_000
	ids := make([]string, n)
	pts := make([]float64, n)
	tss := make([]int64, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("a-rather-long-user-id-%09d", i) // ids in the arena
		pts[i], tss[i] = float64(i%1000+1), benchBase
	}
	refused, first := board.UpdateMany(ids, pts, tss)
	require.Zero(t, refused, first)
	require.Equal(t, n, board.Len())

	requireAdvised(t, &board.standings)

	// A board read from a snapshot is built without the advice, and
	// advised once built (see readStandingsFrom).
	var snap bytes.Buffer
	require.NoError(t, board.WriteSnapshot(&snap))
	loaded, err := New(0.95, 0)
	require.NoError(t, err)
	require.NoError(t, loaded.ReadSnapshot(&snap))
	require.Equal(t, n, loaded.Len())
	requireAdvised(t, &loaded.standings)
}

// requireAdvised checks that each kind of c's memory lies in a mapping
// advised for huge pages.
func requireAdvised(t *testing.T, c *standings) {
	for what, p := range map[string]unsafe.Pointer{
		"a leaf":         unsafe.Pointer(c.leaves[len(c.leaves)-1]),
		"an inner node":  unsafe.Pointer(c.inners[len(c.inners)-1]),
		"a record chunk": unsafe.Pointer(c.uchunks[len(c.uchunks)-1]),
		"an id chunk":    unsafe.Pointer(unsafe.SliceData(c.arena.chunks[c.arena.cur])),
		"the index":      unsafe.Pointer(unsafe.SliceData(c.buckets)),
	} {
		flags, huge := mappingOf(t, uintptr(p))
		require.Contains(t, flags, "hg", "%s lies in memory not advised for huge pages", what)
		t.Logf("%s: %d KiB of its mapping in huge pages", what, huge)
	}
}

// While a load runs, a chunk is not advised, nor counted as advised: the
// first allocation into it after the load advises it.
func TestNoHugePageAdviceWhileLoading(t *testing.T) {
	skipWithoutHugePages(t)
	// A mapping of our own, so that no allocation of the board's advises
	// this chunk meanwhile.
	m, err := unix.Mmap(-1, 0, 2*heapChunkBytes, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer unix.Munmap(m)
	chunk := (uintptr(unsafe.Pointer(&m[0])) + heapChunkBytes - 1) &^ (heapChunkBytes - 1)

	resume := pauseHugePages()
	adviseChunks(chunk, 64)
	flags, _ := mappingOf(t, chunk)
	require.NotContains(t, flags, "hg", "advised while a load runs")
	resume()

	adviseChunks(chunk, 64)
	flags, _ = mappingOf(t, chunk)
	require.Contains(t, flags, "hg", "not advised once the load is over")
}

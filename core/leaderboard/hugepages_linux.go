//go:build amd64 || arm64

package leaderboard

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Huge pages for a board's memory.
//
// Each read or update of a large board misses the cache at a few random
// places: an index bucket, a record, a leaf. With 4 KiB pages each of those
// also misses the TLB once the board outgrows a few MiB, and the page walk
// is one more wait for memory. With 2 MiB pages the TLB covers a board of
// millions of users (measured alternating with the code before: ranks on a
// tie-heavy 1M board 1.27 → 1.13 µs ordinal and 1.57 → 1.34 competition,
// moves on a tie-heavy 10M board 5.1–5.2 → 4.3–4.4 µs). A huge page costs
// more to fault where the machine must first find or back 2 MiB of fresh
// memory: see "Huge pages, asked for chunk by chunk" in docs/benchmarks.md.
//
// The kernel's transparent huge pages, in their usual "madvise" setting,
// back only memory advised with MADV_HUGEPAGE, and the Go runtime advises
// none of its heap. The runtime maps its heap in whole, aligned 4 MiB chunks
// as the heap grows (a mapping made later does not inherit advice given
// before it), so the board advises the chunk of every node, record chunk,
// id chunk and index table it allocates, once per chunk: every page faulted
// in the chunk afterwards may be a huge one. (A 2 MiB page the runtime had
// touched before the advice stays small until khugepaged merges it.) The
// advice covers whatever else the chunk holds. Under "never" it changes
// nothing, and under "always" it was the case already.

// A snapshot load builds a whole board at once, and on this project's VMs
// a 2 MiB page of memory the machine has never used is slow to fault (the
// host backs it on first touch): a 10M-user load took 4.5–5.1 s with small
// pages against 4.6–6.9 s with huge ones. So a load pauses the advice while
// it builds and advises what it built afterwards (readStandingsFrom), which
// faults nothing: khugepaged merges the load's pages in the background. The
// pause holds for every board: one growing beside a load advises nothing
// meanwhile (a chunk it filled then is advised at its next allocation in
// it, if any).

// loads counts the snapshot loads in progress (see pauseHugePages).
var loads atomic.Int32

// pauseHugePages stops the advice until the returned resume is called; a
// load runs between the two.
func pauseHugePages() (resume func()) {
	loads.Add(1)
	return func() { loads.Add(-1) }
}

// heapChunkBytes is the size and alignment of the pieces the Go runtime
// maps its heap in on 64-bit Linux (runtime.pallocChunkBytes).
const heapChunkBytes = 4 << 20

var advisedChunks struct {
	last atomic.Uintptr // the chunk advised last: most allocations land there
	mu   sync.Mutex
	seen map[uintptr]bool // every chunk advised: the runtime never unmaps its heap
}

// hugePages asks for huge pages in the heap chunk holding *p, and returns p.
func hugePages[T any](p *T) *T {
	adviseChunks(uintptr(unsafe.Pointer(p)), unsafe.Sizeof(*p))
	return p
}

// hugePagesFor is hugePages for the chunks holding s's backing array.
func hugePagesFor[T any](s []T) []T {
	if cap(s) > 0 {
		adviseChunks(uintptr(unsafe.Pointer(unsafe.SliceData(s))), uintptr(cap(s))*unsafe.Sizeof(s[0]))
	}
	return s
}

// adviseChunks advises the heap chunks holding the n bytes at p, each
// once.
func adviseChunks(p, n uintptr) {
	if loads.Load() > 0 {
		return
	}
	lo := p &^ (heapChunkBytes - 1)
	hi := (p + n - 1) &^ (heapChunkBytes - 1)
	if lo == hi && lo == advisedChunks.last.Load() {
		return
	}
	advisedChunks.mu.Lock()
	defer advisedChunks.mu.Unlock()
	if advisedChunks.seen == nil {
		advisedChunks.seen = make(map[uintptr]bool)
	}
	for c := lo; c <= hi; c += heapChunkBytes {
		if !advisedChunks.seen[c] {
			advisedChunks.seen[c] = true
			// Advice only: an error (a kernel without THP) changes nothing.
			unix.Syscall(unix.SYS_MADVISE, c, heapChunkBytes, unix.MADV_HUGEPAGE)
		}
	}
	advisedChunks.last.Store(hi)
}

package leaderboard

import "os"

// writebackChunk is how many bytes a save writes between two requests to
// the kernel to start writing them to disk.
const writebackChunk = 16 << 20

// writeback passes a save's bytes to its file and, every writebackChunk
// bytes, asks the kernel to start writing the chunk out (startWriteback)
// without waiting for it: the disk works while the rest is formatted, so
// the fsync at the end waits for the last chunk rather than the whole file,
// and the page cache holds few dirty pages of it. It is only a hint: the
// fsync still decides, and reports any error.
type writeback struct {
	f          *os.File
	start, end int64 // the bytes not yet handed to the kernel's writeback, and the file's length
}

func (w *writeback) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.end += int64(n)
	if w.end-w.start >= writebackChunk {
		startWriteback(w.f, w.start, w.end-w.start)
		w.start = w.end
	}
	return n, err
}

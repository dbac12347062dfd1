package leaderboard

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withinSeconds fails the test if fn does not return in time (a FIFO opened
// for reading blocks until a writer appears).
func withinSeconds(t *testing.T, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("blocked")
		return nil
	}
}

func mkfifo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	return path
}

func TestLoadRefusesWhatIsNotARegularFile(t *testing.T) {
	paths := map[string]string{
		"fifo":      mkfifo(t),
		"directory": t.TempDir(),
		"dev zero":  "/dev/zero",
	}
	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink("/dev/zero", link))
	paths["symlink to a device"] = link
	for name, path := range paths {
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat(path); err != nil {
				t.Skip(err)
			}
			b := sampleBoard(t)
			before := dump(t, b)
			err := withinSeconds(t, func() error { return b.Load(path) })
			require.ErrorIs(t, err, ErrNotRegularFile)
			var pe *fs.PathError
			require.True(t, errors.As(err, &pe))
			assert.Equal(t, path, pe.Path)
			assert.NotErrorIs(t, err, ErrSnapshot)
			assert.Equal(t, before, dump(t, b))
		})
	}
}

// The check after the non-blocking open is what stops a FIFO swapped in
// after the Stat.
func TestOpenCheckedDoesNotBlockOnAFIFO(t *testing.T) {
	path := mkfifo(t)
	err := withinSeconds(t, func() error {
		f, _, err := openChecked(path)
		if f != nil {
			f.Close()
		}
		return err
	})
	require.ErrorIs(t, err, ErrNotRegularFile)
	assert.Contains(t, err.Error(), "FIFO")
}

func TestLoadRefusesOversizeFile(t *testing.T) {
	b := sampleBoard(t)
	before := dump(t, b)
	path := filepath.Join(t.TempDir(), "board.json")
	require.NoError(t, b.Save(path))
	fi, err := os.Stat(path)
	require.NoError(t, err)

	old := maxSnapshotBytes
	t.Cleanup(func() { maxSnapshotBytes = old })
	maxSnapshotBytes = fi.Size() - 1
	for _, err := range []error{b.Load(path), b.ReadSnapshot(strings.NewReader(before))} {
		require.ErrorIs(t, err, ErrSnapshotTooLarge)
		require.ErrorIs(t, err, ErrSnapshot, "capi maps it as a bad snapshot")
	}
	assert.Equal(t, before, dump(t, b))

	maxSnapshotBytes = fi.Size()
	require.NoError(t, b.Load(path), "a file of exactly the limit loads")
	assert.Equal(t, before, dump(t, b))
}

// spaces is an endless reader of JSON whitespace, which a decoder reads on
// and on looking for a value.
type spaces struct{ n int64 }

func (z *spaces) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	z.n += int64(len(p))
	return len(p), nil
}

func TestReadSnapshotStopsAnEndlessReader(t *testing.T) {
	old := maxSnapshotBytes
	t.Cleanup(func() { maxSnapshotBytes = old })
	maxSnapshotBytes = 1 << 20
	b := sampleBoard(t)
	before := dump(t, b)
	z := &spaces{}
	require.ErrorIs(t, b.ReadSnapshot(z), ErrSnapshotTooLarge)
	assert.LessOrEqual(t, z.n, int64(2<<20), "read far beyond the limit")
	assert.Equal(t, before, dump(t, b))
}

func TestLoadFollowsSymlinkToRegularFile(t *testing.T) {
	b := sampleBoard(t)
	dir := t.TempDir()
	require.NoError(t, b.Save(filepath.Join(dir, "board.json")))
	require.NoError(t, os.Symlink("board.json", filepath.Join(dir, "link")))
	c, err := New(1, 0)
	require.NoError(t, err)
	require.NoError(t, c.Load(filepath.Join(dir, "link")))
	assert.Equal(t, dump(t, b), dump(t, c))
}

// requireOnly asserts that dir holds exactly names (no temporary file left).
func requireOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	assert.ElementsMatch(t, names, got)
}

func TestSaveRefusesWhatIsNotARegularFile(t *testing.T) {
	type target struct {
		path string
		mode fs.FileMode // type bits expected to survive
	}
	dir := t.TempDir()
	targets := map[string]target{}

	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	targets["fifo"] = target{fifo, fs.ModeNamedPipe}

	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	targets["directory"] = target{sub, fs.ModeDir}

	// A copy of /dev/null (major 1, minor 3); needs CAP_MKNOD.
	null := filepath.Join(dir, "null")
	if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3); err == nil {
		targets["character device"] = target{null, fs.ModeDevice | fs.ModeCharDevice}
		link := filepath.Join(dir, "link-to-null")
		require.NoError(t, os.Symlink("null", link))
		targets["symlink to a device"] = target{link, fs.ModeSymlink}
	} else {
		t.Logf("mknod: %v; the device cases are skipped", err)
	}
	linkDir := filepath.Join(dir, "link-to-sub")
	require.NoError(t, os.Symlink("sub", linkDir))
	targets["symlink to a directory"] = target{linkDir, fs.ModeSymlink}

	b := sampleBoard(t)
	for name, tg := range targets {
		t.Run(name, func(t *testing.T) {
			err := withinSeconds(t, func() error { return b.Save(tg.path) })
			require.ErrorIs(t, err, ErrNotRegularFile)
			var pe *fs.PathError
			require.True(t, errors.As(err, &pe))
			fi, err := os.Lstat(tg.path)
			require.NoError(t, err)
			assert.Equal(t, tg.mode, fi.Mode().Type(), "the target was replaced")
		})
	}
	names := []string{"fifo", "sub", "link-to-sub"}
	if _, ok := targets["character device"]; ok {
		names = append(names, "null", "link-to-null")
	}
	requireOnly(t, dir, names...)
	requireOnly(t, sub)
}

func TestSaveThroughSymlinkReplacesTargetAndKeepsLink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "data", "board.json")
	require.NoError(t, os.Mkdir(filepath.Dir(real), 0o755))
	require.NoError(t, os.WriteFile(real, []byte("old"), 0o600))
	link := filepath.Join(dir, "current.json")
	require.NoError(t, os.Symlink(filepath.Join("data", "board.json"), link))
	chain := filepath.Join(dir, "chain.json")
	require.NoError(t, os.Symlink("current.json", chain))

	b := sampleBoard(t)
	require.NoError(t, b.Save(chain))
	for _, l := range []string{link, chain} {
		fi, err := os.Lstat(l)
		require.NoError(t, err)
		assert.Equal(t, fs.ModeSymlink, fi.Mode().Type(), "%s is no longer a link", l)
	}
	fi, err := os.Stat(real)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
	c, err := New(1, 0)
	require.NoError(t, err)
	require.NoError(t, c.Load(real))
	assert.Equal(t, dump(t, b), dump(t, c))
	requireOnly(t, dir, "data", "current.json", "chain.json")
	requireOnly(t, filepath.Dir(real), "board.json")
}

func TestSaveOntoDanglingSymlinkFails(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "board.json")
	require.NoError(t, os.Symlink(filepath.Join("missing", "board.json"), link))
	err := sampleBoard(t).Save(link)
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "dangling")
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.Equal(t, fs.ModeSymlink, fi.Mode().Type())
	requireOnly(t, dir, "board.json")
}

func TestSaveKeepsModeOfExistingFile(t *testing.T) {
	b := sampleBoard(t)
	dir := t.TempDir()
	for _, perm := range []fs.FileMode{0o600, 0o640, 0o664, 0o444} {
		path := filepath.Join(dir, perm.String())
		require.NoError(t, os.WriteFile(path, nil, perm))
		require.NoError(t, os.Chmod(path, perm)) // past the umask
		require.NoError(t, b.Save(path))
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, perm, fi.Mode().Perm())
	}
}

func TestSaveNewFileHonoursUmask(t *testing.T) {
	old := syscall.Umask(0o027)
	t.Cleanup(func() { syscall.Umask(old) })
	path := filepath.Join(t.TempDir(), "board.json")
	require.NoError(t, sampleBoard(t).Save(path))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o640), fi.Mode().Perm())
}

// A load sizes its index from the file's length: to the size the board's
// own updates grew it to, not a doubling more, for boards just past a
// doubling and just before one, with short and with numeric ids.
func TestLoadSizesTheIndexLikeTheUpdates(t *testing.T) {
	for _, n := range []int{5_000, 16_400, 32_700, 70_000} {
		for _, long := range []bool{false, true} {
			b, err := New(0.9, 0)
			require.NoError(t, err)
			for i := range n {
				id := strconv.Itoa(i)
				if long {
					id = strconv.Itoa(700_000_000_000_000_000 + i*7919)
				}
				require.NoError(t, b.Update(id, float64(1+i%1000), 1000))
			}
			path := filepath.Join(t.TempDir(), "board.json")
			require.NoError(t, b.Save(path))
			into, err := New(0.5, 0)
			require.NoError(t, err)
			require.NoError(t, into.Load(path))
			require.Equal(t, n, into.Len())
			require.Equal(t, len(b.userIndex.buckets), len(into.userIndex.buckets), "%d users, long ids %v", n, long)
			require.Equal(t, n, into.userIndex.indexed)
		}
	}
}

// TestWritebackPassesEveryByte writes more than two writeback chunks in
// uneven pieces: the file holds exactly what was written, and the bytes
// handed to the kernel's writeback end at a chunk's end.
func TestWritebackPassesEveryByte(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	require.NoError(t, err)
	defer f.Close()
	w := &writeback{f: f}
	piece := bytes.Repeat([]byte("0123456789abcdef"), 1<<14+3) // not a divisor of the chunk
	h := sha256.New()
	var total int64
	for total < 2*writebackChunk+12345 {
		n, err := w.Write(piece)
		require.NoError(t, err)
		require.Equal(t, len(piece), n)
		h.Write(piece)
		total += int64(n)
	}
	assert.Equal(t, total, w.end)
	assert.GreaterOrEqual(t, w.start, int64(2*writebackChunk))
	assert.Less(t, w.end-w.start, int64(writebackChunk))
	require.NoError(t, f.Sync())
	got, err := os.ReadFile(f.Name())
	require.NoError(t, err)
	sum := sha256.Sum256(got)
	assert.Equal(t, h.Sum(nil), sum[:])
}

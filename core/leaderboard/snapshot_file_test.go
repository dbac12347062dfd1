package leaderboard

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
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
	require.ErrorIs(t, b.Load(path), ErrSnapshotTooLarge)
	require.ErrorIs(t, b.ReadSnapshot(strings.NewReader(before)), ErrSnapshotTooLarge)
	assert.Equal(t, before, dump(t, b))

	maxSnapshotBytes = fi.Size()
	require.NoError(t, b.Load(path), "a file of exactly the limit loads")
	assert.Equal(t, before, dump(t, b))
}

// zeros is an endless reader, like /dev/zero.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	clear(p)
	z.n += int64(len(p))
	return len(p), nil
}

func TestReadSnapshotStopsAnEndlessReader(t *testing.T) {
	old := maxSnapshotBytes
	t.Cleanup(func() { maxSnapshotBytes = old })
	maxSnapshotBytes = 1 << 20
	b := sampleBoard(t)
	before := dump(t, b)
	z := &zeros{}
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


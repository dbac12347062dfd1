package leaderboard

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"syscall"
)

// MaxSnapshotSize is the largest snapshot, in bytes, that Load and
// ReadSnapshot read; longer input is refused with ErrSnapshotTooLarge (a
// growing file or an endless reader stops there, instead of loading for
// ever). 16 GiB holds about 200 million entries with short ids, far beyond
// what a board of this kind holds in practice. Loading streams the file: it
// needs memory for the new board, not for the file.
const MaxSnapshotSize int64 = 16 << 30

// maxSnapshotBytes is MaxSnapshotSize; tests lower it.
var maxSnapshotBytes = MaxSnapshotSize

var (
	// ErrSnapshotTooLarge is wrapped by Load and ReadSnapshot, together
	// with ErrSnapshot, for input longer than MaxSnapshotSize; the board is
	// unchanged.
	ErrSnapshotTooLarge = errors.New("leaderboard: snapshot larger than MaxSnapshotSize")
	// ErrNotRegularFile is wrapped by Load and Save, inside an
	// *fs.PathError, when the path names something other than a regular
	// file (or a symbolic link to one): a directory, FIFO, socket or
	// device. Nothing is read from it or written over it, so Load cannot
	// block on a FIFO and Save cannot replace /dev/null; the board is
	// unchanged.
	ErrNotRegularFile = errors.New("not a regular file")
)

// openRegular opens path for reading only if it is a regular file. The
// Stat refuses a FIFO or device without opening it (opening some devices
// has effects); the open is non-blocking and the opened file is checked
// again, so a FIFO swapped in between cannot block the caller either.
func openRegular(path string) (*os.File, fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, notRegular("load", path, fi)
	}
	return openChecked(path)
}

// openChecked is openRegular's second half: a non-blocking open, then a
// check of what was opened.
func openChecked(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = notRegular("load", path, fi)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

func notRegular(op, path string, fi fs.FileInfo) error {
	return &fs.PathError{Op: op, Path: path,
		Err: fmt.Errorf("%w (%s)", ErrNotRegularFile, fileKind(fi.Mode()))}
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "mode " + m.String()
}

// Load replaces the board with the snapshot in the file at path, like
// ReadSnapshot. A file that cannot be read yields its *fs.PathError
// (errors.Is(err, fs.ErrNotExist) holds for a missing file); a path that is
// not a regular file (symbolic links are followed) yields one wrapping
// ErrNotRegularFile, and a file longer than MaxSnapshotSize an error
// wrapping ErrSnapshotTooLarge. On any error the board is unchanged.
func (b *Board) Load(path string) error {
	f, fi, err := openRegular(path)
	if err != nil {
		return fmt.Errorf("leaderboard: load: %w", err)
	}
	defer f.Close()
	if fi.Size() > maxSnapshotBytes {
		return fmt.Errorf("leaderboard: load %s: %w: %w (%d bytes)", path, ErrSnapshot, ErrSnapshotTooLarge, maxSnapshotBytes)
	}
	def := b.loadDefaults()
	def.size = fi.Size()
	c, err := readStandings(bufio.NewReaderSize(f, 1<<16), def)
	if err != nil {
		return fmt.Errorf("leaderboard: load %s: %w", path, err)
	}
	b.mu.Lock()
	b.standings = *c
	b.mu.Unlock()
	if fi.Size() >= returnAfterLoad {
		debug.FreeOSMemory()
	}
	return nil
}

// returnAfterLoad is the snapshot size from which a load gives what it no
// longer needs back to the system at once, as a rehash does (see
// returnAfterRehash): the keys it sorted (about a third of the file's
// size) and the board it replaced. Otherwise Go's runtime keeps their
// pages while the heap stays under its goal, and a freshly loaded 10M-user
// board holds 930 MB of resident memory where one filled by updates holds
// 700 MB.
const returnAfterLoad = 3 * returnAfterRehash

// Save writes a snapshot to path atomically: it writes a temporary file in
// the same folder, syncs it, renames it over path and syncs the folder, so
// a crash leaves either the previous file or the new one. On error no
// temporary file is left behind.
//
// What path may name:
//   - nothing: a new file is created with mode 0644 minus the umask;
//   - a regular file: it is replaced, and the replacement keeps its
//     permission bits (not its owner: it belongs to the saving process);
//   - a symbolic link (or a chain of them) to a regular file: the link is
//     followed and its target replaced as above, so the link stays a link;
//   - a dangling symbolic link: an error wrapping fs.ErrNotExist, and nothing
//     is created, since a link to a missing file more likely means a missing
//     mount or a mistyped target than a place to write;
//   - anything else (a directory, FIFO, socket or device, directly or
//     through a link): an *fs.PathError wrapping ErrNotRegularFile, and
//     nothing is written. The check precedes the rename; a path swapped for
//     a device between the two is not detected.
func (b *Board) Save(path string) (err error) {
	target, perm, err := saveTarget(path)
	if err != nil {
		return fmt.Errorf("leaderboard: save: %w", err)
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	f, err := createTemp(dir, "."+base+".tmp-")
	if err != nil {
		return fmt.Errorf("leaderboard: save: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("leaderboard: save %s: %w", path, err)
		}
	}()
	w := bufio.NewWriterSize(&writeback{f: f}, 1<<16)
	if err = b.WriteSnapshot(w); err != nil {
		return err
	}
	if err = w.Flush(); err != nil {
		return err
	}
	if perm != 0 {
		if err = f.Chmod(perm); err != nil {
			return err
		}
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, target); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			// The rename happened; the new file is in place but may not
			// survive a crash. Report it without deleting the target.
			return fmt.Errorf("sync folder: %w", err)
		}
	}
	return nil
}

// saveTarget returns the file Save replaces for path and the permission
// bits to give the replacement (0 for a new file: the creation mode and
// umask decide).
func saveTarget(path string) (target string, perm fs.FileMode, err error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, 0, nil
	}
	if err != nil {
		return "", 0, err
	}
	target = path
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, err = filepath.EvalSymlinks(path)
		if errors.Is(err, fs.ErrNotExist) {
			return "", 0, &fs.PathError{Op: "save", Path: path,
				Err: fmt.Errorf("dangling symbolic link: %w", fs.ErrNotExist)}
		}
		if err != nil {
			return "", 0, err
		}
		if fi, err = os.Stat(target); err != nil {
			return "", 0, err
		}
	}
	if !fi.Mode().IsRegular() {
		return "", 0, notRegular("save", path, fi)
	}
	return target, fi.Mode().Perm(), nil
}

// createTemp is os.CreateTemp with mode 0644 instead of 0600, so that the
// umask, not a fixed mode, decides what a new snapshot allows.
func createTemp(dir, prefix string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, &fs.PathError{Op: "createtemp", Path: filepath.Join(dir, prefix+"*"), Err: fs.ErrExist}
}

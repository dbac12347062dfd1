package leaderboard

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleBoard(t *testing.T) *Board {
	t.Helper()
	b, err := New(0.9, 50)
	require.NoError(t, err)
	for i, id := range []string{"plain", `q"uote`, `back\slash`, "new\nline", "nul\x00byte", "emoji😀", "tab\t\u2028", "", "<html>&"} {
		require.NoError(t, b.Update(id, float64(10+i), int64(1_700_000_000+i*3600)))
		require.NoError(t, b.Update(id, -2, int64(1_700_000_000-i*3600)))
	}
	return b
}

func TestSnapshotRoundTrip(t *testing.T) {
	b := sampleBoard(t)
	big := strings.Repeat("é", 1<<19) // a 1 MB id
	require.NoError(t, b.Update(big, 1, 1_700_000_000))
	var buf bytes.Buffer
	require.NoError(t, b.WriteSnapshot(&buf))

	c, err := New(1, 0)
	require.NoError(t, err)
	require.NoError(t, c.ReadSnapshot(bytes.NewReader(buf.Bytes())))
	assert.Equal(t, 0.9, c.DecayFactor())
	assert.Equal(t, 50, c.MaxUsers())
	requireSameBoard(t, b, c)
	assert.True(t, c.Contains(big))
	checkTree(t, c)
}

func TestSnapshotFormat(t *testing.T) {
	b, err := New(0.5, 7)
	require.NoError(t, err)
	require.NoError(t, b.Update("x", 8, 1000))
	require.NoError(t, b.Update("x", 0, 1000+day)) // score at own last_update: 4
	require.NoError(t, b.Update("y", 1, 1000))
	assert.JSONEq(t, `{"decay_factor":0.5,"max_users":7,"landmark":1000,"entries":[
		{"user_id":"x","score":4,"last_update":87400,"g":8},
		{"user_id":"y","score":1,"last_update":1000,"g":1}]}`, dump(t, b))
	empty, err := New(1, 0)
	require.NoError(t, err)
	assert.JSONEq(t, `{"decay_factor":1,"max_users":0,"landmark":0,"entries":[]}`, dump(t, empty))
}

func TestLoadOriginalSample(t *testing.T) {
	b, err := New(0.5, 3)
	require.NoError(t, err)
	require.NoError(t, b.Load(filepath.Join("testdata", "original.json")))
	assert.Equal(t, 0.95, b.DecayFactor())
	assert.Equal(t, 100000, b.MaxUsers())
	require.Equal(t, 3, b.Len())
	e, ok := b.Rank("carol", 1699913600)
	require.True(t, ok)
	assert.InEpsilon(t, -3.25, e.Score, 1e-12)
	assert.Equal(t, 3, e.Rank)
	s, _ := b.Score("bob", 1700086400+day)
	assert.InEpsilon(t, 120*0.95, s, 1e-12)
	s, _ = b.Score("alice", 1700086400)
	assert.InEpsilon(t, 150.5*0.95, s, 1e-12)
}

func TestLoadKeepsTopMaxUsers(t *testing.T) {
	b, err := New(1, 0)
	require.NoError(t, err)
	require.NoError(t, b.ReadSnapshot(strings.NewReader(`{"decay_factor":1,"max_users":2,"entries":[
		{"user_id":"low","score":1,"last_update":1},
		{"user_id":"high","score":3,"last_update":1},
		{"user_id":"mid","score":2,"last_update":1}]}`)))
	assert.Equal(t, 2, b.Len())
	assert.False(t, b.Contains("low"))
}

func TestMalformedSnapshotsLeaveBoardUnchanged(t *testing.T) {
	const entry = `{"user_id":"a","score":1,"last_update":5}`
	tests := map[string]string{
		"empty":               ``,
		"spaces":              "  \n",
		"truncated":           `{"decay_factor":0.5,"max_users":3,"entries":[` + entry,
		"trailing garbage":    `{"decay_factor":0.5,"max_users":3,"entries":[]} x`,
		"two documents":       `{"decay_factor":0.5,"max_users":3,"entries":[]}{}`,
		"not an object":       `[1,2]`,
		"null":                `null`,
		"missing decay":       `{"max_users":3,"entries":[]}`,
		"missing max":         `{"decay_factor":0.5,"entries":[]}`,
		"missing entries":     `{"decay_factor":0.5,"max_users":3}`,
		"null entries":        `{"decay_factor":0.5,"max_users":3,"entries":null}`,
		"decay zero":          `{"decay_factor":0,"max_users":3,"entries":[]}`,
		"decay above one":     `{"decay_factor":1.5,"max_users":3,"entries":[]}`,
		"decay string":        `{"decay_factor":"0.5","max_users":3,"entries":[]}`,
		"decay huge":          `{"decay_factor":1e999,"max_users":3,"entries":[]}`,
		"max negative":        `{"decay_factor":0.5,"max_users":-1,"entries":[]}`,
		"max fractional":      `{"decay_factor":0.5,"max_users":2.5,"entries":[]}`,
		"max string":          `{"decay_factor":0.5,"max_users":"3","entries":[]}`,
		"max huge":            `{"decay_factor":0.5,"max_users":99999999999999999999,"entries":[]}`,
		"entries object":      `{"decay_factor":0.5,"max_users":3,"entries":{}}`,
		"entry null":          `{"decay_factor":0.5,"max_users":3,"entries":[null]}`,
		"entry no id":         `{"decay_factor":0.5,"max_users":3,"entries":[{"score":1,"last_update":5}]}`,
		"entry no score":      `{"decay_factor":0.5,"max_users":3,"entries":[{"user_id":"a","last_update":5}]}`,
		"entry no time":       `{"decay_factor":0.5,"max_users":3,"entries":[{"user_id":"a","score":1}]}`,
		"entry id number":     `{"decay_factor":0.5,"max_users":3,"entries":[{"user_id":5,"score":1,"last_update":5}]}`,
		"entry score string":  `{"decay_factor":0.5,"max_users":3,"entries":[{"user_id":"a","score":"1","last_update":5}]}`,
		"entry score huge":    `{"decay_factor":0.5,"max_users":3,"entries":[{"user_id":"a","score":1e400,"last_update":5}]}`,
		"entry time string":   `{"decay_factor":0.5,"max_users":3,"entries":[{"user_id":"a","score":1,"last_update":"5"}]}`,
		"entry time fraction": `{"decay_factor":0.5,"max_users":3,"entries":[{"user_id":"a","score":1,"last_update":5.5}]}`,
		"entry time huge":     `{"decay_factor":0.5,"max_users":3,"entries":[{"user_id":"a","score":1,"last_update":9223372036854775808}]}`,
		"duplicate ids":       `{"decay_factor":0.5,"max_users":3,"entries":[` + entry + `,{"user_id":"a","score":2,"last_update":6}]}`,
		"invalid utf8":        "{\"decay_factor\":0.5,\"max_users\":3,\"entries\":[{\"user_id\":\"\xff\",\"score\":1,\"last_update\":5}]}",
	}
	dir := t.TempDir()
	for name, input := range tests {
		t.Run(name, func(t *testing.T) {
			b := sampleBoard(t)
			before := dump(t, b)
			err := b.ReadSnapshot(strings.NewReader(input))
			require.ErrorIs(t, err, ErrSnapshot)
			assert.Equal(t, before, dump(t, b))

			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
			require.NoError(t, os.WriteFile(path, []byte(input), 0o644))
			require.ErrorIs(t, b.Load(path), ErrSnapshot)
			assert.Equal(t, before, dump(t, b))
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	b := sampleBoard(t)
	before := dump(t, b)
	err := b.Load(filepath.Join(t.TempDir(), "nope.json"))
	require.ErrorIs(t, err, fs.ErrNotExist)
	var pe *fs.PathError
	assert.True(t, errors.As(err, &pe))
	assert.NotErrorIs(t, err, ErrSnapshot)
	assert.Equal(t, before, dump(t, b))
}

func TestSaveAndLoad(t *testing.T) {
	b := sampleBoard(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "board.json")
	require.NoError(t, b.Save(path))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "other"), nil, 0o644))

	// Replacing an existing file: the old content stays readable through an
	// open handle and the new one appears whole.
	old, err := os.Open(path)
	require.NoError(t, err)
	defer old.Close()
	require.NoError(t, b.Update("later", 1000, 1_700_000_000))
	require.NoError(t, b.Save(path))
	oldData, err := os.ReadFile(old.Name())
	require.NoError(t, err)
	assert.Contains(t, string(oldData), "later")
	var prev bytes.Buffer
	_, err = prev.ReadFrom(old)
	require.NoError(t, err)
	assert.NotContains(t, prev.String(), "later", "the previous file was modified in place")

	c, err := New(1, 0)
	require.NoError(t, err)
	require.NoError(t, c.Load(path))
	requireSameBoard(t, b, c)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "a temporary file was left behind")
}

func TestSaveErrorsLeaveNoTempFile(t *testing.T) {
	b := sampleBoard(t)
	dir := t.TempDir()
	err := b.Save(filepath.Join(dir, "missing", "board.json"))
	require.Error(t, err)
	assert.ErrorIs(t, err, fs.ErrNotExist)

	// A directory is refused before any temporary file is written.
	target := filepath.Join(dir, "adir")
	require.NoError(t, os.Mkdir(target, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(target, "keep"), nil, 0o644))
	require.Error(t, b.Save(target))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "adir", entries[0].Name())

	if os.Getuid() != 0 {
		ro := filepath.Join(dir, "ro")
		require.NoError(t, os.Mkdir(ro, 0o555))
		require.Error(t, b.Save(filepath.Join(ro, "board.json")))
		entries, err = os.ReadDir(ro)
		require.NoError(t, err)
		assert.Empty(t, entries)
	}
}

func TestSnapshotScoresStayFinite(t *testing.T) {
	b, err := New(0.5, 0)
	require.NoError(t, err)
	require.NoError(t, b.Update("a", math.MaxFloat64/4, 0))
	require.NoError(t, b.Update("b", 1, 400*day))
	var buf bytes.Buffer
	require.NoError(t, b.WriteSnapshot(&buf))
	c, err := New(1, 0)
	require.NoError(t, err)
	require.NoError(t, c.ReadSnapshot(&buf))
	s, ok := c.Score("a", 0)
	require.True(t, ok)
	assert.InEpsilon(t, math.MaxFloat64/4, s, 1e-9)
}

func FuzzReadSnapshot(f *testing.F) {
	f.Add([]byte(`{"decay_factor":0.95,"max_users":2,"entries":[{"user_id":"a","score":1.5,"last_update":10},{"user_id":"b\u0000","score":-2,"last_update":-5}]}`))
	f.Add([]byte(`{"decay_factor":1,"max_users":0,"entries":[]}`))
	f.Add([]byte(`{"decay_factor":0.5,"max_users":1,"entries":[{"user_id":"x","score":1e308,"last_update":9223372036854775807},{"user_id":"y","score":-1e308,"last_update":-9223372036854775808}]}`))
	if data, err := os.ReadFile(filepath.Join("testdata", "original.json")); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"decay_factor":0.5`))
	f.Add([]byte(`{"decay_factor":0.5,"max_users":0,"landmark":1000,"entries":[{"user_id":"x","score":4,"last_update":87400,"g":8},{"user_id":"y","score":1,"last_update":1000,"g":1},{"user_id":"z","score":1,"last_update":5}]}`))
	f.Add([]byte(`{"decay_factor":0.9,"max_users":0,"landmark":-5,"entries":[{"user_id":"a","score":1,"last_update":9223372036854775807,"g":1e-300},{"user_id":"b","score":1,"last_update":0,"g":-0}]}`))
	f.Add([]byte(`{"decay_factor":1,"max_users":0,"landmark":5,"tie_break":"earliest","entries":[{"user_id":"b","score":2,"last_update":5,"g":2},{"user_id":"a","score":2,"last_update":5,"g":2}]}`))
	f.Add([]byte(`{"decay_factor":1,"max_users":0,"landmark":5,"entries":[{"user_id":"a","score":2,"last_update":5,"g":2}],"window_origin":60,"windows":[{"name":"hour","length":3600,"period":0,"board":{"decay_factor":1,"max_users":0,"landmark":5,"entries":[{"user_id":"a","score":1,"last_update":5,"g":1}]}}]}`))
	// A window's "users" hint, as save writes it before the window's board, and a wrong one.
	f.Add([]byte(`{"decay_factor":1,"max_users":0,"landmark":5,"entries":[],"window_origin":0,"windows":[{"name":"day","length":86400,"period":0,"users":2,"board":{"decay_factor":1,"max_users":0,"landmark":5,"entries":[{"user_id":"a","score":1,"last_update":5,"g":1},{"user_id":"b","score":2,"last_update":5,"g":2}]}}]}`))
	f.Add([]byte(`{"decay_factor":1,"max_users":0,"landmark":5,"entries":[],"window_origin":0,"windows":[{"name":"day","length":86400,"period":0,"users":-7,"board":{"decay_factor":1,"max_users":0,"landmark":5,"entries":[{"user_id":"a","score":1,"last_update":5,"g":1}]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := New(0.9, 10)
		require.NoError(t, err)
		require.NoError(t, b.Update("resident", 3, 100))
		before := dump(t, b)
		if err := b.ReadSnapshot(bytes.NewReader(data)); err != nil {
			require.ErrorIs(t, err, ErrSnapshot)
			require.Equal(t, before, dump(t, b))
			return
		}
		checkTree(t, b)
		checkTies(t, b)
		for _, w := range b.Windows() {
			v, err := b.Window(w.Name, -1)
			require.NoError(t, err)
			checkTree(t, v)
			checkTies(t, v)
		}
		var first bytes.Buffer
		if err := b.WriteSnapshot(&first); err != nil {
			return // a score that is finite only as a sum can overflow when shown
		}
		c, err := New(1, 0)
		require.NoError(t, err)
		require.NoError(t, c.ReadSnapshot(bytes.NewReader(first.Bytes())))
		require.Equal(t, b.DecayFactor(), c.DecayFactor())
		require.Equal(t, b.MaxUsers(), c.MaxUsers())
		require.Equal(t, b.Len(), c.Len())
		b.Visit(0, b.Len(), 0, func(e Entry) bool {
			r, ok := c.Rank(e.UserID, 0)
			require.True(t, ok, "lost %q", e.UserID)
			require.Equal(t, e.LastUpdate, r.LastUpdate)
			if e.Score != r.Score && !(math.Abs(e.Score-r.Score) <= 1e-9*math.Abs(e.Score)) {
				sb, _ := scoreAtLast(b, e.UserID)
				sc, _ := scoreAtLast(c, e.UserID)
				require.InEpsilon(t, sb, sc, 1e-9, "score of %q", e.UserID)
			}
			return true
		})
	})
}

// scoreAtLast is the score a snapshot stores for id.
func scoreAtLast(b *Board, id string) (float64, bool) {
	e, ok := b.Rank(id, 0)
	if !ok {
		return 0, false
	}
	return b.Score(id, float64(e.LastUpdate))
}

// requireSameBoard compares two boards entry by entry in rank order; scores
// may differ by rounding from a snapshot's change of landmark.
func requireSameBoard(t *testing.T, want, got *Board) {
	t.Helper()
	require.Equal(t, want.DecayFactor(), got.DecayFactor())
	require.Equal(t, want.MaxUsers(), got.MaxUsers())
	now := 1_700_100_000.0
	w, g := want.Page(0, want.Len(), now), got.Page(0, got.Len(), now)
	require.Len(t, g, len(w))
	for i := range w {
		require.Equal(t, []byte(w[i].UserID), []byte(g[i].UserID))
		require.Equal(t, w[i].LastUpdate, g[i].LastUpdate)
		require.InEpsilon(t, w[i].Score, g[i].Score, 1e-12)
	}
}

// Saves hold only the read lock, so several may run at once (and beside
// queries); under -race this shows they share no unsynchronised state.
func TestConcurrentSnapshotsAgree(t *testing.T) {
	b, err := NewBoard(Config{DecayFactor: 0.95})
	require.NoError(t, err)
	for i := 0; i < 5000; i++ {
		require.NoError(t, b.Update(fmt.Sprintf("user%05d", i), float64(i%97), 1_700_000_000))
	}
	var want bytes.Buffer
	require.NoError(t, b.WriteSnapshot(&want))
	outs := make([]bytes.Buffer, 4)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, b.WriteSnapshot(&outs[i]))
		}()
	}
	wg.Wait()
	for i := range outs {
		assert.Equal(t, want.String(), outs[i].String(), "save %d", i)
	}
}

// A save's entries are formatted by several goroutines (see writeEntries);
// the file must be byte for byte what one goroutine formatting one segment
// writes, whatever the segment size: ids of every kind (short, numeric,
// long, needing escapes), ties, and a window's board.
func TestParallelSaveWritesWhatOneGoroutineWrites(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	defer func(workers, leaves int) {
		maxSaveWorkers, saveSegmentLeaves = workers, leaves
	}(maxSaveWorkers, saveSegmentLeaves)

	b, err := NewBoard(Config{DecayFactor: 0.95, Windows: []Window{{Name: "week", Length: 7 * 86400}}})
	require.NoError(t, err)
	for i := 0; i < 4000; i++ {
		var id string
		switch i % 4 {
		case 0:
			id = fmt.Sprintf("user%05d", i)
		case 1:
			id = fmt.Sprintf("%d", 630000000000000000+uint64(i)*7919)
		case 2:
			id = fmt.Sprintf("a-rather-long-user-id-%08d", i)
		default:
			id = fmt.Sprintf("<q\"%d\">\u00e9\u2028", i)
		}
		require.NoError(t, b.Update(id, float64(i%13), 1_700_000_000+int64(i%5)*86400))
	}
	maxSaveWorkers, saveSegmentLeaves = 1, 1<<30
	var want bytes.Buffer
	require.NoError(t, b.WriteSnapshot(&want))
	for _, leaves := range []int{1, 3, 64} {
		maxSaveWorkers, saveSegmentLeaves = 4, leaves
		var got bytes.Buffer
		require.NoError(t, b.WriteSnapshot(&got))
		require.Equal(t, want.String(), got.String(), "segments of %d leaves", leaves)
	}
	// And it reads back as the same board.
	back, err := NewBoard(Config{DecayFactor: 0.5})
	require.NoError(t, err)
	require.NoError(t, back.ReadSnapshot(bytes.NewReader(want.Bytes())))
	require.Equal(t, b.Len(), back.Len())
}

// A snapshot held in memory is sized by what is left to read of it, as a
// file by its length; any other reader is of unknown size.
func TestInMemorySnapshotsAreSized(t *testing.T) {
	br := bytes.NewReader([]byte("0123456789"))
	_, err := br.Read(make([]byte, 4))
	require.NoError(t, err)
	assert.Equal(t, int64(6), inMemorySize(br))
	assert.Equal(t, int64(3), inMemorySize(bytes.NewBufferString("abc")))
	assert.Equal(t, int64(2), inMemorySize(strings.NewReader("ab")))
	assert.Equal(t, int64(0), inMemorySize(iotest.OneByteReader(strings.NewReader("ab"))))
}

// A board read from memory, sized up front, is the board that was saved,
// from past a first batch of entries (where the size is used) on.
func TestSizedReadRoundTrip(t *testing.T) {
	b, err := New(0.9, 0)
	require.NoError(t, err)
	for i := range 5000 {
		require.NoError(t, b.Update(fmt.Sprintf("user%05d", i), float64(i%97), int64(1_700_000_000+i)))
	}
	var buf bytes.Buffer
	require.NoError(t, b.WriteSnapshot(&buf))
	for _, r := range []func() io.Reader{
		func() io.Reader { return bytes.NewReader(buf.Bytes()) },
		func() io.Reader { return iotest.OneByteReader(bytes.NewReader(buf.Bytes())) },
	} {
		c, err := New(1, 0)
		require.NoError(t, err)
		require.NoError(t, c.ReadSnapshot(r()))
		requireSameBoard(t, b, c)
		checkTree(t, c)
	}
}

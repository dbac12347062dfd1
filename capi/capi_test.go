package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/engagehub/engagehub-native/core/leaderboard"
	"github.com/engagehub/engagehub-native/core/stream"
)

func TestHandlesAreCheckedNotTrusted(t *testing.T) {
	b, err := leaderboard.New(0.9, 0)
	require.NoError(t, err)
	h := newHandle(b)
	require.NotZero(t, h)

	got, err := handleValue[*leaderboard.Board](h)
	require.NoError(t, err)
	assert.Same(t, b, got)

	_, err = handleValue[*processor](h) // a board handle given to a processor call
	assert.ErrorIs(t, err, errInvalidHandle)
	_, err = handleValue[*leaderboard.Board](0)
	assert.ErrorIs(t, err, errInvalidHandle)

	require.NoError(t, deleteHandle(h))
	_, err = handleValue[*leaderboard.Board](h) // stale
	assert.ErrorIs(t, err, errInvalidHandle)
	assert.ErrorIs(t, deleteHandle(h), errInvalidHandle) // double free is an error, not a panic
	assert.ErrorIs(t, deleteHandle(0), errInvalidHandle)
}

func TestDeletedHandlesStayRefusedWhenTheirSlotIsReused(t *testing.T) {
	old := newHandle(&processor{})
	require.NoError(t, deleteHandle(old))
	b, err := leaderboard.New(0.9, 0)
	require.NoError(t, err)
	h := newHandle(b) // takes the slot old had
	defer deleteHandle(h)
	require.Equal(t, uint32(old), uint32(h), "the freed slot is reused")
	require.NotEqual(t, old, h)

	_, err = handleValue[*processor](old)
	assert.ErrorIs(t, err, errInvalidHandle)
	_, err = handleValue[*leaderboard.Board](old)
	assert.ErrorIs(t, err, errInvalidHandle)
	assert.ErrorIs(t, deleteHandle(old), errInvalidHandle)
	got, err := handleValue[*leaderboard.Board](h)
	require.NoError(t, err)
	assert.Same(t, b, got)

	_, err = handleValue[*processor](h + 1<<40) // a slot that does not exist
	assert.ErrorIs(t, err, errInvalidHandle)
	_, err = handleValue[*processor](h &^ 0xFFFFFFFF) // slot 0: none
	assert.ErrorIs(t, err, errInvalidHandle)
}

// TestHandlesUnderConcurrency looks handles up while others are made and
// deleted, and the table grows: each goroutine holds a few hundred handles
// at a time and finds its own objects, never another's, and never a
// deleted one (run under -race in CI).
func TestHandlesUnderConcurrency(t *testing.T) {
	const goroutines, rounds, held = 8, 20, 300
	done := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		go func() {
			check := func() error {
				ps := make([]*processor, held)
				hs := make([]handle, held)
				for round := 0; round < rounds; round++ {
					for i := range ps {
						ps[i] = &processor{}
						hs[i] = newHandle(ps[i])
					}
					for i := range ps {
						if got, err := handleValue[*processor](hs[i]); err != nil || got != ps[i] {
							return fmt.Errorf("round %d: handle %d: got %p, %v; want %p", round, i, got, err, ps[i])
						}
					}
					for i := range ps {
						if err := deleteHandle(hs[i]); err != nil {
							return err
						}
						if _, err := handleValue[*processor](hs[i]); !errors.Is(err, errInvalidHandle) {
							return fmt.Errorf("round %d: a deleted handle was found: %v", round, err)
						}
					}
				}
				return nil
			}
			done <- check()
		}()
	}
	for g := 0; g < goroutines; g++ {
		assert.NoError(t, <-done)
	}
}

func TestStatusOfClassifiesErrors(t *testing.T) {
	_, statErr := os.Stat(filepath.Join(t.TempDir(), "missing"))
	renameErr := os.Rename(filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b"))
	cases := []struct {
		err  error
		want int
	}{
		{fmt.Errorf("wrapped: %w", leaderboard.ErrInvalidPoints), ehErrInvalidArgument},
		{leaderboard.ErrInvalidDecay, ehErrInvalidArgument},
		{fmt.Errorf("load: %w", leaderboard.ErrSnapshot), ehErrSnapshot},
		{leaderboard.ErrFull, ehErrCapacity},
		{stream.ErrClosed, ehErrClosed},
		{stream.ErrTimeout, ehErrTimeout},
		{fmt.Errorf("event 3: %w", stream.ErrInvalidEvent), ehErrInvalidArgument},
		{errInvalidHandle, ehErrInvalidHandle},
		{statErr, ehErrIO},
		{renameErr, ehErrIO},
		{errors.New("something unforeseen"), ehErrInternal},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, int(statusOf(c.err)), "%v", c.err)
	}
	require.ErrorIs(t, statErr, fs.ErrNotExist)
}

func TestRecoverStatusTurnsPanicsIntoInternalErrors(t *testing.T) {
	status := result(nil)
	require.Equal(t, ehOK, int(status))
	func() {
		defer recoverStatus(&status)
		var b *leaderboard.Board
		_ = b.Len() // nil pointer dereference
	}()
	assert.Equal(t, ehErrInternal, int(status))
}

func TestDecodeStrings(t *testing.T) {
	got, err := decodeStrings([]byte("a\xffbc\xff\xff\x00\xff"), 4)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "bc", "", "\x00"}, got)
	got, err = decodeStrings(nil, 0)
	require.NoError(t, err)
	assert.Empty(t, got)

	for _, c := range []struct {
		data string
		n    int
	}{
		{"a\xffb", 2},           // last string not ended
		{"a\xff", 2},            // too few
		{"a\xffb\xff", 1},       // too many
		{"\xc3\x28\xff", 1},     // not UTF-8
		{"\xed\xa0\x80\xff", 1}, // an encoded surrogate is not UTF-8 either
		{"", 1},
		{"a\xff", -1},
	} {
		_, err := decodeStrings([]byte(c.data), c.n)
		assert.ErrorIs(t, err, errInvalidArgument, "%q as %d strings", c.data, c.n)
	}
}

func TestListWriterColumns(t *testing.T) {
	var w listWriter
	w.add("x")
	w.addReal(2)
	w.addInt(7)
	w.add("")
	w.addReal(1)
	w.addInt(8)
	assert.Equal(t, 2, w.count)
	assert.Equal(t, []float64{2, 1}, w.reals)
	assert.Equal(t, []int64{7, 8}, w.ints)
	assert.Equal(t, []byte("x\xff\xff"), w.strings)
	w.reset()
	assert.Zero(t, w.count)
	assert.Empty(t, w.strings)
}

// FuzzDecodeStrings: the decoder of the C ABI's string lists never panics,
// accepts exactly the lists the encoder (listWriter) makes, and gives back
// the strings it was given.
func FuzzDecodeStrings(f *testing.F) {
	f.Add([]byte("a\xffbc\xff\xff"), 3)
	f.Add([]byte("\x00\xff\xe2\x82\xac\xff"), 2)
	f.Add([]byte("\xff\xff\xff"), 2)
	f.Add([]byte("a\xffb"), 2)
	f.Add([]byte{}, 0)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		got, err := decodeStrings(data, n)
		if err != nil {
			require.ErrorIs(t, err, errInvalidArgument)
			return
		}
		require.Len(t, got, n)
		var w listWriter
		for _, s := range got {
			require.True(t, utf8.ValidString(s))
			w.add(s)
		}
		require.Equal(t, string(data), string(w.strings), "decoding then encoding gives the list back")
		again, err := decodeStrings(w.strings, n)
		require.NoError(t, err)
		require.Equal(t, got, again)
	})
}

// FuzzPlainList: plainList says yes exactly when every byte is ASCII or
// 0xFF, whatever the length and alignment.
func FuzzPlainList(f *testing.F) {
	f.Add([]byte("abc\xffdefghij\xffklmnopq\xff"))
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\xff\x7f"))
	f.Add([]byte("0123456\xfe"))
	f.Add([]byte("01234567\x80"))
	f.Add([]byte("\xc3\xa9\xff"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for start := 0; start <= min(len(data), 8); start++ { // every alignment
			tail := data[start:]
			want := !slices.ContainsFunc(tail, func(c byte) bool { return c >= 0x80 && c != stringEnd })
			require.Equal(t, want, plainList(string(tail)), "%q", tail)
		}
	})
}

// Update batches are pooled and reused once the embedded board has applied
// them: every batch's users arrive whole, with their own ids, however soon
// the next batch reuses the memory of the last.
func TestUpdateBatchesAreReusedOnlyOnceApplied(t *testing.T) {
	b, err := leaderboard.New(1, 0)
	require.NoError(t, err)
	eb := &embeddedBoard{Board: b, updates: leaderboard.NewBackground(b)}
	const batches, per = 200, 300
	for k := range batches {
		var wire []byte
		pts := make([]float64, per)
		tss := make([]int64, per)
		for i := range per {
			wire = append(wire, fmt.Sprintf("b%03d-u%03d", k, i)...)
			wire = append(wire, stringEnd)
			pts[i], tss[i] = float64(k*per+i+1), 1000
		}
		u, err := newUpdateBatch(wire, per, pts, tss, k*per)
		require.NoError(t, err)
		require.NoError(t, eb.Submit(u))
	}
	require.NoError(t, eb.Sync())
	require.Equal(t, batches*per, b.Len())
	for k := range batches {
		for i := 0; i < per; i += 37 {
			e, ok := b.Rank(fmt.Sprintf("b%03d-u%03d", k, i), 0)
			require.True(t, ok)
			require.Equal(t, float64(k*per+i+1), e.Score)
			require.Equal(t, batches*per-(k*per+i), e.Rank)
		}
	}
	_, err = newUpdateBatch([]byte("a\xffb\xff"), 3, make([]float64, 3), make([]int64, 3), -1)
	require.ErrorIs(t, err, errInvalidArgument)
}

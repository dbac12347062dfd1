package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

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

func TestSplitIDs(t *testing.T) {
	ids, err := splitIDs([]byte("a\xffbc\xff\xff"), 3)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "bc", ""}, ids)

	_, err = splitIDs([]byte("a\xffb"), 2) // last id not ended
	assert.ErrorIs(t, err, errInvalidArgument)
	_, err = splitIDs([]byte("a\xff"), 2) // too few
	assert.ErrorIs(t, err, errInvalidArgument)
	_, err = splitIDs([]byte("\xc3\x28\xff"), 1) // not UTF-8
	assert.ErrorIs(t, err, errInvalidArgument)
}

func TestPageBuilderLaysOutConsecutiveRanks(t *testing.T) {
	pb := new(pageBuilder)
	pb.reset()
	pb.add(leaderboard.Entry{UserID: "x", Score: 2, LastUpdate: 7})
	pb.add(leaderboard.Entry{UserID: "", Score: 1, LastUpdate: 8})
	assert.Equal(t, []float64{2, 1}, pb.scores)
	assert.Equal(t, []int64{7, 8}, pb.last)
	assert.Equal(t, []byte("x\xff\xff"), pb.ids)
}

func TestSplitAndCutFields(t *testing.T) {
	fields, err := splitFields([]byte("a\x00\x00bc"), 3)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "", "bc"}, fields)
	for _, bad := range []string{"a\x00b", "a\x00b\x00c\x00d", ""} {
		_, err = splitFields([]byte(bad), 3)
		assert.ErrorIs(t, err, errInvalidArgument, "%q", bad)
	}

	fields, err = cutFields([]byte("ab\x00c"), []int64{2, 0, 2})
	require.NoError(t, err)
	assert.Equal(t, []string{"ab", "", "\x00c"}, fields)
	for _, sizes := range [][]int64{{1, 1, 1}, {5, 0, 0}, {-1, 3, 2}} {
		_, err = cutFields([]byte("ab\x00c"), sizes)
		assert.ErrorIs(t, err, errInvalidArgument, "%v", sizes)
	}
}

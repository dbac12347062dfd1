package topk

import (
	"encoding/binary"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMarshalRoundTrip(t *testing.T) {
	tr, _ := New(8)
	for i := range 100 {
		tr.Add("k"+strconv.Itoa(i%13), uint64(i%5+1))
	}
	data, err := tr.MarshalBinary()
	require.NoError(t, err)
	var got Tracker // a zero Tracker is a valid target
	require.NoError(t, got.UnmarshalBinary(data))
	assert.Equal(t, tr.Top(8), got.Top(8))
	assert.Equal(t, tr.Total(), got.Total())
	assert.Equal(t, tr.Capacity(), got.Capacity())
	assert.Equal(t, tr.Floor(), got.Floor())
	again, _ := got.MarshalBinary()
	assert.Equal(t, data, again)
	got.Add("new", 100) // the decoded tracker works
	assert.Equal(t, "new", got.Top(1)[0].Key)
}

func TestUnmarshalCorrupt(t *testing.T) {
	tr, _ := New(4)
	tr.Add("a", 3)
	tr.Add("b", 2)
	valid, _ := tr.MarshalBinary()
	with := func(f func([]byte)) []byte {
		b := append([]byte(nil), valid...)
		f(b)
		return b
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"nil", nil},
		{"bad magic", with(func(b []byte) { b[0] = 'X' })},
		{"bad version", with(func(b []byte) { b[1] = 2 })},
		{"zero capacity", with(func(b []byte) { binary.LittleEndian.PutUint32(b[2:], 0) })},
		{"more items than capacity", with(func(b []byte) { binary.LittleEndian.PutUint32(b[2:], 1) })},
		{"truncated", valid[:len(valid)-1]},
		{"trailing byte", append(append([]byte(nil), valid...), 0)},
		{"error above count", with(func(b []byte) { binary.LittleEndian.PutUint64(b[headerSize+4+1+8:], 9) })},
		{"count above total", with(func(b []byte) { binary.LittleEndian.PutUint64(b[6:], 1) })},
		{"key not UTF-8", with(func(b []byte) { b[headerSize+4] = 0xff })},
		{"duplicate key", with(func(b []byte) { b[headerSize+itemFixed+1+4] = b[headerSize+4] })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := New(2)
			got.Add("keep", 1)
			require.ErrorIs(t, got.UnmarshalBinary(tt.data), ErrCorrupt)
			assert.Equal(t, []Item{{"keep", 1, 0}}, got.Top(5), "changed on error")
			assert.Equal(t, 2, got.Capacity())
		})
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	tr, _ := New(3)
	f.Add(mustMarshal(tr))
	tr.Add("a", 2)
	tr.Add("b", 1)
	tr.Add("c", 1)
	tr.Add("d", 4)
	f.Add(mustMarshal(tr))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var tr Tracker
		if err := tr.UnmarshalBinary(data); err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
			return
		}
		out, err := tr.MarshalBinary()
		require.NoError(t, err)
		var again Tracker
		require.NoError(t, again.UnmarshalBinary(out))
		require.Equal(t, tr.Top(tr.Capacity()), again.Top(again.Capacity()))
		c, _ := New(tr.Capacity())
		require.NoError(t, c.Merge(&tr))
		tr.Add("x", 1)
	})
}

func mustMarshal(tr *Tracker) []byte {
	b, err := tr.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b
}

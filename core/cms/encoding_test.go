package cms

import (
	"encoding/binary"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMarshalRoundTrip(t *testing.T) {
	s, err := NewWithSize(50, 3)
	require.NoError(t, err)
	for i := range 1000 {
		s.AddString(strconv.Itoa(i%77), uint64(i%3))
	}
	data, err := s.MarshalBinary()
	require.NoError(t, err)
	assert.Len(t, data, headerSize+8*50*3)

	var got Sketch // a zero Sketch is a valid UnmarshalBinary target
	require.NoError(t, got.UnmarshalBinary(data))
	assert.Equal(t, s.Width(), got.Width())
	assert.Equal(t, s.Depth(), got.Depth())
	assert.Equal(t, s.Total(), got.Total())
	assert.Equal(t, s.counters, got.counters)
	for i := range 77 {
		assert.Equal(t, s.EstimateString(strconv.Itoa(i)), got.EstimateString(strconv.Itoa(i)))
	}
}

func TestUnmarshalCorrupt(t *testing.T) {
	src, err := NewWithSize(4, 2)
	require.NoError(t, err)
	src.AddString("a", 3)
	valid, err := src.MarshalBinary()
	require.NoError(t, err)
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
		{"short header", valid[:headerSize-1]},
		{"bad magic", with(func(b []byte) { b[0] = 'H' })},
		{"bad version", with(func(b []byte) { b[1] = 9 })},
		{"zero width", with(func(b []byte) { binary.LittleEndian.PutUint32(b[2:], 0) })},
		{"zero depth", with(func(b []byte) { binary.LittleEndian.PutUint32(b[6:], 0) })},
		{"huge shape", with(func(b []byte) {
			binary.LittleEndian.PutUint32(b[2:], MaxWidth)
			binary.LittleEndian.PutUint32(b[6:], MaxDepth)
		})},
		{"width disagrees with length", with(func(b []byte) { binary.LittleEndian.PutUint32(b[2:], 5) })},
		{"truncated", valid[:len(valid)-1]},
		{"trailing byte", append(append([]byte(nil), valid...), 0)},
		{"row above total", with(func(b []byte) { binary.LittleEndian.PutUint64(b[10:], 2) })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewWithSize(10, 2)
			require.NoError(t, err)
			s.AddString("keep", 5)
			require.ErrorIs(t, s.UnmarshalBinary(tt.data), ErrCorrupt)
			assert.Equal(t, 10, s.Width(), "receiver changed on error")
			assert.Equal(t, uint64(5), s.Total(), "receiver changed on error")
			assert.Equal(t, uint64(5), s.EstimateString("keep"), "receiver changed on error")
		})
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	s, _ := NewWithSize(3, 2)
	f.Add(mustMarshal(s))
	s.AddString("a", 2)
	s.AddString("b", 1)
	f.Add(mustMarshal(s))
	f.Add([]byte{})
	f.Add([]byte{'C', 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Sketch
		if err := s.UnmarshalBinary(data); err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
			return
		}
		out, err := s.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, data, out, "accepted input does not round-trip")
		before := s.EstimateString("x")
		require.GreaterOrEqual(t, s.AddString("x", 1), before)
	})
}

func mustMarshal(s *Sketch) []byte {
	b, err := s.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b
}

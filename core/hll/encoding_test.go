package hll

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMarshalRoundTrip(t *testing.T) {
	for _, p := range []uint8{MinPrecision, 10, 14, MaxPrecision} {
		s, err := New(p)
		require.NoError(t, err)
		for i := range uint64(10_000) {
			s.AddHash(splitmix64(i))
		}
		data, err := s.MarshalBinary()
		require.NoError(t, err)
		assert.Len(t, data, 3+1<<p)

		var got Sketch // a zero Sketch is a valid UnmarshalBinary target
		require.NoError(t, got.UnmarshalBinary(data))
		assert.Equal(t, s.Precision(), got.Precision())
		assert.Equal(t, s.regs, got.regs)
		assert.Equal(t, s.Estimate(), got.Estimate())

		data[3] ^= 1 // the decoded sketch must not alias the input
		assert.Equal(t, s.regs, got.regs)
	}
}

func TestUnmarshalCorrupt(t *testing.T) {
	valid, err := New14().MarshalBinary()
	require.NoError(t, err)
	with := func(f func([]byte) []byte) []byte {
		return f(append([]byte(nil), valid...))
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"nil", nil},
		{"short header", []byte{'H', 1}},
		{"bad magic", with(func(b []byte) []byte { b[0] = 'X'; return b })},
		{"bad version", with(func(b []byte) []byte { b[1] = 2; return b })},
		{"precision too low", with(func(b []byte) []byte { b[2] = 3; return b })},
		{"precision too high", with(func(b []byte) []byte { b[2] = 19; return b })},
		{"precision disagrees with length", with(func(b []byte) []byte { b[2] = 13; return b })},
		{"truncated", valid[:len(valid)-1]},
		{"trailing byte", append(append([]byte(nil), valid...), 0)},
		{"register too large", with(func(b []byte) []byte { b[100] = 52; return b })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New14()
			s.AddString("keep me")
			before := s.Clone()
			require.ErrorIs(t, s.UnmarshalBinary(tt.data), ErrCorrupt)
			assert.Equal(t, before.p, s.p, "receiver changed on error")
			assert.Equal(t, before.regs, s.regs, "receiver changed on error")
		})
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	for _, p := range []uint8{4, 5} {
		s, _ := New(p)
		f.Add(mustMarshal(s))
		s.AddString("a")
		s.AddHash(0)
		f.Add(mustMarshal(s))
	}
	f.Add([]byte{})
	f.Add([]byte{'H', 1, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Sketch
		if err := s.UnmarshalBinary(data); err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
			return
		}
		_ = s.Estimate()
		out, err := s.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, data, out, "accepted input does not round-trip")
		c := s.Clone()
		require.NoError(t, c.Merge(&s))
		require.Equal(t, s.regs, c.regs)
	})
}

func mustMarshal(s *Sketch) []byte {
	b, err := s.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b
}

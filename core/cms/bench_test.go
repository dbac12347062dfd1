package cms

import (
	"strconv"
	"testing"

	"github.com/cespare/xxhash/v2"
)

func BenchmarkAdd(b *testing.B) {
	keys := make([]string, 1<<14)
	for i := range keys {
		keys[i] = "channel-" + strconv.Itoa(i*7919)
	}
	s, err := New(0.001, 0.01) // 2719×5
	if err != nil {
		b.Fatal(err)
	}
	b.Run("String", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			s.AddString(keys[i&(len(keys)-1)], 1)
		}
	})
	b.Run("Hash", func(b *testing.B) {
		hashes := make([]uint64, len(keys))
		for i, k := range keys {
			hashes[i] = xxhash.Sum64String(k)
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			s.AddHash(hashes[i&(len(hashes)-1)], 1)
		}
	})
}

func BenchmarkEstimateString(b *testing.B) {
	s, err := New(0.001, 0.01)
	if err != nil {
		b.Fatal(err)
	}
	s.AddString("x", 1)
	b.ReportAllocs()
	for b.Loop() {
		s.EstimateString("channel-42")
	}
}

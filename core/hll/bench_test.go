package hll

import (
	"strconv"
	"testing"

	"github.com/cespare/xxhash/v2"
)

func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "user-" + strconv.Itoa(i*7919)
	}
	return keys
}

func BenchmarkAdd(b *testing.B) {
	keys := benchKeys(1 << 16)
	b.Run("String", func(b *testing.B) {
		s := New14()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			s.AddString(keys[i&(len(keys)-1)])
		}
	})
	b.Run("Hash", func(b *testing.B) {
		hashes := make([]uint64, len(keys))
		for i, k := range keys {
			hashes[i] = xxhash.Sum64String(k)
		}
		s := New14()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			s.AddHash(hashes[i&(len(hashes)-1)])
		}
	})
}

func BenchmarkEstimate(b *testing.B) {
	s := New14()
	for i := range uint64(100_000) {
		s.AddHash(splitmix64(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Estimate()
	}
}

func BenchmarkMerge(b *testing.B) {
	s, o := New14(), New14()
	for i := range uint64(100_000) {
		o.AddHash(splitmix64(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Merge(o)
	}
}

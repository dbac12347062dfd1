package topk

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

func BenchmarkAdd(b *testing.B) {
	z := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.1, 1, 1<<20)
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = "channel-" + strconv.FormatUint(z.Uint64(), 10)
	}
	tr, err := New(1000)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tr.Add(keys[i&(len(keys)-1)], 1)
	}
}

func BenchmarkTop10(b *testing.B) {
	tr, err := New(1000)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 5000 {
		tr.Add(strconv.Itoa(i%1500), uint64(i%7))
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = tr.Top(10)
	}
}

package main

import (
	"testing"

	"github.com/engagehub/engagehub-native/core/leaderboard"
)

// BenchmarkHandleValue: the look-up every read of a board starts with, and
// with the wait for submitted updates (none here) that reads of users add.
func BenchmarkHandleValue(b *testing.B) {
	lb, err := leaderboard.New(0.95, 0)
	if err != nil {
		b.Fatal(err)
	}
	h := newHandle(board(&embeddedBoard{Board: lb, updates: leaderboard.NewBackground(lb)}))
	defer deleteHandle(h)
	b.Run("handle", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := handleValue[board](h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("synced", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := syncedBoardOf(h); err != nil {
				b.Fatal(err)
			}
		}
	})
}

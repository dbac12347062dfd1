package leaderboard_test

import (
	"fmt"

	"github.com/engagehub/engagehub-native/core/leaderboard"
)

func Example() {
	// Points lose 5% of their value per day; keep at most 1000 users.
	board, err := leaderboard.New(0.95, 1000)
	if err != nil {
		panic(err)
	}
	const day = 86400
	now := int64(1_700_000_000)
	board.Update("alice", 100, now-day) // earned yesterday: worth 95 now
	board.Update("bob", 90, now)
	board.Update("carol", 90, now) // ties rank by id

	for _, e := range board.Top(3, float64(now)) {
		fmt.Printf("%d. %s %.1f\n", e.Rank, e.UserID, e.Score)
	}
	if e, ok := board.Rank("carol", float64(now+day)); ok {
		fmt.Printf("tomorrow carol is #%d with %.1f\n", e.Rank, e.Score)
	}
	// Output:
	// 1. alice 95.0
	// 2. bob 90.0
	// 3. carol 90.0
	// tomorrow carol is #3 with 85.5
}

//go:build race

package leaderboard

// raceEnabled shrinks the heaviest tests under the race detector, which
// slows single-goroutine work about tenfold without finding more in it.
const raceEnabled = true

//go:build !race

package leaderboard

const raceEnabled = false

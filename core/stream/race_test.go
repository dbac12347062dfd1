//go:build race

package stream

// raceEnabled shrinks the heaviest tests under the race detector, which
// slows the analyser down about tenfold.
const raceEnabled = true

//go:build !linux || !(amd64 || arm64)

package leaderboard

// hugePages, hugePagesFor and pauseHugePages do nothing here: the chunks
// they advise are those of the Go heap on 64-bit Linux (see
// hugepages_linux.go).
func hugePages[T any](p *T) *T { return p }

func hugePagesFor[T any](s []T) []T { return s }

func pauseHugePages() (resume func()) { return func() {} }

package main

import (
	"github.com/engagehub/engagehub-native/core/leaderboard"
	"github.com/engagehub/engagehub-native/core/redisboard"
)

func init() {
	registerStatus(ehErrInvalidArgument, redisboard.ErrUnsupported)
}

// rankedView is what the board statistics exports (boardstats.go) read: an
// embedded board or one of its windows (embeddedView), or a board in Redis
// (redisBoard), which numbers ranks in ordinal and competition style and
// refuses dense rank with an error naming it.
type rankedView interface {
	Len() (int, error)
	RankAs(style leaderboard.RankStyle, id string, now float64) (leaderboard.Entry, bool, error)
	VisitAs(style leaderboard.RankStyle, offset, limit int, now float64, fn func(leaderboard.Entry) bool) error
	AroundAs(style leaderboard.RankStyle, id string, before, after int, now float64) ([]leaderboard.Entry, bool, error)
	Percentile(id string) (float64, bool, error)
	AtPercentile(style leaderboard.RankStyle, p, now float64) (leaderboard.Entry, bool, error)
}

// embeddedView is an embedded board (or window) as a rankedView.
type embeddedView struct{ *leaderboard.Board }

func (v embeddedView) Len() (int, error) { return v.Board.Len(), nil }

func (v embeddedView) Percentile(id string) (float64, bool, error) {
	p, ok := v.Board.Percentile(id)
	return p, ok, nil
}

// VisitAs calls fn for the entries of redisboard's PageAs, which reads them
// in one script call.
func (b redisBoard) VisitAs(style leaderboard.RankStyle, offset, limit int, now float64,
	fn func(leaderboard.Entry) bool) error {
	es, err := b.PageAs(style, offset, limit, now)
	if err != nil {
		return err
	}
	for _, e := range es {
		if !fn(e) {
			break
		}
	}
	return nil
}

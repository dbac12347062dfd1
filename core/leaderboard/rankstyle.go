package leaderboard

import (
	"errors"
	"fmt"
	"math"

	"github.com/cespare/xxhash/v2"
)

// RankStyle is how tied users (equal scores; see ties.go) are numbered.
type RankStyle int

const (
	// Ordinal ranks are 1, 2, 3, 4: ties get consecutive ranks, in the
	// board's tie-break order.
	Ordinal RankStyle = iota
	// Competition ranks are 1, 2, 2, 4: 1 + the number of users with a
	// strictly higher score.
	Competition
	// Dense ranks are 1, 2, 2, 3: 1 + the number of distinct scores above.
	Dense
)

var rankStyleNames = [...]string{Ordinal: "ordinal", Competition: "competition", Dense: "dense"}

func (s RankStyle) String() string {
	if s.valid() {
		return rankStyleNames[s]
	}
	return fmt.Sprintf("RankStyle(%d)", int(s))
}

func (s RankStyle) valid() bool { return s >= Ordinal && s <= Dense }

// ParseRankStyle returns the style named "ordinal", "competition" or
// "dense", or an error wrapping ErrInvalidRankStyle.
func ParseRankStyle(name string) (RankStyle, error) {
	for s, n := range rankStyleNames {
		if n == name {
			return RankStyle(s), nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrInvalidRankStyle, name)
}

// TieBreak orders users with equal scores.
type TieBreak int

const (
	// TieByUserID ranks tied users by user id, ascending in byte order
	// (the original's order, and the default).
	TieByUserID TieBreak = iota
	// TieEarliest ranks first, among tied users, the one whose score
	// reached its value first: every update that changes a user's score
	// takes the next number of an arrival counter, and a smaller number
	// ranks first. "First" is the order in which the board applies
	// updates, not their timestamps.
	TieEarliest
)

var tieBreakNames = [...]string{TieByUserID: "user_id", TieEarliest: "earliest"}

func (t TieBreak) String() string {
	if t.valid() {
		return tieBreakNames[t]
	}
	return fmt.Sprintf("TieBreak(%d)", int(t))
}

func (t TieBreak) valid() bool { return t >= TieByUserID && t <= TieEarliest }

// ParseTieBreak returns the policy named "user_id" or "earliest", or an
// error wrapping ErrInvalidTieBreak.
func ParseTieBreak(name string) (TieBreak, error) {
	for t, n := range tieBreakNames {
		if n == name {
			return TieBreak(t), nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrInvalidTieBreak, name)
}

var (
	// ErrInvalidRankStyle is returned for a RankStyle that is none of
	// Ordinal, Competition and Dense; nothing is read or changed.
	ErrInvalidRankStyle = errors.New("leaderboard: rank style must be ordinal, competition or dense")
	// ErrInvalidTieBreak is returned by NewBoard for an unknown TieBreak.
	ErrInvalidTieBreak = errors.New("leaderboard: tie break must be user_id or earliest")
	// ErrInvalidPercentile is returned by AtPercentile for p outside
	// [0, 100] or NaN.
	ErrInvalidPercentile = errors.New("leaderboard: percentile must lie in 0..100")
)

// Config is what NewBoard builds a board from. The zero Config is not
// valid: DecayFactor must lie in (0, 1].
type Config struct {
	DecayFactor  float64  // fraction of a point kept after one day
	MaxUsers     int      // 0: unlimited
	TieBreak     TieBreak // order among equal scores
	Windows      []Window // time-windowed boards beside the all-time one (timewindows.go)
	WindowOrigin int64    // the windows' periods start at WindowOrigin + k·Length
}

// NewBoard returns an empty board configured by cfg, or an error wrapping
// ErrInvalidDecay, ErrInvalidLimit, ErrInvalidTieBreak or
// ErrInvalidWindow.
func NewBoard(cfg Config) (*Board, error) {
	if !cfg.TieBreak.valid() {
		return nil, fmt.Errorf("%w: %d", ErrInvalidTieBreak, int(cfg.TieBreak))
	}
	if err := checkWindows(cfg.Windows, cfg.WindowOrigin); err != nil {
		return nil, err
	}
	s, err := newStandings(cfg.DecayFactor, cfg.MaxUsers)
	if err != nil {
		return nil, err
	}
	s.tieBreak = cfg.TieBreak
	s.origin = cfg.WindowOrigin
	s.windows = s.newWindows(cfg.Windows)
	return &Board{standings: *s}, nil
}

// TieBreak returns the board's order among equal scores.
func (b *Board) TieBreak() TieBreak {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.tieBreak
}

// RankAs is Rank with the rank numbered in style. It returns an error
// wrapping ErrInvalidRankStyle for an unknown style.
func (b *Board) RankAs(style RankStyle, userID string, now float64) (Entry, bool, error) {
	if !style.valid() {
		return Entry{}, false, fmt.Errorf("%w: %d", ErrInvalidRankStyle, int(style))
	}
	h := xxhash.Sum64String(userID)
	b.mu.RLock()
	defer b.mu.RUnlock()
	u := b.lookup(userID, h)
	if u < 0 {
		return Entry{}, false, nil
	}
	id, j := b.userPos(u)
	g := b.leaves[id].g[j]
	rank := b.styledRank(style, g, id, j, -1)
	return Entry{
		UserID:     userID,
		Score:      scale(g, b.exponentAt(now)),
		Rank:       rank,
		LastUpdate: b.rec(u).last,
	}, true, nil
}

// VisitAs is Visit with ranks numbered in style (an unknown style visits
// nothing and returns an error wrapping ErrInvalidRankStyle).
func (b *Board) VisitAs(style RankStyle, offset, limit int, now float64, fn func(e Entry) bool) error {
	if !style.valid() {
		return fmt.Errorf("%w: %d", ErrInvalidRankStyle, int(style))
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	b.visitAs(style, offset, limit, now, fn)
	return nil
}

// visitAs numbers the entries visit yields in style: the first entry's rank
// costs a styledRank, the rest follow from whether each value differs from
// the one before (a tie in G is a tie: see ties.go).
func (c *standings) visitAs(style RankStyle, offset, limit int, now float64, fn func(e Entry) bool) {
	if style == Ordinal {
		c.visit(offset, limit, now, fn)
		return
	}
	offset = max(offset, 0)
	if offset >= c.size {
		return
	}
	lid, pos := c.kth(offset)
	g := c.leaves[lid].g[pos]
	rank := c.styledRank(style, g, lid, pos, offset)
	ord := offset
	c.visit(offset, limit, now, func(e Entry) bool {
		lf := c.leaves[lid]
		for pos >= int(lf.n) {
			lid, pos = lf.next, 0
			lf = c.leaves[lid]
		}
		if v := lf.g[pos]; v != g {
			g = v
			if style == Competition {
				rank = ord + 1
			} else {
				rank++
			}
		}
		pos++
		ord++
		e.Rank = rank
		return fn(e)
	})
}

// PageAs is Page with ranks numbered in style.
func (b *Board) PageAs(style RankStyle, offset, limit int, now float64) ([]Entry, error) {
	out := []Entry{}
	err := b.VisitAs(style, offset, limit, now, func(e Entry) bool {
		out = append(out, e)
		return true
	})
	ownIDs(out)
	return out, err
}

// AroundAs is Around with ranks numbered in style.
func (b *Board) AroundAs(style RankStyle, userID string, before, after int, now float64) ([]Entry, bool, error) {
	if !style.valid() {
		return nil, false, fmt.Errorf("%w: %d", ErrInvalidRankStyle, int(style))
	}
	before, after = max(before, 0), max(after, 0)
	h := xxhash.Sum64String(userID)
	b.mu.RLock()
	defer b.mu.RUnlock()
	u := b.lookup(userID, h)
	if u < 0 {
		return nil, false, nil
	}
	r := b.rankOfUser(u)
	start := max(r-before, 0)
	limit := r - start + 1 + min(after, b.size-r-1)
	out := make([]Entry, 0, limit)
	b.visitAs(style, start, limit, now, func(e Entry) bool {
		out = append(out, e)
		return true
	})
	ownIDs(out)
	return out, true, nil
}

// Percentile returns the share of the board, in percent (0 to 100), whose
// score is strictly below userID's, and whether userID is on the board.
func (b *Board) Percentile(userID string) (float64, bool) {
	h := xxhash.Sum64String(userID)
	b.mu.RLock()
	defer b.mu.RUnlock()
	u := b.lookup(userID, h)
	if u < 0 {
		return 0, false
	}
	id, j := b.userPos(u)
	g := b.leaves[id].g[j]
	tied := int(b.tied().weight(g)) // entries beside this one with value g
	above := 0
	if tied == 0 {
		above = b.rankAt(id, j)
	} else {
		above = b.aboveOf(g, id, j, -1)
	}
	below := b.size - above - 1 - tied
	return 100 * float64(below) / float64(b.size), true
}

// AtPercentile returns the entry at percentile p of the board (0 to 100),
// rank numbered in style, and whether the board has any entry: by the
// nearest-rank method, counting ⌈p·n/100⌉ entries (at least one) up from the
// bottom of the ranking, so 100 is the top entry, 0 the bottom one and 50
// the median. p outside [0, 100] or NaN yields an error wrapping
// ErrInvalidPercentile, an unknown style one wrapping ErrInvalidRankStyle.
func (b *Board) AtPercentile(style RankStyle, p float64, now float64) (Entry, bool, error) {
	if !(p >= 0 && p <= 100) {
		return Entry{}, false, fmt.Errorf("%w, got %v", ErrInvalidPercentile, p)
	}
	if !style.valid() {
		return Entry{}, false, fmt.Errorf("%w: %d", ErrInvalidRankStyle, int(style))
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	n := b.size
	if n == 0 {
		return Entry{}, false, nil
	}
	up := max(int(math.Ceil(p*float64(n)/100)), 1)
	var out Entry
	b.visitAs(style, n-up, 1, now, func(e Entry) bool {
		out = e
		return false
	})
	out.UserID = string([]byte(out.UserID)) // it refers to the board's memory
	return out, true, nil
}

package leaderboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
)

// The snapshot format is the original extension's:
//
//	{"decay_factor": f, "max_users": n,
//	 "entries": [{"user_id": s, "score": x, "last_update": t}, ...]}
//
// with entries in rank order and each score decayed to its own last_update,
// so old readers keep reading it. Two fields make a reload exact:
//
//	"landmark": L      (top level, integer Unix seconds)
//	"g": G             (per entry, the forward-decay value, see decay.go)
//
// A user's score at t is G · f^((t − L)/86400). A score decayed to its own
// last_update and decayed back is a few bits off, which reorders exact ties
// and moves scores; G relative to L is the board's own value, bit for bit,
// so a reloaded board ranks exactly as the saved one. On load, an entry's
// "g" is used when the file has a "landmark"; entries without it (and files
// without a landmark, such as the original's) are rebuilt from "score" with
// the landmark at the newest last_update, as before. Either way the horizon
// rule of Update applies (see decay.go): a landmark or last_update further
// in the future than the horizon fails the whole load.

type snapshotOut struct {
	DecayFactor float64    `json:"decay_factor"`
	MaxUsers    int        `json:"max_users"`
	Landmark    int64      `json:"landmark"`
	Entries     []entryOut `json:"entries"`
}

type entryOut struct {
	UserID     string  `json:"user_id"`
	Score      float64 `json:"score"`
	LastUpdate int64   `json:"last_update"`
	G          float64 `json:"g"`
}

// Pointers and raw numbers tell a missing key or a wrong type from a zero.
type snapshotIn struct {
	DecayFactor *float64         `json:"decay_factor"`
	MaxUsers    json.RawMessage  `json:"max_users"`
	Landmark    json.RawMessage  `json:"landmark"`
	Entries     *[]*snapshotItem `json:"entries"`
}

type snapshotItem struct {
	UserID     *string         `json:"user_id"`
	Score      *float64        `json:"score"`
	LastUpdate json.RawMessage `json:"last_update"`
	G          *float64        `json:"g"`
}

// WriteSnapshot writes the board as JSON in the original's format.
func (b *Board) WriteSnapshot(w io.Writer) error {
	b.mu.RLock()
	s := snapshotOut{
		DecayFactor: b.factor,
		MaxUsers:    b.maxUsers,
		Landmark:    b.landmark,
		Entries:     make([]entryOut, 0, b.size),
	}
	b.forEachLive(func(u int32) {
		r := b.rec(u)
		last := r.last
		s.Entries = append(s.Entries, entryOut{
			UserID:     string(b.id(u)),
			Score:      scale(r.g, b.exponentAt(float64(last))),
			LastUpdate: last,
			G:          r.g,
		})
	})
	b.mu.RUnlock()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&s); err != nil {
		return fmt.Errorf("leaderboard: write snapshot: %w", err)
	}
	return nil
}

// ReadSnapshot replaces the board's contents, decay factor and max users
// with those of the snapshot read from r. Input that is not a well-formed
// snapshot (see the package's snapshot format) yields an error wrapping
// ErrSnapshot, and input longer than MaxSnapshotSize one that also wraps
// ErrSnapshotTooLarge (reading stops there); on any error the board is
// unchanged. When the snapshot holds
// more entries than its max_users, the top max_users are kept.
func (b *Board) ReadSnapshot(r io.Reader) error {
	data, err := readBounded(r, 512)
	if err != nil {
		return fmt.Errorf("leaderboard: read snapshot: %w", err)
	}
	c, err := parseSnapshot(data)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.standings = *c
	b.mu.Unlock()
	return nil
}

func snapshotErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrSnapshot}, args...)...)
}

// parseInt accepts a JSON number literal that is an integer in int64 range.
func parseInt(raw json.RawMessage) (int64, bool) {
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return 0, false
	}
	v, err := strconv.ParseInt(string(raw), 10, 64)
	return v, err == nil
}

func parseSnapshot(data []byte) (*standings, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, snapshotErr("empty input")
	}
	if !utf8.Valid(data) {
		return nil, snapshotErr("not UTF-8")
	}
	var in snapshotIn
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, snapshotErr("%v", err)
	}
	switch {
	case in.DecayFactor == nil:
		return nil, snapshotErr("missing decay_factor")
	case in.MaxUsers == nil:
		return nil, snapshotErr("missing max_users")
	case in.Entries == nil:
		return nil, snapshotErr("missing entries")
	}
	maxUsers, ok := parseInt(in.MaxUsers)
	if !ok || maxUsers < 0 || maxUsers > math.MaxInt {
		return nil, snapshotErr("max_users %s is not a non-negative integer", in.MaxUsers)
	}
	c, err := newStandings(*in.DecayFactor, int(maxUsers))
	if err != nil {
		return nil, snapshotErr("decay_factor %v: %v", *in.DecayFactor, err)
	}
	items := *in.Entries
	if len(items) >= maxUserSlots {
		return nil, snapshotErr("too many entries")
	}
	exact := in.Landmark != nil
	if exact {
		l, ok := parseInt(in.Landmark)
		if !ok {
			return nil, snapshotErr("landmark %s is not an integer", in.Landmark)
		}
		if err := c.checkFuture(l); err != nil {
			return nil, fmt.Errorf("%w: landmark: %w", ErrSnapshot, err)
		}
		c.landmark = l
	}
	type loaded struct {
		id    string
		score float64
		last  int64
		g     float64
		hasG  bool
	}
	es := make([]loaded, len(items))
	for i, it := range items {
		if it == nil || it.UserID == nil || it.Score == nil || it.LastUpdate == nil {
			return nil, snapshotErr("entry %d: user_id, score and last_update are required", i)
		}
		last, ok := parseInt(it.LastUpdate)
		if !ok {
			return nil, snapshotErr("entry %d: last_update %s is not an integer", i, it.LastUpdate)
		}
		// The horizon rule of Update: a last_update beyond it (as with a
		// timestamp in milliseconds) would, as the landmark, zero every
		// other entry, so the file is refused rather than loaded wrong.
		if err := c.checkFuture(last); err != nil {
			return nil, fmt.Errorf("%w: entry %q: %w", ErrSnapshot, *it.UserID, err)
		}
		es[i] = loaded{id: *it.UserID, score: *it.Score, last: last}
		if exact && it.G != nil {
			es[i].g, es[i].hasG = *it.G, true
		}
	}
	in = snapshotIn{} // let the decoded tree go before building
	items = nil

	byID := make([]int32, len(es))
	for i := range byID {
		byID[i] = int32(i)
	}
	slices.SortFunc(byID, func(a, b int32) int { return strings.Compare(es[a].id, es[b].id) })
	for i := 1; i < len(byID); i++ {
		if es[byID[i]].id == es[byID[i-1]].id {
			return nil, snapshotErr("duplicate user_id %q", es[byID[i]].id)
		}
	}
	byID = nil

	// Without a landmark in the file it is the latest last_update, so every
	// weight is at most 1.
	if !exact && len(es) > 0 {
		c.landmark = es[0].last
		for _, e := range es {
			c.landmark = max(c.landmark, e.last)
		}
	}
	for i := range es {
		if !es[i].hasG {
			es[i].g = scale(es[i].score, -c.exponentAt(float64(es[i].last)))
		}
	}
	slices.SortFunc(es, func(a, b loaded) int {
		switch {
		case a.g > b.g:
			return -1
		case a.g < b.g:
			return 1
		}
		return strings.Compare(a.id, b.id)
	})
	if c.maxUsers > 0 && len(es) > c.maxUsers {
		es = es[:c.maxUsers]
	}
	gs := make([]float64, len(es))
	us := make([]int32, len(es))
	for i, e := range es {
		u, ok := c.newUser(e.id, e.g, e.last)
		if !ok {
			return nil, snapshotErr("user ids exceed the board's capacity")
		}
		c.indexInsert(u, xxhash.Sum64String(e.id))
		gs[i], us[i] = e.g, u
	}
	c.buildTree(gs, us)
	return c, nil
}

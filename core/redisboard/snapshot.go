package redisboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/engagehub/engagehub-native/core/leaderboard"
)

// Snapshots are core/leaderboard's JSON files, written and read by its
// code: Save reads the whole board in one consistent view, hands it to an
// embedded board (which checks it as any snapshot) and lets that board
// write the file atomically; Load lets an embedded board read and check
// the file, then replaces the board in Redis in one MULTI/EXEC.

// snapshotDoc is the snapshot format with the exact forward-decay fields
// (see core/leaderboard/snapshot.go).
type snapshotDoc struct {
	DecayFactor float64         `json:"decay_factor"`
	MaxUsers    int             `json:"max_users"`
	Landmark    int64           `json:"landmark"`
	Entries     []snapshotEntry `json:"entries"`
}

type snapshotEntry struct {
	UserID     string  `json:"user_id"`
	Score      float64 `json:"score"`
	LastUpdate int64   `json:"last_update"`
	G          float64 `json:"g"`
}

// Save writes the board to path atomically, in core/leaderboard's format.
func (b *Board) Save(path string) error {
	if err := b.Sync(); err != nil {
		return err
	}
	ctx, cancel := b.ctx()
	defer cancel()
	reply, err := readScript.Run(ctx, b.client, b.keys[:3], "page", "0", "-1").Slice()
	if err != nil {
		return b.unavailable(err)
	}
	v, err := decodeRows(reply)
	if err != nil {
		return fmt.Errorf("redis at %s: board %q: %w", b.where, b.name, err)
	}
	b.adopt(v.decay, v.maxUsers)
	doc := snapshotDoc{DecayFactor: v.arith.Factor(), MaxUsers: b.MaxUsers(), Landmark: v.landmark,
		Entries: make([]snapshotEntry, len(v.ids))}
	for i, id := range v.ids {
		g := -v.negG[i]
		doc.Entries[i] = snapshotEntry{id, v.score(g, float64(v.lasts[i])), v.lasts[i], g}
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("redisboard: save %s: %w", path, err)
	}
	tmp, err := leaderboard.New(doc.DecayFactor, doc.MaxUsers)
	if err != nil {
		return err
	}
	if err := tmp.ReadSnapshot(bytes.NewReader(raw)); err != nil {
		return fmt.Errorf("redisboard: board %q does not make a valid snapshot: %w", b.name, err)
	}
	return tmp.Save(path)
}

// Load replaces the board's users, decay factor and max users with the
// snapshot at path (any file core/leaderboard loads, the original
// extension's included). A file that cannot be read or is malformed
// leaves the board unchanged, with core/leaderboard's errors.
func (b *Board) Load(path string) error {
	tmp, err := leaderboard.New(1, 0)
	if err != nil {
		return err
	}
	if err := tmp.Load(path); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := tmp.WriteSnapshot(&buf); err != nil {
		return err
	}
	var doc snapshotDoc
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		return fmt.Errorf("redisboard: load %s: %w", path, err)
	}
	decay, err := leaderboard.NewDecay(doc.DecayFactor)
	if err != nil {
		return err
	}
	if err := b.Sync(); err != nil {
		return err
	}
	ctx, cancel := b.ctx()
	defer cancel()
	z, last, meta := b.keys[0], b.keys[1], b.keys[2]
	_, err = b.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, z, last)
		p.HSet(ctx, meta, "decay", fmtFloat(doc.DecayFactor), "lnf", fmtFloat(decay.LnFactor()),
			"max_users", strconv.Itoa(doc.MaxUsers), "landmark", strconv.FormatInt(doc.Landmark, 10))
		const chunk = 1000
		for lo := 0; lo < len(doc.Entries); lo += chunk {
			es := doc.Entries[lo:min(lo+chunk, len(doc.Entries))]
			members := make([]redis.Z, len(es))
			lasts := make([]any, 0, 2*len(es))
			for i, e := range es {
				members[i] = redis.Z{Score: -e.G, Member: e.UserID}
				lasts = append(lasts, e.UserID, strconv.FormatInt(e.LastUpdate, 10))
			}
			p.ZAdd(ctx, z, members...)
			p.HSet(ctx, last, lasts...)
		}
		return nil
	})
	if err != nil {
		return b.unavailable(err)
	}
	b.mu.Lock()
	b.decay, b.maxUsers = decay, doc.MaxUsers
	b.mu.Unlock()
	return nil
}

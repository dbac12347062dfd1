package redisboard

import (
	"fmt"
	"strconv"

	"github.com/engagehub/engagehub-native/core/leaderboard"
	"github.com/engagehub/engagehub-native/core/redisconn"
)

// Submit queues updates i = 0, 1, ... (userIDs[i], points[i],
// timestamps[i]) to be applied in order after every update submitted
// before, as leaderboard.Board.UpdateMany would, and returns at once. The
// slices must have the same length; the board does not keep them. Updates
// past the queue's bound are dropped and counted (Stats.Dropped).
func (b *Board) Submit(userIDs []string, points []float64, timestamps []int64) error {
	return b.sender.Add(func(queued int) (accepted, dropped int) {
		for i, id := range userIDs {
			if queued+i >= b.maxQueued {
				return i, len(userIDs) - i
			}
			b.queue = append(b.queue, update{id, points[i], timestamps[i]})
		}
		return len(userIDs), 0
	})
}

// Sync waits until every update submitted before it has been applied. While
// Redis cannot be reached it returns an error wrapping ErrUnavailable at
// once, saying how many updates wait; they stay queued.
func (b *Board) Sync() error { return b.sender.Sync() }

// Refusals returns how many submitted updates the board refused since the
// last call (see leaderboard.Board.UpdateMany), with the first one's
// error, and forgets them.
func (b *Board) Refusals() (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.refused, b.first
	b.refused, b.first = 0, nil
	return n, err
}

// Stats returns the board's counters.
func (b *Board) Stats() Stats { return b.sender.Stats() }

// take hands the sender the next batch: up to batchMax updates, oldest
// first (called with the sender's lock held). The batch is the queue's
// head, not a copy: the queue goes on past it, and appends never reach
// it.
func (b *Board) take() ([]update, int) {
	n := min(len(b.queue), batchMax)
	batch := b.queue[:n:n]
	b.queue = b.queue[n:]
	if len(b.queue) == 0 {
		b.queue = nil
	}
	return batch, n
}

// send applies one batch under its number for the sender, recording the
// updates the script (or the server) refused before it returns. Once the
// batch is done with (not to be retried) it is cleared, so that the
// queue's array keeps no sent user id alive.
func (b *Board) send(batch []update, number uint64) error {
	b.mu.Lock()
	decay, maxUsers := b.decay, b.maxUsers
	b.mu.Unlock()
	res, err := b.apply(batch, number, decay, maxUsers)
	if err != nil && redisconn.Transient(err) {
		return err // the sender retries the batch
	}
	defer clear(batch)
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case err != nil: // the server refused the script: no retry helps
		b.refused += len(batch)
		if b.first == nil {
			b.first = fmt.Errorf("redis at %s refused a batch of %d updates: %w", b.where, len(batch), err)
		}
	case res.refused > 0:
		b.refused += res.refused
		if b.first == nil {
			u := batch[res.first]
			b.first = fmt.Errorf("update of user %q at %d: %w", u.id, u.ts, res.why)
		}
	}
	return err
}

type applied struct {
	refused, first int
	why            error
}

// apply runs updateScript over one batch.
func (b *Board) apply(batch []update, number uint64, decay leaderboard.Decay, maxUsers int) (applied, error) {
	latest := decay.LatestTimestamp()
	args := make([]any, 0, 5+3*len(batch))
	args = append(args, fmtFloat(decay.Factor()), fmtFloat(decay.LnFactor()), strconv.Itoa(maxUsers),
		strconv.FormatInt(latest, 10), strconv.FormatUint(number, 10))
	for _, u := range batch {
		args = append(args, u.id, fmtFloat(u.points), strconv.FormatInt(u.ts, 10))
	}
	ctx, cancel := redisconn.Context()
	defer cancel()
	vals, err := updateScript.Run(ctx, b.client, b.keys, args...).Int64Slice()
	if err != nil {
		return applied{}, err
	}
	if len(vals) < 2 || vals[0] <= 0 {
		return applied{}, nil // nothing refused, or a batch applied before
	}
	res := applied{refused: int(vals[0]), first: int(vals[1]), why: leaderboard.ErrInvalidPoints}
	if res.first < 0 || res.first >= len(batch) {
		res.first = 0
	}
	if len(vals) > 2 && vals[2] == 2 {
		res.why = fmt.Errorf("%w: the board accepts timestamps up to %d", leaderboard.ErrTimestampRange, latest)
	}
	return res, nil
}

package leaderboard

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUpdateManyPlacesBesideIndexing covers groups of waiting keys put in
// the tree by the placer while UpdateMany goes on (placer.go), under both
// tie-break policies: batches of new users (numeric, short and long ids,
// the long ones sharing their first bytes so that placing them compares ids
// in the arena, which new users meanwhile extend), with tied integer
// points, refused updates, and timestamps that move the decay's landmark
// within a batch; then a batch whose updates of users already on the board
// or waiting come after the hand-offs. The board must equal a twin driven
// by Update, down to dense ranks and percentiles, and hand off at all.
func TestUpdateManyPlacesBesideIndexing(t *testing.T) {
	for _, tie := range []TieBreak{TieByUserID, TieEarliest} {
		if raceEnabled && tie != TieByUserID {
			continue // the race detector needs one case of the goroutines' sharing
		}
		t.Run(fmt.Sprintf("tie=%d", tie), func(t *testing.T) {
			cfg := Config{DecayFactor: 0.5, TieBreak: tie} // a rebase every ~433 days
			many, err := NewBoard(cfg)
			require.NoError(t, err)
			one, err := NewBoard(cfg)
			require.NoError(t, err)
			n := 3*placeFrom + 5000
			ids := snowflakeIDs(n, 13)
			for i := range ids {
				switch i % 3 {
				case 1:
					ids[i] = fmt.Sprintf("member-of-the-guild-%d", i) // in the arena, one prefix
				case 2:
					ids[i] = fmt.Sprintf("u%d", i) // in the record
				}
			}
			rng := rand.New(rand.NewPCG(5, uint64(tie)))
			const start, span = int64(1_600_000_000), int64(3 * 365 * 86400)
			now := float64(start + span)
			same := func(round string, us []string, ps []float64, ts []int64) {
				t.Helper()
				updateBoth(t, one, many, us, ps, ts, round)
				require.Nil(t, many.placing(), "a placer left at work after UpdateMany")
				requireSamePage(t, one, many, now)
				picks := make([]string, 500)
				for i := range picks {
					picks[i] = ids[rng.IntN(len(ids))]
				}
				requireSameDense(t, one, many, picks, now)
			}

			half := n / 2
			us, ps, ts := make([]string, half), make([]float64, half), make([]int64, half)
			for i := range us {
				us[i], ps[i] = ids[i], float64(1+rng.IntN(40))
				ts[i] = start + span*int64(i)/int64(n)
				switch rng.IntN(4000) {
				case 0:
					ps[i] = math.Inf(1)
				case 1:
					us[i] = "bad\xff"
				}
			}
			same("new users", us, ps, ts)
			require.NotNil(t, many.placer, "no group was handed to the placer")

			us, ps, ts = us[:0], ps[:0], ts[:0]
			for i := half; i < n; i++ {
				us, ps, ts = append(us, ids[i]), append(ps, float64(1+rng.IntN(40))), append(ts, start+span*int64(i)/int64(n))
			}
			for range 3000 { // after the hand-offs: users on the board, and waiting
				id := ids[rng.IntN(n)]
				us, ps, ts = append(us, id), append(ps, float64(rng.IntN(9)-3)), append(ts, start+span)
			}
			same("new, then known users", us, ps, ts)
		})
	}
}

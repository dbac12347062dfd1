package leaderboard

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// checkTree verifies the B+tree's structural invariants: counts, separator
// bounds, fill, leaf links, and agreement with the user columns and index.
func checkTree(t *testing.T, b *Board) {
	t.Helper()
	c := &b.standings
	var leavesInOrder []int32
	var walk func(id int32, level int, isRoot bool, lo *[2]any) int
	walk = func(id int32, level int, isRoot bool, lo *[2]any) int {
		if level == 0 {
			lf := c.leaves[id]
			if !isRoot {
				require.Greater(t, int(lf.n), leafMin/2, "leaf %d underfull", id)
			}
			for j := 1; j < int(lf.n); j++ {
				require.True(t, c.less(lf.key(j-1), lf.key(j)), "leaf %d out of order at %d", id, j)
				if c.tieBreak == TieByUserID {
					require.Equal(t, idPrefix(c.id(lf.u[j])), lf.p[j], "leaf %d prefix at %d", id, j)
				}
			}
			for j := 0; j < int(lf.n); j++ {
				require.Equal(t, c.g(lf.u[j]), lf.g[j], "leaf key differs from column")
				require.Equal(t, id, c.rec(lf.u[j]).leaf, "user %d's leaf", lf.u[j])
				require.Equal(t, c.rankOf(lf.key(j)), c.rankOfUser(lf.u[j]), "rank by descent and by parent links differ")
			}
			leavesInOrder = append(leavesInOrder, id)
			return int(lf.n)
		}
		nd := c.inners[id]
		if isRoot {
			require.GreaterOrEqual(t, int(nd.n), 2)
		} else {
			require.Greater(t, int(nd.n), innerMin/2)
		}
		total := 0
		for i := 0; i < int(nd.n); i++ {
			if level == 1 {
				require.Equal(t, id, c.leaves[nd.child[i]].parent, "parent of leaf %d", nd.child[i])
			} else {
				require.Equal(t, id, c.inners[nd.child[i]].parent, "parent of inner %d", nd.child[i])
			}
			n := walk(nd.child[i], level-1, false, nil)
			require.Equal(t, int(nd.count[i]), n, "count of child %d", i)
			total += n
			if i > 0 {
				sep, u := nd.key(i), nd.u[i]
				if c.tieBreak == TieByUserID {
					require.Equal(t, idPrefix(c.id(u)), sep.p, "separator prefix")
				}
				require.False(t, c.less(c.minKey(nd.child[i], level-1), sep), "separator above child min")
				require.True(t, c.less(c.lastKey(nd.child[i-1], level-1), sep), "separator not above left child")
				require.GreaterOrEqual(t, c.lookup(string(c.id(u)), hashID(c.id(u))), int32(0), "separator refers to a removed user")
			}
		}
		return total
	}
	require.Equal(t, c.size, walk(c.root, c.height, true, nil))
	require.Equal(t, c.size, c.indexed)
	for i, id := range leavesInOrder {
		lf := c.leaves[id]
		if i > 0 {
			require.Equal(t, leavesInOrder[i-1], lf.prev)
		} else {
			require.Equal(t, int32(-1), lf.prev)
		}
		if i+1 < len(leavesInOrder) {
			require.Equal(t, leavesInOrder[i+1], lf.next)
		} else {
			require.Equal(t, int32(-1), lf.next)
		}
	}
}

func (c *standings) lastKey(id int32, level int) key {
	for ; level > 0; level-- {
		nd := c.inners[id]
		id = nd.child[nd.n-1]
	}
	lf := c.leaves[id]
	return lf.key(int(lf.n - 1))
}

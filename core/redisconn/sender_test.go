package redisconn_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/engagehub/engagehub-native/core/redisconn"
	"github.com/engagehub/engagehub-native/core/redisconn/redistest"
)

var errClosed = errors.New("test list closed")

// appendScript appends a batch to a list once per batch number, as the
// board's and the analytics' scripts apply a batch once.
var appendScript = redis.NewScript(`
if tonumber(redis.call('GET', KEYS[1]) or '-1') >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
if ARGV[2] == 'refuse' then return redis.error_reply('ERR refused on purpose') end
redis.call('RPUSH', KEYS[2], unpack(ARGV, 2))
return 1
`)

// list is a Sender's user: strings queued in memory, appended in Redis to
// the list "items" by appendScript, at most batchMax per round trip.
type list struct {
	conn     *redisconn.Conn
	id       string
	queue    []string // guarded by the sender's lock
	maxQueue int
	*redisconn.Sender[[]string]

	mu      sync.Mutex
	numbers []uint64 // the number of every send, retries included
	lose    int      // replies still to lose: apply, then report a failure
}

const batchMax = 100

func openList(t *testing.T, url string, maxQueue int, opt redisconn.SenderOptions) *list {
	t.Helper()
	conn, id, err := redisconn.DialClient(url)
	require.NoError(t, err)
	l := &list{conn: conn, id: id, maxQueue: maxQueue}
	opt.Where, opt.Waiting, opt.Closed = conn.Where, "items queued", errClosed
	l.Sender = redisconn.NewSender(opt, l.take, l.send)
	t.Cleanup(func() { l.Close() })
	return l
}

func (l *list) push(items ...string) error {
	return l.Add(func(queued int) (accepted, dropped int) {
		for i, it := range items {
			if queued+i >= l.maxQueue {
				return i, len(items) - i
			}
			l.queue = append(l.queue, it)
		}
		return len(items), 0
	})
}

func (l *list) take() ([]string, int) {
	n := min(len(l.queue), batchMax)
	batch := l.queue[:n:n]
	l.queue = l.queue[n:]
	return batch, n
}

func (l *list) send(batch []string, number uint64) error {
	args := []any{strconv.FormatUint(number, 10)}
	for _, it := range batch {
		args = append(args, it)
	}
	ctx, cancel := redisconn.Context()
	defer cancel()
	err := appendScript.Run(ctx, l.conn, []string{"client:" + l.id, "items"}, args...).Err()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.numbers = append(l.numbers, number)
	if err == nil && l.lose > 0 {
		l.lose--
		return context.DeadlineExceeded // applied, but the caller never heard
	}
	return err
}

func (l *list) Close() error {
	if l.Sender.Close() {
		return l.conn.Close()
	}
	return nil
}

func items(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(from + i)
	}
	return out
}

// syncEventually calls Sync until it succeeds (it fails at once while the
// sender is down), for 20 s at most.
func syncEventually(t *testing.T, l *list) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for l.Sync() != nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, l.Sync())
}

func stored(t *testing.T, s *redistest.Server) []string {
	t.Helper()
	got, err := s.Raw(t).LRange(context.Background(), "items", 0, -1).Result()
	require.NoError(t, err)
	return got
}

func TestSenderAppliesInOrderOnce(t *testing.T) {
	s := redistest.Start(t)
	l := openList(t, s.URL(), 1<<20, redisconn.SenderOptions{CloseWait: 3 * time.Second})
	var want []string
	for i := 0; i < 50; i++ {
		require.NoError(t, l.push(items(i*37, 37)...))
		want = append(want, items(i*37, 37)...)
	}
	require.NoError(t, l.Sync())
	assert.Equal(t, want, stored(t, s))
	st := l.Stats()
	assert.Equal(t, redisconn.Stats{Applied: 50 * 37, Connected: true}, st)
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, n := range l.numbers {
		require.Equal(t, uint64(i), n, "batches are numbered in order, once each")
	}
}

func TestSenderConcurrentAddsAndReads(t *testing.T) {
	s := redistest.Start(t)
	l := openList(t, s.URL(), 1<<20, redisconn.SenderOptions{CloseWait: 3 * time.Second})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				assert.NoError(t, l.push(items(g*10000+i*10, 10)...))
				if i%10 == 0 {
					assert.NoError(t, l.Sync())
					l.Stats()
				}
			}
		}()
	}
	wg.Wait()
	require.NoError(t, l.Sync())
	assert.Len(t, stored(t, s), 4000)
	assert.Equal(t, uint64(4000), l.Stats().Applied)
}

func TestSenderLostReplyIsRetriedUnderItsNumber(t *testing.T) {
	s := redistest.Start(t)
	l := openList(t, s.URL(), 1<<20, redisconn.SenderOptions{CloseWait: 3 * time.Second})
	l.lose = 2
	require.NoError(t, l.push(items(0, 10)...))
	syncEventually(t, l) // Sync fails at once while the sender retries
	require.NoError(t, l.push(items(10, 10)...))
	require.NoError(t, l.Sync())
	assert.Equal(t, items(0, 20), stored(t, s), "each item once, though its first reply was lost")
	l.mu.Lock()
	assert.Equal(t, []uint64{0, 0, 0, 1}, l.numbers)
	l.mu.Unlock()
	st := l.Stats()
	assert.Equal(t, uint64(2), st.Retries)
	assert.Equal(t, uint64(20), st.Applied)
	assert.True(t, st.Connected)
	assert.Empty(t, st.LastError)
}

func TestSenderRefusalIsNotRetried(t *testing.T) {
	s := redistest.Start(t)
	l := openList(t, s.URL(), 1<<20, redisconn.SenderOptions{CloseWait: 3 * time.Second})
	require.NoError(t, l.push("refuse", "x"))
	require.NoError(t, l.Sync())
	require.NoError(t, l.push("a"))
	require.NoError(t, l.Sync())
	assert.Equal(t, []string{"a"}, stored(t, s))
	st := l.Stats()
	assert.Zero(t, st.Retries)
	assert.Equal(t, uint64(3), st.Applied, "a refused batch's items are done with")
	assert.True(t, st.Connected)
}

func TestSenderDownThenUp(t *testing.T) {
	s := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	l := openList(t, s.URL(), 500, redisconn.SenderOptions{CloseWait: 3 * time.Second})
	require.NoError(t, l.push(items(0, 100)...))
	require.NoError(t, l.Sync())
	s.Stop()
	require.NoError(t, l.push(items(100, 300)...))
	require.NoError(t, l.push(items(400, 300)...)) // 100 of these past the bound
	// The sender learns the server is gone at its first round trip.
	deadline := time.Now().Add(10 * time.Second)
	for l.Stats().Connected && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	err := l.Sync()
	require.ErrorIs(t, err, redisconn.ErrUnavailable)
	assert.Contains(t, err.Error(), "500 items queued")
	st := l.Stats()
	assert.False(t, st.Connected)
	assert.NotEmpty(t, st.LastError)
	assert.Equal(t, 500, st.Queued)
	assert.Equal(t, uint64(100), st.Dropped)
	assert.Equal(t, uint64(100), st.Applied)

	// Backoff: the first waits are 10-20 ms, 20-40 ms, 40-80 ms, ... so a
	// second down holds a handful of retries, not a spin.
	r0 := l.Stats().Retries
	time.Sleep(time.Second)
	assert.LessOrEqual(t, l.Stats().Retries-r0, uint64(8))

	s.Start(t)
	syncEventually(t, l)
	assert.Equal(t, items(0, 600), stored(t, s), "in order, each once, the dropped ones absent")
	st = l.Stats()
	assert.Equal(t, redisconn.Stats{Applied: 600, Dropped: 100, Retries: st.Retries, Connected: true}, st)
	assert.Positive(t, st.Retries)
}

func TestSenderClose(t *testing.T) {
	s := redistest.Start(t)
	l := openList(t, s.URL(), 1<<20, redisconn.SenderOptions{CloseWait: 3 * time.Second})
	require.NoError(t, l.push(items(0, 1000)...))
	require.NoError(t, l.Close())
	assert.Len(t, stored(t, s), 1000, "Close sends what is queued")
	require.ErrorIs(t, l.push("late"), errClosed)
	require.ErrorIs(t, l.Sync(), errClosed)
	require.NoError(t, l.Close(), "Close is idempotent")
	assert.False(t, l.Sender.Close())
}

func TestSenderCloseWhileDown(t *testing.T) {
	for _, giveUp := range []bool{false, true} {
		t.Run("CloseWhenDown="+strconv.FormatBool(giveUp), func(t *testing.T) {
			s := redistest.Start(t)
			l := openList(t, s.URL(), 1<<20, redisconn.SenderOptions{CloseWait: 400 * time.Millisecond, CloseWhenDown: giveUp})
			require.NoError(t, l.push("a"))
			require.NoError(t, l.Sync())
			s.Stop()
			require.NoError(t, l.push("b"))
			deadline := time.Now().Add(10 * time.Second)
			for l.Stats().Connected && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			require.False(t, l.Stats().Connected)
			start := time.Now()
			require.NoError(t, l.Close())
			took := time.Since(start)
			if giveUp {
				assert.Less(t, took, 300*time.Millisecond, "gives up at once while down")
			} else {
				assert.GreaterOrEqual(t, took, 300*time.Millisecond, "waits CloseWait for the server")
			}
			assert.Equal(t, 1, l.Stats().Queued, "what was queued is lost")
			require.ErrorIs(t, l.Sync(), errClosed)
		})
	}
}

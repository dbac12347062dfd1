package redisstream

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/engagehub/engagehub-native/core/redisconn"
	"github.com/engagehub/engagehub-native/core/redisconn/redistest"
	"github.com/engagehub/engagehub-native/core/stream"
)

// now is the real time: the keys expire by Redis's clock.
var now = time.Unix(time.Now().Unix(), 0)

func events(n, users, channels int, ts int64) []stream.Event {
	out := make([]stream.Event, n)
	for i := range out {
		out[i] = stream.Event{UserID: "u" + strconv.Itoa(i%users), ChannelID: "c" + strconv.Itoa(i%channels), Timestamp: ts}
	}
	return out
}

func TestSharedCountsAcrossClients(t *testing.T) {
	s := redistest.Start(t)
	a, err := Open(s.URL(), "shared", 0)
	require.NoError(t, err)
	defer a.Close()
	b, err := Open(s.URL(), "shared", 0)
	require.NoError(t, err)
	defer b.Close()
	a.Observe(events(3000, 1000, 3, now.Unix()), now)       // u0..u999
	b.Observe(events(3000, 2000, 3, now.Unix()-10*60), now) // u0..u1999, ten minutes ago
	b.Observe(events(10, 10, 1, now.Unix()-2*3600), now)    // outside the window: not counted
	b.Observe(events(10, 10, 1, now.Unix()+3600), now)      // far in the future: not counted
	require.NoError(t, a.Sync())
	require.NoError(t, b.Sync())
	n, err := a.UniqueUsers(time.Hour, now)
	require.NoError(t, err)
	assert.InDelta(t, 2000, float64(n), 2000*0.03) // HLL: 0.81 % standard error
	n, err = a.UniqueUsers(5*time.Minute, now)
	require.NoError(t, err)
	assert.InDelta(t, 1000, float64(n), 1000*0.03)
	top, err := b.TopChannels(2, now)
	require.NoError(t, err)
	assert.Equal(t, []stream.ChannelCount{{ChannelID: "c0", Count: 2000}, {ChannelID: "c1", Count: 2000}}, top)
	ttl := s.Raw(t).TTL(t.Context(), a.usersKey(now.Unix()/60)).Val()
	assert.Greater(t, ttl, 60*time.Minute)
	assert.LessOrEqual(t, ttl, 62*time.Minute)
}

func TestProcessorSharesItsAnalytics(t *testing.T) {
	s := redistest.Start(t)
	a, err := Open(s.URL(), "proc", 0)
	require.NoError(t, err)
	defer a.Close()
	p, err := stream.New(stream.Config{BatchSize: 64, Shared: a, Now: func() time.Time { return now }})
	require.NoError(t, err)
	p.SetConsumer(true)
	go func() { // the consumer
		for {
			b, err := p.Next(time.Second)
			if err != nil {
				if err == stream.ErrClosed {
					return
				}
				continue
			}
			p.Done(b)
		}
	}()
	for _, e := range events(5000, 700, 5, now.Unix()) {
		for !p.Push(e) {
			time.Sleep(time.Millisecond)
		}
	}
	require.NoError(t, p.Close(10*time.Second))
	n, err := a.UniqueUsers(time.Hour, now)
	require.NoError(t, err)
	assert.InDelta(t, 700, float64(n), 700*0.03)
	top, err := a.TopChannels(1, now)
	require.NoError(t, err)
	assert.Equal(t, uint64(1000), top[0].Count)
}

func TestDownThenBack(t *testing.T) {
	s := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	a, err := Open(s.URL(), "restart", 0)
	require.NoError(t, err)
	defer a.Close()
	a.Observe(events(100, 100, 1, now.Unix()), now)
	require.NoError(t, a.Sync())
	s.Stop()
	a.Observe(events(200, 50, 1, now.Unix()), now)
	_, err = a.TopChannels(1, now)
	require.ErrorIs(t, err, redisconn.ErrUnavailable)
	s.Start(t)
	deadline := time.Now().Add(20 * time.Second)
	for a.Sync() != nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	top, err := a.TopChannels(1, now)
	require.NoError(t, err)
	assert.Equal(t, uint64(300), top[0].Count) // each event counted once
	st := a.Stats()
	assert.Equal(t, uint64(300), st.Applied)
	assert.Positive(t, st.Retries)
}

func TestOpenErrors(t *testing.T) {
	_, err := Open("redis://127.0.0.1:1", "", 0)
	require.ErrorIs(t, err, ErrInvalidName)
	_, err = Open("nope", "x", 0)
	require.ErrorIs(t, err, redisconn.ErrInvalidURL)
	_, err = Open("redis://127.0.0.1:"+strconv.Itoa(redistest.FreePort(t)), "x", 0)
	require.ErrorIs(t, err, redisconn.ErrUnavailable)
}

// Package redisconn is what the Redis-backed stores of core/ share: URLs as
// redis-py users write them (url.go), connecting with a bounded first
// round trip, and telling a failure worth retrying from a refusal.
package redisconn

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrUnavailable is wrapped by Dial when the server cannot be reached or
// refuses the credentials, and by the stores' reads while it cannot be
// reached.
var ErrUnavailable = errors.New("redis: backend unavailable")

// Timeout bounds Dial's first round trip and each of the stores' calls.
const Timeout = 5 * time.Second

// Conn is a client and the addresses it was made for (for messages).
type Conn struct {
	redis.UniversalClient
	Where string
}

// Dial parses url (ParseURL), connects and checks the server answers (and
// accepts the credentials) within Timeout.
func Dial(url string) (*Conn, error) {
	quietOnce.Do(func() { redis.SetLogger(quiet{}) })
	o, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	c := &Conn{redis.NewUniversalClient(o), strings.Join(o.Addrs, ",")}
	ctx, cancel := Context()
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, c.Unavailable(err)
	}
	return c, nil
}

// Context is a context bounded by Timeout.
func Context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), Timeout)
}

// Unavailable wraps a failed round trip in ErrUnavailable, naming the
// server and what went wrong.
func (c *Conn) Unavailable(err error) error {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "WRONGPASS"), strings.HasPrefix(msg, "NOAUTH"), strings.Contains(msg, "AUTH"):
		return fmt.Errorf("%w: redis at %s refused the credentials: %s", ErrUnavailable, c.Where, msg)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: redis at %s did not answer in time: %s", ErrUnavailable, c.Where, msg)
	}
	return fmt.Errorf("%w: redis at %s: %s", ErrUnavailable, c.Where, msg)
}

// Transient reports whether a failed round trip may succeed later: the
// network, a timeout, a server loading its data or a cluster in flux. A
// reply refusing the command (a script error, say) is not.
func Transient(err error) bool {
	var re redis.Error
	if !errors.As(err, &re) {
		return true
	}
	msg := re.Error()
	for _, p := range []string{"LOADING", "CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN", "READONLY", "BUSY", "NOAUTH", "WRONGPASS", "MOVED", "ASK"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// Backoff is the wait before retry number n (0-based) of a failed send:
// doubling from 20 ms to 2 s, with jitter so that clients that lost the
// same server do not retry in step.
func Backoff(n int) time.Duration {
	d := minBackoff << min(n, 7)
	d = min(d, maxBackoff)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

const (
	minBackoff = 20 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// quiet drops go-redis's own log lines (dial failures while Redis is
// down): the library runs inside the caller's process, which learns of
// failures through errors and counters, not through its stderr.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

var quietOnce sync.Once

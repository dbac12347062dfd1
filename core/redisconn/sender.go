package redisconn

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// Stats are a Sender's counters since it was made. Items are what its user
// counts: a board's updates, a processor's events.
type Stats struct {
	Queued    int    // items accepted and not yet acknowledged (the batch being sent included)
	Applied   uint64 // items sent and acknowledged (or refused by the server: see Sender)
	Dropped   uint64 // items not accepted because the queue was full
	Retries   uint64 // batches sent again after a failure
	Connected bool   // the last round trip succeeded
	LastError string // the last failure, "" once a round trip succeeds
}

// SenderOptions describe a Sender's user, for its messages and its Close.
type SenderOptions struct {
	// Where names the server(s) in Sync's error (Conn.Where).
	Where string
	// Waiting says what waits in Sync's error while the server is down,
	// after the count: "updates queued", "events waiting".
	Waiting string
	// Closed is returned by Add and Sync after Close.
	Closed error
	// CloseWait bounds how long Close waits for what is queued.
	CloseWait time.Duration
	// CloseWhenDown makes Close give up at once while the last round trip
	// failed, instead of waiting up to CloseWait for the server to return.
	CloseWhenDown bool
}

// Sender sends what its user queues to Redis from one goroutine, a batch
// per round trip: take removes what has accumulated (up to what one round
// trip should carry) and send sends it. Batches are numbered 0, 1, ... in
// the order taken, and a batch whose round trip failed in a way Transient
// accepts is sent again, unchanged and under the same number, after
// Backoff, until it succeeds or the Sender is closed: a script that
// records the last number each client applied can thus skip a retry whose
// first reply was lost, so that nothing is applied twice. While it
// retries, the Sender is down: Sync fails at once with ErrUnavailable and
// Stats say so. A batch send fails otherwise (the server refused it) is
// not retried; its items count as applied and send is expected to have
// recorded the refusal.
//
// The user's queue is guarded by the Sender's lock: take, and the fill
// function given to Add, are called with it held (and must not call the
// Sender); send is called without it. All methods are safe for concurrent
// use.
type Sender[B any] struct {
	opt  SenderOptions
	take func() (B, int)
	send func(B, uint64) error

	mu        sync.Mutex
	changed   sync.Cond
	batch     uint64 // number of the next batch taken
	submitted uint64 // items accepted
	applied   uint64
	dropped   uint64
	retries   uint64
	down      error // the last send failure; nil after a success
	running   bool  // the sending goroutine is running
	closed    bool
	stop      chan struct{}
}

// NewSender returns a Sender over take, which removes from its user's
// queue a batch and the number of items it holds (0: the queue is empty),
// and send, which sends a batch under its number in one round trip.
func NewSender[B any](opt SenderOptions, take func() (B, int), send func(batch B, number uint64) error) *Sender[B] {
	s := &Sender[B]{opt: opt, take: take, send: send, stop: make(chan struct{})}
	s.changed.L = &s.mu
	return s
}

// Add calls fill with the Sender's lock held and the number of items
// queued (accepted and not yet applied); fill queues what it accepts and
// returns how many items it accepted and how many it dropped (the queue
// being full). The Sender then sends them. After Close, Add returns
// SenderOptions.Closed without calling fill.
func (s *Sender[B]) Add(fill func(queued int) (accepted, dropped int)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.opt.Closed
	}
	accepted, dropped := fill(int(s.submitted - s.applied))
	s.submitted += uint64(accepted)
	s.dropped += uint64(dropped)
	if !s.running && accepted > 0 {
		s.running = true
		go s.run()
	}
	return nil
}

// Sync waits until every item accepted before it has been applied. While
// the server cannot be reached it returns an error wrapping ErrUnavailable
// at once, saying how many items wait; they stay queued.
func (s *Sender[B]) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	target := s.submitted
	for s.applied < target {
		if s.closed {
			return s.opt.Closed
		}
		if s.down != nil {
			return fmt.Errorf("%w: redis at %s cannot be reached (%d %s, retrying): %v",
				ErrUnavailable, s.opt.Where, s.submitted-s.applied, s.opt.Waiting, s.down)
		}
		s.changed.Wait()
	}
	if s.closed {
		return s.opt.Closed
	}
	return nil
}

// Stats returns the counters.
func (s *Sender[B]) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Queued: int(s.submitted - s.applied), Applied: s.applied, Dropped: s.dropped,
		Retries: s.retries, Connected: s.down == nil}
	if s.down != nil {
		st.LastError = s.down.Error()
	}
	return st
}

// Close waits up to CloseWait for what is queued to be applied (not at all
// while down, with CloseWhenDown), then stops the sending: what is still
// queued is lost, a retry waiting out its backoff ends. It reports whether
// this call closed the Sender (false: it was closed already), so that the
// caller closes its connection once, after it. A send in flight is not
// waited for; it fails once the connection is closed.
func (s *Sender[B]) Close() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	deadline := time.Now().Add(s.opt.CloseWait)
	timer := time.AfterFunc(s.opt.CloseWait, func() {
		s.mu.Lock()
		s.changed.Broadcast()
		s.mu.Unlock()
	})
	for s.applied < s.submitted && (s.down == nil || !s.opt.CloseWhenDown) && time.Now().Before(deadline) {
		s.changed.Wait()
	}
	timer.Stop()
	s.closed = true
	close(s.stop)
	s.changed.Broadcast()
	return true
}

// run is the one goroutine that empties the queue, a batch per round
// trip, retrying a failed batch (under the same number) with backoff.
func (s *Sender[B]) run() {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() { s.running = false }()
	for !s.closed {
		batch, n := s.take()
		if n == 0 {
			return
		}
		number := s.batch
		for failures := 0; ; failures++ {
			s.mu.Unlock()
			err := s.send(batch, number)
			s.mu.Lock()
			if err == nil || !Transient(err) {
				break // sent, or refused: no retry helps
			}
			s.down = err
			s.retries++
			s.changed.Broadcast()
			s.mu.Unlock()
			select {
			case <-time.After(Backoff(failures)):
			case <-s.stop:
			}
			s.mu.Lock()
			if s.closed {
				return
			}
		}
		s.down = nil
		s.batch++
		s.applied += uint64(n)
		s.changed.Broadcast()
	}
}

// DialClient is Dial, with a random id (16 hex digits) naming this client
// in the keys where its scripts record the last batch number it applied.
func DialClient(url string) (*Conn, string, error) {
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return nil, "", err
	}
	c, err := Dial(url)
	if err != nil {
		return nil, "", err
	}
	return c, hex.EncodeToString(id), nil
}

package pgsink

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/engagehub/engagehub-native/core/stream"
)

// testDSN is a real server's URL (.ci/postgres.sh starts one and exports
// it); each test makes its own tables.
func testDSN(t *testing.T) string {
	dsn := os.Getenv("ENGAGEHUB_TEST_PG_DSN")
	if dsn == "" {
		t.Skip("ENGAGEHUB_TEST_PG_DSN is not set (.ci/postgres.sh starts a PostgreSQL server and sets it)")
	}
	return dsn
}

// table creates a table shaped like the Django app's Event table and
// returns its name; dropped when the test ends.
func table(t *testing.T, dsn, stampType string) string {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	name := fmt.Sprintf("pgsink_test_%d", time.Now().UnixNano())
	_, err = conn.Exec(ctx, fmt.Sprintf(`CREATE TABLE %s (id bigserial PRIMARY KEY, type varchar(32) NOT NULL,
		user_id varchar(64) NOT NULL, channel_id varchar(64) NOT NULL, timestamp %s NOT NULL)`, name, stampType))
	require.NoError(t, err)
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP TABLE IF EXISTS "+name)
			c.Close(context.Background())
		}
	})
	return name
}

func rows(t *testing.T, dsn, name string) [][4]any {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	r, err := conn.Query(ctx, fmt.Sprintf("SELECT type, user_id, channel_id, timestamp FROM %s ORDER BY id", name))
	require.NoError(t, err)
	var out [][4]any
	for r.Next() {
		v, err := r.Values()
		require.NoError(t, err)
		out = append(out, [4]any{v[0], v[1], v[2], v[3]})
	}
	require.NoError(t, r.Err())
	return out
}

func TestOpenRefusesWhatItCannotWriteTo(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()

	started := time.Now()
	_, err := Open(ctx, Config{DSN: "postgresql://nobody@127.0.0.1:1/none", ConnectTimeout: time.Second})
	require.ErrorIs(t, err, ErrUnreachable)
	assert.Less(t, time.Since(started), 5*time.Second)

	_, err = Open(ctx, Config{DSN: dsn, Table: "no_such_table_here"})
	require.ErrorIs(t, err, ErrTable)
	assert.Contains(t, err.Error(), "does not exist")

	name := table(t, dsn, "timestamptz")
	_, err = Open(ctx, Config{DSN: dsn, Table: name, Columns: [4]string{"type", "user_id", "channel_id", "nope"}})
	require.ErrorIs(t, err, ErrTable)
	_, err = Open(ctx, Config{DSN: dsn, Table: name, Columns: [4]string{"id", "user_id", "channel_id", "timestamp"}})
	require.ErrorIs(t, err, ErrTable, "a bigint column cannot take the type")

	_, err = Open(ctx, Config{DSN: "postgresql://%zz"})
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = Open(ctx, Config{DSN: dsn, Workers: -1})
	require.ErrorIs(t, err, ErrInvalidConfig)
}

func TestWriteStoresEveryFieldOnce(t *testing.T) {
	dsn := testDSN(t)
	for _, stampType := range []string{"timestamptz", "timestamp", "bigint", "integer"} {
		t.Run(stampType, func(t *testing.T) {
			name := table(t, dsn, stampType)
			w, err := Open(context.Background(), Config{DSN: dsn, Table: name})
			require.NoError(t, err)
			defer w.Close()
			events := []stream.Event{
				{Type: "message", UserID: "u1", ChannelID: "c1", Timestamp: 1_700_000_000},
				{Type: "voice_join", UserID: "ünï\tcode\\", ChannelID: "c\n2", Timestamp: 1_700_000_061},
			}
			require.NoError(t, w.Write(context.Background(), events))
			got := rows(t, dsn, name)
			require.Len(t, got, 2)
			for i, e := range events {
				assert.Equal(t, e.Type, got[i][0])
				assert.Equal(t, e.UserID, got[i][1])
				assert.Equal(t, e.ChannelID, got[i][2])
				switch v := got[i][3].(type) {
				case time.Time:
					assert.Equal(t, e.Timestamp, v.Unix())
				case int64:
					assert.Equal(t, e.Timestamp, v)
				case int32:
					assert.Equal(t, e.Timestamp, int64(v))
				default:
					t.Fatalf("timestamp came back as %T", v)
				}
			}
		})
	}
}

func TestWriteIsAllOrNothing(t *testing.T) {
	dsn := testDSN(t)
	name := table(t, dsn, "timestamptz")
	w, err := Open(context.Background(), Config{DSN: dsn, Table: name})
	require.NoError(t, err)
	defer w.Close()
	err = w.Write(context.Background(), []stream.Event{
		{Type: "message", UserID: "ok", ChannelID: "c", Timestamp: 1_700_000_000},
		{Type: strings.Repeat("x", 40), UserID: "too long a type", ChannelID: "c", Timestamp: 1_700_000_000},
	})
	require.Error(t, err)
	assert.False(t, Transient(err), "a value too long is the data's fault: %v", err)
	assert.Empty(t, rows(t, dsn, name))
}

func TestTransient(t *testing.T) {
	assert.True(t, Transient(fmt.Errorf("dial tcp: connection refused")))
	assert.True(t, Transient(&pgconn.PgError{Code: "57P01"}))
	assert.True(t, Transient(&pgconn.PgError{Code: "08006"}))
	assert.True(t, Transient(&pgconn.PgError{Code: "53300"}))
	assert.False(t, Transient(&pgconn.PgError{Code: "42P01"}))
	assert.False(t, Transient(&pgconn.PgError{Code: "22001"}))
}

// The pump with a real processor: every accepted event is a row, in push
// order per batch, and a second consumer sees every batch as well.
func TestPumpWritesEveryEventAndFeedsTheSecondConsumer(t *testing.T) {
	dsn := testDSN(t)
	name := table(t, dsn, "timestamptz")
	p, err := stream.New(stream.Config{BufferSize: 1024, BatchSize: 100, FlushInterval: time.Millisecond, ForgetFields: true})
	require.NoError(t, err)
	p.KeepFields()
	w, err := Open(context.Background(), Config{DSN: dsn, Table: name, Workers: 2})
	require.NoError(t, err)
	pump := NewPump(p, w)
	defer pump.Stop(time.Second)
	pump.SetAttached(true)

	const n = 5000
	seen := make(chan int, 1)
	go func() { // the second consumer
		total := 0
		for {
			b, err := pump.Next(50 * time.Millisecond)
			if err != nil {
				seen <- total
				return
			}
			if b == nil {
				continue
			}
			for _, e := range b.Events {
				if e.Type != "message" {
					total = -1 << 30 // fields must reach the second consumer too
				}
			}
			total += len(b.Events)
			require.NoError(t, pump.Done(b.ID))
		}
	}()
	for i := 0; i < n; {
		if p.Push(stream.Event{Type: "message", UserID: fmt.Sprintf("u%05d", i), ChannelID: "c", Timestamp: 1_700_000_000}) {
			i++
		} else {
			time.Sleep(time.Millisecond)
		}
	}
	require.NoError(t, p.Flush(30*time.Second, true))
	s := pump.Stats()
	assert.Equal(t, uint64(n), s.Written)
	require.NoError(t, p.Close(30*time.Second))
	require.True(t, pump.Wait(30*time.Second))
	assert.Equal(t, n, <-seen)
	got := rows(t, dsn, name)
	require.Len(t, got, n)
	users := map[any]bool{}
	for _, r := range got {
		users[r[1]] = true
	}
	assert.Len(t, users, n)
	assert.Equal(t, uint64(n), p.Stats().Delivered)
	assert.ErrorIs(t, pump.Done(12345), ErrNotHanded)
}

// A batch the database refuses is tried MaxAttempts times, then counted
// as failed with its error, and later batches keep flowing.
func TestPumpCountsRefusedBatchesAsFailed(t *testing.T) {
	dsn := testDSN(t)
	name := table(t, dsn, "timestamptz")
	p, err := stream.New(stream.Config{BufferSize: 64, BatchSize: 1, FlushInterval: time.Millisecond})
	require.NoError(t, err)
	w, err := Open(context.Background(), Config{DSN: dsn, Table: name, MaxAttempts: 2})
	require.NoError(t, err)
	pump := NewPump(p, w)
	defer pump.Stop(time.Second)
	require.True(t, p.Push(stream.Event{Type: strings.Repeat("t", 33), UserID: "bad", ChannelID: "c", Timestamp: 1}))
	require.True(t, p.Push(stream.Event{Type: "message", UserID: "good", ChannelID: "c", Timestamp: 1}))
	require.NoError(t, p.Flush(30*time.Second, true))
	s := pump.Stats()
	assert.Equal(t, uint64(1), s.Failed)
	assert.Equal(t, uint64(1), s.Failures)
	assert.Equal(t, uint64(1), s.Written)
	assert.GreaterOrEqual(t, s.Retries, uint64(1))
	assert.Contains(t, s.LastError, "too long")
	require.Len(t, rows(t, dsn, name), 1)
}

// BenchmarkWrite is the writer alone: batches of 2000 events COPYed into
// the Event table shape by one goroutine (b.N events in all), the
// ceiling of what the pump can do per connection.
func BenchmarkWrite(b *testing.B) {
	dsn := os.Getenv("ENGAGEHUB_TEST_PG_DSN")
	if dsn == "" {
		b.Skip("ENGAGEHUB_TEST_PG_DSN is not set")
	}
	t := &testing.T{}
	name := table(t, dsn, "timestamptz")
	defer func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP TABLE IF EXISTS "+name)
			c.Close(context.Background())
		}
	}()
	w, err := Open(context.Background(), Config{DSN: dsn, Table: name})
	require.NoError(b, err)
	defer w.Close()
	batch := make([]stream.Event, 2000)
	for i := range batch {
		batch[i] = stream.Event{Type: "message", UserID: fmt.Sprintf("user%09d", i), ChannelID: "channel000042", Timestamp: 1_700_000_000}
	}
	b.ResetTimer()
	for done := 0; done < b.N; done += len(batch) {
		require.NoError(b, w.Write(context.Background(), batch[:min(len(batch), b.N-done)]))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

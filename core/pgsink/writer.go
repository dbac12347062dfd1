// Package pgsink writes the event processor's batches into a PostgreSQL
// table with COPY, from Go: no Python object per event and no GIL.
//
// A Writer holds a pgxpool pool and knows its target table (checked when it
// is opened). A Pump connects a Writer to a stream.Processor: its workers
// take the processor's batches in order, write each with one COPY and retry
// it with backoff, and can hand every batch to a second consumer (the
// Python flush callback) as well; a batch is acknowledged to the processor
// once both are finished with it.
//
// # When the database is down
//
// A batch that fails for a reason that may pass (the server is unreachable,
// restarting, out of connections, a serialization failure) is retried with
// backoff for as long as the pump runs: the events stay in memory, counted
// as waiting, and the processor's bound (MaxPending) backs the pipeline up
// so pushes are refused and counted as drops rather than memory growing. A
// batch the database refuses for its content or the table (a value too
// long, the table dropped) is tried MaxAttempts times and then counted as
// failed, with the error kept for the caller to report. Nothing is lost
// without being counted.
package pgsink

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/engagehub/engagehub-native/core/stream"
)

var (
	// ErrInvalidConfig is returned (wrapped) by Open for a DSN that does not
	// parse or settings out of range.
	ErrInvalidConfig = errors.New("pgsink: invalid config")
	// ErrUnreachable is returned (wrapped) by Open when no connection to the
	// server could be made within the connect timeout.
	ErrUnreachable = errors.New("pgsink: database unreachable")
	// ErrTable is returned (wrapped) by Open when the table or one of its
	// columns does not exist, or a column has a type events cannot fill.
	ErrTable = errors.New("pgsink: bad target table")
)

// DefaultTable is the table of the Django app's Event model
// (engagehub_native.django.models.Event).
const DefaultTable = "engagehub_native_event"

// DefaultColumns are the Event model's columns for an event's type, user
// id, channel id and timestamp, in that order.
var DefaultColumns = [4]string{"type", "user_id", "channel_id", "timestamp"}

// Config configures Open. The zero value of every field but DSN selects its
// default.
type Config struct {
	// DSN is a libpq connection URL (postgresql://user:pass@host:port/db?...)
	// or key=value string.
	DSN string
	// Table is the target table, "name" or "schema.name". "" → DefaultTable.
	Table string
	// Columns name the columns that take an event's type, user id, channel
	// id and timestamp. Empty strings → DefaultColumns. The timestamp column
	// may be timestamptz or timestamp (filled in UTC) or an integer (Unix
	// seconds); the others text, varchar or char.
	Columns [4]string
	// Workers is the number of batches written at once, each on its own
	// connection. 0 → 2.
	Workers int
	// MaxAttempts is how many times a batch the database refuses for its
	// content is tried before it is counted as failed. 0 → 3.
	MaxAttempts int
	// ConnectTimeout bounds each connection attempt (and Open's first one)
	// when the DSN sets no connect_timeout. 0 → 5 s.
	ConnectTimeout time.Duration
}

// Writer writes batches of events into one table. It is safe for use by
// several goroutines at once; Close it when done.
type Writer struct {
	cfg     Config
	pool    *pgxpool.Pool
	table   pgx.Identifier
	columns []string
	stamp   stampKind
	copySQL string
	where   string
	buffers sync.Pool // *[]byte: encoded batches
}

// stampKind is how the timestamp column is encoded.
type stampKind int

const (
	stampMicros stampKind = iota // timestamptz or timestamp: µs since 2000-01-01 UTC
	stampInt8                    // bigint: Unix seconds
	stampInt4                    // integer: Unix seconds
)

// Open parses the DSN, connects once (failing with ErrUnreachable within
// the connect timeout when the server cannot be reached) and checks the
// table and its columns (ErrTable).
func Open(ctx context.Context, cfg Config) (*Writer, error) {
	if cfg.Workers < 0 || cfg.Workers > 64 {
		return nil, fmt.Errorf("%w: sink workers %d (want 0..64)", ErrInvalidConfig, cfg.Workers)
	}
	if cfg.MaxAttempts < 0 || cfg.MaxAttempts > 1000 {
		return nil, fmt.Errorf("%w: max attempts %d (want 0..1000)", ErrInvalidConfig, cfg.MaxAttempts)
	}
	if cfg.Workers == 0 {
		cfg.Workers = 2
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	if cfg.Table == "" {
		cfg.Table = DefaultTable
	}
	for i, c := range cfg.Columns {
		if c == "" {
			cfg.Columns[i] = DefaultColumns[i]
		}
	}
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = cfg.ConnectTimeout
	}
	pc.MaxConns = int32(cfg.Workers)
	pc.MinConns = 0
	where := fmt.Sprintf("%s:%d/%s", pc.ConnConfig.Host, pc.ConnConfig.Port, pc.ConnConfig.Database)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	w := &Writer{cfg: cfg, pool: pool, table: pgx.Identifier(strings.Split(cfg.Table, ".")),
		columns: cfg.Columns[:], where: where}
	if err := w.check(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return w, nil
}

// check connects and reads the table's column types with a query that
// returns no row.
func (w *Writer) check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.ConnectTimeout+5*time.Second)
	defer cancel()
	conn, err := w.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("%w: PostgreSQL at %s: %w", ErrUnreachable, w.where, err)
	}
	defer conn.Release()
	cols := make([]string, len(w.columns))
	for i, c := range w.columns {
		cols[i] = pgx.Identifier{c}.Sanitize()
	}
	query := fmt.Sprintf("SELECT %s FROM %s LIMIT 0", strings.Join(cols, ", "), w.table.Sanitize())
	rows, err := conn.Query(ctx, query)
	if err == nil {
		rows.Close()
		err = rows.Err()
	}
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			hint := ""
			if pe.Code == "42P01" && w.cfg.Table == DefaultTable {
				hint = " (run manage.py migrate with engagehub_native.django installed)"
			}
			return fmt.Errorf("%w: %s in %s: %s%s", ErrTable, w.table.Sanitize(), w.where, pe.Message, hint)
		}
		return fmt.Errorf("%w: PostgreSQL at %s: %w", ErrUnreachable, w.where, err)
	}
	fields := rows.FieldDescriptions()
	for i, f := range fields[:3] {
		switch f.DataTypeOID {
		case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID:
		default:
			return fmt.Errorf("%w: column %s of %s must be text, varchar or char (has type oid %d)",
				ErrTable, w.columns[i], w.table.Sanitize(), f.DataTypeOID)
		}
	}
	switch fields[3].DataTypeOID {
	case pgtype.TimestamptzOID, pgtype.TimestampOID:
	case pgtype.Int8OID:
		w.stamp = stampInt8
	case pgtype.Int4OID:
		w.stamp = stampInt4
	default:
		return fmt.Errorf("%w: column %s of %s must be timestamptz, timestamp, bigint or integer (has type oid %d)",
			ErrTable, w.columns[3], w.table.Sanitize(), fields[3].DataTypeOID)
	}
	w.copySQL = fmt.Sprintf("COPY %s (%s) FROM STDIN (FORMAT binary)", w.table.Sanitize(), strings.Join(cols, ", "))
	return nil
}

// Config returns the configuration in force, defaults applied.
func (w *Writer) Config() Config { return w.cfg }

// Write inserts events with one COPY, which is atomic: either every row
// is committed or none is.
func (w *Writer) Write(ctx context.Context, events []stream.Event) error {
	bp, _ := w.buffers.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer w.buffers.Put(bp)
	*bp = w.encode((*bp)[:0], events)
	conn, err := w.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	tag, err := conn.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(*bp), w.copySQL)
	conn.Release()
	if err != nil {
		return err
	}
	if n := tag.RowsAffected(); n != int64(len(events)) {
		return fmt.Errorf("pgsink: COPY wrote %d rows of %d", n, len(events))
	}
	return nil
}

// Close closes the pool's connections.
func (w *Writer) Close() { w.pool.Close() }

// pgEpoch is PostgreSQL's timestamp epoch, 2000-01-01 UTC, in Unix seconds.
const pgEpoch = 946684800

// encode appends events to buf in COPY's binary format: the header, then
// per row the field count and each field as a length and its bytes
// (strings as their UTF-8, the timestamp as the column's type wants it),
// then the trailer. Encoding by hand costs no allocation per event.
func (w *Writer) encode(buf []byte, events []stream.Event) []byte {
	buf = append(buf, "PGCOPY\n\xff\r\n\x00"...)
	buf = binary.BigEndian.AppendUint32(buf, 0) // flags
	buf = binary.BigEndian.AppendUint32(buf, 0) // header extension length
	for i := range events {
		e := &events[i]
		buf = binary.BigEndian.AppendUint16(buf, 4)
		for _, s := range [3]string{e.Type, e.UserID, e.ChannelID} {
			buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
			buf = append(buf, s...)
		}
		switch w.stamp {
		case stampMicros:
			buf = binary.BigEndian.AppendUint32(buf, 8)
			buf = binary.BigEndian.AppendUint64(buf, uint64((e.Timestamp-pgEpoch)*1_000_000))
		case stampInt8:
			buf = binary.BigEndian.AppendUint32(buf, 8)
			buf = binary.BigEndian.AppendUint64(buf, uint64(e.Timestamp))
		case stampInt4:
			buf = binary.BigEndian.AppendUint32(buf, 4)
			buf = binary.BigEndian.AppendUint32(buf, uint32(int32(e.Timestamp)))
		}
	}
	return binary.BigEndian.AppendUint16(buf, 0xFFFF) // trailer: -1
}

// Transient reports whether err may pass by itself (the server unreachable
// or restarting, a connection lost, too many connections, a serialization
// failure or deadlock), so that retrying the same batch later can succeed.
// An error the server raised about the data or the table is not transient.
func Transient(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return true // no answer from a server: network, connect, timeout
	}
	switch {
	case strings.HasPrefix(pe.Code, "08"), // connection exception
		strings.HasPrefix(pe.Code, "53"),                           // insufficient resources
		strings.HasPrefix(pe.Code, "57P"),                          // admin/crash shutdown, cannot connect now
		pe.Code == "40001", pe.Code == "40P01", pe.Code == "55P03": // serialization, deadlock, lock
		return true
	}
	return false
}

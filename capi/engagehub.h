/*
 * engagehub.h: the public C ABI of libengagehub.so (engagehub-native).
 *
 * This hand-written header is the contract; the header cgo generates is a
 * build output. The Python package reads its cdef from this file, so it holds
 * only declarations cffi can parse (no macros beyond the include guard).
 *
 * Conventions for every function:
 *   - Objects are opaque uint64_t handles. 0 is never valid. A handle that was
 *     freed, or belongs to another kind of object, gives EH_ERR_INVALID_HANDLE.
 *   - Functions that can fail return an int status, EH_OK (0) on success;
 *     results come back through out-parameters, which are written only on
 *     success. On failure the calling thread's last error holds a message:
 *     take it with eh_error_take (thread-local, like errno).
 *   - Strings are (pointer, length) pairs of UTF-8 bytes and may contain NUL.
 *     Input pointers are only read, never written (they are not declared
 *     const because cgo cannot express it, and the build checks this header
 *     against the one cgo generates). Go copies every byte it keeps before
 *     the call returns; the caller may reuse its buffers at once.
 *   - A list of strings, in either direction, is the strings' UTF-8 bytes
 *     back to back, each followed by one 0xFF byte (which never occurs in
 *     UTF-8), with the list's total length in bytes. Lists go in as the
 *     caller's buffer and come out as an eh_list.
 *   - Memory a function hands out (eh_list.block, messages from
 *     eh_error_take) belongs to the caller and is released with eh_free,
 *     and only with eh_free.
 *   - A Go panic never crosses this boundary: it becomes EH_ERR_INTERNAL.
 *   - The library is not usable in a child process created by fork() after
 *     it was loaded (the Go runtime's threads do not survive fork).
 */
#ifndef ENGAGEHUB_H
#define ENGAGEHUB_H

#include <stddef.h>
#include <stdint.h>

enum {
    EH_OK = 0,
    EH_ERR_INVALID_ARGUMENT = 1, /* a value out of range: Python ValueError */
    EH_ERR_INVALID_HANDLE = 2,   /* freed, zero or foreign handle */
    EH_ERR_SNAPSHOT = 3,         /* malformed, truncated or foreign snapshot */
    EH_ERR_IO = 4,               /* a file could not be opened/written; errno set */
    EH_ERR_CLOSED = 5,           /* the object was closed */
    EH_ERR_TIMEOUT = 6,          /* a bounded wait ran out; call again */
    EH_ERR_CAPACITY = 8,         /* a board reached its hard size limit (2^31 - 2 users or 4 GiB of ids) */
    EH_ERR_SINK = 9,             /* a native sink's table or columns are missing or unusable */
    EH_ERR_UNREACHABLE = 10,     /* a native sink's database could not be reached */
    EH_ERR_BACKEND = 11,         /* a shared store (Redis) is unreachable or refused the credentials */
    EH_ERR_INTERNAL = 99         /* a bug: recovered panic or unclassified error */
};

/* Version of this ABI; changes whenever this header changes incompatibly. */
int eh_abi_version(void);

/* Moves the calling thread's last error to the caller: *message (NUL-ended,
 * release with eh_free), its *length, and the OS errno behind it or 0.
 * Returns 1 if there was an error to take, 0 (and NULL) if none. */
int eh_error_take(char **message, size_t *length, int *os_errno);

/* Releases memory handed out by this library. NULL is allowed. */
void eh_free(void *p);

/* A list handed out by the library: `count` entries laid out in one block
 * that the caller owns and releases with eh_free(block) (NULL when count is
 * 0). Entry i is strings' i-th string, with the numbers reals[i] and ints[i]
 * where the function fills those columns (NULL otherwise; each function
 * says what they hold). */
typedef struct {
    void *block;
    size_t count;
    const double *reals;
    const int64_t *ints;
    const char *strings;
    size_t strings_length;
} eh_list;

/* ---------------------------------------------------------------- board --
 * A leaderboard of users ranked by exponentially decayed points. Scores are
 * shown decayed to `now` (Unix seconds, as the caller's clock says); the
 * order is score descending, then user id ascending (bytes). Ranks start at
 * 1. Safe to call from many threads at once. */

/* One user's standing; rank 0 means the user is not on the board. */
typedef struct {
    int64_t rank;
    double score;
    int64_t last_update;
} eh_standing;

/* decay_factor in (0, 1]; max_users 0 = unlimited, at most 2^31 - 2. */
int eh_board_new(double decay_factor, int64_t max_users, uint64_t *board);
int eh_board_free(uint64_t board);
/* The board's decay factor and limit, and the latest timestamp an update
 * may carry now (the wall clock plus the board's horizon: a timestamp
 * further ahead, such as milliseconds passed as seconds, would wipe out the
 * other users' scores and is refused). The latest timestamp only grows. */
int eh_board_config(uint64_t board, double *decay_factor, int64_t *max_users,
                    int64_t *latest_timestamp);
int eh_board_len(uint64_t board, int64_t *length);

/* Submits count updates, applied in order, after every update submitted
 * before: update i adds points[i] to the i-th id of the string list `ids`
 * as of timestamps[i] (Unix seconds, already resolved). A list that does
 * not hold count valid ids, or a point that is not finite, refuses the call
 * whole. With wait 0 the call returns at once and the board applies the
 * updates in the background; every call that reads users waits for them
 * first. With wait != 0 it returns once they are applied. An update the
 * board refuses (a timestamp beyond its horizon, a total that overflows, a
 * board at its hard limit) is skipped: the call reports, in *refused and
 * as its error (the first of them), the refusals found since the last
 * call that reported any, which with wait != 0 include this call's.
 * Errors name update i as "update <first_index + i>", the caller's number
 * for it (its place in a longer sequence sent in parts, say), or, with a
 * negative first_index, by its user id and timestamp alone. */
int eh_board_update_many(uint64_t board, char *ids, size_t ids_length,
                         double *points, int64_t *timestamps,
                         size_t count, int64_t first_index, int wait, size_t *refused);
int eh_board_remove(uint64_t board, char *user_id, size_t user_id_length,
                    int *removed);
int eh_board_standing(uint64_t board, char *user_id, size_t user_id_length,
                      double now, eh_standing *standing);
/* Ranks offset+1 .. offset+limit: user ids in `strings`, scores in
 * `reals`, last updates in `ints`; entry i has rank *first_rank + i. */
int eh_board_page(uint64_t board, int64_t offset, int64_t limit, double now,
                  eh_list *page, int64_t *first_rank);
/* Up to `before` users above user_id, the user, up to `after` below, laid
 * out as by eh_board_page; an empty list when the user is not on the board. */
int eh_board_around(uint64_t board, char *user_id, size_t user_id_length,
                    int64_t before, int64_t after, double now,
                    eh_list *page, int64_t *first_rank);
/* A board's counters, for metrics. Queries are timed inside the library
 * (from after the handle is resolved to the answer): query_count[k],
 * their total query_nanos[k], and query_buckets[k][i] the queries that took
 * at most 2^i microseconds and more than 2^(i-1) (bucket 0: at most 1 us;
 * slower than the last bucket: counted in query_count only). */
enum {
    EH_QUERY_RANK = 0,   /* eh_board_standing, eh_board_standing_as, eh_board_percentile */
    EH_QUERY_PAGE = 1,   /* eh_board_page, eh_board_page_as, eh_board_at_percentile */
    EH_QUERY_AROUND = 2, /* eh_board_around, eh_board_around_as */
    EH_QUERY_KINDS = 3,
    EH_LATENCY_BUCKETS = 16
};
typedef struct {
    uint64_t length;  /* users on the board */
    uint64_t updates; /* updates submitted through eh_board_update_many */
    uint64_t refused; /* of which the board refused */
    uint64_t query_count[3];
    uint64_t query_nanos[3];
    uint64_t query_buckets[3][16];
} eh_board_counters;
int eh_board_stats(uint64_t board, eh_board_counters *stats);

/* Atomic save (temporary file, fsync, rename) and all-or-nothing load of the
 * JSON snapshot; a failed load leaves the board unchanged. */
int eh_board_save(uint64_t board, char *path, size_t path_length);
int eh_board_load(uint64_t board, char *path, size_t path_length);

/* ----------------------------------------------------- board statistics --
 * Rank styles, tie-break policies and percentiles. Users are tied when their
 * stored (forward-decayed) values are equal, which is equality of their
 * scores at any time, and the equality the ranking orders by. */

/* How tied users are numbered: ordinal 1, 2, 3, 4; competition 1, 2, 2, 4
 * (1 + users strictly above); dense 1, 2, 2, 3 (1 + distinct scores above).
 * Any other value is EH_ERR_INVALID_ARGUMENT. */
enum { EH_RANK_ORDINAL = 0, EH_RANK_COMPETITION = 1, EH_RANK_DENSE = 2 };
/* Order among tied users: by user id (bytes, ascending; the default), or
 * the one whose score reached its value first (in the order the board
 * applied the updates). Kept in snapshots. */
enum { EH_TIE_USER_ID = 0, EH_TIE_EARLIEST = 1 };

/* eh_board_new with a tie-break policy and time windows: window_count
 * windows, named by the string list window_names, of window_lengths[i]
 * seconds each (a positive whole number of minutes, names unique and not
 * empty, at most 16), whose periods start at window_origin + k * length
 * (0 <= window_origin < 2^40). Each window ranks the points earned in its
 * current period; every update the board accepts also goes to the windows
 * whose current period holds its timestamp (a later period starts the
 * window afresh). */
int eh_board_new_config(double decay_factor, int64_t max_users, int tie_break,
                        char *window_names, size_t window_names_length,
                        int64_t *window_lengths, size_t window_count,
                        int64_t window_origin, uint64_t *board);
/* The board's tie-break policy (a load may change it to the file's). */
int eh_board_tie_break(uint64_t board, int *tie_break);
/* The board's windows: names in `strings`, lengths in seconds in `ints`;
 * and their origin. */
int eh_board_windows(uint64_t board, eh_list *windows, int64_t *window_origin);

/* The calls below read the board itself when `window` is empty (length 0),
 * else the window of that name (EH_ERR_INVALID_ARGUMENT for a name the
 * board has none of) as of `now`: a window whose period ended before now
 * reads as empty. */

/* The number of users on the board or window. */
int eh_board_len_at(uint64_t board, char *window, size_t window_length,
                    double now, int64_t *length);
/* eh_board_standing with the rank numbered in `style`. */
int eh_board_standing_as(uint64_t board, char *window, size_t window_length,
                         char *user_id, size_t user_id_length,
                         double now, int style, eh_standing *standing);
/* Ranks offset+1 .. offset+limit numbered in `style`: user ids in
 * `strings`, scores in `reals`, and TWO ints per entry: ints[2i] is entry
 * i's rank, ints[2i + 1] its last update. */
int eh_board_page_as(uint64_t board, char *window, size_t window_length,
                     int64_t offset, int64_t limit, double now,
                     int style, eh_list *page);
/* eh_board_around laid out as by eh_board_page_as. */
int eh_board_around_as(uint64_t board, char *window, size_t window_length,
                       char *user_id, size_t user_id_length,
                       int64_t before, int64_t after, double now, int style,
                       eh_list *page);
/* The share of the board, in percent, whose score is strictly below the
 * user's; *found 0 (and *percentile 0) when the user is not on the board. */
int eh_board_percentile(uint64_t board, char *window, size_t window_length,
                        char *user_id, size_t user_id_length, double now,
                        double *percentile, int *found);
/* The entry at percentile p (0..100, nearest rank counted up from the
 * bottom: 100 is the top entry, 0 the bottom one), laid out as by
 * eh_board_page_as; an empty list for an empty board. p outside 0..100 or
 * NaN is EH_ERR_INVALID_ARGUMENT. */
int eh_board_at_percentile(uint64_t board, char *window, size_t window_length,
                           double p, double now, int style,
                           eh_list *entry);

/* ---------------------------------------------------------- redis board --
 * A board kept in Redis (or a Redis Cluster) under `name`, shared by every
 * process that opens the same name there; every eh_board_* function above
 * works on it. url: redis://[[user]:password@]host[:port][/db][?options],
 * rediss://... for TLS, redis+cluster://[...@]host:port,host:port[,...]
 * (rediss+cluster:// for TLS). A bad URL or name, or a board that exists
 * with another decay factor and holds users: EH_ERR_INVALID_ARGUMENT; a
 * server that cannot be reached within seconds or refuses the credentials:
 * EH_ERR_BACKEND. Updates are queued in bounded memory and sent in the
 * background, one round trip per batch; while Redis cannot be reached they
 * stay queued (counted; dropped past the bound) and are retried with
 * backoff, eh_board_update_many still returns EH_OK, and reads return
 * EH_ERR_BACKEND. eh_board_free sends what it can within seconds.
 * Of the board statistics, a board in Redis numbers ranks in ordinal and
 * competition style and answers percentiles, each in one atomic script
 * call of O(log n) in Redis; EH_RANK_DENSE (no sorted-set command counts
 * distinct scores in O(log n)) and a non-empty window (it has none) are
 * EH_ERR_INVALID_ARGUMENT with a message naming the feature. Its ties are
 * ordered by user id (EH_TIE_USER_ID). */
int eh_board_new_redis(char *url, size_t url_length, char *name, size_t name_length,
                       double decay_factor, int64_t max_users, uint64_t *board);

typedef struct {
    int remote;        /* 1 for a board in Redis, 0 for an embedded board */
    int connected;     /* the last round trip succeeded (always 1 when embedded) */
    uint64_t queued;   /* updates waiting to be sent */
    uint64_t applied;  /* updates sent and acknowledged */
    uint64_t dropped;  /* updates dropped because the queue was full */
    uint64_t retries;  /* batches sent again after a failure */
} eh_backend_stats;

int eh_board_backend_stats(uint64_t board, eh_backend_stats *stats);

/* ------------------------------------------------------------ processor --
 * The event stream processor. Producers push events into a bounded ring;
 * one Go goroutine analyses them (distinct users per minute, channel counts)
 * and cuts them into batches; the caller's dispatcher threads pull batches
 * with eh_proc_next and acknowledge each with eh_proc_done. Go never calls
 * back into the caller. Safe to call from many threads at once. Waiting
 * calls take a timeout in milliseconds and return EH_ERR_TIMEOUT when it
 * passes, so callers wait in short slices and stay responsive to signals. */

/* Processor settings. eh_proc_new writes back the values in force: zeros
 * replaced by defaults, buffer_size rounded up to a power of two. */
typedef struct {
    int64_t buffer_size;       /* ring capacity, rounded up to a power of two; 0: 1024 */
    int64_t batch_size;        /* most events per batch; 0: 1 */
    int64_t flush_interval_us; /* a partial batch is cut this long after the last; 0: 1000 */
    int64_t max_pending;       /* events analysed and not acknowledged; 0: max(buffer, 4*batch) */
    int64_t hll_precision;     /* 4..18; 0: 14 */
    int64_t topk_capacity;     /* channels tracked for the top-k; 0: 1024 */
    double cms_epsilon;        /* Count-Min Sketch error bound; 0: 1e-4 */
    double cms_delta;          /* ... and failure probability; 0: 1e-3 */
} eh_proc_config;

/* A batch handed out by eh_proc_next: the `count` events at stream
 * positions first .. first+count-1, where the events pushed through
 * eh_proc_push_many are numbered from 0 in the order they were accepted
 * (the caller keeps the events; the batch names them). Acknowledge it with
 * eh_proc_done(id). count 0 means no batch was ready in time. */
typedef struct {
    uint64_t id;
    uint64_t first;
    size_t count;
} eh_batch;

typedef struct {
    uint64_t pushed;      /* events offered: accepted + dropped + rejected + invalid */
    uint64_t accepted;    /* pushes that were queued */
    uint64_t dropped;     /* refused because the buffer was full */
    uint64_t rejected;    /* refused because the processor was closed */
    uint64_t invalid;     /* refused because a field was not UTF-8 */
    uint64_t processed;   /* analysed */
    uint64_t batches;     /* batches cut */
    uint64_t handed_out;  /* events in batches handed out by eh_proc_next */
    uint64_t delivered;   /* events in batches acknowledged by eh_proc_done */
    uint64_t pending;     /* analysed and not yet acknowledged */
    uint64_t queued;      /* in batches waiting for eh_proc_next */
    uint64_t queue_depth; /* in the ring, not yet analysed */
} eh_proc_counters;

int eh_proc_new(eh_proc_config *config, uint64_t *proc);
/* Stops accepting events and releases the handle without waiting; batches
 * not yet acknowledged are lost. Close first to drain. */
int eh_proc_free(uint64_t proc);

/* What eh_proc_push_many did, and what the caller may offer next. */
typedef struct {
    size_t accepted;    /* events queued: the first `accepted` of the call */
    size_t room;        /* events the ring can take now (a lower bound while
                           the processor analyses): offering more is wasted */
    uint64_t kept_from; /* the lowest stream position eh_proc_next may still
                           hand out, or has handed out without eh_proc_done:
                           a caller keeping events by position may reuse the
                           room of every position below it */
} eh_push_result;

/* Pushes count events in order and never blocks: `fields` is a string
 * list of 2*count strings, the count user ids then the count channel ids
 * (the processor does not need event types), and timestamps[i] is event i's
 * time (<= 0: the time of the push). Events go in until the buffer is full;
 * the rest are neither queued nor counted as dropped (the caller may offer
 * them again). A field list that does not hold 2*count valid UTF-8 strings
 * refuses the call whole. *result is written also when count is 0 (a way
 * to learn room and kept_from) and when the call fails. */
int eh_proc_push_many(uint64_t proc, char *fields, size_t fields_length,
                      int64_t *timestamps, size_t count, eh_push_result *result);

/* Counts n events the caller refused because the buffer was full (its own
 * staging and the ring both), so `dropped` covers every drop. */
int eh_proc_count_dropped(uint64_t proc, uint64_t n);

/* Whether a consumer is attached. Batches are handed out only while one is;
 * without one, analysed events are kept (up to max_pending). */
int eh_proc_set_consumer(uint64_t proc, int attached);
/* Waits up to timeout_ms for a batch. EH_ERR_CLOSED once the processor is
 * closed and every batch has been handed out. */
int eh_proc_next(uint64_t proc, int64_t timeout_ms, eh_batch *batch);
int eh_proc_done(uint64_t proc, uint64_t batch_id);
/* eh_proc_done(batch_id), unless batch_id is 0, then eh_proc_next: a
 * dispatcher's acknowledgement and its wait for the next batch in one call.
 * When the acknowledgement fails, its status is returned and nothing is
 * waited for. */
int eh_proc_done_next(uint64_t proc, uint64_t batch_id, int64_t timeout_ms, eh_batch *batch);

/* A flush barrier: eh_proc_flush_begin covers every event pushed before it;
 * eh_proc_flush_wait returns EH_OK once they are analysed and, with
 * wait_delivery and a consumer attached, acknowledged; also once the
 * pipeline is backed up with no way forward (no consumer, or wait_delivery
 * 0 while the pending bound is reached), or the processor is closed and
 * drained. EH_ERR_TIMEOUT: call eh_proc_flush_wait again with the same mark. */
int eh_proc_flush_begin(uint64_t proc, uint64_t *mark);
int eh_proc_flush_wait(uint64_t proc, uint64_t mark, int64_t timeout_ms, int wait_delivery);
/* Stops accepting events, analyses what was pushed and cuts the last batch;
 * with a consumer attached, also waits until every batch is acknowledged.
 * Idempotent; EH_ERR_TIMEOUT: call again to keep waiting. */
int eh_proc_close(uint64_t proc, int64_t timeout_ms);

/* Estimated distinct user ids among events of the last window_seconds
 * (at most 3600, in whole minutes). */
int eh_proc_unique_users(uint64_t proc, int64_t window_seconds, uint64_t *estimate);
/* Up to k channels with the most events, busiest first: channel ids in
 * `strings`, counts (never under-estimated) in `ints`, and in `reals` how
 * far above the true count each may be (exact below 2^53). */
int eh_proc_top_channels(uint64_t proc, int64_t k, eh_list *top);
int eh_proc_stats(uint64_t proc, eh_proc_counters *stats);

/* ----------------------------------------------------------- native sink --
 * A processor can write its batches into a PostgreSQL table itself: Go
 * workers take each batch and insert it with one COPY (pgx, a pool of
 * `workers` connections), with no call into the caller. Attach the sink
 * right after eh_proc_new, before anything is pushed. From then on:
 *   - eh_proc_push_many takes 3*count strings: the count event types, then
 *     the user ids, then the channel ids (the sink writes all of them);
 *   - the sink is the processor's consumer: batches are written whether or
 *     not the caller attached one, flushes and close wait for the writes;
 *   - while the caller is attached (eh_proc_set_consumer), eh_proc_next
 *     hands it every batch too, and a batch is released once both the sink
 *     and eh_proc_done are finished with it; eh_proc_next gives
 *     EH_ERR_CLOSED once the processor is closed and every batch written.
 * A batch that fails because the database is unreachable (or restarting,
 * or out of connections) is retried with backoff until it is written: the
 * events wait in memory, bounded by max_pending (then pushes are refused
 * and counted as dropped). A batch the database refuses for its content or
 * table is tried max_attempts times, then counted as failed. */
typedef struct {
    char *dsn;                  /* libpq URL postgresql://user:pass@host:port/db or key=value */
    size_t dsn_length;
    char *table;                /* "name" or "schema.name"; length 0: engagehub_native_event */
    size_t table_length;
    char *columns;              /* a string list of the 4 columns for type, user id, channel id,
                                   timestamp (timestamptz, timestamp or integer); length 0:
                                   type, user_id, channel_id, timestamp */
    size_t columns_length;
    int64_t workers;            /* batches written at once (connections); 0: 2 */
    int64_t max_attempts;       /* tries of a batch the database refuses; 0: 3 */
    int64_t connect_timeout_ms; /* per connection attempt, unless the DSN sets one; 0: 5000 */
} eh_sink_config;

/* Connects (EH_ERR_UNREACHABLE within the connect timeout when it cannot),
 * checks the table and columns (EH_ERR_SINK) and starts the workers.
 * EH_ERR_INVALID_ARGUMENT for a DSN that does not parse, a processor that
 * already has a sink or has been pushed to. */
int eh_proc_attach_sink(uint64_t proc, eh_sink_config *config);

typedef struct {
    uint64_t written;  /* events committed to the table */
    uint64_t failed;   /* events of batches given up on */
    uint64_t failures; /* batches given up on */
    uint64_t retries;  /* attempts repeated after an error */
    uint64_t writing;  /* events taken by the workers and not yet written or failed */
    int64_t down;      /* 1 while the last attempt failed for want of the database */
} eh_sink_counters;

/* The sink's counters, and in *last_error a list of one string, the last
 * failed attempt's message, or an empty list. EH_ERR_INVALID_ARGUMENT when
 * the processor has no sink. */
int eh_proc_sink_stats(uint64_t proc, eh_sink_counters *stats, eh_list *last_error);

/* eh_proc_new, with the live analytics also kept in Redis under `name`
 * (url as for eh_board_new_redis), shared by every processor that uses the
 * name there: eh_proc_unique_users and eh_proc_top_channels then answer
 * for all of them (top channels: counts of the last hour, exact), and fail
 * with EH_ERR_BACKEND while Redis cannot be reached. Each analysed chunk
 * is aggregated and sent in the background, one round trip per batch;
 * while Redis is down the aggregate is kept, bounded (events past it are
 * not shared, and counted), and retried with backoff. */
int eh_proc_new_redis(eh_proc_config *config, char *url, size_t url_length,
                      char *name, size_t name_length, uint64_t *proc);
/* The shared analytics' counters, as eh_board_backend_stats: queued =
 * events aggregated and not yet sent, applied = events sent. */
int eh_proc_backend_stats(uint64_t proc, eh_backend_stats *stats);

/* Trending channels and estimates with their error. */
/* eh_proc_unique_users with an interval holding the true number with
 * about 95 % confidence (+-1.96 HyperLogLog standard errors);
 * *estimate is what eh_proc_unique_users answers. */
int eh_proc_unique_users_bounds(uint64_t proc, int64_t window_seconds, uint64_t *estimate,
                                uint64_t *lower, uint64_t *upper);
/* Up to k (>= 1) channels with the most events of the last window_seconds
 * (a whole number of minutes, 60..3600), laid out as by
 * eh_proc_top_channels. */
int eh_proc_trending_channels(uint64_t proc, int64_t k, int64_t window_seconds, eh_list *top);
/* The analytics state (distinct users and channel counts) as bytes, in a
 * versioned format: *data (release with eh_free) of *length bytes. */
int eh_proc_export_analytics(uint64_t proc, char **data, size_t *length);
/* Merges a state from eh_proc_export_analytics (of any process) into this
 * one. EH_ERR_INVALID_ARGUMENT for another version or configuration, or
 * bytes that are not a whole state; on error nothing changes. */
int eh_proc_merge_analytics(uint64_t proc, char *data, size_t length);

#endif /* ENGAGEHUB_H */

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
 *   - Memory a function hands out (eh_page.block, eh_batch.block, messages
 *     from eh_error_take) belongs to the caller and is released with eh_free,
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

/* ---------------------------------------------------------------- board --
 * A leaderboard of users ranked by exponentially decayed points. Scores are
 * shown decayed to `now` (Unix seconds, as the caller's clock says); the
 * order is score descending, then user id ascending (bytes). Ranks start at
 * 1. Safe to call from many threads at once. */

/* A page of consecutive ranks, laid out in one block owned by the caller
 * (release with eh_free(block)). Entry i has rank first_rank + i, the user id
 * ids[i] (the ids are concatenated, each followed by one 0xFF byte, which
 * never occurs in UTF-8), score scores[i] and last update last_updates[i]. */
typedef struct {
    void *block;
    size_t count;
    int64_t first_rank;
    const double *scores;
    const int64_t *last_updates;
    const char *ids;
    size_t ids_length;
} eh_page;

/* One user's standing; rank 0 means the user is not on the board. */
typedef struct {
    int64_t rank;
    double score;
    int64_t last_update;
} eh_standing;

/* decay_factor in (0, 1]; max_users 0 = unlimited. */
int eh_board_new(double decay_factor, int64_t max_users, uint64_t *board);
int eh_board_free(uint64_t board);
int eh_board_config(uint64_t board, double *decay_factor, int64_t *max_users);
int eh_board_len(uint64_t board, int64_t *length);

/* Adds points (finite) at timestamp (Unix seconds, already resolved). */
int eh_board_update(uint64_t board, char *user_id, size_t user_id_length,
                    double points, int64_t timestamp);
/* count updates at once: ids concatenated, each followed by one 0xFF byte. */
int eh_board_update_many(uint64_t board, char *ids, size_t ids_length,
                         double *points, int64_t *timestamps,
                         size_t count);
int eh_board_remove(uint64_t board, char *user_id, size_t user_id_length,
                    int *removed);
int eh_board_standing(uint64_t board, char *user_id, size_t user_id_length,
                      double now, eh_standing *standing);
/* Ranks offset+1 .. offset+limit. */
int eh_board_page(uint64_t board, int64_t offset, int64_t limit, double now,
                  eh_page *page);
/* Up to `before` users above user_id, the user, up to `after` below; an
 * empty page (count 0) when the user is not on the board. */
int eh_board_around(uint64_t board, char *user_id, size_t user_id_length,
                    int64_t before, int64_t after, double now, eh_page *page);
/* Atomic save (temporary file, fsync, rename) and all-or-nothing load of the
 * JSON snapshot; a failed load leaves the board unchanged. */
int eh_board_save(uint64_t board, char *path, size_t path_length);
int eh_board_load(uint64_t board, char *path, size_t path_length);

#endif /* ENGAGEHUB_H */

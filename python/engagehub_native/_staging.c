/* The staging areas' hot paths in C: EventStreamProcessor.push and its
 * staging (EventStaging, which a drain hands the engine from), and
 * Leaderboard.update; the checks of push_many and update_many, and the dicts
 * a flush callback receives.
 *
 * A push or an update only stages its fields, which the engine later takes
 * in bulk; written in Python, the checks and the staging cost two to four
 * times an empty method call. Here they are one C call. push and update
 * take only the common case (exact str, int and float arguments, ASCII
 * ids, a timestamp in range, room in the staging) and hand everything else,
 * unchanged, to the Python method that holds the rules (_push_slow,
 * _update_slow): that one decides, words the errors, and reads the clock a
 * board was given. So what they accept, Python would accept identically,
 * and they never raise an error of their own making.
 *
 * One event or update is staged with the GIL held throughout, so no other
 * thread sees a partial one. A free-threaded CPython has no GIL: there
 * every push and update takes the Python path, and EventStaging locks
 * itself.
 *
 * Built against the limited API of CPython 3.9 (one abi3 extension for every
 * CPython, as the cffi one).
 */

#define PY_SSIZE_T_CLEAN /* Py_ssize_t lengths for "y#" */
#include <Python.h>
#include <structmember.h>

#include "_hot_path.h"
#include "engagehub.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Longer events (type + user id + channel id, in characters) never wait in
 * the staging (exported as SMALL_EVENT: processor.py's _SMALL). */
#define SMALL_EVENT 1024

/* How many events ahead event_dicts and stage_events ask for an object
 * they will touch. A batch is delivered long after its events were pushed,
 * and a caller's events were often made long before: their user ids are out
 * of the cache, and each reference to one waits for memory. */
#define PREFETCH_AHEAD 8

static PyObject *name_push_slow, *name_update_slow, *name_drain_staged;
static PyObject *key_type, *key_user_id, *key_channel_id, *key_timestamp;

#ifdef Py_GIL_DISABLED
#define STAGING_LOCK(self) Py_BEGIN_CRITICAL_SECTION(self)
#define STAGING_UNLOCK() Py_END_CRITICAL_SECTION()
#else
#define STAGING_LOCK(self) {
#define STAGING_UNLOCK() }
#endif

/* -- what Updates holds: the staged updates, as wire ----------------------- */

/* An update waits here from its update() until a drain hands it to the
 * engine, already in the form the engine takes (eh_board_update_many): its
 * id's UTF-8 appended to the ids, ended by the byte 0xFF (which UTF-8 never
 * holds), its points and timestamp to two arrays. So a drain copies three
 * blocks and converts nothing, and an update keeps no Python object alive.
 * Every change runs with the GIL held (a free-threaded build locks the
 * object instead), so a drain never sees half an update. */

/* Buffers larger than these are given back once a drain empties them: a
 * burst of long ids, or of updates staged past the usual room (a caller
 * that raised _room), does not hold its memory for good. */
#define STAGED_IDS_KEPT (1 << 20)
#define STAGED_UPDATES_KEPT (1 << 16)

/* An update drains once the staged ids take this many bytes, whatever
 * room is left: 1,024 updates of ids of a megabyte each would otherwise
 * wait as a gigabyte. */
#define STAGED_IDS_DRAIN (1 << 22)

/* Whether the staging is full: at its room (3 fields per update), or at
 * STAGED_IDS_DRAIN bytes of ids. */
static int
staged_full(const Staged *st)
{
    return 3 * st->count >= st->room || st->ids_len >= STAGED_IDS_DRAIN;
}

/* Room for one more update whose id has n bytes; -1 with MemoryError. */
static int
staged_reserve(Staged *st, Py_ssize_t n)
{
    if (st->count == st->cap) {
        Py_ssize_t cap = st->cap ? 2 * st->cap : 1024;
        double *points;
        long long *stamps;
        if (cap > PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(double)) {
            PyErr_NoMemory();
            return -1;
        }
        if ((points = PyMem_Realloc(st->points, (size_t)cap * sizeof(double))) == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        st->points = points;
        if ((stamps = PyMem_Realloc(st->stamps, (size_t)cap * sizeof(long long))) == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        st->stamps = stamps;
        st->cap = cap;
    }
    if (n > PY_SSIZE_T_MAX / 2 - st->ids_len - 1) {
        PyErr_NoMemory();
        return -1;
    }
    if (st->ids_len + n + 1 > st->ids_cap) {
        Py_ssize_t cap = st->ids_cap ? st->ids_cap : 16384;
        char *ids;
        while (cap < st->ids_len + n + 1) {
            cap *= 2;
        }
        if ((ids = PyMem_Realloc(st->ids, (size_t)cap)) == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        st->ids = ids;
        st->ids_cap = cap;
    }
    return 0;
}

/* Stages an update of the id whose UTF-8 is text (n bytes), checked by the
 * caller as its points (finite) and timestamp (in range); -1 with
 * MemoryError. */
static int
staged_add(Staged *st, const char *text, Py_ssize_t n, double points, long long stamp)
{
    if (staged_reserve(st, n) < 0) {
        return -1;
    }
    memcpy(st->ids + st->ids_len, text, (size_t)n);
    st->ids[st->ids_len + n] = (char)0xFF;
    st->ids_len += n + 1;
    st->points[st->count] = points;
    st->stamps[st->count] = stamp;
    st->count++;
    return 0;
}

/* The bytes the ids of the first n staged updates take, their ends included. */
static Py_ssize_t
staged_ids_bytes(const Staged *st, Py_ssize_t n)
{
    const char *at = st->ids, *end = st->ids + st->ids_len;
    if (n == st->count) {
        return st->ids_len;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        at = (const char *)memchr(at, 0xFF, (size_t)(end - at)) + 1;
    }
    return at - st->ids;
}

/* Unstages the first n updates: the rest move to the front. */
static void
staged_cut(Staged *st, Py_ssize_t n, Py_ssize_t ids_bytes)
{
    st->count -= n;
    st->ids_len -= ids_bytes;
    if (st->count > 0) {
        memmove(st->ids, st->ids + ids_bytes, (size_t)st->ids_len);
        memmove(st->points, st->points + n, (size_t)st->count * sizeof(double));
        memmove(st->stamps, st->stamps + n, (size_t)st->count * sizeof(long long));
        return;
    }
    if (st->ids_cap > STAGED_IDS_KEPT) {
        PyMem_Free(st->ids);
        st->ids = NULL;
        st->ids_cap = 0;
    }
    if (st->cap > STAGED_UPDATES_KEPT) {
        PyMem_Free(st->points);
        PyMem_Free(st->stamps);
        st->points = NULL;
        st->stamps = NULL;
        st->cap = 0;
    }
}

static int
Staged_traverse(Staged *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self)); /* a heap type's instances refer to it (3.9+) */
    return 0;
}

static void
Staged_dealloc(Staged *self)
{
    PyTypeObject *type = Py_TYPE(self);
    freefunc free_object = (freefunc)PyType_GetSlot(type, Py_tp_free);
    PyObject_GC_UnTrack(self);
    PyMem_Free(self->ids);
    PyMem_Free(self->points);
    PyMem_Free(self->stamps);
    free_object(self);
    Py_DECREF(type);
}

static PyObject *
Staged_stage(Staged *self, PyObject *args)
{
    const char *text;
    Py_ssize_t n;
    double points;
    long long stamp;
    int failed;
    if (!PyArg_ParseTuple(args, "y#dL:_stage", &text, &n, &points, &stamp)) {
        return NULL;
    }
    if (memchr(text, 0xFF, (size_t)n) != NULL) {
        PyErr_SetString(PyExc_ValueError, "_stage: an id is UTF-8, which holds no byte 0xFF");
        return NULL;
    }
    STAGING_LOCK(self);
    failed = staged_add(self, text, n, points, stamp);
    STAGING_UNLOCK();
    if (failed) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* Unstages the first n staged updates into wire[0..2], new bytes objects
 * as a drain hands them to the engine: the ids (each ended by 0xFF), the
 * points as doubles, the timestamps as int64. -1 with an error set, and
 * nothing unstaged, when memory ran out. */
static int
staged_take(Staged *st, Py_ssize_t n, PyObject *wire[3])
{
    Py_ssize_t ids_bytes = staged_ids_bytes(st, n);
    wire[0] = PyBytes_FromStringAndSize(st->ids, ids_bytes);
    wire[1] = PyBytes_FromStringAndSize((const char *)st->points, n * (Py_ssize_t)sizeof(double));
    wire[2] = PyBytes_FromStringAndSize((const char *)st->stamps, n * (Py_ssize_t)sizeof(long long));
    if (wire[0] == NULL || wire[1] == NULL || wire[2] == NULL) {
        Py_CLEAR(wire[0]);
        Py_CLEAR(wire[1]);
        Py_CLEAR(wire[2]);
        return -1;
    }
    staged_cut(st, n, ids_bytes);
    return 0;
}

static PyObject *
Staged_take(Staged *self, PyObject *arg)
{
    Py_ssize_t most = PyLong_AsSsize_t(arg), n;
    PyObject *wire[3];
    int failed;
    if (most == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (most < 0) {
        PyErr_SetString(PyExc_ValueError, "_take_staged: a count >= 0");
        return NULL;
    }
    STAGING_LOCK(self);
    n = Py_MIN(most, self->count);
    failed = staged_take(self, n, wire);
    STAGING_UNLOCK();
    if (failed) {
        return NULL;
    }
    return Py_BuildValue("(NNNn)", wire[0], wire[1], wire[2], n);
}

static PyObject *
Staged_full(Staged *self, PyObject *unused)
{
    int full;
    STAGING_LOCK(self);
    full = staged_full(self);
    STAGING_UNLOCK();
    return PyBool_FromLong(full);
}

static PyObject *
Staged_discard(Staged *self, PyObject *unused)
{
    STAGING_LOCK(self);
    staged_cut(self, self->count, self->ids_len);
    STAGING_UNLOCK();
    Py_RETURN_NONE;
}

static PyObject *
Staged_fields(Staged *self, PyObject *unused)
{
    PyObject *fields;
    STAGING_LOCK(self);
    fields = PyList_New(3 * self->count);
    for (Py_ssize_t i = 0, at = 0; fields != NULL && i < self->count; i++) {
        Py_ssize_t n = (const char *)memchr(self->ids + at, 0xFF, (size_t)(self->ids_len - at))
                       - (self->ids + at);
        PyObject *field[3] = {PyUnicode_DecodeUTF8(self->ids + at, n, "strict"),
                              PyFloat_FromDouble(self->points[i]),
                              PyLong_FromLongLong(self->stamps[i])};
        for (int f = 0; f < 3; f++) {
            if (field[f] == NULL) {
                Py_XDECREF(field[0]);
                Py_XDECREF(field[1]);
                Py_XDECREF(field[2]);
                Py_CLEAR(fields);
                break;
            }
        }
        for (int f = 0; fields != NULL && f < 3; f++) {
            PyList_SetItem(fields, 3 * i + f, field[f]); /* steals the reference */
        }
        at += n + 1;
    }
    STAGING_UNLOCK();
    return fields;
}

#define STAGED_METHODS                                                                  \
    {"_stage", (PyCFunction)Staged_stage, METH_VARARGS,                                 \
     "_stage(id_utf8, points, timestamp, /)\n--\n\n"                                     \
     "Stage an update Python checked: the id's UTF-8, finite points, a timestamp\n"     \
     "in range (update's path for what it leaves to Python)."},                         \
    {"_take_staged", (PyCFunction)Staged_take, METH_O,                                  \
     "_take_staged(most, /)\n--\n\n"                                                     \
     "Unstage the first (at most ``most``) staged updates and return them as a\n"       \
     "drain hands them to the engine: (ids, each ended by 0xFF; points as\n"            \
     "doubles; timestamps as int64; how many)."},                                       \
    {"_staging_full", (PyCFunction)Staged_full, METH_NOARGS,                            \
     "_staging_full()\n--\n\n"                                                            \
     "Whether an update must drain now: at ``_room`` fields, or at 4 MiB of ids."},      \
    {"_discard_staged", (PyCFunction)Staged_discard, METH_NOARGS,                       \
     "_discard_staged()\n--\n\nForget every staged update (the board is closing)."},   \
    {"_staged_fields", (PyCFunction)Staged_fields, METH_NOARGS,                         \
     "_staged_fields()\n--\n\n"                                                          \
     "The staged updates as flat fields, three per update (id, points,\n"               \
     "timestamp), as update_wire takes them: for tests and debugging."}

#define STAGED_MEMBERS(type)                                                            \
    {"_staged", T_PYSSIZET, offsetof(type, count), READONLY, "updates staged"},         \
    {"_room", T_PYSSIZET, offsetof(type, room), 0, NULL}

#define STAGED_SLOTS {Py_tp_traverse, Staged_traverse}, {Py_tp_dealloc, Staged_dealloc}

/* -- EventStaging: events between push and the engine, fields until delivery -- */

/* An event waits here from its push until the engine takes it, and its four
 * fields (the very objects pushed) stay until a dispatcher takes its batch.
 * The fields sit in slots indexed by stream position modulo the capacity,
 * written once by the push: a drain moves no object, it hands the engine
 * only the wire (the staged events' ids, each ended by 0xFF, columns one
 * after another, and their timestamps), which pushes append as they go, so
 * a drain encodes nothing either. A dispatcher moves a batch's fields out of
 * their slots (take_fields), which frees the slots for later positions.
 *
 * Every method runs with the GIL held (a free-threaded build locks the
 * object instead), so a push never sees a drain half done. The engine reads
 * an offer with the GIL released: offer() copies the wire into buffers of
 * its own first, which pushes meanwhile never touch. Objects are released
 * last, once the state is whole again, since a release may run Python code.
 */

/* A growable byte buffer: what it holds is data[start .. len). Cutting
 * from the front only moves start; the rest moves down when room is
 * needed, so draining in chunks costs no more than the bytes taken. */
typedef struct {
    char *data;
    size_t start, len, cap;
} Bytes;

/* What a drain needs of one staged event, besides its slots. */
typedef struct {
    uint32_t type, user, channel; /* UTF-8 bytes of each field */
    uint32_t chars;               /* characters of the three, for SMALL_EVENT */
    uint32_t held;                /* bytes the engine will hold (see sizes_of) */
} EventSizes;

typedef struct {
    PyObject_HEAD
    PyObject **slots;             /* 4 per event: type, user id, channel id, timestamp */
    Py_ssize_t capacity;          /* events the slots hold */
    Py_ssize_t touched;           /* slots of events [0, touched) were ever written; the rest are NULL */
    unsigned long long next;      /* the stream position of the first staged event */
    unsigned long long kept_from; /* every slot below it (as the engine last said) is free */
    Py_ssize_t count;             /* events staged */
    Py_ssize_t limit;             /* push stages no more than this many */
    char typed;                   /* the wire carries the types (a native sink writes them) */
    char open;                    /* push may stage (cleared once closing or sealed) */
    Bytes types, users, channels; /* the staged events' wire columns (types only when typed) */
    int64_t *stamps;              /* their timestamps, from index first */
    EventSizes *sizes;            /* their sizes, from index first */
    Py_ssize_t first, room;       /* the first staged event's index; stamps and sizes allocated */
    Bytes wire, wire_stamps;      /* an offer's strings (columns one after another), timestamps */
    char offering;                /* an offer is in the engine (the GIL released) */
} EventStaging;

/* The engine's export a drain calls, by its address (see bind). */
static __typeof__(eh_proc_push_many) *push_many;

static PyTypeObject *EventStaging_type;

/* The sizes of an event whose three strings have these UTF-8 bytes, chars
 * characters together and type_chars in the type; held is what the engine
 * holds for it as max_pending_bytes counts it: its wire strings with their
 * ends, and its type's characters when the wire does not carry the type. */
static EventSizes
sizes_of(const Py_ssize_t bytes[3], Py_ssize_t chars, Py_ssize_t type_chars, int typed)
{
    EventSizes size = {(uint32_t)bytes[0], (uint32_t)bytes[1], (uint32_t)bytes[2],
                       (uint32_t)chars, 0};
    size.held = (typed ? size.type + 1 : (uint32_t)type_chars) + size.user + size.channel + 2;
    return size;
}

static int
bytes_reserve(Bytes *b, size_t more)
{
    if (b->len + more > b->cap && b->start > 0) {
        memmove(b->data, b->data + b->start, b->len - b->start);
        b->len -= b->start;
        b->start = 0;
    }
    if (b->len + more > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *data;
        while (cap < b->len + more) {
            cap *= 2;
        }
        if ((data = PyMem_Realloc(b->data, cap)) == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        b->data = data;
        b->cap = cap;
    }
    return 0;
}

static void
bytes_put(Bytes *b, const char *text, size_t n)
{
    memcpy(b->data + b->len, text, n);
    b->data[b->len + n] = (char)0xFF;
    b->len += n + 1;
}

/* Drops the first n bytes of b. */
static void
bytes_cut(Bytes *b, size_t n)
{
    b->start += n;
    if (b->start == b->len) {
        b->start = b->len = 0;
    }
}

/* Whether n more events fit: in the staging's limit and in free slots (a
 * slot is free once below kept_from + capacity). */
static int
staging_fits(EventStaging *st, Py_ssize_t n, Py_ssize_t limit)
{
    unsigned long long end = st->next + (unsigned long long)st->count + (unsigned long long)n;
    return st->open && st->count + n <= limit && end <= st->kept_from + (unsigned long long)st->capacity;
}

/* Room for one more event in every buffer, for fields of these sizes; 0 or
 * -1 with MemoryError set (nothing changed). */
static int
staging_reserve(EventStaging *st, const EventSizes *size)
{
    if (st->first + st->count == st->room && st->first > 0) {
        memmove(st->stamps, st->stamps + st->first, (size_t)st->count * sizeof(int64_t));
        memmove(st->sizes, st->sizes + st->first, (size_t)st->count * sizeof(EventSizes));
        st->first = 0;
    }
    if (st->count == st->room) {
        Py_ssize_t room = st->room ? 2 * st->room : 1024;
        int64_t *stamps = PyMem_Realloc(st->stamps, (size_t)room * sizeof(int64_t));
        EventSizes *sizes;
        if (stamps == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        st->stamps = stamps;
        if ((sizes = PyMem_Realloc(st->sizes, (size_t)room * sizeof(EventSizes))) == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        st->sizes = sizes;
        st->room = room;
    }
    if ((st->typed && bytes_reserve(&st->types, size->type + 1) < 0)
        || bytes_reserve(&st->users, size->user + 1) < 0
        || bytes_reserve(&st->channels, size->channel + 1) < 0) {
        return -1;
    }
    return 0;
}

/* Stages one event: field holds its four objects (new references are
 * taken), text the UTF-8 of the three strings, size their sizes (held
 * included) and stamp the timestamp. The caller checked staging_fits. */
static int
staging_add(EventStaging *st, PyObject *const field[4], const char *const text[3],
            const EventSizes *size, int64_t stamp)
{
    PyObject **slot, *old[4];
    Py_ssize_t index;
    if (staging_reserve(st, size) < 0) {
        return -1;
    }
    /* A slot still holds the fields of its event of one lap before when no
     * dispatcher took them (a native sink with no callback): the engine is
     * done with it, so they are released, last. */
    index = (Py_ssize_t)((st->next + (unsigned long long)st->count) % (unsigned long long)st->capacity);
    slot = st->slots + 4 * index;
    if (index < st->touched) {
        for (int f = 0; f < 4; f++) {
            old[f] = slot[f];
        }
    } else {
        /* First lap: the slot was never written, and reading it before the
         * write would map the zero page only to fault again on the write,
         * with a TLB flush on every CPU the process runs on. */
        old[0] = old[1] = old[2] = old[3] = NULL;
        st->touched = index + 1;
    }
    for (int f = 0; f < 4; f++) {
        Py_INCREF(field[f]);
        slot[f] = field[f];
    }
    if (st->typed) {
        bytes_put(&st->types, text[0], size->type);
    }
    bytes_put(&st->users, text[1], size->user);
    bytes_put(&st->channels, text[2], size->channel);
    st->stamps[st->first + st->count] = stamp;
    st->sizes[st->first + st->count] = *size;
    st->count++;
    for (int f = 0; f < 4; f++) {
        Py_XDECREF(old[f]);
    }
    return 0;
}

/* Sums of the first n staged events' sizes (the wire bytes of each column,
 * ends included). */
static void
staging_sums(EventStaging *st, Py_ssize_t n, size_t *types, size_t *users, size_t *channels,
             long long *held)
{
    *types = *users = *channels = 0;
    *held = 0;
    for (const EventSizes *size = st->sizes + st->first, *end = size + n; size < end; size++) {
        *types += size->type + 1;
        *users += size->user + 1;
        *channels += size->channel + 1;
        *held += size->held;
    }
    if (!st->typed) {
        *types = 0;
    }
}

/* Unstages every event after the first keep: their slots are emptied and
 * their wire cut. Returns a list holding the objects they held, for the
 * caller to release once the state is whole (NULL if none, or if no list
 * could be made: then they are released here). An error already set (the
 * reason a stage gave up) is kept. */
static PyObject *
staging_truncate(EventStaging *st, Py_ssize_t keep)
{
    size_t types, users, channels;
    long long held;
    PyObject *error_type, *error, *traceback, *released;
    PyErr_Fetch(&error_type, &error, &traceback);
    released = PyList_New(0);
    if (released == NULL) {
        PyErr_Clear();
    }
    for (Py_ssize_t i = keep; i < st->count; i++) {
        PyObject **slot = st->slots + 4 * ((st->next + (unsigned long long)i) % (unsigned long long)st->capacity);
        for (int f = 0; f < 4; f++) {
            PyObject *object = slot[f];
            slot[f] = NULL;
            if (object != NULL && (released == NULL || PyList_Append(released, object) < 0)) {
                PyErr_Clear();
            }
            Py_XDECREF(object); /* the list holds it, if there is one */
        }
    }
    staging_sums(st, keep, &types, &users, &channels, &held);
    st->types.len = st->types.start + (st->typed ? types : 0);
    st->users.len = st->users.start + users;
    st->channels.len = st->channels.start + channels;
    st->count = keep;
    PyErr_Restore(error_type, error, traceback);
    return released;
}

static PyObject *
EventStaging_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"capacity", "limit", "typed", NULL};
    Py_ssize_t capacity, limit;
    int typed;
    EventStaging *st;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "nnp:EventStaging", keywords, &capacity,
                                     &limit, &typed)) {
        return NULL;
    }
    if (capacity < 1 || limit < 1 || capacity > PY_SSIZE_T_MAX / (Py_ssize_t)(4 * sizeof(PyObject *))) {
        PyErr_SetString(PyExc_ValueError, "EventStaging needs a capacity and a limit of at least 1");
        return NULL;
    }
    st = (EventStaging *)((allocfunc)PyType_GetSlot(type, Py_tp_alloc))(type, 0);
    if (st == NULL) {
        return NULL;
    }
    st->slots = PyMem_Calloc((size_t)capacity * 4, sizeof(PyObject *));
    if (st->slots == NULL) {
        Py_DECREF(st);
        return PyErr_NoMemory();
    }
    st->capacity = capacity;
    st->limit = limit;
    st->typed = (char)typed;
    st->open = 1;
    return (PyObject *)st;
}

static int
EventStaging_traverse(EventStaging *st, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(st));
    if (st->slots != NULL) {
        for (Py_ssize_t i = 0; i < 4 * st->touched; i++) {
            Py_VISIT(st->slots[i]);
        }
    }
    return 0;
}

/* Releases every slot's object (the state is reset first). */
static int
EventStaging_clear(EventStaging *st)
{
    PyObject **slots = st->slots;
    Py_ssize_t n = 4 * st->touched;
    st->slots = NULL;
    st->touched = 0;
    st->count = 0;
    st->first = 0;
    st->types.start = st->users.start = st->channels.start = 0;
    st->types.len = st->users.len = st->channels.len = 0;
    if (slots != NULL) {
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_XDECREF(slots[i]);
        }
        PyMem_Free(slots);
    }
    return 0;
}

static void
EventStaging_dealloc(EventStaging *st)
{
    PyTypeObject *type = Py_TYPE(st);
    freefunc free_object = (freefunc)PyType_GetSlot(type, Py_tp_free);
    PyObject_GC_UnTrack(st);
    EventStaging_clear(st);
    PyMem_Free(st->types.data);
    PyMem_Free(st->users.data);
    PyMem_Free(st->channels.data);
    PyMem_Free(st->wire.data);
    PyMem_Free(st->wire_stamps.data);
    PyMem_Free(st->stamps);
    PyMem_Free(st->sizes);
    free_object(st);
    Py_DECREF(type);
}

/* The sizes of an event given as objects (str, str, str, int), from a slow
 * path that checked them; -1 with an error set when they are not. */
static int
event_sizes(PyObject *const field[4], int typed, const char *text[3], EventSizes *size,
            int64_t *stamp)
{
    Py_ssize_t bytes[3], type_chars = 0, chars = 0;
    long long value;
    for (int f = 0; f < 3; f++) {
        Py_ssize_t length;
        if (!PyUnicode_Check(field[f])) {
            PyErr_SetString(PyExc_TypeError, "staged event fields must be str");
            return -1;
        }
        if ((text[f] = PyUnicode_AsUTF8AndSize(field[f], &bytes[f])) == NULL) {
            return -1;
        }
        if (bytes[f] > UINT32_MAX / 4) {
            PyErr_SetString(PyExc_ValueError, "a staged event field is too long");
            return -1;
        }
        chars += length = PyUnicode_GetLength(field[f]);
        if (f == 0) {
            type_chars = length;
        }
    }
    if (int64_of(field[3], &value) < 0) {
        return -1;
    }
    *size = sizes_of(bytes, chars, type_chars, typed);
    *stamp = (int64_t)value;
    return 0;
}

static Py_ssize_t items_in(PyObject *sequence);
static PyObject *item_of(PyObject *sequence, Py_ssize_t i);

/* The sizes of one of push_many's events in the common case (an exact str
 * of each field whose UTF-8 can be made, the timestamp an exact int in
 * 1..2**63-1); 0, with no error set, for anything else. */
static int
common_event(PyObject *const field[4], int typed, const char *text[3], EventSizes *size,
             int64_t *stamp)
{
    Py_ssize_t bytes[3], type_chars = 0, chars = 0;
    long long value;
    for (int f = 0; f < 3; f++) {
        Py_ssize_t length;
        if (!PyUnicode_CheckExact(field[f])) {
            return 0;
        }
        if ((text[f] = PyUnicode_AsUTF8AndSize(field[f], &bytes[f])) == NULL) {
            PyErr_Clear();
            return 0;
        }
        chars += length = PyUnicode_GetLength(field[f]);
        if (f == 0) {
            type_chars = length;
        }
    }
    if (!exact_int_in(field[3], 1, INT64_MAX, &value) || bytes[0] + bytes[1] + bytes[2] > UINT32_MAX / 4) {
        return 0;
    }
    *size = sizes_of(bytes, chars, type_chars, typed);
    *stamp = (int64_t)value;
    return 1;
}

static PyObject *
EventStaging_stage_events(EventStaging *st, PyObject *args)
{
    PyObject *events, *now = NULL, *result = NULL, *released = NULL;
    Py_ssize_t limit, count, width = 0, i;
    if (!PyArg_ParseTuple(args, "O!n:stage_events", &PyList_Type, &events, &limit)) {
        return NULL;
    }
    count = PyList_Size(events);
    STAGING_LOCK(st);
    if (!staging_fits(st, count, limit)) {
        result = Py_False;
        Py_INCREF(result);
        goto done;
    }
    for (i = 0; i < count; i++) {
        PyObject *event = PyList_GetItem(events, i), *field[4];
        Py_ssize_t size = items_in(event);
        /* The caller's events are out of the cache as often as not: ask for
         * an event two strides ahead, and for the user id of the one a
         * stride ahead (see PREFETCH_AHEAD). */
        if (i + 2 * PREFETCH_AHEAD < count) {
            __builtin_prefetch(PyList_GetItem(events, i + 2 * PREFETCH_AHEAD), 0);
        }
        if (i + PREFETCH_AHEAD < count) {
            PyObject *ahead = PyList_GetItem(events, i + PREFETCH_AHEAD);
            if (items_in(ahead) > 1) {
                __builtin_prefetch(item_of(ahead, 1), 0);
            }
        }
        const char *text[3];
        EventSizes sizes;
        int64_t stamp;
        if ((size != 3 && size != 4) || (width && size != width)) {
            break;
        }
        width = size;
        for (int f = 0; f < 3; f++) {
            field[f] = item_of(event, f);
        }
        if (size == 4) {
            field[3] = item_of(event, 3);
        }
        else {
            if (now == NULL) { /* 3 fields: now, read once */
                long long seconds = wall_seconds();
                if (seconds <= 0 || (now = PyLong_FromLongLong(seconds)) == NULL) {
                    break;
                }
            }
            field[3] = now;
        }
        if (!common_event(field, st->typed, text, &sizes, &stamp)
            || staging_add(st, field, text, &sizes, stamp) < 0) {
            break;
        }
    }
    if (i == count) {
        result = PyLong_FromSsize_t(count);
    }
    else { /* Python decides (or memory ran out): unstage this call's events */
        released = staging_truncate(st, st->count - i);
        if (!PyErr_Occurred()) {
            result = Py_None;
            Py_INCREF(result);
        }
    }
done:;
    STAGING_UNLOCK();
    Py_XDECREF(now);
    Py_XDECREF(released);
    return result;
}

static PyObject *
EventStaging_small_prefix(EventStaging *st, PyObject *arg)
{
    Py_ssize_t start = PyLong_AsSsize_t(arg), n = 0;
    if (start == -1 && PyErr_Occurred()) {
        return NULL;
    }
    STAGING_LOCK(st);
    while (start >= 0 && start + n < st->count && st->sizes[st->first + start + n].chars <= SMALL_EVENT) {
        n++;
    }
    STAGING_UNLOCK();
    return PyLong_FromSsize_t(n);
}

static PyObject *
EventStaging_stage(EventStaging *st, PyObject *args)
{
    PyObject *fields, *result = NULL, *released = NULL;
    Py_ssize_t limit, n;
    if (!PyArg_ParseTuple(args, "O!n:stage", &PyList_Type, &fields, &limit)) {
        return NULL;
    }
    if (PyList_Size(fields) % 4) {
        PyErr_SetString(PyExc_TypeError, "stage takes a list of 4 fields per event");
        return NULL;
    }
    n = PyList_Size(fields) / 4;
    STAGING_LOCK(st);
    if (!staging_fits(st, n, limit)) {
        result = Py_False;
        Py_INCREF(result);
    }
    else {
        Py_ssize_t i, count = st->count;
        for (i = 0; i < n; i++) {
            PyObject *field[4];
            const char *text[3];
            EventSizes size;
            int64_t stamp;
            for (int f = 0; f < 4; f++) {
                field[f] = PyList_GetItem(fields, 4 * i + f);
            }
            if (event_sizes(field, st->typed, text, &size, &stamp) < 0
                || staging_add(st, field, text, &size, stamp) < 0) {
                break;
            }
        }
        if (i == n) {
            result = Py_True;
            Py_INCREF(result);
        }
        else { /* all or nothing: unstage what this call staged */
            released = staging_truncate(st, count);
        }
    }
    STAGING_UNLOCK();
    Py_XDECREF(released);
    return result;
}

/* Drops the first n staged events (the engine took them): they get the
 * next stream positions; their fields stay in their slots. */
static long long
staging_accept(EventStaging *st, Py_ssize_t n)
{
    size_t types, users, channels;
    long long held;
    staging_sums(st, n, &types, &users, &channels, &held);
    if (st->typed) {
        bytes_cut(&st->types, types);
    }
    bytes_cut(&st->users, users);
    bytes_cut(&st->channels, channels);
    st->first = n < st->count ? st->first + n : 0;
    st->count -= n;
    st->next += (unsigned long long)n;
    return held;
}

static PyObject *
EventStaging_offer(EventStaging *st, PyObject *args)
{
    unsigned long long handle;
    Py_ssize_t wanted, n = 0;
    long long budget, held = 0;
    int alone, status;
    size_t types, users, channels;
    eh_push_result out = {0};
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "KnLp:offer", &handle, &wanted, &budget, &alone)) {
        return NULL;
    }
    if (push_many == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_staging.bind was not called");
        return NULL;
    }
    STAGING_LOCK(st);
    if (st->offering) {
        PyErr_SetString(PyExc_RuntimeError, "EventStaging.offer: another offer is in progress");
        goto done;
    }
    /* As many of the first wanted events as fit in budget bytes; the first
     * one even past it when alone, so an event larger than the whole bound
     * is not refused for ever. */
    while (n < wanted && n < st->count
           && (held + st->sizes[st->first + n].held <= budget || (n == 0 && alone))) {
        held += st->sizes[st->first + n].held;
        n++;
    }
    staging_sums(st, n, &types, &users, &channels, &held);
    /* The engine reads the offer with the GIL released, while pushes may
     * append to (and move) the staging's buffers: it gets copies. */
    st->wire.len = st->wire_stamps.len = 0;
    if (bytes_reserve(&st->wire, types + users + channels + 1) < 0
        || bytes_reserve(&st->wire_stamps, (size_t)n * sizeof(int64_t) + 1) < 0) {
        goto done;
    }
    if (n > 0) {
        if (types) {
            memcpy(st->wire.data, st->types.data + st->types.start, types);
        }
        memcpy(st->wire.data + types, st->users.data + st->users.start, users);
        memcpy(st->wire.data + types + users, st->channels.data + st->channels.start, channels);
        memcpy(st->wire_stamps.data, st->stamps + st->first, (size_t)n * sizeof(int64_t));
    }
    st->wire.len = types + users + channels;
    st->offering = 1;
    Py_BEGIN_ALLOW_THREADS
    status = push_many(handle, st->wire.data, st->wire.len, (int64_t *)st->wire_stamps.data,
                       (size_t)n, &out);
    Py_END_ALLOW_THREADS
    st->offering = 0;
    st->kept_from = out.kept_from;
    held = out.accepted <= (size_t)n ? staging_accept(st, (Py_ssize_t)out.accepted) : 0;
    result = Py_BuildValue("(inLn)", status, (Py_ssize_t)out.accepted, held, (Py_ssize_t)out.room);
done:;
    STAGING_UNLOCK();
    return result;
}

static PyObject *
EventStaging_take_fields(EventStaging *st, PyObject *args)
{
    unsigned long long first;
    Py_ssize_t n;
    PyObject *fields;
    if (!PyArg_ParseTuple(args, "Kn:take_fields", &first, &n)) {
        return NULL;
    }
    if (n < 0 || n > st->capacity) {
        PyErr_SetString(PyExc_ValueError, "take_fields: more events than the slots hold");
        return NULL;
    }
    if ((fields = PyList_New(4 * n)) == NULL) {
        return NULL;
    }
    STAGING_LOCK(st);
    for (Py_ssize_t i = 0; i < n && fields != NULL; i++) {
        PyObject **slot = st->slots + 4 * ((first + (unsigned long long)i) % (unsigned long long)st->capacity);
        if (slot[0] == NULL) {
            PyErr_SetString(PyExc_SystemError,
                            "engagehub_native: a batch's event is not in its staging slot");
            Py_CLEAR(fields); /* the items not yet set are NULL, which a list's dealloc skips */
            break;
        }
        for (int f = 0; f < 4; f++) {
            PyList_SetItem(fields, 4 * i + f, slot[f]); /* moves the slot's reference */
            slot[f] = NULL;
        }
    }
    STAGING_UNLOCK();
    return fields;
}

static PyObject *
EventStaging_discard(EventStaging *st, PyObject *arg)
{
    Py_ssize_t keep = PyLong_AsSsize_t(arg), dropped = 0;
    PyObject *released = NULL;
    if (keep == -1 && PyErr_Occurred()) {
        return NULL;
    }
    STAGING_LOCK(st);
    if (keep >= 0 && keep < st->count) {
        dropped = st->count - keep;
        released = staging_truncate(st, keep);
    }
    STAGING_UNLOCK();
    Py_XDECREF(released);
    return PyLong_FromSsize_t(dropped);
}

static PyObject *
EventStaging_fields(EventStaging *st, PyObject *unused)
{
    PyObject *fields;
    STAGING_LOCK(st);
    fields = PyList_New(4 * st->count);
    for (Py_ssize_t i = 0; fields != NULL && i < st->count; i++) {
        PyObject **slot = st->slots + 4 * ((st->next + (unsigned long long)i) % (unsigned long long)st->capacity);
        for (int f = 0; f < 4; f++) {
            Py_INCREF(slot[f]);
            PyList_SetItem(fields, 4 * i + f, slot[f]); /* steals the new reference */
        }
    }
    STAGING_UNLOCK();
    return fields;
}

static PyObject *
EventStaging_get_free(EventStaging *st, void *closure)
{
    unsigned long long end = st->next + (unsigned long long)st->count;
    unsigned long long last = st->kept_from + (unsigned long long)st->capacity;
    return PyLong_FromUnsignedLongLong(end < last ? last - end : 0);
}

static PyMethodDef EventStaging_methods[] = {
    {"stage", (PyCFunction)EventStaging_stage, METH_VARARGS,
     "stage(fields, limit, /)\n--\n\n"
     "Stage the events given as flat fields (str, str, str, int each), all\n"
     "or none: True, or False when they would pass ``limit`` staged events,\n"
     "the free slots, or the staging is closed."},
    {"offer", (PyCFunction)EventStaging_offer, METH_VARARGS,
     "offer(handle, wanted, budget, alone, /)\n--\n\n"
     "Offer the engine (eh_proc_push_many, see bind) the first ``wanted``\n"
     "staged events, cut where they would hold more than ``budget`` bytes\n"
     "(at least one when ``alone``), with the GIL released. The events it\n"
     "takes get the next stream positions; their fields stay in their\n"
     "slots, and kept_from is what the engine says. Returns (status, how\n"
     "many it took, the bytes they hold, room in its ring)."},
    {"take_fields", (PyCFunction)EventStaging_take_fields, METH_VARARGS,
     "take_fields(first, n, /)\n--\n\n"
     "The flat fields of the events at positions first .. first+n-1, moved\n"
     "out of their slots (which are free from then on). A dispatcher may\n"
     "take a batch before the drain that offered it has called accepted()."},
    {"stage_events", (PyCFunction)EventStaging_stage_events, METH_VARARGS,
     "stage_events(events, limit, /)\n--\n\n"
     "push_many's events (a list of them) checked and staged in one pass,\n"
     "all or none, when every one is the common case (as flat_events):\n"
     "how many; False when they would pass ``limit`` staged events, the free\n"
     "slots, or the staging is closed; None for anything else, which Python\n"
     "then checks event by event and names."},
    {"small_prefix", (PyCFunction)EventStaging_small_prefix, METH_O,
     "small_prefix(start, /)\n--\n\n"
     "How many staged events from index ``start`` on have at most\n"
     "SMALL_EVENT characters, before the first that has more."},
    {"fields", (PyCFunction)EventStaging_fields, METH_NOARGS,
     "fields($self, /)\n--\n\n"
     "The staged events' fields, flat (type, user id, channel id, timestamp, ...)."},
    {"discard", (PyCFunction)EventStaging_discard, METH_O,
     "discard(keep, /)\n--\n\n"
     "Unstage every staged event after the first ``keep``; how many."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef EventStaging_getset[] = {
    {"free", (getter)EventStaging_get_free, NULL,
     "Slots free for more staged events (below kept_from + capacity).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef EventStaging_members[] = {
    {"count", T_PYSSIZET, offsetof(EventStaging, count), READONLY, "Events staged."},
    {"next", T_ULONGLONG, offsetof(EventStaging, next), READONLY,
     "The stream position the first staged event will get."},
    {"kept_from", T_ULONGLONG, offsetof(EventStaging, kept_from), 0,
     "The engine's lowest position a dispatcher may still take (see KeptFrom)."},
    {"limit", T_PYSSIZET, offsetof(EventStaging, limit), READONLY, "Most events push stages."},
    {"capacity", T_PYSSIZET, offsetof(EventStaging, capacity), READONLY, "Events the slots hold."},
    {"open", T_BOOL, offsetof(EventStaging, open), 0, "Whether push may stage."},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot EventStaging_slots[] = {
    {Py_tp_doc, "EventStaging(capacity, limit, typed)\n--\n\n"
                "Events between push and the engine, and their fields until delivery."},
    {Py_tp_new, EventStaging_new},
    {Py_tp_methods, EventStaging_methods},
    {Py_tp_members, EventStaging_members},
    {Py_tp_getset, EventStaging_getset},
    {Py_tp_traverse, EventStaging_traverse},
    {Py_tp_clear, EventStaging_clear},
    {Py_tp_dealloc, EventStaging_dealloc},
    {0, NULL},
};

static PyType_Spec EventStaging_spec = {
    "engagehub_native._staging.EventStaging", sizeof(EventStaging), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, EventStaging_slots,
};

/* -- Pushes: the base of EventStreamProcessor ------------------------------ */

typedef struct {
    PyObject_HEAD
    PyObject *staging; /* the pipeline's EventStaging */
} Pushes;

static PyObject *
Pushes_push(Pushes *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
#ifndef Py_GIL_DISABLED
    EventStaging *st = (EventStaging *)self->staging;
    if (keyword_count(kwnames) == 0 && (nargs == 3 || nargs == 4) && st != NULL
        && Py_IS_TYPE((PyObject *)st, EventStaging_type) && staging_fits(st, 1, st->limit)) {
        const char *text[3];
        Py_ssize_t bytes[3];
        if ((text[0] = ascii_text(args[0], &bytes[0])) != NULL
            && (text[1] = ascii_text(args[1], &bytes[1])) != NULL
            && (text[2] = ascii_text(args[2], &bytes[2])) != NULL
            && bytes[0] + bytes[1] + bytes[2] <= SMALL_EVENT) {
            PyObject *timestamp = nargs == 4 ? args[3] : Py_None;
            PyObject *stamp = NULL;
            int overflow = 0;
            long long value = 0;
            if (PyLong_CheckExact(timestamp)) {
                value = PyLong_AsLongLongAndOverflow(timestamp, &overflow);
            }
            if (value > 0) {
                stamp = timestamp;
                Py_INCREF(stamp);
            }
            else if (timestamp == Py_None || (PyLong_CheckExact(timestamp) && !overflow)) {
                value = wall_seconds(); /* None or <= 0: now */
                if (value > 0 && (stamp = PyLong_FromLongLong(value)) == NULL) {
                    return NULL;
                }
            }
            if (stamp != NULL) {
                PyObject *field[4] = {args[0], args[1], args[2], stamp};
                EventSizes size = sizes_of(bytes, bytes[0] + bytes[1] + bytes[2], bytes[0],
                                           st->typed); /* ASCII: a byte per character */
                int failed = staging_add(st, field, text, &size, (int64_t)value);
                Py_DECREF(stamp);
                if (failed) {
                    return NULL;
                }
                Py_RETURN_TRUE;
            }
        }
    }
#endif
    return call_method((PyObject *)self, name_push_slow, args, nargs, kwnames);
}

static int
Pushes_traverse(Pushes *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->staging);
    return 0;
}

static int
Pushes_clear(Pushes *self)
{
    Py_CLEAR(self->staging);
    return 0;
}

static void
Pushes_dealloc(Pushes *self)
{
    PyTypeObject *type = Py_TYPE(self);
    freefunc free_object = (freefunc)PyType_GetSlot(type, Py_tp_free);
    PyObject_GC_UnTrack(self);
    Pushes_clear(self);
    free_object(self);
    Py_DECREF(type);
}

static PyMethodDef Pushes_methods[] = {
    {"push", (PyCFunction)(void (*)(void))Pushes_push, METH_FASTCALL | METH_KEYWORDS,
     "push($self, event_type, user_id, channel_id, timestamp=None)\n--\n\n"
     "Queue one event; never blocks.\n\n"
     "Returns True when queued, False when the buffer was full (the event is\n"
     "dropped and counted). ``timestamp`` (Unix seconds) None or <= 0 means\n"
     "the time of the push. Strings may hold any Unicode, NUL included;\n"
     "lone surrogates raise ValueError."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Pushes_members[] = {
    {"_staging", T_OBJECT, offsetof(Pushes, staging), 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Pushes_slots[] = {
    {Py_tp_doc, "Base of EventStreamProcessor: push in C."},
    {Py_tp_methods, Pushes_methods},
    {Py_tp_members, Pushes_members},
    {Py_tp_traverse, Pushes_traverse},
    {Py_tp_clear, Pushes_clear},
    {Py_tp_dealloc, Pushes_dealloc},
    {0, NULL},
};

static PyType_Spec Pushes_spec = {
    "engagehub_native._staging.Pushes", sizeof(Pushes), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC, Pushes_slots,
};

/* -- Updates: the base of Leaderboard --------------------------------------- */

/* Whether points (an exact float or int) is finite as a float, with that
 * float in *value; else 0, with no error set (Python decides). */
static int
finite_points(PyObject *points, double *value)
{
    if (PyFloat_CheckExact(points)) {
        *value = PyFloat_AsDouble(points);
        return isfinite(*value);
    }
    if (!PyLong_CheckExact(points)) {
        return 0;
    }
    *value = PyLong_AsDouble(points);
    if (*value == -1.0 && PyErr_Occurred()) { /* too large for a float */
        PyErr_Clear();
        return 0;
    }
    return 1;
}

static PyObject *
Updates_update(Updates *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
#ifndef Py_GIL_DISABLED
    if (keyword_count(kwnames) == 0 && nargs == 3) {
        const char *text;
        Py_ssize_t size;
        long long timestamp;
        double points;
        if ((text = ascii_text(args[0], &size)) != NULL
            && exact_int_in(args[2], 1, self->latest, &timestamp) && finite_points(args[1], &points)) {
            Staged *staged = &self->base;
            if (staged_add(staged, text, size, points, timestamp) < 0) {
                return NULL;
            }
            if (staged_full(staged)) {
                return PyObject_CallMethodObjArgs((PyObject *)self, name_drain_staged, NULL);
            }
            Py_RETURN_NONE;
        }
    }
#endif
    return call_method((PyObject *)self, name_update_slow, args, nargs, kwnames);
}

static PyMethodDef Updates_methods[] = {
    {"update", (PyCFunction)(void (*)(void))Updates_update, METH_FASTCALL | METH_KEYWORDS,
     "update($self, user_id, points, timestamp=None)\n--\n\n"
     "Add ``points`` to ``user_id`` as of ``timestamp`` (Unix seconds).\n\n"
     "``timestamp`` None or <= 0 means now. Timestamps may arrive out of\n"
     "order. Points must be finite (ValueError otherwise) and may be\n"
     "negative; 0 points for an unknown user change nothing."},
    STAGED_METHODS,
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Updates_members[] = {
    STAGED_MEMBERS(Staged),
    {"_latest", T_LONGLONG, offsetof(Updates, latest), 0, NULL},
    {"_draining", T_BOOL, offsetof(Updates, draining), 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Updates_slots[] = {
    {Py_tp_doc, "Base of Leaderboard: update in C."},
    {Py_tp_methods, Updates_methods},
    {Py_tp_members, Updates_members},
    STAGED_SLOTS,
    {0, NULL},
};

static PyType_Spec Updates_spec = {
    "engagehub_native._staging.Updates", sizeof(Updates), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC, Updates_slots,
};

/* -- the dicts of a batch ------------------------------------------------------ */

static PyObject *
event_dicts(PyObject *module, PyObject *fields)
{
    Py_ssize_t count;
    PyObject *batch;
    if (!PyList_CheckExact(fields) || PyList_Size(fields) % 4) {
        PyErr_SetString(PyExc_TypeError, "event_dicts takes a list of 4 fields per event");
        return NULL;
    }
    count = PyList_Size(fields) / 4;
    batch = PyList_New(count);
    if (batch == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *event;
        if (i + PREFETCH_AHEAD < count) { /* its user id, cold by delivery: see PREFETCH_AHEAD */
            __builtin_prefetch(PyList_GetItem(fields, 4 * (i + PREFETCH_AHEAD) + 1), 1);
        }
        event = PyDict_New();
        if (event == NULL
            || PyDict_SetItem(event, key_type, PyList_GetItem(fields, 4 * i)) < 0
            || PyDict_SetItem(event, key_user_id, PyList_GetItem(fields, 4 * i + 1)) < 0
            || PyDict_SetItem(event, key_channel_id, PyList_GetItem(fields, 4 * i + 2)) < 0
            || PyDict_SetItem(event, key_timestamp, PyList_GetItem(fields, 4 * i + 3)) < 0) {
            Py_XDECREF(event);
            Py_DECREF(batch);
            return NULL;
        }
        PyList_SetItem(batch, i, event); /* steals the reference */
    }
    return batch;
}

/* -- push_many's events, checked -------------------------------------------- */

/* The number of items of an exact tuple or list; -1 for anything else. */
static Py_ssize_t
items_in(PyObject *sequence)
{
    if (PyTuple_CheckExact(sequence)) {
        return PyTuple_Size(sequence);
    }
    return PyList_CheckExact(sequence) ? PyList_Size(sequence) : -1;
}

/* Item i of an exact tuple or list (a borrowed reference). */
static PyObject *
item_of(PyObject *sequence, Py_ssize_t i)
{
    return PyTuple_CheckExact(sequence) ? PyTuple_GetItem(sequence, i)
                                        : PyList_GetItem(sequence, i);
}

/* Whether s is an exact str whose UTF-8 can be made (no lone surrogate);
 * sets no error. */
static int
plain_text(PyObject *s)
{
    Py_ssize_t size;
    if (!PyUnicode_CheckExact(s)) {
        return 0;
    }
    if (PyUnicode_AsUTF8AndSize(s, &size) == NULL) {
        PyErr_Clear();
        return 0;
    }
    return 1;
}

static PyObject *
flat_events(PyObject *module, PyObject *chunk)
{
    Py_ssize_t count, width = 0;
    PyObject *flat, *now = NULL;
    if (!PyList_CheckExact(chunk)) {
        PyErr_SetString(PyExc_TypeError, "flat_events takes a list of events");
        return NULL;
    }
    count = PyList_Size(chunk);
    if ((flat = PyList_New(4 * count)) == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *event = PyList_GetItem(chunk, i), *field[4];
        Py_ssize_t size = items_in(event);
        long long stamp;
        if ((size != 3 && size != 4) || (width && size != width)) {
            goto python_decides;
        }
        width = size;
        for (int f = 0; f < 3; f++) {
            if (!plain_text(field[f] = item_of(event, f))) {
                goto python_decides;
            }
        }
        if (size == 4) {
            field[3] = item_of(event, 3);
            if (!exact_int_in(field[3], 1, INT64_MAX, &stamp)) {
                goto python_decides;
            }
        }
        else {
            if (now == NULL) {
                long long seconds = wall_seconds();
                if (seconds <= 0 || (now = PyLong_FromLongLong(seconds)) == NULL) {
                    goto python_decides;
                }
            }
            field[3] = now;
        }
        for (int f = 0; f < 4; f++) {
            Py_INCREF(field[f]);
            PyList_SetItem(flat, 4 * i + f, field[f]); /* steals the reference */
        }
    }
    Py_XDECREF(now);
    return flat;

python_decides:
    Py_XDECREF(now);
    Py_DECREF(flat); /* the slots not yet set are NULL, which a list's dealloc skips */
    if (PyErr_Occurred()) { /* out of memory for now's int */
        return NULL;
    }
    Py_RETURN_NONE;
}

/* -- update_many's updates, checked ------------------------------------------ */

static PyObject *
flat_updates(PyObject *module, PyObject *args)
{
    PyObject *chunk, *clock, *flat = NULL, *now = NULL;
    long long latest;
    Py_ssize_t count;
    if (!PyArg_ParseTuple(args, "O!LO:flat_updates", &PyList_Type, &chunk, &latest, &clock)) {
        return NULL;
    }
    /* An update of 2 fields takes the board's clock, int(now()), read once.
     * The clock is Python code, which could change the updates: it is read
     * before any of their items is taken. */
    for (Py_ssize_t i = 0; i < PyList_Size(chunk) && now == NULL; i++) {
        if (items_in(PyList_GetItem(chunk, i)) == 2) {
            PyObject *reading = PyObject_CallObject(clock, NULL);
            now = reading == NULL ? NULL : PyNumber_Long(reading);
            Py_XDECREF(reading);
            if (now == NULL) {
                return NULL;
            }
        }
    }
    count = PyList_Size(chunk);
    if ((flat = PyList_New(3 * count)) == NULL) {
        goto failed;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *update = PyList_GetItem(chunk, i), *id, *pts, *stamp;
        Py_ssize_t size = items_in(update);
        long long timestamp;
        double value;
        if (size != 2 && size != 3) {
            goto python_decides;
        }
        id = item_of(update, 0);
        if (!plain_text(id)) {
            goto python_decides;
        }
        if (size == 3) {
            stamp = item_of(update, 2);
            if (!exact_int_in(stamp, 1, latest, &timestamp)) {
                goto python_decides;
            }
            Py_INCREF(stamp);
        }
        else { /* read above: an update of 2 fields was seen, or made by the clock */
            stamp = now;
            Py_INCREF(stamp);
        }
        pts = item_of(update, 1);
        if (!finite_points(pts, &value)) {
            Py_DECREF(stamp);
            goto python_decides;
        }
        if (PyFloat_CheckExact(pts)) {
            Py_INCREF(pts);
        }
        else if ((pts = PyFloat_FromDouble(value)) == NULL) {
            Py_DECREF(stamp);
            goto failed;
        }
        Py_INCREF(id);
        PyList_SetItem(flat, 3 * i, id); /* each steals the reference */
        PyList_SetItem(flat, 3 * i + 1, pts);
        PyList_SetItem(flat, 3 * i + 2, stamp);
    }
    Py_XDECREF(now);
    return flat;

python_decides:
    Py_XDECREF(now);
    Py_DECREF(flat); /* the slots not yet set are NULL, which a list's dealloc skips */
    Py_RETURN_NONE;

failed:
    Py_XDECREF(now);
    Py_XDECREF(flat);
    return NULL;
}

/* -- the wire format of a drain ------------------------------------------------ */

/* update_wire: updates given as flat fields, staged into a staging of its
 * own and taken back out, so that the wire has one encoder (staged_add). */
static PyObject *
update_wire(PyObject *module, PyObject *updates)
{
    Staged st = {0}; /* only its buffers: never an object */
    PyObject *wire[3] = {NULL, NULL, NULL};
    Py_ssize_t count;
    int failed = 0;
    if (!PyList_CheckExact(updates) || PyList_Size(updates) % 3) {
        PyErr_SetString(PyExc_TypeError, "update_wire takes a list of 3 fields per update");
        return NULL;
    }
    count = PyList_Size(updates) / 3;
    for (Py_ssize_t i = 0; i < count && !failed; i++) {
        PyObject *id = PyList_GetItem(updates, 3 * i);
        const char *text = NULL;
        Py_ssize_t n = 0;
        double points = 0.0;
        long long stamp;
        if (!PyUnicode_Check(id)) {
            PyErr_Format(PyExc_TypeError, "update ids must be str, not %R", (PyObject *)Py_TYPE(id));
        }
        else if ((text = PyUnicode_AsUTF8AndSize(id, &n)) != NULL) {
            points = PyFloat_AsDouble(PyList_GetItem(updates, 3 * i + 1)); /* an int too, as float() */
        }
        failed = text == NULL || (points == -1.0 && PyErr_Occurred())
                 || int64_of(PyList_GetItem(updates, 3 * i + 2), &stamp) < 0
                 || staged_add(&st, text, n, points, stamp) < 0;
    }
    if (!failed) {
        failed = staged_take(&st, count, wire);
    }
    PyMem_Free(st.ids);
    PyMem_Free(st.points);
    PyMem_Free(st.stamps);
    return failed ? NULL : Py_BuildValue("(NNN)", wire[0], wire[1], wire[2]);
}

static PyObject *
bind(PyObject *module, PyObject *address)
{
    void *found = PyLong_AsVoidPtr(address);
    if (found == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "bind: no address for eh_proc_push_many");
        }
        return NULL;
    }
    push_many = (__typeof__(eh_proc_push_many) *)found;
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"bind", bind, METH_O,
     "bind(address, /)\n--\n\n"
     "The address of the engine's eh_proc_push_many, which drains call."},
    {"update_wire", update_wire, METH_O,
     "update_wire(updates, /)\n--\n\n"
     "What an update drain offers the engine for updates given as flat\n"
     "fields, three per update (id, points, timestamp), as the staging and\n"
     "flat_updates hold them: (the ids in the wire format, the points as\n"
     "doubles, the timestamps as int64)."},
    {"flat_events", flat_events, METH_O,
     "flat_events(events, /)\n--\n\n"
     "push_many's events (a list of them) as flat fields, four per event,\n"
     "when every one is the common case: an exact tuple or list, all of 3\n"
     "fields or all of 4, exact str fields that can be encoded, an exact int\n"
     "timestamp in 1..2**63-1 (3 fields: now, read once). None for anything\n"
     "else, which Python then checks event by event and names."},
    {"flat_updates", flat_updates, METH_VARARGS,
     "flat_updates(updates, latest, now, /)\n--\n\n"
     "update_many's updates (a list of them) as flat fields, three per\n"
     "update (id, points as a float, timestamp), when every one is the\n"
     "common case: an exact tuple or list of 2 or 3 fields, an exact str id\n"
     "that can be encoded, finite exact float or int points, an exact int\n"
     "timestamp in 1..latest (2 fields: int(now()), called once). None for\n"
     "anything else, which Python then checks update by update and names."},
    {"event_dicts", event_dicts, METH_O,
     "event_dicts(fields, /)\n--\n\n"
     "A batch as a list of dicts {\"type\", \"user_id\", \"channel_id\", \"timestamp\"}\n"
     "from a list of flat fields, four per event."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "engagehub_native._staging",
    "The staging areas' hot paths in C (see _staging.c).", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

static PyObject *
interned(const char *text)
{
    return PyUnicode_InternFromString(text);
}

PyMODINIT_FUNC
PyInit__staging(void)
{
    PyObject *module, *pushes, *updates;
    if (!(name_push_slow = interned("_push_slow")) || !(name_update_slow = interned("_update_slow"))
        || !(name_drain_staged = interned("_drain_staged")) || !(key_type = interned("type"))
        || !(key_user_id = interned("user_id")) || !(key_channel_id = interned("channel_id"))
        || !(key_timestamp = interned("timestamp"))) {
        return NULL;
    }
    module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_AddIntConstant(module, "SMALL_EVENT", SMALL_EVENT) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    EventStaging_type = (PyTypeObject *)PyType_FromSpec(&EventStaging_spec);
    if (EventStaging_type == NULL) {
        Py_DECREF(module);
        return NULL;
    }
    Py_INCREF(EventStaging_type); /* one reference for the module, one kept here */
    if (PyModule_AddObject(module, "EventStaging", (PyObject *)EventStaging_type) < 0) {
        Py_DECREF(EventStaging_type);
        Py_DECREF(module);
        return NULL;
    }
    pushes = PyType_FromSpec(&Pushes_spec);
    if (pushes == NULL || PyModule_AddObject(module, "Pushes", pushes) < 0) {
        Py_XDECREF(pushes);
        Py_DECREF(module);
        return NULL;
    }
    updates = PyType_FromSpec(&Updates_spec);
    if (updates == NULL || PyModule_AddObject(module, "Updates", updates) < 0) {
        Py_XDECREF(updates);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}

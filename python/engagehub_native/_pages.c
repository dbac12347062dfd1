/* Leaderboard reads in C: the common calls of rank, top, page, around,
 * percentile and at_percentile whole, and the RankedUser tuples of every
 * page.
 *
 * The engine hands a page out as an eh_list (capi/engagehub.h): `count`
 * scores, `ints_per_entry * count` int64s, and the ids back to back, each
 * ended by the byte 0xFF, in one block the caller releases with eh_free.
 * Building the RankedUser tuples here costs a fraction of unpacking three
 * columns, splitting the ids and zipping them in Python.
 *
 * Reads, the base of Leaderboard (it extends _staging.Updates, whose layout
 * _hot_path.h gives), answers each of those reads in one C call that calls
 * the engine's export through its address: in Python, the argument checks,
 * the staging check, the clock and cffi's conversions cost several times
 * the engine's own work. It takes only the common case (an exact ASCII str
 * id, exact ints, an exact float percentile, a style given by name, no
 * window or a window named in ASCII, the wall clock, nothing staged, the
 * board open) and hands everything else, unchanged, to the Python method
 * that holds the rules (_rank_slow and so on), as _staging does for
 * updates. A call the engine fails (an unknown window, a percentile out of
 * range, a board closed meanwhile) is made again there, which raises the
 * error. The GIL is released while the engine works, as cffi does.
 *
 * Built against the limited API of CPython 3.9 (abi3, as the other
 * extensions).
 */

#include <Python.h>
#include <structmember.h>

#include <stdint.h>
#include <string.h>

#include "_hot_path.h"
#include "engagehub.h"

/* A new instance of the tuple subclass `type` holding the four items (new
 * references, stolen, also on failure), as tuple.__new__(type, items)
 * makes it: the type's allocation, then the items. */
static PyObject *
new_entry(PyTypeObject *type, allocfunc alloc, PyObject *items[4])
{
    PyObject *entry = alloc(type, 4);
    if (entry == NULL) {
        for (int i = 0; i < 4; i++) {
            Py_XDECREF(items[i]);
        }
        return NULL;
    }
    for (int i = 0; i < 4; i++) {
        if (items[i] == NULL || PyTuple_SetItem(entry, i, items[i]) < 0) {
            for (int j = i + 1; j < 4; j++) {
                Py_XDECREF(items[j]);
            }
            Py_DECREF(entry);
            return NULL;
        }
    }
    return entry;
}

/* The ids and last updates of the entries the latest page read returned,
 * by position in it, for the next page to share: a dashboard asks for the
 * same top users again and again, and an id's str or a last update's int
 * that is the same as last time is the same object again (both immutable)
 * instead of a new one made and the old one freed: top(10) measured
 * 0.35-0.85 us faster than with new objects (of 2.0-4.5 us), at 10k and 1M
 * users. The GIL guards them. */
#ifdef Py_GIL_DISABLED
#define SHARED_ENTRIES 0 /* no GIL to guard them: every page makes its own */
static PyObject *shared_ids[1], *shared_lasts[1];
#else
#define SHARED_ENTRIES 64
static PyObject *shared_ids[SHARED_ENTRIES], *shared_lasts[SHARED_ENTRIES];
#endif

/* Keeps object (a new reference taken) in *slot for the next page, releasing
 * what the slot held. */
static inline void
share(PyObject **slot, PyObject *object)
{
    PyObject *old = *slot;
    Py_INCREF(object);
    *slot = object;
    Py_XDECREF(old);
}

/* The str of the id `text` (n bytes of UTF-8) at position i of a page: the
 * previous page's at i when it is the same ASCII id, else a new one, kept
 * for the next page. */
static PyObject *
id_at(Py_ssize_t i, const char *text, Py_ssize_t n)
{
    PyObject *id;
    if (i < SHARED_ENTRIES && shared_ids[i] != NULL) {
        Py_ssize_t size;
        const char *shared = ascii_text(shared_ids[i], &size);
        if (shared != NULL && size == n && memcmp(shared, text, (size_t)n) == 0) {
            Py_INCREF(shared_ids[i]);
            return shared_ids[i];
        }
    }
    /* The ids are UTF-8 the engine checked; surrogateescape, as
     * _library.split_strings, keeps any byte it might not. */
    id = PyUnicode_DecodeUTF8(text, n, "surrogateescape");
    if (id != NULL && i < SHARED_ENTRIES) {
        share(&shared_ids[i], id);
    }
    return id;
}

/* The int of a last update at position i of a page, shared as id_at. */
static PyObject *
last_at(Py_ssize_t i, long long value)
{
    PyObject *last;
    if (i < SHARED_ENTRIES && shared_lasts[i] != NULL) {
        long long shared;
        if (exact_int_in(shared_lasts[i], value, value, &shared)) {
            Py_INCREF(shared_lasts[i]);
            return shared_lasts[i];
        }
    }
    last = PyLong_FromLongLong(value);
    if (last != NULL && i < SHARED_ENTRIES) {
        share(&shared_lasts[i], last);
    }
    return last;
}

/* The list of `count` entries as instances of `type`: scores in reals,
 * ints_per_entry ints per entry in ints (the last update, ranks then running
 * from first; or the rank and the last update), ids in text .. end, each
 * ended by 0xFF. Numbers are copied out with memcpy: the block need not be
 * aligned. */
static PyObject *
entries(PyTypeObject *type, Py_ssize_t count, const char *reals, const char *ints,
        Py_ssize_t ints_per_entry, long long first, const char *text, const char *end)
{
    allocfunc alloc = (allocfunc)PyType_GetSlot(type, Py_tp_alloc);
    PyObject *page = PyList_New(count);
    if (page == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        double score;
        int64_t numbers[2];
        const char *stop = memchr(text, 0xFF, (size_t)(end - text));
        PyObject *items[4], *entry;
        if (stop == NULL) {
            PyErr_SetString(PyExc_ValueError, "ranked_users: an id is not ended by 0xFF");
            Py_DECREF(page);
            return NULL;
        }
        memcpy(&score, reals + 8 * i, 8);
        memcpy(numbers, ints + 8 * ints_per_entry * i, (size_t)(8 * ints_per_entry));
        items[0] = id_at(i, text, stop - text);
        items[1] = PyFloat_FromDouble(score);
        if (ints_per_entry == 1) { /* rank first + i, then the last update */
            items[2] = PyLong_FromLongLong(first + (long long)i);
            items[3] = last_at(i, (long long)numbers[0]);
        }
        else { /* the rank, then the last update */
            items[2] = PyLong_FromLongLong((long long)numbers[0]);
            items[3] = last_at(i, (long long)numbers[1]);
        }
        entry = new_entry(type, alloc, items);
        if (entry == NULL) {
            Py_DECREF(page);
            return NULL;
        }
        PyList_SetItem(page, i, entry); /* steals the reference */
        text = stop + 1;
    }
    return page;
}

/* A heap type subclassing tuple (RankedUser), else TypeError. */
static int
tuple_type(PyTypeObject *type)
{
    if (!PyType_IsSubtype(type, &PyTuple_Type) || !(PyType_GetFlags(type) & Py_TPFLAGS_HEAPTYPE)) {
        PyErr_SetString(PyExc_TypeError, "ranked_users makes instances of a tuple subclass");
        return 0;
    }
    return 1;
}

static PyObject *
ranked_users(PyObject *module, PyObject *args)
{
    PyTypeObject *type;
    PyObject *block;
    Py_ssize_t count, ints_per_entry, size, numbers;
    long long first;
    const char *data;
    if (!PyArg_ParseTuple(args, "O!O!nnL:ranked_users", &PyType_Type, &type, &PyBytes_Type,
                          &block, &count, &ints_per_entry, &first)) {
        return NULL;
    }
    if (!tuple_type(type)) {
        return NULL;
    }
    if (count < 0 || (ints_per_entry != 1 && ints_per_entry != 2)) {
        PyErr_SetString(PyExc_ValueError, "ranked_users: a count >= 0 and 1 or 2 ints per entry");
        return NULL;
    }
    size = PyBytes_Size(block);
    /* Each entry takes at least 8 * (1 + ints_per_entry) + 1 bytes: a count
     * the block cannot hold is refused before anything is multiplied. */
    if (count > size / 17) {
        PyErr_SetString(PyExc_ValueError, "ranked_users: the block is shorter than its entries");
        return NULL;
    }
    numbers = 8 * count * (1 + ints_per_entry);
    if (size < numbers + count) {
        PyErr_SetString(PyExc_ValueError, "ranked_users: the block is shorter than its entries");
        return NULL;
    }
    data = PyBytes_AsString(block);
    return entries(type, count, data, data + 8 * count, ints_per_entry, first, data + numbers,
                   data + size);
}

/* The keys of as_dicts' dicts: RankedUser's fields, interned at import. */
static const char *const entry_field_names[4] = {"user_id", "score", "rank", "last_update"};
static PyObject *entry_fields[4];

/* as_dicts(users): a list of dicts, one per entry of the list users (each
 * a tuple of four items: a RankedUser or a plain tuple), keyed by
 * RankedUser's fields. The values are the entries' own objects. Built here
 * because a dict literal per entry in Python cost get_top_users(10) about
 * 4 us of its 8 (10k users, this VM), and a JSON view wants dicts. */
static PyObject *
as_dicts(PyObject *module, PyObject *users)
{
    Py_ssize_t count;
    PyObject *dicts;
    if (!PyList_Check(users)) {
        PyErr_Format(PyExc_TypeError, "as_dicts takes a list of RankedUser, not %R",
                     (PyObject *)Py_TYPE(users));
        return NULL;
    }
    count = PyList_Size(users);
    dicts = PyList_New(count);
    if (dicts == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        /* Held, and looked up again each time: making a dict may run a
         * collection, and a finalizer any code, which may change users. */
        PyObject *entry = PyList_GetItem(users, i), *dict = NULL;
        int f = 0;
        if (entry == NULL) { /* IndexError: users shrank meanwhile */
            Py_DECREF(dicts);
            return NULL;
        }
        Py_INCREF(entry);
        if (!PyTuple_Check(entry) || PyTuple_Size(entry) != 4) {
            PyErr_Format(PyExc_TypeError,
                         "as_dicts: item %zd is not a RankedUser (a tuple of 4 items) but %R",
                         i, (PyObject *)Py_TYPE(entry));
        }
        else if ((dict = PyDict_New()) != NULL) {
            while (f < 4 && PyDict_SetItem(dict, entry_fields[f], PyTuple_GetItem(entry, f)) == 0) {
                f++;
            }
        }
        Py_DECREF(entry);
        if (f < 4) {
            Py_XDECREF(dict);
            Py_DECREF(dicts);
            return NULL;
        }
        PyList_SetItem(dicts, i, dict); /* steals the reference */
    }
    return dicts;
}

/* -- Reads: the base of Leaderboard ----------------------------------------- */

/* The engine's exports the reads call, and the type they make: set once per
 * process by bind() (the library is loaded lazily, by the first board). */
static struct {
    __typeof__(eh_board_standing) *standing;
    __typeof__(eh_board_standing_as) *standing_as;
    __typeof__(eh_board_page) *page;
    __typeof__(eh_board_page_as) *page_as;
    __typeof__(eh_board_around) *around;
    __typeof__(eh_board_around_as) *around_as;
    __typeof__(eh_board_percentile) *percentile;
    __typeof__(eh_board_at_percentile) *at_percentile;
    __typeof__(eh_free) *release;
    PyTypeObject *ranked;
} engine;

static PyObject *name_rank_slow, *name_top_slow, *name_page_slow, *name_around_slow,
    *name_percentile_slow, *name_at_percentile_slow;

/* The rank styles by name, as their codes in engagehub.h. */
static const struct {
    const char *name;
    int code;
} styles[] = {
    {"ordinal", EH_RANK_ORDINAL},
    {"competition", EH_RANK_COMPETITION},
    {"dense", EH_RANK_DENSE},
};
#define STYLES (sizeof styles / sizeof styles[0])

/* The reads' parameters, named by kwlists as these numbers. */
enum { USER_ID, STYLE, WINDOW, K, OFFSET, LIMIT, BEFORE, AFTER, P, PARAMETERS };
static const char *const parameter_names[PARAMETERS] = {
    "user_id", "style", "window", "k", "offset", "limit", "before", "after", "p",
};

/* The names of the parameters and of the styles as str objects, interned at
 * import. A keyword at a call site, and a style written there as a literal,
 * is the interned str of its text (CPython interns the names and the
 * identifier-like constants of code), so it is matched by its address; any
 * other str by its characters, which took a strlen and a memcmp per name
 * tried: 60-100 ns of a read asked for a style by keyword (measured with
 * rank(uid) against rank(uid, style="ordinal"), which are answered alike). */
static PyObject *parameter_strs[PARAMETERS], *style_strs[STYLES];

/* The first of strs[0..n) that is s, an exact str, by address, else by
 * characters; -1 if none is. */
static int
find_str(PyObject *s, PyObject *const *strs, int n)
{
    for (int i = 0; i < n; i++) {
        if (s == strs[i]) {
            return i;
        }
    }
    for (int i = 0; i < n; i++) {
        if (PyUnicode_Compare(s, strs[i]) == 0) {
            return i;
        }
    }
    return -1;
}

typedef struct {
    Updates base;
    uint64_t handle; /* the engine's board while C may read it: open, on the wall clock; else 0 */
} Reads;

/* What a read is asked: a user id, or numbers, and the style and window. */
typedef struct {
    const char *id; /* a user id's UTF-8 */
    Py_ssize_t id_size;
    int style;          /* an EH_RANK_* code */
    const char *window; /* "" for the whole board */
    Py_ssize_t window_size;
} Query;

/* Whether C may answer a read: bound, open, on the wall clock, and nothing
 * staged, being drained or sealed (the conditions of Leaderboard._sync, so a
 * read here sees every update that returned before it, as there). */
static int
ready(Reads *self)
{
    Staged *staged = &self->base.base;
    return self->handle != 0 && engine.ranked != NULL && staged->room > 0 && !self->base.draining
           && staged->count == 0;
}

/* The most arguments a read takes (around's). */
#define MOST_ARGUMENTS 5

/* The arguments of a fast call, by position or by the parameters kwlist
 * names (at most MOST_ARGUMENTS, ended by -1; those not given stay NULL); 0
 * when they do not fit, and Python decides and words the error. Keywords
 * are matched here, not by PyArg_ParseTupleAndKeywords, which costs a read
 * several times the matching: readers pass styles and windows by name. */
static int
arguments(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, const int *kwlist,
          Py_ssize_t required, PyObject *out[MOST_ARGUMENTS])
{
    Py_ssize_t keywords = keyword_count(kwnames);
    PyObject *names[MOST_ARGUMENTS];
    int most = 0;
    for (int i = 0; i < MOST_ARGUMENTS; i++) {
        out[i] = NULL;
    }
    while (kwlist[most] >= 0) {
        names[most] = parameter_strs[kwlist[most]];
        most++;
    }
    if (nargs > most) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        out[i] = args[i];
    }
    for (Py_ssize_t k = 0; k < keywords; k++) {
        int i = find_str(PyTuple_GetItem(kwnames, k), names, most); /* an exact str */
        if (i < 0 || out[i] != NULL) { /* unknown, or given twice */
            return 0;
        }
        out[i] = args[nargs + k];
    }
    for (Py_ssize_t i = 0; i < required; i++) {
        if (out[i] == NULL) {
            return 0;
        }
    }
    return 1;
}

/* The style (absent: ordinal) and window (absent or None: the whole board;
 * else a name of ASCII only, not empty) of a query; 0 for anything else. */
static int
style_and_window(PyObject *style, PyObject *window, Query *q)
{
    q->style = -1;
    if (style == NULL) {
        q->style = EH_RANK_ORDINAL;
    }
    else if (PyUnicode_CheckExact(style)) {
        int i = find_str(style, style_strs, STYLES);
        if (i >= 0) {
            q->style = styles[i].code;
        }
    }
    if (q->style < 0) {
        return 0;
    }
    if (window == NULL || window == Py_None) {
        q->window = "";
        q->window_size = 0;
        return 1;
    }
    q->window = ascii_text(window, &q->window_size);
    return q->window != NULL && q->window_size > 0;
}

/* A count argument: `absent` when it is not given, the value of an exact
 * int in 0..INT64_MAX, else -1 (Python decides). */
static long long
count_arg(PyObject *v, long long absent)
{
    long long value;
    if (v == NULL) {
        return absent;
    }
    return exact_int_in(v, 0, INT64_MAX, &value) ? value : -1;
}

/* The entries of a page the engine handed out (ints_per_entry ints each),
 * releasing its block after the tuples are made: released first, a large
 * page's list would be carved out of its hole (see Leaderboard._read_page). */
static PyObject *
page_entries(eh_list *page, Py_ssize_t ints_per_entry, long long first)
{
    PyObject *users;
    if (page->count == 0) {
        engine.release(page->block);
        return PyList_New(0);
    }
    users = entries(engine.ranked, (Py_ssize_t)page->count, (const char *)page->reals,
                    (const char *)page->ints, ints_per_entry, first, page->strings,
                    page->strings + page->strings_length);
    engine.release(page->block);
    return users;
}

static PyObject *
Reads_rank(Reads *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
#ifndef Py_GIL_DISABLED
    static const int kwlist[] = {USER_ID, STYLE, WINDOW, -1};
    PyObject *arg[MOST_ARGUMENTS];
    Query q = {0};
    if (ready(self) && arguments(args, nargs, kwnames, kwlist, 1, arg)
        && (q.id = ascii_text(arg[0], &q.id_size)) != NULL
        && style_and_window(arg[1], arg[2], &q)) {
        eh_standing standing;
        uint64_t handle = self->handle;
        double now = (double)wall_seconds();
        int status;
        Py_BEGIN_ALLOW_THREADS
        if (q.style == EH_RANK_ORDINAL && q.window_size == 0) {
            status = engine.standing(handle, (char *)q.id, (size_t)q.id_size, now, &standing);
        }
        else {
            status = engine.standing_as(handle, (char *)q.window, (size_t)q.window_size,
                                        (char *)q.id, (size_t)q.id_size, now, q.style, &standing);
        }
        Py_END_ALLOW_THREADS
        if (status == EH_OK) {
            PyObject *items[4];
            if (standing.rank == 0) {
                Py_RETURN_NONE;
            }
            Py_INCREF(arg[0]);
            items[0] = arg[0];
            items[1] = PyFloat_FromDouble(standing.score);
            items[2] = PyLong_FromLongLong((long long)standing.rank);
            items[3] = PyLong_FromLongLong((long long)standing.last_update);
            return new_entry(engine.ranked, (allocfunc)PyType_GetSlot(engine.ranked, Py_tp_alloc),
                             items);
        }
    }
#endif
    return call_method((PyObject *)self, name_rank_slow, args, nargs, kwnames);
}

/* A page of RankedUser tuples: the users ranked offset + 1 .. offset +
 * limit, or (around) q's user with up to `before` users above and `after`
 * below; NULL with no error set when the engine failed (Python makes the
 * call again). */
static PyObject *
read_page(Reads *self, const Query *q, int around, long long offset_or_before,
          long long limit_or_after)
{
    eh_list page;
    int64_t first = 0;
    uint64_t handle = self->handle;
    double now = (double)wall_seconds();
    int status, plain = q->style == EH_RANK_ORDINAL && q->window_size == 0;
    char *id = (char *)q->id, *window = (char *)q->window;
    size_t id_size = (size_t)q->id_size, window_size = (size_t)q->window_size;
    Py_BEGIN_ALLOW_THREADS
    if (around && plain) {
        status = engine.around(handle, id, id_size, offset_or_before, limit_or_after, now, &page,
                               &first);
    }
    else if (around) {
        status = engine.around_as(handle, window, window_size, id, id_size, offset_or_before,
                                  limit_or_after, now, q->style, &page);
    }
    else if (plain) {
        status = engine.page(handle, offset_or_before, limit_or_after, now, &page, &first);
    }
    else {
        status = engine.page_as(handle, window, window_size, offset_or_before, limit_or_after,
                                now, q->style, &page);
    }
    Py_END_ALLOW_THREADS
    if (status != EH_OK) {
        return NULL;
    }
    return page_entries(&page, plain ? 1 : 2, (long long)first);
}

static PyObject *
Reads_top(Reads *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
#ifndef Py_GIL_DISABLED
    static const int kwlist[] = {K, STYLE, WINDOW, -1};
    PyObject *arg[MOST_ARGUMENTS];
    Query q = {0};
    if (ready(self) && arguments(args, nargs, kwnames, kwlist, 0, arg)
        && style_and_window(arg[1], arg[2], &q)) {
        long long k = count_arg(arg[0], 10);
        if (k >= 0) {
            PyObject *users = read_page(self, &q, 0, 0, k);
            if (users != NULL || PyErr_Occurred()) {
                return users;
            }
        }
    }
#endif
    return call_method((PyObject *)self, name_top_slow, args, nargs, kwnames);
}

static PyObject *
Reads_page(Reads *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
#ifndef Py_GIL_DISABLED
    static const int kwlist[] = {OFFSET, LIMIT, STYLE, WINDOW, -1};
    PyObject *arg[MOST_ARGUMENTS];
    Query q = {0};
    if (ready(self) && arguments(args, nargs, kwnames, kwlist, 2, arg)
        && style_and_window(arg[2], arg[3], &q)) {
        long long offset = count_arg(arg[0], -1), limit = count_arg(arg[1], -1);
        if (offset >= 0 && limit >= 0) {
            PyObject *users = read_page(self, &q, 0, offset, limit);
            if (users != NULL || PyErr_Occurred()) {
                return users;
            }
        }
    }
#endif
    return call_method((PyObject *)self, name_page_slow, args, nargs, kwnames);
}

static PyObject *
Reads_around(Reads *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
#ifndef Py_GIL_DISABLED
    static const int kwlist[] = {USER_ID, BEFORE, AFTER, STYLE, WINDOW, -1};
    PyObject *arg[MOST_ARGUMENTS];
    Query q = {0};
    if (ready(self) && arguments(args, nargs, kwnames, kwlist, 1, arg)
        && (q.id = ascii_text(arg[0], &q.id_size)) != NULL
        && style_and_window(arg[3], arg[4], &q)) {
        long long before = count_arg(arg[1], 5);
        long long after = count_arg(arg[2], 5);
        if (before >= 0 && after >= 0) {
            PyObject *users = read_page(self, &q, 1, before, after);
            if (users != NULL || PyErr_Occurred()) {
                return users;
            }
        }
    }
#endif
    return call_method((PyObject *)self, name_around_slow, args, nargs, kwnames);
}

static PyObject *
Reads_percentile(Reads *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
#ifndef Py_GIL_DISABLED
    static const int kwlist[] = {USER_ID, WINDOW, -1};
    PyObject *arg[MOST_ARGUMENTS];
    Query q = {0};
    if (ready(self) && arguments(args, nargs, kwnames, kwlist, 1, arg)
        && (q.id = ascii_text(arg[0], &q.id_size)) != NULL
        && style_and_window(NULL, arg[1], &q)) {
        double percentile = 0;
        int found = 0, status;
        uint64_t handle = self->handle;
        double now = (double)wall_seconds();
        Py_BEGIN_ALLOW_THREADS
        status = engine.percentile(handle, (char *)q.window, (size_t)q.window_size, (char *)q.id,
                                   (size_t)q.id_size, now, &percentile, &found);
        Py_END_ALLOW_THREADS
        if (status == EH_OK) {
            if (!found) {
                Py_RETURN_NONE;
            }
            return PyFloat_FromDouble(percentile);
        }
    }
#endif
    return call_method((PyObject *)self, name_percentile_slow, args, nargs, kwnames);
}

static PyObject *
Reads_at_percentile(Reads *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
#ifndef Py_GIL_DISABLED
    static const int kwlist[] = {P, STYLE, WINDOW, -1};
    PyObject *arg[MOST_ARGUMENTS];
    Query q = {0};
    if (ready(self) && arguments(args, nargs, kwnames, kwlist, 1, arg)
        && PyFloat_CheckExact(arg[0]) && style_and_window(arg[1], arg[2], &q)) {
        eh_list entry;
        double p = PyFloat_AsDouble(arg[0]), now = (double)wall_seconds();
        uint64_t handle = self->handle;
        int status;
        Py_BEGIN_ALLOW_THREADS
        status = engine.at_percentile(handle, (char *)q.window, (size_t)q.window_size, p, now,
                                      q.style, &entry);
        Py_END_ALLOW_THREADS
        if (status == EH_OK) { /* one entry, or none for an empty board */
            PyObject *users = page_entries(&entry, 2, 0), *user = Py_None;
            if (users == NULL) {
                return NULL;
            }
            if (PyList_Size(users) > 0) {
                user = PyList_GetItem(users, 0);
            }
            Py_INCREF(user);
            Py_DECREF(users);
            return user;
        }
    }
#endif
    return call_method((PyObject *)self, name_at_percentile_slow, args, nargs, kwnames);
}

static PyMethodDef Reads_methods[] = {
    {"rank", (PyCFunction)(void (*)(void))Reads_rank, METH_FASTCALL | METH_KEYWORDS,
     "rank($self, user_id, style='ordinal', window=None)\n--\n\n"
     "The user's standing now (a RankedUser), or None if the user is not on\n"
     "the board.\n\n"
     "``style`` numbers tied users (equal scores): \"ordinal\" 1, 2, 3, 4\n"
     "(ties in the board's tie-break order), \"competition\" 1, 2, 2, 4 or\n"
     "\"dense\" 1, 2, 2, 3. ``window`` names one of the board's windows\n"
     "(see ``windows``) to rank in instead of the whole board; the same\n"
     "holds for every query."},
    {"top", (PyCFunction)(void (*)(void))Reads_top, METH_FASTCALL | METH_KEYWORDS,
     "top($self, k=10, style='ordinal', window=None)\n--\n\n"
     "The ``k`` highest-ranked users, best first, ranks numbered in ``style``\n"
     "(see :meth:`rank`)."},
    {"page", (PyCFunction)(void (*)(void))Reads_page, METH_FASTCALL | METH_KEYWORDS,
     "page($self, offset, limit, style='ordinal', window=None)\n--\n\n"
     "Users ranked ``offset + 1`` to ``offset + limit`` (a page of a ranking view)."},
    {"around", (PyCFunction)(void (*)(void))Reads_around, METH_FASTCALL | METH_KEYWORDS,
     "around($self, user_id, before=5, after=5, style='ordinal', window=None)\n--\n\n"
     "The user with up to ``before`` users above and ``after`` below; [] if unknown."},
    {"percentile", (PyCFunction)(void (*)(void))Reads_percentile, METH_FASTCALL | METH_KEYWORDS,
     "percentile($self, user_id, window=None)\n--\n\n"
     "The share of the board, in percent (0 to 100), whose score is strictly\n"
     "below the user's; None if the user is not on the board. O(log n)."},
    {"at_percentile", (PyCFunction)(void (*)(void))Reads_at_percentile,
     METH_FASTCALL | METH_KEYWORDS,
     "at_percentile($self, p, style='ordinal', window=None)\n--\n\n"
     "The user at percentile ``p`` (0 to 100) of the ranking, by nearest rank\n"
     "counted up from the bottom: 100 is the top user, 0 the bottom one, 50\n"
     "the median. None for an empty board. ``p`` outside 0..100 or NaN raises\n"
     "ValueError. O(log n)."},
    {NULL, NULL, 0, NULL},
};

/* Updates's traverse (a heap type declaring GC declares its own). */
static traverseproc updates_traverse;

static int
Reads_traverse(PyObject *self, visitproc visit, void *arg)
{
    return updates_traverse(self, visit, arg);
}

static PyMemberDef Reads_members[] = {
    {"_read_handle", T_ULONGLONG, offsetof(Reads, handle), 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Reads_slots[] = {
    {Py_tp_doc, "Base of Leaderboard: rank, top and page in C."},
    {Py_tp_methods, Reads_methods},
    {Py_tp_members, Reads_members},
    {Py_tp_traverse, Reads_traverse},
    {0, NULL},
};

static PyType_Spec Reads_spec = {
    "engagehub_native._pages.Reads", sizeof(Reads), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC, Reads_slots,
};

/* The engine's exports the reads call, in the order bind() stores them
 * (exported as READ_EXPORTS, the names bind() expects). */
static const char *const names[] = {
    "eh_board_standing", "eh_board_standing_as", "eh_board_page", "eh_board_page_as",
    "eh_board_around", "eh_board_around_as", "eh_board_percentile", "eh_board_at_percentile",
    "eh_free",
};

/* bind(ranked_type, addresses): the RankedUser type, and a dict of the
 * addresses of the engine's exports the reads call (as cffi gives them), by
 * name; the same every time in one process. */
static PyObject *
bind(PyObject *module, PyObject *args)
{
    PyTypeObject *type;
    PyObject *addresses;
    void *found[sizeof names / sizeof names[0]];
    if (!PyArg_ParseTuple(args, "O!O!:bind", &PyType_Type, &type, &PyDict_Type, &addresses)) {
        return NULL;
    }
    if (!tuple_type(type)) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        PyObject *address = PyDict_GetItemString(addresses, names[i]); /* borrowed */
        found[i] = address == NULL ? NULL : PyLong_AsVoidPtr(address);
        if (found[i] == NULL) {
            if (!PyErr_Occurred()) {
                PyErr_Format(PyExc_ValueError, "bind: no address for %s", names[i]);
            }
            return NULL;
        }
    }
    engine.standing = (__typeof__(eh_board_standing) *)found[0];
    engine.standing_as = (__typeof__(eh_board_standing_as) *)found[1];
    engine.page = (__typeof__(eh_board_page) *)found[2];
    engine.page_as = (__typeof__(eh_board_page_as) *)found[3];
    engine.around = (__typeof__(eh_board_around) *)found[4];
    engine.around_as = (__typeof__(eh_board_around_as) *)found[5];
    engine.percentile = (__typeof__(eh_board_percentile) *)found[6];
    engine.at_percentile = (__typeof__(eh_board_at_percentile) *)found[7];
    engine.release = (__typeof__(eh_free) *)found[8];
    if (engine.ranked == NULL) {
        Py_INCREF(type);
        engine.ranked = type; /* kept for the process's life */
    }
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"ranked_users", ranked_users, METH_VARARGS,
     "ranked_users(type, block, count, ints_per_entry, first, /)\n--\n\n"
     "The ``count`` entries of a page block as instances of ``type`` (a\n"
     "tuple subclass of four fields: id, score, rank, last update). With\n"
     "one int per entry (the last update) ranks run from ``first``; with two,\n"
     "each entry's ints are its rank and its last update."},
    {"as_dicts", as_dicts, METH_O,
     "as_dicts(users, /)\n--\n\n"
     "The entries of ``users`` (a list of RankedUser, as ``top``, ``page``\n"
     "and ``around`` return) as dicts with the keys ``user_id``, ``score``,\n"
     "``rank`` and ``last_update``: ready for ``json.dumps`` or Django's\n"
     "``JsonResponse``."},
    {"bind", bind, METH_VARARGS,
     "bind(ranked_type, addresses, /)\n--\n\n"
     "Let Reads call the engine: the type of the entries (RankedUser) and\n"
     "the addresses of the exports it calls, by name (see _pages.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "engagehub_native._pages",
    "Leaderboard reads in C (see _pages.c).", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

/* Whether the type Updates is as large as _hot_path.h says: Reads extends
 * its layout, so both modules must come from one build. */
static int
same_layout(PyObject *updates)
{
    PyObject *size = PyObject_GetAttrString(updates, "__basicsize__");
    Py_ssize_t basicsize;
    if (size == NULL) {
        return 0;
    }
    basicsize = PyLong_AsSsize_t(size);
    Py_DECREF(size);
    if (basicsize == -1 && PyErr_Occurred()) {
        return 0;
    }
    if (basicsize != (Py_ssize_t)sizeof(Updates)) {
        PyErr_Format(PyExc_ImportError,
                     "engagehub_native._pages expects _staging.Updates of %zd bytes, not %zd: "
                     "the two extensions come from different builds; reinstall the package",
                     (Py_ssize_t)sizeof(Updates), basicsize);
        return 0;
    }
    return 1;
}

PyMODINIT_FUNC
PyInit__pages(void)
{
    PyObject *module, *staging, *updates, *bases, *reads, *exports;
    if (!(name_rank_slow = PyUnicode_InternFromString("_rank_slow"))
        || !(name_top_slow = PyUnicode_InternFromString("_top_slow"))
        || !(name_page_slow = PyUnicode_InternFromString("_page_slow"))
        || !(name_around_slow = PyUnicode_InternFromString("_around_slow"))
        || !(name_percentile_slow = PyUnicode_InternFromString("_percentile_slow"))
        || !(name_at_percentile_slow = PyUnicode_InternFromString("_at_percentile_slow"))) {
        return NULL;
    }
    for (int i = 0; i < PARAMETERS; i++) {
        if (!(parameter_strs[i] = PyUnicode_InternFromString(parameter_names[i]))) {
            return NULL;
        }
    }
    for (size_t i = 0; i < STYLES; i++) {
        if (!(style_strs[i] = PyUnicode_InternFromString(styles[i].name))) {
            return NULL;
        }
    }
    for (int i = 0; i < 4; i++) {
        if (!(entry_fields[i] = PyUnicode_InternFromString(entry_field_names[i]))) {
            return NULL;
        }
    }
    staging = PyImport_ImportModule("engagehub_native._staging");
    if (staging == NULL) {
        return NULL;
    }
    updates = PyObject_GetAttrString(staging, "Updates");
    Py_DECREF(staging);
    if (updates == NULL) {
        return NULL;
    }
    if (!same_layout(updates)) {
        Py_DECREF(updates);
        return NULL;
    }
    updates_traverse = (traverseproc)PyType_GetSlot((PyTypeObject *)updates, Py_tp_traverse);
    bases = PyTuple_Pack(1, updates); /* 3.9 takes only a tuple */
    Py_DECREF(updates);
    if (bases == NULL) {
        return NULL;
    }
    reads = PyType_FromSpecWithBases(&Reads_spec, bases);
    Py_DECREF(bases);
    if (reads == NULL) {
        return NULL;
    }
    module = PyModule_Create(&module_def);
    if (module == NULL || PyModule_AddObject(module, "Reads", reads) < 0) {
        Py_DECREF(reads);
        Py_XDECREF(module);
        return NULL;
    }
    exports = PyTuple_New(sizeof names / sizeof names[0]);
    if (exports == NULL) {
        Py_DECREF(module);
        return NULL;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        PyObject *name = PyUnicode_FromString(names[i]);
        if (name == NULL) {
            Py_DECREF(exports);
            Py_DECREF(module);
            return NULL;
        }
        PyTuple_SetItem(exports, (Py_ssize_t)i, name); /* steals the reference */
    }
    if (PyModule_AddObject(module, "READ_EXPORTS", exports) < 0) {
        Py_DECREF(exports);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}

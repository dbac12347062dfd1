/* The staging areas' hot paths in C: EventStreamProcessor.push and
 * Leaderboard.update, the checks of push_many and update_many, what a drain
 * hands the engine, and the dicts a flush callback receives.
 *
 * A push or an update only appends its fields to a Python list that the
 * engine later drains in bulk; written in Python, the checks and the append
 * cost two to four times an empty method call. Here they are one C call.
 * push and update take only the common case (exact str, int and float
 * arguments, ASCII ids, a timestamp in range, room in the list) and hand
 * everything else, unchanged, to the Python method that holds the rules
 * (_push_slow, _update_slow): that one decides, words the errors, and reads
 * the clock a board was given. So what they accept, Python would accept
 * identically, and they never raise an error of their own making.
 *
 * The fields of one event are appended with the GIL held throughout, so no
 * other thread sees a partial event (as Python's list.extend of a tuple).
 * A free-threaded CPython has no GIL: there every call takes the Python
 * path.
 *
 * Built against the limited API of CPython 3.9 (one abi3 extension for every
 * CPython, as the cffi one).
 */

#include <Python.h>
#include <structmember.h>

#include "_hot_path.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Longer events (type + user id + channel id, in characters) never wait in
 * the staging list (exported as SMALL_EVENT: processor.py's _SMALL). */
#define SMALL_EVENT 1024

static PyObject *name_push_slow, *name_update_slow, *name_drain_staged;
static PyObject *key_type, *key_user_id, *key_channel_id, *key_timestamp;

/* Adds the length of s to *length when s is an exact str of ASCII only;
 * for other text it answers 0 (see ascii_text). */
static int
ascii_length(PyObject *s, Py_ssize_t *length)
{
    Py_ssize_t size;
    if (ascii_text(s, &size) == NULL) {
        return 0;
    }
    *length += size;
    return 1;
}

static int
append_all(PyObject *list, PyObject **items, int n)
{
    for (int i = 0; i < n; i++) {
        if (PyList_Append(list, items[i]) < 0) {
            return -1;
        }
    }
    return 0;
}

/* -- what both base types hold: the staging list --------------------------- */

static int
Staged_traverse(Staged *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self)); /* a heap type's instances refer to it (3.9+) */
    Py_VISIT(self->staged);
    return 0;
}

static int
Staged_clear(Staged *self)
{
    Py_CLEAR(self->staged);
    return 0;
}

static void
Staged_dealloc(Staged *self)
{
    PyTypeObject *type = Py_TYPE(self);
    freefunc free_object = (freefunc)PyType_GetSlot(type, Py_tp_free);
    PyObject_GC_UnTrack(self);
    Staged_clear(self);
    free_object(self);
    Py_DECREF(type);
}

#define STAGED_MEMBERS(type)                                            \
    {"_staged", T_OBJECT, offsetof(type, staged), 0, NULL},             \
    {"_room", T_PYSSIZET, offsetof(type, room), 0, NULL}

#define STAGED_SLOTS                                                    \
    {Py_tp_traverse, Staged_traverse}, {Py_tp_clear, Staged_clear},     \
    {Py_tp_dealloc, Staged_dealloc}

/* -- Pushes: the base of EventStreamProcessor ------------------------------ */

/* 4 fields per event; room is -1 once sealed. */
typedef Staged Pushes;

static PyObject *
Pushes_push(Pushes *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
#ifndef Py_GIL_DISABLED
    if (keyword_count(kwnames) == 0 && (nargs == 3 || nargs == 4) && self->staged != NULL
        && PyList_CheckExact(self->staged) && PyList_Size(self->staged) < self->room) {
        PyObject *fields[4];
        Py_ssize_t length = 0;
        for (int i = 0; i < 3; i++) {
            fields[i] = args[i];
        }
        if (ascii_length(fields[0], &length) && ascii_length(fields[1], &length)
            && ascii_length(fields[2], &length) && length <= SMALL_EVENT) {
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
                long long now = wall_seconds(); /* None or <= 0: now */
                if (now > 0) {
                    stamp = PyLong_FromLongLong(now);
                    if (stamp == NULL) {
                        return NULL;
                    }
                }
            }
            if (stamp != NULL) {
                int failed;
                fields[3] = stamp;
                failed = append_all(self->staged, fields, 4);
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
    STAGED_MEMBERS(Pushes),
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Pushes_slots[] = {
    {Py_tp_doc, "Base of EventStreamProcessor: push in C."},
    {Py_tp_methods, Pushes_methods},
    {Py_tp_members, Pushes_members},
    STAGED_SLOTS,
    {0, NULL},
};

static PyType_Spec Pushes_spec = {
    "engagehub_native._staging.Pushes", sizeof(Pushes), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC, Pushes_slots,
};

/* -- Updates: the base of Leaderboard --------------------------------------- */

/* A new reference to the float that points (an exact float or int) stands
 * for, when it is finite; else NULL, with no error set (Python decides)
 * unless memory ran out. */
static PyObject *
finite_points(PyObject *points)
{
    double value;
    if (PyFloat_CheckExact(points)) {
        if (!isfinite(PyFloat_AsDouble(points))) {
            return NULL;
        }
        Py_INCREF(points);
        return points;
    }
    if (!PyLong_CheckExact(points)) {
        return NULL;
    }
    value = PyLong_AsDouble(points);
    if (value == -1.0 && PyErr_Occurred()) { /* too large for a float */
        PyErr_Clear();
        return NULL;
    }
    return PyFloat_FromDouble(value); /* NULL with MemoryError set */
}

static PyObject *
Updates_update(Updates *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
#ifndef Py_GIL_DISABLED
    if (keyword_count(kwnames) == 0 && nargs == 3 && self->base.staged != NULL
        && PyList_CheckExact(self->base.staged)) {
        PyObject *fields[3], *points;
        Py_ssize_t length = 0;
        long long timestamp;
        for (int i = 0; i < 3; i++) {
            fields[i] = args[i];
        }
        if (ascii_length(fields[0], &length) && exact_int_in(fields[2], 1, self->latest, &timestamp)
            && (points = finite_points(fields[1])) != NULL) {
            PyObject *staged = self->base.staged;
            int failed;
            fields[1] = points;
            failed = append_all(staged, fields, 3);
            Py_DECREF(points);
            if (failed) {
                return NULL;
            }
            if (PyList_Size(staged) >= self->base.room) {
                return PyObject_CallMethodObjArgs((PyObject *)self, name_drain_staged, NULL);
            }
            Py_RETURN_NONE;
        }
        if (PyErr_Occurred()) { /* out of memory for the float */
            return NULL;
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
        PyObject *event = PyDict_New();
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
update_columns(PyObject *module, PyObject *args)
{
    PyObject *chunk, *clock, *ids = NULL, *points = NULL, *stamps = NULL, *now = NULL;
    long long latest;
    Py_ssize_t count;
    if (!PyArg_ParseTuple(args, "O!LO:update_columns", &PyList_Type, &chunk, &latest, &clock)) {
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
    if ((ids = PyList_New(count)) == NULL || (points = PyList_New(count)) == NULL
        || (stamps = PyList_New(count)) == NULL) {
        goto failed;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *update = PyList_GetItem(chunk, i), *id, *pts, *stamp;
        Py_ssize_t size = items_in(update);
        long long timestamp;
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
        if ((pts = finite_points(item_of(update, 1))) == NULL) {
            Py_DECREF(stamp);
            if (PyErr_Occurred()) {
                goto failed;
            }
            goto python_decides;
        }
        Py_INCREF(id);
        PyList_SetItem(ids, i, id); /* each steals the reference */
        PyList_SetItem(points, i, pts);
        PyList_SetItem(stamps, i, stamp);
    }
    Py_XDECREF(now);
    return Py_BuildValue("(NNN)", ids, points, stamps);

python_decides:
    Py_XDECREF(now);
    Py_DECREF(ids); /* the slots not yet set are NULL, which a list's dealloc skips */
    Py_DECREF(points);
    Py_DECREF(stamps);
    Py_RETURN_NONE;

failed:
    Py_XDECREF(now);
    Py_XDECREF(ids);
    Py_XDECREF(points);
    Py_XDECREF(stamps);
    return NULL;
}

/* -- the wire format of a drain ------------------------------------------------ */

/* The UTF-8 of a str, with its length; NULL with an error set for what is
 * not a str or cannot be encoded (push let neither through). */
static const char *
utf8_of(PyObject *s, Py_ssize_t *size)
{
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "staged event fields must be str");
        return NULL;
    }
    return PyUnicode_AsUTF8AndSize(s, size);
}

/* The strings at column, column + stride, ... of list (count of them),
 * each ended by the byte 0xFF (the wire format, _library.encode_strings),
 * copied to *out; or, when *out is NULL, their length added to *size. */
static int
put_strings(PyObject *list, Py_ssize_t count, int stride, int column, char **out,
            Py_ssize_t *size)
{
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t n;
        const char *text = utf8_of(PyList_GetItem(list, stride * i + column), &n);
        if (text == NULL) {
            return -1;
        }
        if (*out == NULL) {
            *size += n + 1;
        }
        else {
            memcpy(*out, text, (size_t)n);
            (*out)[n] = (char)0xFF;
            *out += n + 1;
        }
    }
    return 0;
}

/* The ints at column, column + stride, ... of list as int64 (a new bytes
 * object), or NULL with OverflowError or TypeError set. */
static PyObject *
int64s(PyObject *list, Py_ssize_t count, int stride, int column)
{
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, count * (Py_ssize_t)sizeof(int64_t));
    int64_t *value;
    if (bytes == NULL) {
        return NULL;
    }
    value = (int64_t *)PyBytes_AsString(bytes);
    for (Py_ssize_t i = 0; i < count; i++) {
        long long v = PyLong_AsLongLong(PyList_GetItem(list, stride * i + column));
        if (v == -1 && PyErr_Occurred()) {
            Py_DECREF(bytes);
            return NULL;
        }
        value[i] = (int64_t)v;
    }
    return bytes;
}

static PyObject *
drain_wire(PyObject *module, PyObject *args)
{
    PyObject *fields, *wire = NULL, *stamps = NULL;
    int typed;
    Py_ssize_t count, size = 0, held;
    char *out = NULL;
    if (!PyArg_ParseTuple(args, "O!p:drain_wire", &PyList_Type, &fields, &typed)) {
        return NULL;
    }
    if (PyList_Size(fields) % 4) {
        PyErr_SetString(PyExc_TypeError, "drain_wire takes a list of 4 fields per event");
        return NULL;
    }
    count = PyList_Size(fields) / 4;
    for (int column = typed ? 0 : 1; column < 3; column++) {
        if (put_strings(fields, count, 4, column, &out, &size) < 0) {
            return NULL;
        }
    }
    held = size;
    if (!typed) { /* the engine holds no types then: only their characters count */
        for (Py_ssize_t i = 0; i < count; i++) {
            PyObject *type = PyList_GetItem(fields, 4 * i);
            if (!PyUnicode_Check(type)) {
                PyErr_SetString(PyExc_TypeError, "staged event fields must be str");
                return NULL;
            }
            held += PyUnicode_GetLength(type);
        }
    }
    wire = PyBytes_FromStringAndSize(NULL, size);
    if (wire == NULL) {
        return NULL;
    }
    out = PyBytes_AsString(wire);
    for (int column = typed ? 0 : 1; column < 3; column++) {
        if (put_strings(fields, count, 4, column, &out, &size) < 0) {
            Py_DECREF(wire);
            return NULL;
        }
    }
    if ((stamps = int64s(fields, count, 4, 3)) == NULL) {
        Py_DECREF(wire);
        return NULL;
    }
    return Py_BuildValue("(NNn)", wire, stamps, held);
}

static PyObject *
update_wire(PyObject *module, PyObject *args)
{
    PyObject *ids, *points, *stamps, *wire, *reals, *ints;
    Py_ssize_t count, size = 0;
    char *out = NULL;
    double *real;
    if (!PyArg_ParseTuple(args, "O!O!O!:update_wire", &PyList_Type, &ids, &PyList_Type, &points,
                          &PyList_Type, &stamps)) {
        return NULL;
    }
    count = PyList_Size(ids);
    if (PyList_Size(points) != count || PyList_Size(stamps) != count) {
        PyErr_SetString(PyExc_ValueError, "update_wire takes three columns of one length");
        return NULL;
    }
    if (put_strings(ids, count, 1, 0, &out, &size) < 0
        || (wire = PyBytes_FromStringAndSize(NULL, size)) == NULL) {
        return NULL;
    }
    out = PyBytes_AsString(wire);
    if (put_strings(ids, count, 1, 0, &out, &size) < 0
        || (reals = PyBytes_FromStringAndSize(NULL, count * (Py_ssize_t)sizeof(double))) == NULL) {
        Py_DECREF(wire);
        return NULL;
    }
    real = (double *)PyBytes_AsString(reals);
    for (Py_ssize_t i = 0; i < count; i++) {
        real[i] = PyFloat_AsDouble(PyList_GetItem(points, i)); /* an int too, as float() */
        if (real[i] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(wire);
            Py_DECREF(reals);
            return NULL;
        }
    }
    if ((ints = int64s(stamps, count, 1, 0)) == NULL) {
        Py_DECREF(wire);
        Py_DECREF(reals);
        return NULL;
    }
    return Py_BuildValue("(NNN)", wire, reals, ints);
}

static PyMethodDef module_methods[] = {
    {"drain_wire", drain_wire, METH_VARARGS,
     "drain_wire(fields, typed, /)\n--\n\n"
     "What a drain offers the engine for events given as flat fields (four\n"
     "per event): (the strings in the wire format, the timestamps as int64,\n"
     "the bytes the events hold). The strings are the user ids then the\n"
     "channel ids, with the types before them when ``typed`` (a native sink\n"
     "writes them); the bytes held are those strings' UTF-8 and, when not\n"
     "typed, the types' characters."},
    {"update_wire", update_wire, METH_VARARGS,
     "update_wire(ids, points, timestamps, /)\n--\n\n"
     "What an update drain offers the engine for updates given as three\n"
     "columns: (the ids in the wire format, the points as doubles, the\n"
     "timestamps as int64)."},
    {"flat_events", flat_events, METH_O,
     "flat_events(events, /)\n--\n\n"
     "push_many's events (a list of them) as flat fields, four per event,\n"
     "when every one is the common case: an exact tuple or list, all of 3\n"
     "fields or all of 4, exact str fields that can be encoded, an exact int\n"
     "timestamp in 1..2**63-1 (3 fields: now, read once). None for anything\n"
     "else, which Python then checks event by event and names."},
    {"update_columns", update_columns, METH_VARARGS,
     "update_columns(updates, latest, now, /)\n--\n\n"
     "update_many's updates (a list of them) as three columns (ids, points\n"
     "as floats, timestamps) when every one is the common case: an exact\n"
     "tuple or list of 2 or 3 fields, an exact str id that can be\n"
     "encoded, finite exact float or int points, an exact int timestamp in\n"
     "1..latest (2 fields: int(now()), called once). None for anything\n"
     "else, which Python then checks update by update and names."},
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

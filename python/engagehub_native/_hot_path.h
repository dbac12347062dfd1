/* What the hot paths in C share (_staging.c and _pages.c, each built
 * against the same limited API, see setup.py): the layout of the staging
 * base types, which _pages.Reads extends, and the helpers both use to take
 * the common case and hand anything else to Python. */

#ifndef ENGAGEHUB_HOT_PATH_H
#define ENGAGEHUB_HOT_PATH_H

#include <Python.h>

#include <time.h>

#if defined(Py_LIMITED_API) && Py_LIMITED_API + 0 < 0x030A0000
/* In the stable ABI since 3.10; exported with this signature since 3.3. */
PyAPI_FUNC(const char *) PyUnicode_AsUTF8AndSize(PyObject *unicode, Py_ssize_t *size);
#endif
#if defined(Py_LIMITED_API) && PY_VERSION_HEX < 0x030A0000
/* In the stable ABI since 3.7, but 3.9's headers declare it only outside
 * the limited API: compiled against them, a call was an implicit
 * declaration returning int, and the pointer it returned lost its top
 * half (a source build on 3.9 crashed at its first push). */
PyAPI_FUNC(void *) PyMem_Calloc(size_t nelem, size_t elsize);
#endif

/* What Updates holds (and _pages.Reads, which extends it): the staged
 * updates, already in the form a drain hands the engine (see _staging.c). */
typedef struct {
    PyObject_HEAD
    char *ids;             /* the staged updates' ids, each ended by the byte 0xFF */
    Py_ssize_t ids_len, ids_cap;
    double *points;        /* their points, */
    long long *stamps;     /* and timestamps */
    Py_ssize_t count, cap; /* how many are staged; room for cap before the arrays grow */
    Py_ssize_t room;       /* 3 per update may wait: at room, update drains; 0 once sealed */
} Staged;

/* The base of Leaderboard. */
typedef struct {
    Staged base;
    long long latest; /* the latest timestamp the engine accepts (it only grows) */
    char draining;    /* a drain has taken updates from the staging and not yet submitted them all */
} Updates;

/* The UTF-8 of s and its *size when s is an exact str of ASCII only, else
 * NULL with no error set, so that Python decides (a lone surrogate, which
 * cannot be encoded, raises there). Asking for the UTF-8 of an ASCII str
 * costs nothing: it is the str's own data; a non-ASCII str keeps the UTF-8
 * made here (which a drain would make anyway). */
static inline const char *
ascii_text(PyObject *s, Py_ssize_t *size)
{
    const char *text;
    if (s == NULL || !PyUnicode_CheckExact(s)) {
        return NULL;
    }
    text = PyUnicode_AsUTF8AndSize(s, size);
    if (text == NULL) {
        PyErr_Clear();
        return NULL;
    }
    return *size == PyUnicode_GetLength(s) ? text : NULL;
}

/* Whether v is an exact int in low..high, with its value in *value; else 0
 * with no error set (Python decides). */
static inline int
exact_int_in(PyObject *v, long long low, long long high, long long *value)
{
    int overflow;
    if (!PyLong_CheckExact(v)) {
        return 0;
    }
    *value = PyLong_AsLongLongAndOverflow(v, &overflow); /* sets no error for an int */
    return !overflow && low <= *value && *value <= high;
}

/* The value of an int that fits an int64, as PyLong_AsLongLong gives it
 * (OverflowError beyond 64 bits), but quick for the usual timestamp:
 * CPython 3.11's PyLong_AsLongLong goes through a byte array for every int
 * of more than one 30-bit digit, as every Unix time in seconds is, and
 * PyLong_AsLongLongAndOverflow does not. Anything but an int is a
 * TypeError, on 3.9 too, where both functions still took a float's
 * __int__. -1 with an error set on failure. */
static inline int
int64_of(PyObject *v, long long *value)
{
    int overflow;
    if (!PyLong_Check(v)) {
        PyErr_Format(PyExc_TypeError, "an int is required, not %R", (PyObject *)Py_TYPE(v));
        return -1;
    }
    *value = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow) {
        PyErr_SetString(PyExc_OverflowError, "Python int too large to convert to C long long");
        return -1;
    }
    return *value == -1 && PyErr_Occurred() ? -1 : 0;
}

/* Now as int(time.time()) reads it (and leaderboard.wall_clock): whole Unix
 * seconds; 0 if the clock cannot be read. */
static inline long long
wall_seconds(void)
{
    struct timespec now;
    return clock_gettime(CLOCK_REALTIME, &now) == 0 ? (long long)now.tv_sec : 0;
}

/* The hot methods take METH_FASTCALL | METH_KEYWORDS (PEP 590's convention):
 * positional arguments arrive as a C array, keyword values after them and
 * their names in a tuple, so a call builds neither an argument tuple nor a
 * keyword dict (measured: about 250 ns of a read asked for a style by name;
 * a push or an update is spared its tuple). CPython calls methods so since
 * 3.7; its limited API names the flag only from 3.10, and the cp39-abi3
 * extension, built against 3.9's, uses the same value, which 3.9 (no longer
 * changed) honours alike. The 3.9 leg of CI runs these methods' tests on
 * that wheel. */
#ifndef METH_FASTCALL
#define METH_FASTCALL 0x0080
#endif

/* How many keyword arguments a fast call carries. */
static inline Py_ssize_t
keyword_count(PyObject *kwnames)
{
    return kwnames == NULL ? 0 : PyTuple_Size(kwnames);
}

/* self.<name>(*args, **kwargs), the arguments as a fast call got them: the
 * Python method that holds the rules. */
static inline PyObject *
call_method(PyObject *self, PyObject *name, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    Py_ssize_t keywords = keyword_count(kwnames);
    PyObject *method = NULL, *positional = NULL, *named = NULL, *result = NULL;
    if ((positional = PyTuple_New(nargs)) == NULL
        || (keywords > 0 && (named = PyDict_New()) == NULL)) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        Py_INCREF(args[i]);
        PyTuple_SetItem(positional, i, args[i]); /* steals the reference */
    }
    for (Py_ssize_t i = 0; i < keywords; i++) {
        if (PyDict_SetItem(named, PyTuple_GetItem(kwnames, i), args[nargs + i]) < 0) {
            goto done;
        }
    }
    if ((method = PyObject_GetAttr(self, name)) != NULL) {
        result = PyObject_Call(method, positional, named);
    }
done:
    Py_XDECREF(method);
    Py_XDECREF(positional);
    Py_XDECREF(named);
    return result;
}

#endif

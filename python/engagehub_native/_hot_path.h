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

/* What both base types hold: the staging list. */
typedef struct {
    PyObject_HEAD
    PyObject *staged; /* the staging list: flat fields */
    Py_ssize_t room;  /* how many fields it may hold (see each type) */
} Staged;

/* The base of Leaderboard. */
typedef struct {
    Staged base;      /* 3 fields per update; at room of them, update drains; 0 once sealed */
    long long latest; /* the latest timestamp the engine accepts (it only grows) */
    char draining;    /* a drain has taken updates from the list and not yet submitted them all */
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

/* Now as int(time.time()) reads it (and leaderboard.wall_clock): whole Unix
 * seconds; 0 if the clock cannot be read. */
static inline long long
wall_seconds(void)
{
    struct timespec now;
    return clock_gettime(CLOCK_REALTIME, &now) == 0 ? (long long)now.tv_sec : 0;
}

/* self.<name>(*args, **kwargs): the Python method that holds the rules. */
static inline PyObject *
call_method(PyObject *self, PyObject *name, PyObject *args, PyObject *kwargs)
{
    PyObject *method = PyObject_GetAttr(self, name), *result;
    if (method == NULL) {
        return NULL;
    }
    result = PyObject_Call(method, args, kwargs);
    Py_DECREF(method);
    return result;
}

#endif

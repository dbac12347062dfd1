/* The layout of the staging base types, shared by _staging.c, which defines
 * them, and _pages.c, whose Reads extends Updates (the base of Leaderboard).
 * Both are built against the same limited API (see setup.py). */

#ifndef ENGAGEHUB_STAGED_H
#define ENGAGEHUB_STAGED_H

#include <Python.h>

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

#endif

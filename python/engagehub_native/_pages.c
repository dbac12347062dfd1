/* A page of ranked users, read in C: Leaderboard.top, page, around and
 * at_percentile, and their styled forms.
 *
 * The engine hands a page out as one block (capi/wire.go, listWriter):
 * `count` doubles (the scores), then `ints_per_entry * count` int64s, then
 * the ids back to back, each ended by the byte 0xFF. Python copies the
 * block once (ffi.unpack) and releases it; ranked_users turns the copy into
 * RankedUser tuples in one pass, where unpacking three columns, splitting
 * the ids and zipping them into tuples in Python cost several times the
 * engine's own work for a top 10.
 *
 * Built against the limited API of CPython 3.9 (abi3, as the other
 * extensions).
 */

#include <Python.h>

#include <stdint.h>
#include <string.h>

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

static PyObject *
ranked_users(PyObject *module, PyObject *args)
{
    PyTypeObject *type;
    PyObject *block, *page;
    Py_ssize_t count, ints_per_entry, size, numbers;
    long long first;
    const char *data, *text, *end;
    allocfunc alloc;
    if (!PyArg_ParseTuple(args, "O!O!nnL:ranked_users", &PyType_Type, &type, &PyBytes_Type,
                          &block, &count, &ints_per_entry, &first)) {
        return NULL;
    }
    if (!PyType_IsSubtype(type, &PyTuple_Type) || !(PyType_GetFlags(type) & Py_TPFLAGS_HEAPTYPE)) {
        PyErr_SetString(PyExc_TypeError, "ranked_users makes instances of a tuple subclass");
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
    alloc = (allocfunc)PyType_GetSlot(type, Py_tp_alloc);
    data = PyBytes_AsString(block);
    text = data + numbers;
    end = data + size;
    page = PyList_New(count);
    if (page == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        double score;
        int64_t ints[2];
        const char *stop = memchr(text, 0xFF, (size_t)(end - text));
        PyObject *items[4], *entry;
        if (stop == NULL) {
            PyErr_SetString(PyExc_ValueError, "ranked_users: an id is not ended by 0xFF");
            Py_DECREF(page);
            return NULL;
        }
        memcpy(&score, data + 8 * i, 8);
        memcpy(ints, data + 8 * count + 8 * ints_per_entry * i, (size_t)(8 * ints_per_entry));
        /* The ids are UTF-8 the engine checked; surrogateescape, as
         * _library.split_strings, keeps any byte it might not. */
        items[0] = PyUnicode_DecodeUTF8(text, stop - text, "surrogateescape");
        items[1] = PyFloat_FromDouble(score);
        if (ints_per_entry == 1) { /* rank first + i, then the last update */
            items[2] = PyLong_FromLongLong(first + (long long)i);
            items[3] = PyLong_FromLongLong((long long)ints[0]);
        }
        else { /* the rank, then the last update */
            items[2] = PyLong_FromLongLong((long long)ints[0]);
            items[3] = PyLong_FromLongLong((long long)ints[1]);
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

static PyMethodDef module_methods[] = {
    {"ranked_users", ranked_users, METH_VARARGS,
     "ranked_users(type, block, count, ints_per_entry, first, /)\n--\n\n"
     "The ``count`` entries of a page block as instances of ``type`` (a\n"
     "tuple subclass of four fields: id, score, rank, last update). With\n"
     "one int per entry (the last update) ranks run from ``first``; with two,\n"
     "each entry's ints are its rank and its last update."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "engagehub_native._pages",
    "A page of ranked users, read in C (see _pages.c).", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__pages(void)
{
    return PyModule_Create(&module_def);
}

/* Shared by _repair.c and _dedup.c: a list of texts taken for the length of a call. */
#ifndef CLEANER_HELD_H
#define CLEANER_HELD_H

#include <Python.h>

/* The texts as a tuple, held for the call (a collection that making the results runs can call
 * a finalizer that changes the list), each checked to be a str; NULL with an error set. */
static PyObject *held_texts(PyObject *list) {
    PyObject *texts = PyList_AsTuple(list);
    if (texts == NULL) return NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(texts); i++)
        if (!PyUnicode_Check(PyTuple_GET_ITEM(texts, i))) {
            PyErr_SetString(PyExc_TypeError, "texts must be str");
            Py_DECREF(texts);
            return NULL;
        }
    return texts;
}

#endif

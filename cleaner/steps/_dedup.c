/* The dedup step's line keys (steps/dedup.py: _exact_key, _head_key) for all of a document's
 * rows in one call, in C: folding, splitting and joining a line in Python costs a few µs a key,
 * and the step keys every row in every round.
 *
 * The definitions are dedup.py's, to the character (tests/test_native_dedup.py compares them):
 * - case folding is str.casefold's, which maps each character on its own;
 * - str.split() splits at runs of Py_UNICODE_ISSPACE characters and drops empty words;
 * - _PUNCTUATION is string.punctuation and “”‘’–—…«»·•¡¿, each replaced by a space.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* str.casefold of t[0:n], into out (3 code points a character at most); its length, or -1 on an
 * error. CPython folds each character on its own; before 3.13 its function for one character is
 * in the headers, after, the method is called (on ``text``, which t is read from). */
static Py_ssize_t casefold(PyObject *text, const Py_UCS4 *t, Py_ssize_t n, Py_UCS4 *out) {
#if PY_VERSION_HEX < 0x030D0000
    (void)text;
    Py_ssize_t size = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = t[i];
        if (ch < 0x80)
            out[size++] = ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
        else
            size += _PyUnicode_ToFoldedFull(ch, out + size);
    }
    return size;
#else
    PyObject *head = PyUnicode_Substring(text, 0, n);
    PyObject *folded = head ? PyObject_CallMethod(head, "casefold", NULL) : NULL;
    Py_XDECREF(head);
    if (folded == NULL) return -1;
    Py_ssize_t size = PyUnicode_GET_LENGTH(folded);
    Py_UCS4 *done = size <= 3 * n ? PyUnicode_AsUCS4(folded, out, 3 * n, 0) : NULL;
    if (done == NULL && !PyErr_Occurred()) PyErr_SetString(PyExc_SystemError, "casefold: more than 3 a character");
    Py_DECREF(folded);
    return done == NULL ? -1 : size;
#endif
}

static int is_punctuation(Py_UCS4 ch) {
    if (ch < 0x80) return ch > ' ' && ch < 0x7F && !Py_ISALNUM(ch); /* string.punctuation */
    switch (ch) {
    case 0x201C: case 0x201D: case 0x2018: case 0x2019: case 0x2013: case 0x2014: case 0x2026:
    case 0xAB: case 0xBB: case 0xB7: case 0x2022: case 0xA1: case 0xBF:
        return 1;
    }
    return 0;
}

/* " ".join(s.split()) of s[0:n] (punctuation as spaces if asked), into out; its length. */
static Py_ssize_t words(const Py_UCS4 *s, Py_ssize_t n, int punctuation, Py_UCS4 *out) {
    Py_ssize_t size = 0;
    int in_word = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = s[i];
        int space = Py_UNICODE_ISSPACE(ch) || (punctuation && is_punctuation(ch));
        if (space) {
            in_word = 0;
            continue;
        }
        if (!in_word && size) out[size++] = ' ';
        in_word = 1;
        out[size++] = ch;
    }
    return size;
}

/* keys(texts, cut, chars) -> (exact keys, head keys): for each text, dedup._exact_key(text) and
 * dedup._head_key(text, cut, chars). */
static PyObject *keys(PyObject *self, PyObject *args) {
    PyObject *texts;
    Py_ssize_t cut, chars;
    if (!PyArg_ParseTuple(args, "O!nn", &PyList_Type, &texts, &cut, &chars)) return NULL;
    if (cut < 0 || chars < 0) {
        PyErr_SetString(PyExc_ValueError, "cut and chars must not be negative");
        return NULL;
    }
    /* The texts held for the call (an allocation may run a finalizer that changes the caller's list). */
    PyObject *held = PyList_AsTuple(texts);
    if (held == NULL) return NULL;
    Py_ssize_t k = PyTuple_GET_SIZE(held), room = 0;
    PyObject *exact = PyList_New(k), *heads = PyList_New(k);
    Py_UCS4 *buffer = NULL;
    if (exact == NULL || heads == NULL) goto fail;
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *text = PyTuple_GET_ITEM(held, i);
        if (!PyUnicode_Check(text)) {
            PyErr_SetString(PyExc_TypeError, "texts must be str");
            goto fail;
        }
        Py_ssize_t n = PyUnicode_GET_LENGTH(text);
        if (n > (PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(Py_UCS4) - 1) / 7) {
            PyErr_NoMemory();
            goto fail;
        }
        if (7 * n + 1 > room) { /* the text, its folding (3n), a key (3n) */
            PyMem_Free(buffer);
            room = 7 * n + 1 > 4096 ? 7 * n + 1 : 4096;
            buffer = PyMem_Malloc(room * sizeof(Py_UCS4));
            if (buffer == NULL) {
                PyErr_NoMemory();
                goto fail;
            }
        }
        Py_UCS4 *t = buffer, *folded = buffer + n + 1, *key = folded + 3 * n;
        if (PyUnicode_AsUCS4(text, t, n + 1, 1) == NULL) goto fail;
        Py_ssize_t size = casefold(text, t, n, folded);
        if (size < 0) goto fail;
        PyObject *item = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, key, words(folded, size, 0, key));
        if (item == NULL) goto fail;
        PyList_SET_ITEM(exact, i, item);
        /* the head: the first ``cut`` characters of the text, folded (each on its own: the
         * folding of the whole text's first ones), words with punctuation as spaces, ``chars`` long */
        Py_ssize_t head = n < cut ? n : cut;
        if (head < n) {
            size = casefold(text, t, head, folded);
            if (size < 0) goto fail;
        }
        Py_ssize_t length = words(folded, size, 1, key);
        item = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, key, length < chars ? length : chars);
        if (item == NULL) goto fail;
        PyList_SET_ITEM(heads, i, item);
    }
    PyMem_Free(buffer);
    Py_DECREF(held);
    PyObject *result = PyTuple_Pack(2, exact, heads);
    Py_DECREF(exact);
    Py_DECREF(heads);
    return result;
fail:
    PyMem_Free(buffer);
    Py_DECREF(held);
    Py_XDECREF(exact);
    Py_XDECREF(heads);
    return NULL;
}

static PyMethodDef methods[] = {
    {"keys", keys, METH_VARARGS,
     "keys(texts, cut, chars) -> (exact keys, head keys): dedup._exact_key and dedup._head_key of each text."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_dedup", "The dedup step's line keys in C.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__dedup(void) { return PyModule_Create(&module); }

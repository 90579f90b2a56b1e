/* The dedup step's per-line keys (steps/dedup.py) in C: the exact keys of a document's lines
 * grouped, and the lines whose words start a longer neighbour's, one call each per document.
 *
 * Every definition is the Python one, to the bit (tests/test_native_dedup.py compares the two):
 * - case folding is str.casefold's, which maps each character on its own (as in
 *   classify/_lines.c: CPython's function for one character before 3.13, the method after);
 * - str.split()'s whitespace is Py_UNICODE_ISSPACE;
 * - the punctuation dedup.py folds to spaces is the string configure() is given (its _PUNCT);
 * - slices and lengths count code points, as str's do.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* ---- the punctuation: below U+10000 by table, the others (none, as dedup.py has it) by a list ---- */

#define MAX_OTHER 64
static unsigned char bmp_punct[0x10000];
static Py_UCS4 other_punct[MAX_OTHER];
static int n_other = 0, configured = 0;

static int is_punct(Py_UCS4 ch) {
    if (ch < 0x10000) return bmp_punct[ch];
    for (int k = 0; k < n_other; k++)
        if (other_punct[k] == ch) return 1;
    return 0;
}

/* A separator of _words_key's words (with punctuation) or _exact_key's (without). */
static inline int is_separator(Py_UCS4 ch, int punctuation) {
    if (ch < 0x80) return (punctuation && bmp_punct[ch]) || Py_UNICODE_ISSPACE(ch);
    return Py_UNICODE_ISSPACE(ch) || (punctuation && is_punct(ch));
}

static PyObject *configure(PyObject *self, PyObject *args) {
    PyObject *chars;
    if (!PyArg_ParseTuple(args, "U", &chars)) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(chars);
    int others = 0;
    for (Py_ssize_t i = 0; i < n; i++) others += PyUnicode_READ_CHAR(chars, i) >= 0x10000;
    if (others > MAX_OTHER) {
        PyErr_SetString(PyExc_ValueError, "too many punctuation characters past U+FFFF");
        return NULL;
    }
    memset(bmp_punct, 0, sizeof(bmp_punct));
    n_other = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ_CHAR(chars, i);
        if (ch < 0x10000)
            bmp_punct[ch] = 1;
        else
            other_punct[n_other++] = ch;
    }
    configured = 1;
    Py_RETURN_NONE;
}

/* ---- keys ---- */

/* How many code points str.casefold can make of text[:n]: one a character for an ASCII text,
 * two for a Latin-1 one (ß is "ss"), three else (ΐ); -1 with MemoryError past what fits. */
static Py_ssize_t fold_room(PyObject *text, Py_ssize_t n) {
    Py_ssize_t times = PyUnicode_IS_ASCII(text) ? 1 : PyUnicode_KIND(text) == PyUnicode_1BYTE_KIND ? 2 : 3;
    if (n > (PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(Py_UCS4) - 1) / times) {
        PyErr_NoMemory();
        return -1;
    }
    return times * n;
}

static void too_long(void) {
    PyErr_SetString(PyExc_SystemError, "a character casefolds to more code points than the room for it");
}

/* str.casefold of text[:n] into out, room + 1 code points (fold_room's): its length, or -1 with an
 * error set. */
static Py_ssize_t casefold(PyObject *text, Py_ssize_t n, Py_UCS4 *out, Py_ssize_t room) {
#if PY_VERSION_HEX < 0x030D0000
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t size = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch < 0x80) {
            out[size++] = ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
        } else {
            Py_UCS4 folded[3];
            int count = _PyUnicode_ToFoldedFull(ch, folded);
            /* (room for it and one for each character after it; never short with Unicode's data,
             * whose case folding is stable) */
            if (count > room - size - (n - 1 - i)) {
                too_long();
                return -1;
            }
            for (int k = 0; k < count; k++) out[size++] = folded[k];
        }
    }
    return size;
#else
    PyObject *head = PyUnicode_Substring(text, 0, n);
    if (head == NULL) return -1;
    PyObject *folded = PyObject_CallMethod(head, "casefold", NULL);
    Py_DECREF(head);
    if (folded == NULL) return -1;
    Py_ssize_t size = PyUnicode_GET_LENGTH(folded);
    Py_UCS4 *done = NULL;
    if (size > room)
        too_long();
    else
        done = PyUnicode_AsUCS4(folded, out, room + 1, 0); /* (out holds room + 1) */
    Py_DECREF(folded);
    return done == NULL ? -1 : size;
#endif
}

/* " ".join(s.split()) of folded (with punctuation, the punctuation first made spaces: dedup's
 * _PUNCTUATION.sub(" ", s)), written over folded itself (the key is never longer): its length. */
static Py_ssize_t join_words(Py_UCS4 *folded, Py_ssize_t size, int punctuation) {
    Py_ssize_t used = 0, i = 0;
    while (i < size) {
        while (i < size && is_separator(folded[i], punctuation)) i++;
        if (i == size) break;
        if (used) folded[used++] = ' ';
        while (i < size && !is_separator(folded[i], punctuation)) folded[used++] = folded[i++];
    }
    return used;
}

/* The key of text[:n]: " ".join(text[:n].casefold().split()), or with punctuation
 * dedup._words_key; in *key (PyMem, the caller frees it), its length returned (-1: an error). */
static Py_ssize_t key_of(PyObject *text, Py_ssize_t n, int punctuation, Py_UCS4 **key) {
    *key = NULL;
    Py_ssize_t room = fold_room(text, n);
    if (room < 0) return -1;
    *key = PyMem_Malloc((room + 1) * sizeof(Py_UCS4));
    if (*key == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t size = casefold(text, n, *key, room);
    if (size < 0) {
        PyMem_Free(*key);
        *key = NULL;
        return -1;
    }
    return join_words(*key, size, punctuation);
}

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

/* dedup._repeats' first half: each text's _exact_key, and the keys of min_chars characters or
 * more that two texts or more share, each with the indices of its texts, in the order of each
 * key's first text (as a dict filled in text order and then filtered keeps them). */
static PyObject *repeats(PyObject *self, PyObject *args) {
    PyObject *list, *texts;
    Py_ssize_t min_chars;
    if (!PyArg_ParseTuple(args, "O!n", &PyList_Type, &list, &min_chars) || (texts = held_texts(list)) == NULL)
        return NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(texts);
    PyObject *keys = PyList_New(count), *groups = PyDict_New(), *shared = NULL, *result = NULL;
    if (keys == NULL || groups == NULL) goto done;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *text = PyTuple_GET_ITEM(texts, i);
        Py_UCS4 *buffer;
        Py_ssize_t size = key_of(text, PyUnicode_GET_LENGTH(text), 0, &buffer);
        if (size < 0) goto done;
        PyObject *key = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buffer, size);
        PyMem_Free(buffer);
        if (key == NULL) goto done;
        PyList_SET_ITEM(keys, i, key);
        if (size < min_chars) continue;
        PyObject *where = PyDict_GetItemWithError(groups, key), *index;
        if (where == NULL) {
            if (PyErr_Occurred()) goto done;
            where = PyList_New(0);
            if (where == NULL) goto done;
            int stored = PyDict_SetItem(groups, key, where);
            Py_DECREF(where);
            if (stored < 0) goto done;
        }
        index = PyLong_FromSsize_t(i);
        if (index == NULL) goto done;
        int appended = PyList_Append(where, index);
        Py_DECREF(index);
        if (appended < 0) goto done;
    }
    shared = PyDict_New();
    if (shared == NULL) goto done;
    Py_ssize_t pos = 0;
    PyObject *key, *where;
    while (PyDict_Next(groups, &pos, &key, &where))
        if (PyList_GET_SIZE(where) > 1 && PyDict_SetItem(shared, key, where) < 0) goto done;
    result = PyTuple_Pack(2, keys, shared);
done:
    Py_DECREF(texts);
    Py_XDECREF(keys);
    Py_XDECREF(groups);
    Py_XDECREF(shared);
    return result;
}

/* dedup._prefixes: the indices of the texts to drop, in order. A text's head is
 * _words_key(text[:4 * min_chars])[:min_chars]; a text whose head is min_chars long, or that is
 * longer than 4 * min_chars, goes when a text at i+1, i-1, i+2 or i-2 (the first such) has the
 * same head and a full _words_key that is longer than its own and starts with it (its own at
 * least min_chars long). Full keys are folded only for such neighbours, once each. */
static PyObject *prefixes(PyObject *self, PyObject *args) {
    PyObject *list, *texts;
    Py_ssize_t min_chars;
    if (!PyArg_ParseTuple(args, "O!n", &PyList_Type, &list, &min_chars)) return NULL;
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "configure() the punctuation first");
        return NULL;
    }
    if (min_chars < 1) {
        PyErr_SetString(PyExc_ValueError, "min_chars must be positive");
        return NULL;
    }
    if ((texts = held_texts(list)) == NULL) return NULL;
    /* (a cut past every text's length, as text[:cut] takes it, when 4 * min_chars is too big) */
    Py_ssize_t count = PyTuple_GET_SIZE(texts);
    Py_ssize_t cut = min_chars > PY_SSIZE_T_MAX / 4 ? PY_SSIZE_T_MAX : 4 * min_chars;
    PyObject *out = PyList_New(0);
    Py_UCS4 **heads = PyMem_Calloc(count ? count : 1, sizeof(Py_UCS4 *));
    Py_UCS4 **fulls = PyMem_Calloc(count ? count : 1, sizeof(Py_UCS4 *));
    Py_ssize_t *head_size = PyMem_Calloc(count ? count : 1, sizeof(Py_ssize_t));
    Py_ssize_t *full_size = PyMem_Calloc(count ? count : 1, sizeof(Py_ssize_t));
    if (out == NULL || heads == NULL || fulls == NULL || head_size == NULL || full_size == NULL) {
        if (out != NULL) PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *text = PyTuple_GET_ITEM(texts, i);
        Py_ssize_t n = PyUnicode_GET_LENGTH(text);
        Py_ssize_t size = key_of(text, n < cut ? n : cut, 1, &heads[i]);
        if (size < 0) goto fail;
        head_size[i] = size < min_chars ? size : min_chars;
        full_size[i] = -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if (head_size[i] < min_chars && PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(texts, i)) <= cut) continue;
        Py_ssize_t near[4] = {i + 1, i - 1, i + 2, i - 2};
        for (int k = 0; k < 4; k++) {
            Py_ssize_t j = near[k];
            if (j < 0 || j >= count || head_size[j] != head_size[i] ||
                memcmp(heads[j], heads[i], head_size[i] * sizeof(Py_UCS4)))
                continue;
            Py_ssize_t pair[2] = {i, j};
            for (int p = 0; p < 2; p++) {
                Py_ssize_t m = pair[p];
                if (full_size[m] >= 0) continue;
                PyObject *text = PyTuple_GET_ITEM(texts, m);
                full_size[m] = key_of(text, PyUnicode_GET_LENGTH(text), 1, &fulls[m]);
                if (full_size[m] < 0) goto fail;
            }
            if (full_size[i] >= min_chars && full_size[j] > full_size[i] &&
                !memcmp(fulls[j], fulls[i], full_size[i] * sizeof(Py_UCS4))) {
                PyObject *index = PyLong_FromSsize_t(i);
                if (index == NULL) goto fail;
                int appended = PyList_Append(out, index);
                Py_DECREF(index);
                if (appended < 0) goto fail;
                break;
            }
        }
    }
    goto done;
fail:
    Py_CLEAR(out);
done:
    for (Py_ssize_t i = 0; i < count; i++) {
        if (heads) PyMem_Free(heads[i]);
        if (fulls) PyMem_Free(fulls[i]);
    }
    PyMem_Free(heads);
    PyMem_Free(fulls);
    PyMem_Free(head_size);
    PyMem_Free(full_size);
    Py_DECREF(texts);
    return out;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS, "configure(punctuation): the characters _words_key makes spaces."},
    {"repeats", repeats, METH_VARARGS,
     "repeats(texts, min_chars) -> (exact keys, {key: [indices]} of keys >= min_chars shared by 2+ texts)."},
    {"prefixes", prefixes, METH_VARARGS, "prefixes(texts, min_chars) -> [i]: the texts dedup._prefixes drops."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_dedup", "The dedup step's per-line keys in C.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__dedup(void) { return PyModule_Create(&module); }

/* Shared by _repair.c, _dedup.c, rules/_scan.c and report/_diff.c: a list of texts taken for the
 * length of a call, a Line's attributes read (and set) straight from their slots, and the
 * arguments of the calls made for each document (fast_args). */
#ifndef CLEANER_HELD_H
#define CLEANER_HELD_H

#include <Python.h>
#include <stdarg.h>
#include <string.h>
#include <structmember.h>

/* The texts as a tuple, held for the call (a collection that making the results runs can call
 * a finalizer that changes the list), each checked to be a str; NULL with an error set. */
static inline PyObject *held_texts(PyObject *list) {
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

/* ---- attributes read (and set) straight from their slots ----
 *
 * Each attribute of a plain slotted class is a member descriptor holding the byte offset of its
 * slot: reading it there is what PyObject_GetAttr ends up doing, without the lookup on every
 * call. Only when the class leaves getattr (or setattr) to the generic code, the name is a
 * (writable) object slot of a class the object's class derives from, and the offset lies inside
 * the object; anything else (a property, a __getattribute__, an empty slot) goes the generic way. */
#define HELD_MAX_ATTRS 8

/* The slot offset of each of ``names`` in ``cls`` (-1: go the generic way), to read or to write. */
static inline void slot_offsets_of(PyTypeObject *cls, PyObject *const *names, int n, int for_write,
                                   Py_ssize_t *offsets) {
    for (int k = 0; k < n; k++) {
        offsets[k] = -1;
        if (for_write ? cls->tp_setattro != PyObject_GenericSetAttr : cls->tp_getattro != PyObject_GenericGetAttr)
            continue;
        PyObject *descr = _PyType_Lookup(cls, names[k]); /* borrowed */
        if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type)) continue;
        PyMemberDescrObject *member = (PyMemberDescrObject *)descr;
        PyMemberDef *def = member->d_member;
        if (def->type != T_OBJECT_EX || (for_write && (def->flags & READONLY)) ||
            !PyType_IsSubtype(cls, PyDescr_TYPE(member)))
            continue;
        if (def->offset < (Py_ssize_t)sizeof(PyObject) ||
            def->offset + (Py_ssize_t)sizeof(PyObject *) > cls->tp_basicsize)
            continue;
        offsets[k] = def->offset;
    }
}

typedef struct {
    PyTypeObject *type; /* the class last met, held (its address cannot be reused by another) */
    int n;
    PyObject **names; /* interned, n of them */
    Py_ssize_t offsets[HELD_MAX_ATTRS];
} Slots;

static inline void slots_init(Slots *slots, PyObject **names, int n) {
    slots->type = NULL;
    slots->n = n < HELD_MAX_ATTRS ? n : HELD_MAX_ATTRS;
    slots->names = names;
    for (int k = 0; k < HELD_MAX_ATTRS; k++) slots->offsets[k] = -1;
}

static inline void slots_done(Slots *slots) { Py_CLEAR(slots->type); }

/* The slot of ``obj`` at ``offset`` (one slot_offsets_of found), read in place: borrowed, NULL when empty. */
static inline PyObject *slot_borrow(PyObject *obj, Py_ssize_t offset) { return *(PyObject **)((char *)obj + offset); }

/* A line's dropped, blank and text read in place, borrowed, when its class is ``type`` and has the three slots (at
 * ``at[dropped]``, ``at[blank]``, ``at[text]``), they are set and blank is a bool: 1 with the three set. No Python code
 * runs between these reads, so a line dropped or blank costs no reference. 0: read them the generic way (slot_read). */
static inline int line_borrow(PyObject *line, const PyTypeObject *type, const Py_ssize_t *at, int dropped, int blank,
                              int text, PyObject **dropped_out, PyObject **blank_out, PyObject **text_out) {
    if (Py_TYPE(line) != type || at[dropped] < 0 || at[blank] < 0 || at[text] < 0) return 0;
    *dropped_out = slot_borrow(line, at[dropped]);
    *blank_out = slot_borrow(line, at[blank]);
    *text_out = slot_borrow(line, at[text]);
    return *dropped_out != NULL && *text_out != NULL && (*blank_out == Py_True || *blank_out == Py_False);
}

/* obj.<attribute k>: a new reference, or NULL with an exception set. */
static inline PyObject *slot_read(Slots *slots, PyObject *obj, int k) {
    PyTypeObject *type = Py_TYPE(obj);
    if (type != slots->type) {
        Py_INCREF(type);
        Py_XSETREF(slots->type, type);
        slot_offsets_of(type, slots->names, slots->n, 0, slots->offsets);
    }
    Py_ssize_t offset = slots->offsets[k];
    if (offset >= 0) {
        PyObject *value = slot_borrow(obj, offset);
        if (value != NULL) return Py_NewRef(value);
    }
    return PyObject_GetAttr(obj, slots->names[k]);
}

/* ---- the per-document calls' arguments (METH_FASTCALL) ----
 *
 * A call's arguments as PyArg_ParseTuple would read them, from the vector METH_FASTCALL hands
 * over: no tuple made for them, and no format string walked character by character (each of the
 * calls a document makes parsed its format: several hundred instructions, more than some of
 * their work). The format, one character an argument, '|' before the optional ones:
 *   'L' a list, 'D' a dict, 'T' a type, 'U' a str, 'S' a bytes, 'O' any object (each a PyObject **, borrowed),
 *   'p' a truth (int *), 'n' an index (Py_ssize_t *), 'y' a bytes-like object (Py_buffer *, for
 *   the caller to release; an optional one not given is left as it is).
 * 0, or -1 with the TypeError or OverflowError set and every buffer got so far released. */
static int fast_args_counted(const char *name, PyObject *const *args, Py_ssize_t nargs, const char *format,
                             Py_ssize_t least, Py_ssize_t most, ...) {
    if (nargs < least || nargs > most) {
        PyErr_Format(PyExc_TypeError, "%s() takes %s %zd argument%s (%zd given)", name,
                     least == most ? "exactly" : nargs < least ? "at least" : "at most", nargs < least ? least : most,
                     (nargs < least ? least : most) == 1 ? "" : "s", nargs);
        return -1;
    }
    Py_buffer *got[8];
    int buffers = 0, status = 0;
    va_list va;
    va_start(va, most);
    Py_ssize_t k = 0;
    for (const char *f = format; *f && k < nargs; f++) {
        if (*f == '|') continue;
        PyObject *arg = args[k++];
        const char *wanted = NULL;
        switch (*f) {
        case 'L':
        case 'D':
        case 'T':
        case 'U':
        case 'S':
        case 'O': {
            PyObject **out = va_arg(va, PyObject **);
            if (*f == 'L' && !PyList_Check(arg))
                wanted = "list";
            else if (*f == 'D' && !PyDict_Check(arg))
                wanted = "dict";
            else if (*f == 'T' && !PyType_Check(arg))
                wanted = "type";
            else if (*f == 'U' && !PyUnicode_Check(arg))
                wanted = "str";
            else if (*f == 'S' && !PyBytes_Check(arg))
                wanted = "bytes";
            else
                *out = arg;
            break;
        }
        case 'p': {
            int *out = va_arg(va, int *);
            /* (the calls pass a bool: PyObject_IsTrue's answer without the call) */
            int truth = arg == Py_True ? 1 : arg == Py_False ? 0 : PyObject_IsTrue(arg);
            if (truth < 0) status = -1;
            *out = truth;
            break;
        }
        case 'n': {
            Py_ssize_t *out = va_arg(va, Py_ssize_t *);
            /* An int read straight (PyNumber_AsSsize_t's __index__ is the int itself); one too large
             * for it goes the generic way, for PyNumber_AsSsize_t's own OverflowError. */
            Py_ssize_t value = -1;
            int read = 0;
            if (PyLong_CheckExact(arg)) {
                value = PyLong_AsSsize_t(arg);
                read = value != -1 || !PyErr_Occurred();
                if (!read) PyErr_Clear();
            }
            if (!read) {
                value = PyNumber_AsSsize_t(arg, PyExc_OverflowError);
                if (value == -1 && PyErr_Occurred()) status = -1;
            }
            *out = value;
            break;
        }
        case 'y': {
            Py_buffer *out = va_arg(va, Py_buffer *);
            if (PyUnicode_Check(arg)) {
                wanted = "bytes-like object";
            } else if (buffers == 8) {
                PyErr_SetString(PyExc_SystemError, "fast_args: too many buffers");
                status = -1;
            } else if (PyBytes_CheckExact(arg)) {
                /* what bytes' own getbuffer fills in (PyBuffer_FillInfo, read-only, simple),
                 * without the two calls down to it */
                *out = (Py_buffer){.buf = PyBytes_AS_STRING(arg), .obj = Py_NewRef(arg), .len = PyBytes_GET_SIZE(arg),
                                   .itemsize = 1, .readonly = 1, .ndim = 1};
                got[buffers++] = out;
            } else if (PyObject_GetBuffer(arg, out, PyBUF_SIMPLE) < 0) {
                status = -1;
            } else {
                got[buffers++] = out;
            }
            break;
        }
        default:
            PyErr_SetString(PyExc_SystemError, "fast_args: a bad format");
            status = -1;
        }
        if (wanted != NULL) {
            PyErr_Format(PyExc_TypeError, "%s() argument %zd must be %s, not %.50s", name, k, wanted,
                         Py_TYPE(arg)->tp_name);
            status = -1;
        }
        if (status < 0) break;
    }
    va_end(va);
    if (status < 0)
        while (buffers) PyBuffer_Release(got[--buffers]);
    return status;
}

/* fast_args(name, args, nargs, format, outputs...): the format a string literal, its counts of
 * arguments (all of them, and those before '|') are folded by the compiler, not counted at each
 * call. */
#define fast_args(name, args, nargs, format, ...)                                                              \
    fast_args_counted(name, args, nargs, format,                                                               \
                      strchr(format, '|') ? (Py_ssize_t)(strchr(format, '|') - (format)) : (Py_ssize_t)strlen(format), \
                      (Py_ssize_t)strlen(format) - (strchr(format, '|') != NULL), __VA_ARGS__)

#endif

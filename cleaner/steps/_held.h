/* Shared by _repair.c, _dedup.c and report/_diff.c: a list of texts taken for the length of a
 * call, and a Line's attributes read (and set) straight from their slots. */
#ifndef CLEANER_HELD_H
#define CLEANER_HELD_H

#include <Python.h>
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
        PyObject *value = *(PyObject **)((char *)obj + offset);
        if (value != NULL) return Py_NewRef(value);
    }
    return PyObject_GetAttr(obj, slots->names[k]);
}

#endif

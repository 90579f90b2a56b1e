/* The line classifier's tree walk and lexical score (model.py: Model._log_odds, Model.ngram_scores), in C.
 *
 * Both must give what the numpy code gives, to the bit (tests/test_native_trees.py compares them):
 * - Forest.leaves walks the complete trees model.py lays out (_complete) with the same test,
 *   `x > threshold` (NaN never goes right, an infinite threshold never holds), and writes each
 *   (line, tree) leaf value; the sum over the trees stays in numpy, whose order it is.
 * - lexical sums each line's n-gram weights in np.add.reduceat's order: the segment's first value
 *   plus numpy's pairwise sum of the rest (a block of up to 128 values in 8 accumulators, a longer
 *   one halved at a multiple of 8, fewer than 8 added one by one onto -0.0), then divides by the
 *   square root of the count and adds the bias, as numpy does in float64.
 * Plain C and the buffer protocol: no numpy headers (not a build dependency); built without any
 * flag that reorders or fuses floating-point operations.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "_pairwise.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* A buffer of 8-byte items of one kind: 'd' (float64) or 'n' (intp), C-contiguous, of ndim dimensions. */
static int
get_buffer(PyObject *obj, Py_buffer *view, char kind, int ndim, int writable, const char *name)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0)
        return -1;
    const char *format = view->format ? view->format : "B";
    if (format[0] == '@' || format[0] == '=' || (PY_LITTLE_ENDIAN && format[0] == '<'))
        format++;
    int ok;
    if (kind == 'd')
        ok = strcmp(format, "d") == 0 && view->itemsize == sizeof(double);
    else
        ok = (strcmp(format, "n") == 0 || strcmp(format, "l") == 0 || strcmp(format, "q") == 0) &&
             view->itemsize == sizeof(Py_ssize_t);
    if (!ok || view->ndim != ndim) {
        PyErr_Format(PyExc_TypeError, "%s: expected a C-contiguous %d-d array of %s", name, ndim,
                     kind == 'd' ? "float64" : "intp");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

#define LANES 8 /* lines walked abreast */

/* Trees walked abreast, and between two looks at the lines' bounds. A line's bound only rises from tree to tree (a
 * leaf's value replaces its tree's lowest), so looking more often settles the same lines a few trees sooner. */
#define BLOCK 8
#if BLOCK != 8
#error "walk_some's two running sums take a block's leaves four and four"
#endif

/* One slot of a complete tree: the test, and where its left child is (the right one is next). 16 bytes,
 * four to a cache line: the walk is bound by fetching the slots (the whole forest outgrows the caches).
 * The feature as a byte offset into a row; the slots counted in halves (8 bytes, a double's size), the left child's
 * and the walk's position alike, unsigned (read without a sign extension): a position addresses its slot as
 * nodes + 8 * position, a scale x86 addressing has, and a step makes its child with one lea (left + 2 * test), where
 * byte offsets took a shift and an add more (forest_new checks they fit). */
typedef struct {
    double threshold;
    uint32_t feature; /* its column * sizeof(double) */
    uint32_t left;    /* its slot * 2 */
} Node;

#define HALVES (sizeof(Node) / sizeof(double)) /* a slot's halves */

/* The walk's step from the slot at position `at` (in halves) of nodes, for a row: the position of the child it goes to
 * (the right one, next to the left, when the row's value is above the threshold; NaN never is). */
static inline size_t
step(const double *nodes, const char *row, size_t at)
{
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    /* A conditional move, which GCC does not make of the C below (it branches, and a walk's branches are coin
     * tosses): ucomisd sets "above" for x > threshold alone (an unordered compare, a NaN, clears it): the step
     * keeps the right child unless the compare is not "above" (cmovbe: x <= threshold, or unordered). The whole step in
     * one block, the slot's three reads addressed from nodes and at, the child made in at's own register: six
     * instructions (the slot's address as a C pointer, and a child in another register, cost a lea and a mov more);
     * the "m" operands of unknown size tell the compiler what it reads (the slots and the row), no clobber of all
     * memory. */
    size_t left, feature;
    double x;
    __asm__("movl %c[left_at](%[nodes],%[at],8), %k[left]\n\t"
            "movl %c[feature_at](%[nodes],%[at],8), %k[feature]\n\t"
            "movsd (%[row],%[feature]), %[x]\n\t"
            "ucomisd (%[nodes],%[at],8), %[x]\n\t"
            "lea %c[halves](%[left]), %[at]\n\t"
            "cmovbe %[left], %[at]"
            : [at] "+r"(at), [left] "=&r"(left), [feature] "=&r"(feature), [x] "=&x"(x)
            : [nodes] "r"(nodes), [row] "r"(row), [left_at] "i"(offsetof(Node, left)),
              [feature_at] "i"(offsetof(Node, feature)), [halves] "i"(HALVES), "m"(*(const char(*)[])nodes),
              "m"(*(const char(*)[])row)
            : "cc");
    return at;
#else
    const Node *node = (const Node *)(nodes + at);
    const double x = *(const double *)(row + node->feature);
    return (size_t)node->left + HALVES * (size_t)(x > node->threshold);
#endif
}

/* The leaf value at the slot of position `at` (values holds a double per slot): read at 4 bytes a half, a scale
 * x86 addressing has, where at / HALVES took a shift more. */
#define LEAF(values, at) (*(const double *)((const char *)(values) + (at) * (sizeof(double) / HALVES)))

/* What the trees from one place of the walk order on can add to a line's log-odds at the least and at the most: the sums
 * of their lowest and of their highest leaf values, side by side (odds_above reads both of a block's at once: one cache
 * line, not two). */
typedef struct {
    double floor, ceiling;
} Rest;

typedef struct {
    PyObject_HEAD
    Node *nodes;
    double *values;       /* a leaf value per slot (only the last level's are read) */
    Py_ssize_t *roots;    /* each tree's first slot */
    Py_ssize_t *span;     /* each tree's slots from its first: what prefetch_tree asks for (at most 256) */
    int apart;            /* the trees' slots lie apart, one tree after another in the walk order (see lay_out) */
    Py_ssize_t *order;    /* odds_above's walk order: the trees by the spread of their leaves, widest first */
    Rest *rest;           /* trees + 1: rest[j], what the trees from place j of order on add at the least and most */
    double reach;         /* the sum over the trees of their largest leaf magnitude: what bounds a sum's roundings */
    Py_ssize_t slots, trees, depth;
    Py_ssize_t width;     /* one more than the highest feature tested: a matrix needs as many columns */
    char *heap;           /* the trees again, heap-ordered for walk_some (see heap_build), or NULL; tree j of the walk
                           * order at heap_tree(heap, depth, j) */
    char *heap_alloc;     /* heap's allocation (heap is its first cache line's start) */
    char *room;           /* odds_above's space, kept from call to call (no Python code runs while it is used) */
    Py_ssize_t room_size; /* in bytes */
} Forest;

static void
forest_dealloc(Forest *self)
{
    PyMem_Free(self->nodes);
    PyMem_Free(self->values);
    PyMem_Free(self->roots);
    PyMem_Free(self->span);
    PyMem_Free(self->order);
    PyMem_Free(self->rest);
    PyMem_Free(self->room);
    PyMem_Free(self->heap_alloc);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A tree's lowest and highest leaf, for the walk order. */
typedef struct {
    double lowest, highest;
    Py_ssize_t tree;
} Spread;

/* qsort's order of Spreads: the wider spread first (a NaN one last), then the lower tree: one order for one forest. */
static int
wider_first(const void *a, const void *b)
{
    const Spread *x = a, *y = b;
    const double wide_x = x->highest - x->lowest, wide_y = y->highest - y->lowest;
    const int nan_x = wide_x != wide_x, nan_y = wide_y != wide_y;
    if (nan_x != nan_y)
        return nan_x - nan_y;
    if (!nan_x && wide_x != wide_y)
        return wide_x > wide_y ? -1 : 1;
    return (x->tree > y->tree) - (x->tree < y->tree);
}

/* The end of tree t's slots where the trees lie one after another (model.py's layout): the next one's first, or the
 * end of the slots. */
static inline Py_ssize_t
tree_end(const Py_ssize_t *offsets, Py_ssize_t trees, Py_ssize_t slots, Py_ssize_t t)
{
    return t + 1 < trees ? offsets[t + 1] : slots;
}

/* Each slot a walk of `depth` steps from slot root can be at, numbered as a heap: at[1] is root, at[2h] and at[2h + 1]
 * slot at[h]'s children (its left one, and the right one next to it), at[0] unused; the last level's 2^depth the
 * leaves. 2^(depth + 1) entries, to be freed (PyMem_Free); NULL, no exception set, where there is no memory for them
 * or the tree is too deep to list (more than 16 levels): the caller does without. */
static Py_ssize_t *
heap_slots(const Py_ssize_t *left, Py_ssize_t root, Py_ssize_t depth)
{
    Py_ssize_t *at = depth <= 16 ? PyMem_New(Py_ssize_t, (size_t)2 << depth) : NULL;
    if (at == NULL)
        return NULL;
    at[1] = root;
    for (Py_ssize_t h = 1; h < (Py_ssize_t)1 << depth; h++) {
        at[2 * h] = left[at[h]];
        at[2 * h + 1] = left[at[h]] + 1;
    }
    return at;
}

/* Whether each tree's walks stay among its own slots, [its first, the next tree's first): the trees' firsts in
 * increasing order (and not too deep to look: heap_slots'). A walk takes a left child always, a right one only where
 * the slot's test can hold (x > +inf never does, nor x > NaN): a slot only a right child of such a slot leads to is
 * not looked at (marked -1 - slot, as are those below it). */
static int
trees_apart(const Py_ssize_t *left, const double *threshold, const Py_ssize_t *offsets, Py_ssize_t trees,
            Py_ssize_t slots, Py_ssize_t depth)
{
    const Py_ssize_t size = (Py_ssize_t)2 << (depth < 16 ? depth : 16);
    int apart = trees > 0;
    for (Py_ssize_t t = 0; apart && t < trees; t++) {
        Py_ssize_t *at = heap_slots(left, offsets[t], depth);
        const Py_ssize_t first = offsets[t], end = tree_end(offsets, trees, slots, t);
        apart = at != NULL && first < end;
        for (Py_ssize_t h = 2; apart && h < size; h++)
            if (at[h / 2] < 0 || (h % 2 && !(threshold[at[h / 2]] < Py_HUGE_VAL)))
                at[h] = -1 - at[h];
        for (Py_ssize_t h = 1; apart && h < size; h++)
            apart = at[h] < 0 || (at[h] >= first && at[h] < end);
        PyMem_Free(at);
    }
    return apart;
}

/* The forest's slots from the arrays Forest was given. Where the trees lie apart (trees_apart: model.py's layout),
 * they are laid one after another in the walk order, each child moved with its tree (the same walks reach the same
 * leaves), and the slots no walk reaches left idle at the end: a block of the walk is then one stretch of memory,
 * fetched ahead in one pass (prefetch_trees). Otherwise they are copied as they are. */
static void
lay_out(Forest *self, const Py_ssize_t *feature, const double *threshold, const Py_ssize_t *left, const double *value,
        const Py_ssize_t *offsets)
{
    const Py_ssize_t slots = self->slots, trees = self->trees;
    self->apart = trees_apart(left, threshold, offsets, trees, slots, self->depth);
    Py_ssize_t place = 0;
    for (Py_ssize_t j = 0; j < trees; j++) {
        const Py_ssize_t t = self->apart ? self->order[j] : j, first = offsets[t];
        const Py_ssize_t end = tree_end(offsets, trees, slots, t);
        /* (its span: the slots up to the next tree's first, or to the end when that is not after it) */
        self->roots[t] = self->apart ? place : first;
        self->span[t] = end > first ? end - first : slots - first;
        if (self->apart)
            place += end - first;
    }
    for (Py_ssize_t i = 0; i < slots; i++) { /* (as they are; or the idle slots past the trees laid out) */
        self->nodes[i].threshold = self->apart ? Py_HUGE_VAL : threshold[i];
        self->nodes[i].feature = self->apart ? 0 : (uint32_t)(feature[i] * (Py_ssize_t)sizeof(double));
        self->nodes[i].left = self->apart ? 0 : (uint32_t)(left[i] * (Py_ssize_t)HALVES);
        self->values[i] = self->apart ? 0.0 : value[i];
    }
    for (Py_ssize_t t = 0; self->apart && t < trees; t++) {
        const Py_ssize_t first = offsets[t], moved = self->roots[t] - first;
        for (Py_ssize_t i = first; i < first + self->span[t]; i++) {
            self->nodes[i + moved].threshold = threshold[i];
            self->nodes[i + moved].feature = (uint32_t)(feature[i] * (Py_ssize_t)sizeof(double));
            /* (a slot no walk reaches may point anywhere: it points at the first two slots, which are there) */
            const int inside = left[i] >= first && left[i] < first + self->span[t];
            self->nodes[i + moved].left = inside ? (uint32_t)((left[i] + moved) * (Py_ssize_t)HALVES) : 0;
            self->values[i + moved] = value[i];
        }
    }
}

/* The heap layout odds_above walks (where the trees are at most HEAP_DEPTH deep and test fewer than 257 columns): each
 * tree, in the walk order, as a complete binary tree numbered from 1, mirrored (slot h's right child is 2h, its left
 * one 2h + 1), in two arrays at one address: the thresholds, a double a slot from it (the last level's slots hold the
 * leaf values instead), and the columns tested, a byte a slot heap_feats(depth) bytes before it. A step is then four
 * instructions (heap_step), the child made from the flag of one compare (h + h + carry), no child read: `left`'s 6 took
 * two loads and a conditional move more. The compare is x < threshold', its carry also set where they are unordered (a
 * NaN), which goes left: x > threshold does not hold just where x < threshold' or either is NaN, for threshold' the
 * next double above threshold (heap_threshold), or NaN for a threshold that never holds (+inf, NaN). A NaN in a row is
 * read as it is (the rows walked are the matrix's, no copy with -inf for NaN). The trees lie heap_stride(depth) bytes
 * apart, a constant of the depth: walk_heap_group's unrolled walks address a block's eight trees from one register
 * (each at its own constant displacement), so that eight walks' slots and the row fit in the registers. The trees are
 * padded to a whole number of blocks with trees of 0.0 leaves (walked like the others, they add nothing to a bound). */
#define HEAP_DEPTH 8

/* A threshold as the heap layout keeps it (above): the next double above it, or NaN where x > threshold never holds. */
static inline double
heap_threshold(double threshold)
{
    return threshold < Py_HUGE_VAL ? nextafter(threshold, Py_HUGE_VAL) : Py_NAN;
}

/* Whether the heap layout's compares answer as x > threshold does here: not where the SSE unit reads denormals as zero
 * (MXCSR's DAZ bit, set by code built with -ffast-math that shares the process), for heap_threshold(0.0) is the least
 * denormal, read then as 0.0 itself. The slots' walk compares with the thresholds as they are, as numpy does. */
static inline int
heap_usable(void)
{
#ifdef __SSE2__
    return !(_mm_getcsr() & 0x40);
#else
    return 1;
#endif
}

/* The bytes of a tree's columns in the heap layout (a byte for each of its 2^depth inner slots and the idle slot 0),
 * a whole cache line at the least: the thresholds after them start on one. */
static inline Py_ssize_t
heap_feats(Py_ssize_t depth)
{
    return depth < 6 ? 64 : (Py_ssize_t)1 << depth;
}

/* The bytes from one tree to the next in the heap layout: its columns, and its 2^(depth + 1) slots' doubles. */
static inline Py_ssize_t
heap_stride(Py_ssize_t depth)
{
    return heap_feats(depth) + ((Py_ssize_t)sizeof(double) << (depth + 1));
}

/* Tree j of the walk order in the heap layout: its thresholds' start. */
static inline const char *
heap_tree(const char *heap, Py_ssize_t depth, Py_ssize_t j)
{
    return heap + j * heap_stride(depth) + heap_feats(depth);
}

/* The trees in the heap layout, in the walk order: 0, or -1 with an exception set (no memory). None (heap NULL) where
 * they are too deep or test too many columns for it: walk_some walks the slots then. */
static int
heap_build(Forest *self, const Py_ssize_t *feature, const double *threshold, const Py_ssize_t *left,
           const double *value, const Py_ssize_t *offsets)
{
    const Py_ssize_t depth = self->depth, trees = self->trees;
    self->heap = self->heap_alloc = NULL;
    if (depth > HEAP_DEPTH || self->width > 256 || trees == 0)
        return 0;
    const Py_ssize_t size = (Py_ssize_t)2 << depth; /* slots 1 to size - 1 (0 idle) */
    const Py_ssize_t blocks = (trees + BLOCK - 1) / BLOCK; /* (the padding trees: zeroed, their leaves 0.0) */
    if ((self->heap_alloc = PyMem_Calloc((size_t)(blocks * BLOCK * heap_stride(depth) + 64), 1)) == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->heap = (char *)(((uintptr_t)self->heap_alloc + 63) & ~(uintptr_t)63);
    for (Py_ssize_t j = 0; j < trees; j++) {
        char *tree = (char *)heap_tree(self->heap, depth, j);
        uint8_t *feats = (uint8_t *)tree - heap_feats(depth);
        double *slots = (double *)tree;
        Py_ssize_t *from = heap_slots(left, offsets[self->order[j]], depth); /* each heap slot's in the arrays given */
        if (from == NULL) {
            PyMem_Free(self->heap_alloc);
            self->heap = self->heap_alloc = NULL;
            PyErr_NoMemory();
            return -1;
        }
        /* (heap_slots numbers a tree unmirrored: the slot h of level L, 2^L <= h < 2^(L + 1), is mirrored as h with
         * its L bits below the first flipped) */
        for (Py_ssize_t h = 1, level = 1; h < size; h++) {
            level = h == 2 * level ? h : level;
            const Py_ssize_t mirrored = h ^ (level - 1);
            if (h >= size / 2) { /* the last level: the leaf */
                slots[mirrored] = value[from[h]];
                continue;
            }
            feats[mirrored] = (uint8_t)feature[from[h]];
            slots[mirrored] = heap_threshold(threshold[from[h]]);
        }
        PyMem_Free(from);
    }
    return 0;
}

/* Forest(feature, threshold, left, value, offsets, depth): copies the arrays (lay_out), after checking that no walk
 * of `depth` steps from a root can leave them (so leaves() needs no bounds checks but the matrix width). */
static PyObject *
forest_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"feature", "threshold", "left", "value", "offsets", "depth", NULL};
    PyObject *objs[5];
    Py_ssize_t depth;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOn:Forest", keywords, &objs[0], &objs[1], &objs[2],
                                     &objs[3], &objs[4], &depth))
        return NULL;
    static const char kinds[] = "ndndn";
    static const char *names[] = {"feature", "threshold", "left", "value", "offsets"};
    Py_buffer views[5];
    int got = 0;
    Forest *self = NULL;
    for (; got < 5; got++)
        if (get_buffer(objs[got], &views[got], kinds[got], 1, 0, names[got]) < 0)
            goto done;
    const Py_ssize_t *feature = views[0].buf, *left = views[2].buf, *offsets = views[4].buf;
    const double *threshold = views[1].buf, *value = views[3].buf;
    Py_ssize_t slots = views[0].shape[0], trees = views[4].shape[0];
    if (slots > INT32_MAX / (Py_ssize_t)HALVES) { /* (positions in halves in 32 bits) */
        PyErr_SetString(PyExc_ValueError, "too many slots");
        goto done;
    }
    if (views[1].shape[0] != slots || views[2].shape[0] != slots || views[3].shape[0] != slots) {
        PyErr_SetString(PyExc_ValueError, "feature, threshold, left and value differ in length");
        goto done;
    }
    if (depth < 0 || depth > 30) { /* a complete tree deeper than 30 levels outgrows the 32-bit slot numbers */
        PyErr_SetString(PyExc_ValueError, "depth out of range");
        goto done;
    }
    Py_ssize_t width = 0;
    for (Py_ssize_t i = 0; i < slots; i++) {
        if (feature[i] < 0 || feature[i] > INT32_MAX / (Py_ssize_t)sizeof(double) ||
            (depth > 0 && (left[i] < 0 || left[i] > slots - 2))) {
            PyErr_Format(PyExc_ValueError, "slot %zd: a feature or child out of range", i);
            goto done;
        }
        if (feature[i] >= width)
            width = feature[i] + 1;
    }
    for (Py_ssize_t t = 0; t < trees; t++)
        if (offsets[t] < 0 || offsets[t] >= slots) {
            PyErr_Format(PyExc_ValueError, "tree %zd: its first slot is out of range", t);
            goto done;
        }
    self = (Forest *)type->tp_alloc(type, 0);
    if (self == NULL)
        goto done;
    self->nodes = PyMem_New(Node, slots ? slots : 1);
    self->values = PyMem_New(double, slots ? slots : 1);
    self->roots = PyMem_New(Py_ssize_t, trees ? trees : 1);
    self->rest = PyMem_New(Rest, trees + 1);
    self->span = PyMem_New(Py_ssize_t, trees ? trees : 1);
    self->order = PyMem_New(Py_ssize_t, trees ? trees : 1);
    Spread *spread = PyMem_New(Spread, trees ? trees : 1);
    if (!self->nodes || !self->values || !self->roots || !self->span || !self->order || !self->rest || !spread) {
        PyMem_Free(spread);
        Py_CLEAR(self);
        PyErr_NoMemory();
        goto done;
    }
    self->slots = slots;
    self->trees = trees;
    self->depth = depth;
    self->width = width;
    /* each tree's lowest and highest leaf: the lowest and highest value a walk of `depth` steps from its root can
     * reach (a NaN one makes both NaN, and no bound holds) */
    self->reach = 0.0;
    for (Py_ssize_t t = 0; t < trees; t++) {
        double lowest = Py_HUGE_VAL, highest = -Py_HUGE_VAL;
        Py_ssize_t *at = heap_slots(left, offsets[t], depth);
        if (at == NULL) /* no bound (too deep, or no memory for it): NaN */
            lowest = highest = Py_NAN;
        else {
            for (Py_ssize_t h = (Py_ssize_t)1 << depth; h < (Py_ssize_t)2 << depth; h++) { /* the leaves */
                double v = value[at[h]];
                if (v != v || lowest != lowest)
                    lowest = highest = Py_NAN;
                else {
                    if (v < lowest)
                        lowest = v;
                    if (v > highest)
                        highest = v;
                }
            }
            PyMem_Free(at);
        }
        spread[t] = (Spread){lowest, highest, t};
        self->reach += fabs(lowest) > fabs(highest) ? fabs(lowest) : fabs(highest); /* (NaN: NaN) */
    }
    /* The walk order: a line settles once the leaves it has reached, against the lowest (or highest) of the trees left,
     * pass a bound, so the trees whose leaves differ most are the ones to have walked first (their lowest and highest
     * leaves are what the bound assumes of the trees left). Fixed by the model alone: the same forest walks in the
     * same order. (On the bench corpus, lines walk 2% fewer trees than in the model's order, real pages 2%.) */
    if (trees)
        qsort(spread, (size_t)trees, sizeof(Spread), wider_first);
    self->rest[trees].floor = self->rest[trees].ceiling = 0.0;
    for (Py_ssize_t j = trees - 1; j >= 0; j--) {
        self->order[j] = spread[j].tree;
        self->rest[j].floor = self->rest[j + 1].floor + spread[j].lowest;
        self->rest[j].ceiling = self->rest[j + 1].ceiling + spread[j].highest;
    }
    PyMem_Free(spread);
    lay_out(self, feature, threshold, left, value, offsets);
    if (heap_build(self, feature, threshold, left, value, offsets) < 0)
        Py_CLEAR(self);
done:
    while (got-- > 0)
        PyBuffer_Release(&views[got]);
    return (PyObject *)self;
}

/* Asks for the slots of trees ahead of their walks (they are far apart in memory, and fetching them is what the walk
 * waits on when the forest has left the caches): slots [first, end) and their values. (Unrolled: a prefetch is one
 * instruction, the loop's count and test were three more.) */
static inline void
prefetch_slots(const Forest *self, Py_ssize_t first, Py_ssize_t end)
{
#if defined(__GNUC__)
#pragma GCC unroll 8
    for (Py_ssize_t k = first; k < end; k += 4)
        __builtin_prefetch(&self->nodes[k]);
#pragma GCC unroll 8
    for (Py_ssize_t k = first; k < end; k += 8)
        __builtin_prefetch(&self->values[k]);
#else
    (void)self, (void)first, (void)end;
#endif
}

/* prefetch_slots of tree t: its slots (span's), at most 256. */
static inline void
prefetch_tree(const Forest *self, Py_ssize_t t)
{
    const Py_ssize_t first = self->roots[t];
    prefetch_slots(self, first, first + (self->span[t] < 256 ? self->span[t] : 256));
}

/* prefetch_slots of the trees at places [j0, j1) of the walk order: one pass where they lie one after another in it
 * (apart), at most 256 slots a tree, else tree by tree. */
static inline void
prefetch_trees(const Forest *self, Py_ssize_t j0, Py_ssize_t j1)
{
    if (self->apart) {
        const Py_ssize_t first = self->roots[self->order[j0]], last = self->order[j1 - 1];
        const Py_ssize_t end = self->roots[last] + self->span[last];
        prefetch_slots(self, first, end - first > 256 * (j1 - j0) ? first + 256 * (j1 - j0) : end);
        return;
    }
    for (Py_ssize_t j = j0; j < j1; j++)
        prefetch_tree(self, self->order[j]);
}

/* Each (line, tree) leaf value into leaves (n, trees), line-major; rows (n, width) with width >= self->width. */
static void
walk(const Forest *self, const double *rows, Py_ssize_t n, Py_ssize_t width, double *leaves)
{
    const double *nodes = (const double *)self->nodes;
    const double *values = self->values;
    const Py_ssize_t depth = self->depth, trees = self->trees;
    /* The (tree, line) walks in tree-major order (one tree's slots stay in the first-level cache while the
     * lines walk it), LANES at a time: a step waits on two loads, so independent walks side by side keep
     * the processor busy. The last few walks go one by one. */
    Py_ssize_t t = 0, i = 0;
    const Py_ssize_t walks = n * trees;
    for (Py_ssize_t ahead = 0; ahead < 2 && ahead < trees; ahead++)
        prefetch_tree(self, ahead);
    for (Py_ssize_t w = 0; w + LANES <= walks; w += LANES) {
        Py_ssize_t at[LANES];
        size_t slot[LANES];
        const char *row[LANES];
        for (int k = 0; k < LANES; k++) {
            slot[k] = (size_t)self->roots[t] * HALVES;
            row[k] = (const char *)(rows + i * width);
            at[k] = i * trees + t;
            if (++i == n) {
                i = 0;
                t++;
                if (t + 2 < trees)
                    prefetch_tree(self, t + 2);
            }
        }
        for (Py_ssize_t d = 0; d < depth; d++) {
#pragma GCC unroll 8
            for (int k = 0; k < LANES; k++)
                slot[k] = step(nodes, row[k], slot[k]);
        }
        for (int k = 0; k < LANES; k++)
            leaves[at[k]] = LEAF(values, slot[k]);
    }
    for (; t < trees; t++, i = 0) {
        for (; i < n; i++) {
            const char *row = (const char *)(rows + i * width);
            size_t slot = (size_t)self->roots[t] * HALVES;
            for (Py_ssize_t d = 0; d < depth; d++)
                slot = step(nodes, row, slot);
            leaves[i * trees + t] = LEAF(values, slot);
        }
    }
}

/* The matrix's and out's buffers, checked against the forest: 0, or -1 with an exception set (both released). */
static int
walk_buffers(Forest *self, PyObject *matrix_obj, PyObject *out_obj, Py_buffer *matrix, Py_buffer *out, int out_ndim)
{
    if (get_buffer(matrix_obj, matrix, 'd', 2, 0, "matrix") < 0)
        return -1;
    if (get_buffer(out_obj, out, 'd', out_ndim, 1, "out") < 0) {
        PyBuffer_Release(matrix);
        return -1;
    }
    Py_ssize_t n = matrix->shape[0], width = matrix->shape[1], trees = self->trees;
    if (out->shape[0] != n || (out_ndim == 2 && out->shape[1] != trees)) {
        PyErr_SetString(PyExc_ValueError,
                        out_ndim == 2 ? "out: expected one row a line and one column a tree" : "out: expected one value a line");
        goto fail;
    }
    if (n > 0 && trees > 0 && width < self->width) {
        PyErr_Format(PyExc_ValueError, "matrix: %zd columns, the trees test column %zd", width, self->width - 1);
        goto fail;
    }
    return 0;
fail:
    PyBuffer_Release(matrix);
    PyBuffer_Release(out);
    return -1;
}

/* leaves(matrix, out): out[i, t] = the value of the leaf line i reaches in tree t; matrix is (n, width)
 * float64, out (n, trees) float64, both C-contiguous. */
static PyObject *
forest_leaves(Forest *self, PyObject *args)
{
    PyObject *matrix_obj, *out_obj;
    if (!PyArg_ParseTuple(args, "OO:leaves", &matrix_obj, &out_obj))
        return NULL;
    Py_buffer matrix, out;
    if (walk_buffers(self, matrix_obj, out_obj, &matrix, &out, 2) < 0)
        return NULL;
    walk(self, matrix.buf, matrix.shape[0], matrix.shape[1], out.buf);
    PyBuffer_Release(&matrix);
    PyBuffer_Release(&out);
    Py_RETURN_NONE;
}

/* A line's log-odds from its leaf values in the model's order (trees of them; leaves is not read when there are none):
 * np.add.reduce's sum of them, which starts from add's identity, -0.0, and adds the row's pairwise sum onto it, plus
 * baseline (model.Model._log_odds). */
static inline double
line_odds(const double *leaves, Py_ssize_t trees, double baseline)
{
    return (-0.0 + (trees ? pairwise_sum(leaves, trees) : -0.0)) + baseline;
}

/* The lower of lowest and a line's log-odds x, NaN once either is. */
static inline double
lower(double lowest, double x)
{
    if (x >= lowest)
        return lowest;
    return x != x || lowest != lowest ? Py_NAN : x;
}

/* odds(matrix, baseline, out) -> float: out[i] = the sum of line i's leaf values in numpy's order for
 * np.add.reduce(leaves, axis=1) (its pairwise sum of the row), plus baseline (model.Model._log_odds); returns
 * the lowest of them (NaN if one is NaN; +inf without lines). */
static PyObject *
forest_odds(Forest *self, PyObject *args)
{
    PyObject *matrix_obj, *out_obj;
    double baseline;
    if (!PyArg_ParseTuple(args, "OdO:odds", &matrix_obj, &baseline, &out_obj))
        return NULL;
    Py_buffer matrix, out;
    if (walk_buffers(self, matrix_obj, out_obj, &matrix, &out, 1) < 0)
        return NULL;
    const Py_ssize_t n = matrix.shape[0], trees = self->trees;
    double lowest = Py_HUGE_VAL;
    double *leaves = NULL;
    if (n && trees && (n > PY_SSIZE_T_MAX / trees || (leaves = PyMem_New(double, n * trees)) == NULL)) {
        PyBuffer_Release(&matrix);
        PyBuffer_Release(&out);
        return PyErr_NoMemory();
    }
    if (leaves != NULL)
        walk(self, matrix.buf, n, matrix.shape[1], leaves);
    double *odds = out.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        odds[i] = line_odds(trees ? leaves + i * trees : NULL, trees, baseline);
        lowest = lower(lowest, odds[i]);
    }
    PyMem_Free(leaves);
    PyBuffer_Release(&matrix);
    PyBuffer_Release(&out);
    return PyFloat_FromDouble(lowest);
}

/* A block's leaves (BLOCK of them, in the walk order) onto a line's two running sums (16-byte aligned): the even places'
 * and the odd ones', two at a time with SSE2; the same additions without. */
static inline void
add_block(double *sums, const double *leaf)
{
#if defined(__SSE2__)
    const __m128d block = _mm_add_pd(_mm_add_pd(_mm_loadu_pd(leaf), _mm_loadu_pd(leaf + 2)),
                                     _mm_add_pd(_mm_loadu_pd(leaf + 4), _mm_loadu_pd(leaf + 6)));
    _mm_store_pd(sums, _mm_add_pd(_mm_load_pd(sums), block));
#else
    for (int k = 0; k < 2; k++)
        sums[k] += (leaf[k] + leaf[k + 2]) + (leaf[k + 4] + leaf[k + 6]);
#endif
}

/* The heap walk's step from slot h of a tree (its thresholds at `tree`, its columns `feats` bytes before), for a row:
 * the child it goes to, h + h, plus one where the tested value of the row is not above the threshold (heap_threshold's
 * compare). The slot's column is read in C, so that a tree at a constant distance from another's address is read at a
 * displacement from that address's register (walk_heap_group). */
static inline size_t
heap_step(const char *tree, Py_ssize_t feats, const char *row, size_t h)
{
    const size_t feature = ((const uint8_t *)tree - feats)[h];
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    /* ucomisd sets the carry for x < threshold' and for unordered, quietly (a NaN threshold is common: comisd would set
     * the invalid-operation flag): adc makes the child of it, h + h + carry. The row's
     * value addressed in the block from the row's register (an "m" operand let the compiler fold the row's offset into
     * the column, an add a step more); the "m" operands of unknown size tell it what is read. */
    double x;
    __asm__("movsd (%[row],%[feature],8), %[x]\n\t"
            "ucomisd %[threshold], %[x]\n\t"
            "adc %[h], %[h]"
            : [h] "+r"(h), [x] "=&x"(x)
            : [threshold] "m"(((const double *)tree)[h]), [row] "r"(row), [feature] "r"(feature),
              "m"(*(const char(*)[])row)
            : "cc");
    return h;
#else
    return h + h + (size_t)!isgreaterequal(((const double *)row)[feature], ((const double *)tree)[h]);
#endif
}

/* Trees walked in the heap layout line by line before the next line (a group: a multiple of BLOCK). A line's row is read
 * again for each group, from the second-level cache where the document's rows outgrow the first (a group of BLOCK trees
 * had them read 19 times a line); the group's trees, 43 KB at depth 6, stay in the first while the rows pass. The next
 * group is not asked for ahead: its trees would push the group walked out of the first-level cache. */
#define GROUP (5 * BLOCK)

/* What a line's running sum must pass after a block to settle (odds_above's tests): above high (+inf), below low (-inf);
 * neither looked at unless `look`. */
typedef struct {
    double high, low;
    int look;
} Bound;

/* Whether a line whose leaves so far come to `reached` settles: above high (*odds +inf) or below low (*odds -inf). */
static inline int
settles(double reached, double high, double low, double *odds)
{
    if (reached > high)
        *odds = Py_HUGE_VAL;
    else if (reached < low)
        *odds = -Py_HUGE_VAL;
    else
        return 0;
    return 1;
}

/* The trees of a group in the heap layout (its blocks of BLOCK trees from `first`, tree k of a block at first + k *
 * heap_stride, blocks[b] the bounds after block b) for the lines in active: each line's leaves onto its running sums
 * (the even places' and the odd ones'), block by block, until the line settles (odds[i] +inf or -inf) or the group ends;
 * the lines not settled stay in active, in order: how many. `levels`, where it is a constant (odds_above's cases), is
 * the depth the walks take, their steps unrolled whole (the trees are complete: a walk of depth d is d steps, no test
 * between them; the loop's count, compare and branch were 3 instructions a level), and the trees' distance a constant
 * too: a block's eight walks address their slots from one register, each at its displacement, and with the row and the
 * eight positions all stay in registers (four and four, with a register each for the trees, took some 30 instructions
 * more a line: the trees' addresses and positions moved through the stack). 0 walks `depth` steps in a loop. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((always_inline))
#endif
static inline Py_ssize_t
walk_heap_group(const char *first, const Bound *blocks, int count, const double *rows, Py_ssize_t width,
                Py_ssize_t *active, Py_ssize_t na, Py_ssize_t depth, Py_ssize_t levels, double *partial, double *odds)
{
    const Py_ssize_t steps = levels ? levels : depth, feats = heap_feats(steps), stride = heap_stride(steps);
    Py_ssize_t kept = 0;
    for (Py_ssize_t a = 0; a < na; a++) {
        const Py_ssize_t i = active[a];
        const char *row = (const char *)(rows + i * width);
        double sums[2] = {partial[2 * i], partial[2 * i + 1]};
        for (int b = 0; b < count; b++) {
            const char *block = first + b * BLOCK * stride;
            size_t h[BLOCK];
#pragma GCC unroll 8
            for (int k = 0; k < BLOCK; k++)
                h[k] = 1;
#pragma GCC unroll 16
            for (Py_ssize_t d = 0; d < steps; d++) {
#pragma GCC unroll 8
                for (int k = 0; k < BLOCK; k++)
                    h[k] = heap_step(block + k * stride, feats, row, h[k]);
            }
#pragma GCC unroll 8
            for (int k = 0; k < BLOCK; k++)
                sums[k % 2] += ((const double *)(block + k * stride))[h[k]];
            if (blocks[b].look && settles(sums[0] + sums[1], blocks[b].high, blocks[b].low, &odds[i]))
                goto settled;
        }
        partial[2 * i] = sums[0];
        partial[2 * i + 1] = sums[1];
        active[kept++] = i;
    settled:;
    }
    return kept;
}

/* The leaf values of the trees at places [j0, j1) of the walk order for the lines in active (na of them), added to their
 * running sums partial[2 * i] and [2 * i + 1] (the even places' and the odd ones': the bound's, which any order of
 * additions will do); partial 16-byte aligned. In the slots, for a forest without the heap layout (walk_heap_group walks
 * that). Line by line, a block's trees walked abreast (a step waits on two loads:
 * independent walks side by side keep the processor busy; with one row for all of them, the walks' slots stay in
 * registers); a shorter block (the last) one tree at a time. The block's trees are in the first-level cache after the
 * first line; the next block's are asked for ahead. */
static void
walk_some(const Forest *self, const double *rows, Py_ssize_t width, const Py_ssize_t *active, Py_ssize_t na,
          Py_ssize_t j0, Py_ssize_t j1, double *partial)
{
    const double *nodes = (const double *)self->nodes;
    const double *values = self->values;
    const Py_ssize_t depth = self->depth, trees = self->trees;
    if (j0 == 0)
        prefetch_trees(self, j0, j1);
    if (j1 < trees)
        prefetch_trees(self, j1, j1 + BLOCK < trees ? j1 + BLOCK : trees);
    if (j1 - j0 == BLOCK) {
        size_t root[BLOCK];
        for (int k = 0; k < BLOCK; k++)
            root[k] = (size_t)self->roots[self->order[j0 + k]] * HALVES;
        for (Py_ssize_t a = 0; a < na; a++) {
            const Py_ssize_t i = active[a];
            const char *row = (const char *)(rows + i * width);
            size_t slot[BLOCK];
            for (int k = 0; k < BLOCK; k++)
                slot[k] = root[k];
            for (Py_ssize_t d = 0; d < depth; d++) {
#pragma GCC unroll 8
                for (int k = 0; k < BLOCK; k++)
                    slot[k] = step(nodes, row, slot[k]);
            }
            double leaf[BLOCK];
#pragma GCC unroll 8
            for (int k = 0; k < BLOCK; k++)
                leaf[k] = LEAF(values, slot[k]);
            add_block(partial + 2 * i, leaf);
        }
        return;
    }
    for (Py_ssize_t a = 0; a < na; a++) { /* a shorter block (the last): one walk at a time */
        const Py_ssize_t i = active[a];
        const char *row = (const char *)(rows + i * width);
        for (Py_ssize_t j = j0; j < j1; j++) {
            size_t slot = (size_t)self->roots[self->order[j]] * HALVES;
            for (Py_ssize_t d = 0; d < depth; d++)
                slot = step(nodes, row, slot);
            partial[2 * i] += LEAF(values, slot);
        }
    }
}

/* The lines of active (na of them) whose leaves so far (partial's two sums) come to more than high settle above (out
 * +inf), those that come to less than low below (out -inf): the others stay in active, in order; how many. */
static inline Py_ssize_t
settle(Py_ssize_t *active, Py_ssize_t na, const double *partial, double *odds, double high, double low)
{
    Py_ssize_t kept = 0;
    for (Py_ssize_t a = 0; a < na; a++) {
        const Py_ssize_t i = active[a];
        if (!settles(partial[2 * i] + partial[2 * i + 1], high, low, &odds[i]))
            active[kept++] = i;
    }
    return kept;
}

/* What the leaves a line has reached after the trees before place j1 of the walk order must come to for it to settle,
 * the same for every line: more than high (with the lowest leaves left and baseline, above cut + margin), less than low
 * (with the highest leaves left and baseline, below `below`). No line's leaves so far come to less than the lowest
 * leaves of the trees walked (rest[0].floor - rest[j1].floor), nor to more than their highest: before the last tree, a
 * bound past them is not looked at (low -inf, or neither: look 0), and no line is looked at in a block where neither
 * can be passed (the first blocks, as a rule: the trees left can still add much either way). */
static inline Bound
block_bound(const Forest *self, Py_ssize_t j1, double cut, double below, double baseline, double margin)
{
    const Rest rest = self->rest[j1];
    const double high = cut + margin - baseline - rest.floor, low = below - baseline - rest.ceiling;
    if (j1 == self->trees || low > self->rest[0].floor - rest.floor - margin)
        return (Bound){high, low, 1};
    if (high < self->rest[0].ceiling - rest.ceiling + margin)
        return (Bound){high, -Py_HUGE_VAL, 1};
    return (Bound){high, low, 0};
}

#define ROOM_KEPT ((Py_ssize_t)1 << 18) /* bytes of odds_above's space a forest keeps after a call: 10,000 lines' */

/* The space odds_above needs for n lines (a line's two running sums and its place in the list of lines walked) and for
 * one line's leaves, from the forest's own, grown as needed, 16-byte aligned: NULL with an exception set when none is
 * left. */
static double *
forest_room(Forest *self, Py_ssize_t n)
{
    const Py_ssize_t per_line = 2 * (Py_ssize_t)sizeof(double) + (Py_ssize_t)sizeof(Py_ssize_t);
    const Py_ssize_t fixed = self->trees * (Py_ssize_t)sizeof(double) + 16;
    if (n > (PY_SSIZE_T_MAX - fixed) / per_line) {
        PyErr_NoMemory();
        return NULL;
    }
    if (n * per_line + fixed > self->room_size) {
        Py_ssize_t size = n * per_line + fixed;
        if (self->room_size <= PY_SSIZE_T_MAX / 2 && size < 2 * self->room_size)
            size = 2 * self->room_size;
        PyMem_Free(self->room);
        self->room_size = 0;
        if ((self->room = PyMem_Malloc(size)) == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        self->room_size = size;
    }
    return (double *)(((uintptr_t)self->room + 15) & ~(uintptr_t)15);
}

/* How far past a bound (cut or floor) a line's sum must be to settle: 1e-6 * (1 + |bound| + |baseline| + reach), wider
 * than every rounding of any order of the sum (odds_above's argument below). */
static inline double
settle_margin(const Forest *self, double bound, double baseline)
{
    return 1e-6 * (1.0 + fabs(bound) + fabs(baseline) + self->reach);
}

/* A METH_FASTCALL argument read as PyArg_ParseTuple's 'd' reads it (PyFloat_AsDouble: its TypeError for what is no real
 * number): 0, or -1 with the exception set. */
static inline int
as_double(PyObject *arg, double *value)
{
    *value = PyFloat_AsDouble(arg);
    return *value == -1.0 && PyErr_Occurred() ? -1 : 0;
}

/* odds_above(matrix, baseline, cut, out[, floor]) -> float: odds(matrix, baseline, out), less the lines whose log-odds
 * are surely above cut or surely below floor (-inf by default: none is): their out is +inf (above) or -inf (below). A
 * caller that only compares a line's log-odds with cut and floor (steps/classify.py) loses nothing; the others' out is
 * odds' to the bit. Returns the lowest out (NaN if one is NaN): -inf when a line settled below (unless one is NaN),
 * +inf when every line settled above.
 *
 * Which side a line is on does not depend on the order its leaves are added in (but for roundings), so the trees are
 * walked in the forest's walk order (order: the widest spread of leaves first, which tightens the bounds soonest), a
 * block at a time, each line keeping a plain running sum of its leaves. A line settles above once that sum, plus the
 * lowest leaf of each tree left, plus baseline, is more than cut by a margin; below once it, plus the highest leaf of
 * each tree left, plus baseline, is less than floor by a margin; and its walk stops there. After the last tree a line
 * settles on the same tests (no tree is left), so only a line within a margin of the band [floor, cut] is left: it is
 * walked again, in the model's order, and summed as numpy sums (odds'). On the bench corpus and the real pages about
 * one line in 80,000 is.
 *
 * Why the margins are safe: each of the sums compared (the running sum, the trees' lowest or highest leaves, numpy's
 * pairwise sum of the leaves) adds at most as many terms as there are trees, each at most the largest leaf magnitude
 * of its tree, so each is within trees * 2^-53 * reach of the exact sum (reach: the sum of those magnitudes); moving
 * baseline and the bounds across adds a few roundings of at most |cut|, |floor|, |baseline| and reach each. The
 * margins, 1e-6 * (1 + |cut or floor| + |baseline| + reach), exceed all of these together for any forest of fewer than
 * a billion trees: a line settled above has numpy's log-odds above cut, one settled below under floor. A NaN anywhere
 * (a leaf, a bound) makes a test fail: the line is left, walked again and NaN, as odds' is; an infinite leaf makes reach
 * and the margins infinite, and no line settles. */
/* (METH_FASTCALL, its arguments read as PyArg_ParseTuple's "OddO|d" would: its format cost some 500
 * instructions a call, a call or two a document) */
static PyObject *
forest_odds_above(Forest *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 && nargs != 5) {
        PyErr_Format(PyExc_TypeError, "odds_above() takes 4 or 5 arguments (%zd given)", nargs);
        return NULL;
    }
    PyObject *matrix_obj = args[0], *out_obj = args[3];
    double baseline, cut, floor_odds = -Py_HUGE_VAL;
    if (as_double(args[1], &baseline) < 0 || as_double(args[2], &cut) < 0 ||
        (nargs == 5 && as_double(args[4], &floor_odds) < 0))
        return NULL;
    Py_buffer matrix, out;
    if (walk_buffers(self, matrix_obj, out_obj, &matrix, &out, 1) < 0)
        return NULL;
    const Py_ssize_t n = matrix.shape[0], trees = self->trees, width = matrix.shape[1];
    const double *rows = matrix.buf;
    double lowest = Py_HUGE_VAL;
    /* (from here to the buffers' release no Python code runs: the forest's room is this call's alone) */
    double *room = n && trees ? forest_room(self, n) : NULL;
    if (n && trees && room == NULL) {
        PyBuffer_Release(&matrix);
        PyBuffer_Release(&out);
        return NULL;
    }
    double *partial = room, *leaves = room + 2 * n;
    Py_ssize_t *active = (Py_ssize_t *)(leaves + trees);
    double *odds = out.buf;
    const double margin = settle_margin(self, cut, baseline);
    /* (A NaN or infinite floor makes `below` NaN or -inf: no line settles below.) */
    const double below = floor_odds - settle_margin(self, floor_odds, baseline);
    Py_ssize_t na = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (trees) {
            partial[2 * i] = partial[2 * i + 1] = 0.0;
            active[na++] = i;
        } else
            odds[i] = line_odds(NULL, 0, baseline);
    }
    const char *heap = heap_usable() ? self->heap : NULL;
    for (Py_ssize_t g0 = 0; heap != NULL && g0 < trees && na > 0; g0 += GROUP) {
        Bound blocks[GROUP / BLOCK];
        int count = 0;
        for (Py_ssize_t j0 = g0; j0 < g0 + GROUP && j0 < trees; j0 += BLOCK)
            blocks[count++] = block_bound(self, j0 + BLOCK < trees ? j0 + BLOCK : trees, cut, below, baseline, margin);
        /* (a line loop for each depth a model is likely to have, its walks unrolled whole, chosen once a group; the
         * others' in the loop) */
        const char *first = heap_tree(heap, self->depth, g0);
#define WALK_GROUP(levels) \
    walk_heap_group(first, blocks, count, rows, width, active, na, self->depth, levels, partial, odds)
        switch (self->depth) {
        case 5: na = WALK_GROUP(5); break;
        case 6: na = WALK_GROUP(6); break;
        case 7: na = WALK_GROUP(7); break;
        case 8: na = WALK_GROUP(8); break;
        default: na = WALK_GROUP(0); break;
        }
#undef WALK_GROUP
    }
    for (Py_ssize_t j0 = 0; heap == NULL && j0 < trees && na > 0; j0 += BLOCK) {
        const Py_ssize_t j1 = j0 + BLOCK < trees ? j0 + BLOCK : trees;
        walk_some(self, rows, width, active, na, j0, j1, partial);
        const Bound bound = block_bound(self, j1, cut, below, baseline, margin);
        if (bound.look)
            na = settle(active, na, partial, odds, bound.high, bound.low);
    }
    for (Py_ssize_t a = 0; a < na; a++) { /* the lines left, near the band: their exact log-odds, odds' */
        const Py_ssize_t i = active[a];
        walk(self, rows + i * width, 1, width, leaves);
        odds[i] = line_odds(leaves, trees, baseline);
    }
    for (Py_ssize_t i = 0; i < n; i++)
        lowest = lower(lowest, odds[i]);
    if (self->room_size > ROOM_KEPT) { /* (a document of thousands of lines: its room is not kept) */
        PyMem_Free(self->room);
        self->room = NULL;
        self->room_size = 0;
    }
    PyBuffer_Release(&matrix);
    PyBuffer_Release(&out);
    return PyFloat_FromDouble(lowest);
}

static PyMethodDef forest_methods[] = {
    {"leaves", (PyCFunction)forest_leaves, METH_VARARGS,
     "leaves(matrix, out): each (line, tree) leaf value into out (n, trees)."},
    {"odds", (PyCFunction)forest_odds, METH_VARARGS,
     "odds(matrix, baseline, out) -> float: each line's log-odds into out (n,); the lowest (NaN if any is)."},
    {"odds_above", (PyCFunction)(void (*)(void))forest_odds_above, METH_FASTCALL,
     "odds_above(matrix, baseline, cut, out[, floor]) -> float: odds, but +inf for the lines surely above cut "
     "and -inf for those surely below floor."},
    {NULL, NULL, 0, NULL},
};

/* Forest.order: the trees' walk order in odds_above, as a tuple of their numbers (tests read it). */
static PyObject *
forest_order(Forest *self, void *closure)
{
    PyObject *order = PyTuple_New(self->trees);
    if (order == NULL)
        return NULL;
    for (Py_ssize_t j = 0; j < self->trees; j++) {
        PyObject *tree = PyLong_FromSsize_t(self->order[j]);
        if (tree == NULL) {
            Py_DECREF(order);
            return NULL;
        }
        PyTuple_SET_ITEM(order, j, tree);
    }
    return order;
}

static PyGetSetDef forest_getset[] = {
    {"order", (getter)forest_order, NULL, "odds_above's walk order of the trees: the widest spread of leaves first.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject ForestType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "cleaner.classify._trees.Forest",
    .tp_basicsize = sizeof(Forest),
    .tp_dealloc = (destructor)forest_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Forest(feature, threshold, left, value, offsets, depth): complete trees laid out as in model.py.",
    .tp_methods = forest_methods,
    .tp_getset = forest_getset,
    .tp_new = forest_new,
};

/* Scratch space for one line's weights, grown as needed. */
typedef struct {
    double *values;
    Py_ssize_t capacity;
} Scratch;

/* The lexical score of one line (a sequence of n-gram numbers) into *score: 1, or 0 when numpy is to do it
 * (the line has no n-gram, or one that is not an int: numpy takes any integer-like object, through code of
 * the caller's), or -1 with an exception set. */
static int
line_score(const double *weights, Py_ssize_t buckets, double bias, PyObject *grams, Py_ssize_t index,
           Scratch *scratch, double *score)
{
    PyObject *line = PySequence_Fast(grams, "grams: expected a list of lists of ints");
    if (line == NULL)
        return -1;
    int status = -1;
    const Py_ssize_t size = PySequence_Fast_GET_SIZE(line);
    if (size == 0) {
        status = 0;
        goto done;
    }
    if (size > scratch->capacity) {
        Py_ssize_t capacity = size > 2 * scratch->capacity ? size : 2 * scratch->capacity;
        PyMem_Free(scratch->values);
        scratch->capacity = 0;
        scratch->values = PyMem_New(double, capacity);
        if (scratch->values == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        scratch->capacity = capacity;
    }
    double *values = scratch->values;
    PyObject **items = PySequence_Fast_ITEMS(line);
    for (Py_ssize_t k = 0; k < size; k++) {
        if (!PyLong_Check(items[k])) {
            status = 0;
            goto done;
        }
        Py_ssize_t gram = PyLong_AsSsize_t(items[k]); /* an int: runs no code of the caller's */
        if (gram == -1 && PyErr_Occurred())
            goto done;
        if (gram < 0)
            gram += buckets; /* numpy's indexing from the end */
        if (gram < 0 || gram >= buckets) {
            PyErr_Format(PyExc_IndexError, "line %zd: n-gram %zd out of range", index, gram);
            goto done;
        }
        values[k] = weights[gram];
    }
    double sum = values[0];
    if (size > 1)
        sum += pairwise_sum(values + 1, size - 1);
    *score = sum / sqrt((double)size) + bias;
    status = 1;
done:
    Py_DECREF(line);
    return status;
}

/* lexical(weights, grams, bias, out) -> bool: out[i] = the lexical score of line i (the sum of its n-grams'
 * weights / sqrt(their count) + bias). False, out unfinished, when a line has no n-gram (numpy's reduceat
 * gives such a segment another line's weight: the caller leaves that case to numpy). */
static PyObject *
lexical(PyObject *module, PyObject *args)
{
    PyObject *weights_obj, *grams, *out_obj;
    double bias;
    if (!PyArg_ParseTuple(args, "OO!dO:lexical", &weights_obj, &PyList_Type, &grams, &bias, &out_obj))
        return NULL;
    Py_buffer weights, out;
    if (get_buffer(weights_obj, &weights, 'd', 1, 0, "weights") < 0)
        return NULL;
    if (get_buffer(out_obj, &out, 'd', 1, 1, "out") < 0) {
        PyBuffer_Release(&weights);
        return NULL;
    }
    PyObject *result = NULL;
    Scratch scratch = {NULL, 0};
    const Py_ssize_t lines = PyList_GET_SIZE(grams);
    if (out.shape[0] != lines) {
        PyErr_SetString(PyExc_ValueError, "out: expected one value a line");
        goto done;
    }
    result = Py_True;
    for (Py_ssize_t i = 0; i < lines && result == Py_True; i++) {
        /* a line that is no list runs the caller's code (its __iter__), which may shrink the list */
        if (i >= PyList_GET_SIZE(grams)) {
            PyErr_SetString(PyExc_RuntimeError, "grams changed size during the call");
            result = NULL;
            break;
        }
        PyObject *line = PyList_GET_ITEM(grams, i);
        Py_INCREF(line);
        int got = line_score(weights.buf, weights.shape[0], bias, line, i, &scratch, (double *)out.buf + i);
        Py_DECREF(line);
        result = got > 0 ? Py_True : got == 0 ? Py_False : NULL;
    }
done:
    PyMem_Free(scratch.values);
    PyBuffer_Release(&weights);
    PyBuffer_Release(&out);
    Py_XINCREF(result);
    return result;
}

/* cached_lexical(weights, keys, grams, bias, cache, limit, out) -> bool: lexical, remembered by line text:
 * out[i] = cache[keys[i]], computed and stored when missing. The cache is emptied first when it could
 * outgrow `limit` (what it holds changes no score: a line's score depends on its n-grams alone). False, out
 * unfinished, at a line without n-gram, as lexical. */
static PyObject *
cached_lexical(PyObject *module, PyObject *args)
{
    PyObject *weights_obj, *keys, *grams, *cache, *out_obj;
    double bias;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "OO!O!dO!nO:cached_lexical", &weights_obj, &PyList_Type, &keys, &PyList_Type,
                          &grams, &bias, &PyDict_Type, &cache, &limit, &out_obj))
        return NULL;
    Py_buffer weights, out;
    if (get_buffer(weights_obj, &weights, 'd', 1, 0, "weights") < 0)
        return NULL;
    if (get_buffer(out_obj, &out, 'd', 1, 1, "out") < 0) {
        PyBuffer_Release(&weights);
        return NULL;
    }
    PyObject *result = NULL;
    Scratch scratch = {NULL, 0};
    const Py_ssize_t lines = PyList_GET_SIZE(keys);
    double *scores = out.buf;
    if (PyList_GET_SIZE(grams) != lines || out.shape[0] != lines) {
        PyErr_SetString(PyExc_ValueError, "keys, grams and out: expected one of each a line");
        goto done;
    }
    if (PyDict_GET_SIZE(cache) + lines > limit)
        PyDict_Clear(cache);
    result = Py_True;
    /* A key's __hash__ and __eq__, a line's __iter__ and a cached value's __float__ run the caller's code,
     * which may shrink the lists or drop their items: each is held while it is used, and the lists'
     * sizes are checked again at each line. */
    for (Py_ssize_t i = 0; i < lines && result == Py_True; i++) {
        if (i >= PyList_GET_SIZE(keys) || i >= PyList_GET_SIZE(grams)) {
            PyErr_SetString(PyExc_RuntimeError, "keys or grams changed size during the call");
            result = NULL;
            break;
        }
        PyObject *key = PyList_GET_ITEM(keys, i);
        Py_INCREF(key);
        PyObject *known = PyDict_GetItemWithError(cache, key);
        if (known != NULL) {
            Py_INCREF(known);
            scores[i] = PyFloat_AsDouble(known);
            if (scores[i] == -1.0 && PyErr_Occurred())
                result = NULL;
            Py_DECREF(known);
            Py_DECREF(key);
            continue;
        }
        if (PyErr_Occurred()) {
            Py_DECREF(key);
            result = NULL;
            break;
        }
        PyObject *line = PyList_GET_ITEM(grams, i);
        Py_INCREF(line);
        int got = line_score(weights.buf, weights.shape[0], bias, line, i, &scratch, &scores[i]);
        Py_DECREF(line);
        if (got <= 0) {
            Py_DECREF(key);
            result = got == 0 ? Py_False : NULL;
            break;
        }
        PyObject *value = PyFloat_FromDouble(scores[i]);
        if (value == NULL || PyDict_SetItem(cache, key, value) < 0)
            result = NULL;
        Py_XDECREF(value);
        Py_DECREF(key);
    }
done:
    PyMem_Free(scratch.values);
    PyBuffer_Release(&weights);
    PyBuffer_Release(&out);
    Py_XINCREF(result);
    return result;
}

/* not_above(odds, cut, floor) -> list | None: the places i of odds (a 1-d float64 buffer, odds_above's out) where odds[i]
 * is not above cut, in order, as Python's `not x > cut` reads it (a NaN is not above); None when one of them is not below
 * floor either (or is NaN): its P must then be computed (steps/classify.py's long way). compiled.py's not_above is its
 * twin. The caller's loop over a page's every line (its log-odds made a list of floats first, each round) was a third of
 * the classify step's Python on a real page, for the few dozen lines below the cut. */
static PyObject *
not_above(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError, "not_above() takes 3 arguments (%zd given)", nargs);
        return NULL;
    }
    double cut, floor_odds;
    if (as_double(args[1], &cut) < 0 || as_double(args[2], &floor_odds) < 0)
        return NULL;
    Py_buffer odds;
    if (get_buffer(args[0], &odds, 'd', 1, 0, "odds") < 0)
        return NULL;
    const double *values = odds.buf;
    const Py_ssize_t n = odds.shape[0];
    Py_ssize_t count = 0;
    int settled = 1; /* every line not above cut is below floor */
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!(values[i] > cut)) {
            count++;
            settled &= values[i] < floor_odds;
        }
    }
    PyObject *result = NULL;
    if (!settled) {
        result = Py_None;
        Py_INCREF(result);
    } else if ((result = PyList_New(count)) != NULL) {
        for (Py_ssize_t i = 0, k = 0; i < n && k < count; i++) {
            if (values[i] > cut)
                continue;
            PyObject *place = PyLong_FromSsize_t(i);
            if (place == NULL) {
                Py_CLEAR(result);
                break;
            }
            PyList_SET_ITEM(result, k++, place);
        }
    }
    PyBuffer_Release(&odds);
    return result;
}

/* A METH_FASTCALL argument that is a float, or an int a double holds exactly (|v| <= 2**53), read as that double: 1; 0
 * (no exception set) for anything else, whose comparisons with a float a double could not make as Python makes them. */
static int
exact_double(PyObject *arg, double *value)
{
    if (PyFloat_CheckExact(arg)) {
        *value = PyFloat_AS_DOUBLE(arg);
        return 1;
    }
    if (!PyLong_Check(arg))
        return 0;
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(arg, &overflow);
    if (v == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    if (overflow != 0 || v > (1LL << 53) || v < -(1LL << 53))
        return 0;
    *value = (double)v;
    return 1;
}

/* kinds(words, below, limit, nav_run, labels) -> list | None: the rule kind of each place of below (a list of ints in
 * range(len(words)), in any order), from words (a 1-d float64 buffer, strided: the shortcut matrix's words column), as
 * compiled.py's twin (kinds) gives it: labels[2] (boilerplate) for words[i] >= limit; for words[i] < limit, labels[0]
 * (nav run) when its run of consecutive rows of words < limit has nav_run rows or more, else labels[1] (short); for a
 * NaN count, labels[0] if nav_run <= 0 else labels[1]. A run is measured once for the places in it that come one after
 * another, as the twin does. None when limit or nav_run is not a float or an int a double holds exactly (the twin then).
 * The twin read the words (each a new float) and compared them in Python: the classify step's last Python per row below. */
static PyObject *
kinds(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5) {
        PyErr_Format(PyExc_TypeError, "kinds() takes 5 arguments (%zd given)", nargs);
        return NULL;
    }
    PyObject *below = args[1], *labels = args[4];
    if (!PyList_Check(below) || !PyTuple_Check(labels) || PyTuple_GET_SIZE(labels) != 3) {
        PyErr_SetString(PyExc_TypeError, "kinds(): below must be a list, labels a tuple of 3");
        return NULL;
    }
    double limit, nav_run;
    if (!exact_double(args[2], &limit) || !exact_double(args[3], &nav_run))
        Py_RETURN_NONE;
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_STRIDES | PyBUF_FORMAT) < 0)
        return NULL;
    const char *format = view.format ? view.format : "B";
    if (format[0] == '@' || format[0] == '=' || (PY_LITTLE_ENDIAN && format[0] == '<'))
        format++;
    if (strcmp(format, "d") != 0 || view.itemsize != sizeof(double) || view.ndim != 1) {
        PyErr_SetString(PyExc_TypeError, "words: expected a 1-d buffer of float64");
        PyBuffer_Release(&view);
        return NULL;
    }
    const char *base = view.buf;
    const Py_ssize_t n = view.shape[0], stride = view.strides[0];
#define WORDS(i) (*(const double *)(base + (i) * stride))
    PyObject *nav = PyTuple_GET_ITEM(labels, 0), *alone = PyTuple_GET_ITEM(labels, 1);
    PyObject *chrome = PyTuple_GET_ITEM(labels, 2), *none_run = nav_run <= 0 ? nav : alone;
    const Py_ssize_t count = PyList_GET_SIZE(below);
    PyObject *result = PyList_New(count);
    Py_ssize_t start = 0, stop = 0; /* the run measured last: rows [start, stop) */
    for (Py_ssize_t k = 0; result != NULL && k < count; k++) {
        const Py_ssize_t i = PyLong_AsSsize_t(PyList_GET_ITEM(below, k));
        if (i < 0 || i >= n) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_IndexError, "kinds(): a place of below is out of range");
            Py_CLEAR(result);
            break;
        }
        const double words = WORDS(i);
        PyObject *kind;
        if (words < limit) {
            if (!(start <= i && i < stop)) {
                start = i;
                stop = i + 1;
                while (start > 0 && WORDS(start - 1) < limit)
                    start--;
                while (stop < n && WORDS(stop) < limit)
                    stop++;
            }
            kind = (double)(stop - start) >= nav_run ? nav : alone;
        } else if (words >= limit) {
            kind = chrome;
        } else {
            kind = none_run; /* a NaN count: in no run (a run of 0 rows) */
        }
        Py_INCREF(kind);
        PyList_SET_ITEM(result, k, kind);
    }
#undef WORDS
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef module_methods[] = {
    {"lexical", lexical, METH_VARARGS,
     "lexical(weights, grams, bias, out) -> bool: each line's lexical score into out; False if a line has no "
     "n-gram."},
    {"cached_lexical", cached_lexical, METH_VARARGS,
     "cached_lexical(weights, keys, grams, bias, cache, limit, out) -> bool: lexical, remembered in cache by key."},
    {"not_above", (PyCFunction)(void (*)(void))not_above, METH_FASTCALL,
     "not_above(odds, cut, floor) -> list | None: the places not above cut, in order; None if one is not below floor."},
    {"kinds", (PyCFunction)(void (*)(void))kinds, METH_FASTCALL,
     "kinds(words, below, limit, nav_run, labels) -> list | None: the rule kind of each place of below."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_trees", NULL, -1, module_methods};

PyMODINIT_FUNC
PyInit__trees(void)
{
    if (PyType_Ready(&ForestType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&ForestType);
    if (PyModule_AddObject(m, "Forest", (PyObject *)&ForestType) < 0) {
        Py_DECREF(&ForestType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

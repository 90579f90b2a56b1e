/* The rules prefilter's literal scan in C: prefilter.py's hyperscan database of literals and its
 * per-match callback (Prefilter.rows), as one Aho-Corasick automaton over bytes.
 *
 * What it reproduces, to the row (tests/test_native_scan.py compares the two):
 * - the database: every literal (bytes) found wherever it ends in the text, overlapping ones
 *   included, ASCII letters in either case and every other byte as it is (hyperscan's
 *   HS_FLAG_CASELESS on a block of bytes, no UTF-8 mode);
 * - on_match: a match whose last byte is at offset i lies on the row bisect_right(starts, i) - 1,
 *   where ``starts`` is where each row starts: after each newline of the text (the text is not
 *   ASCII), or, for an ASCII text, 1 + the sum of the lengths (+ 1) of the texts before (a row a
 *   replace rule wrote a newline into counts as one row there, as the Python code counts it);
 * - the result: for each pattern some literal of which matched, its rows, sorted, each once
 *   (the Python code gathers sets and sorts them), then Prefilter._by_length's row lengths;
 * - the text: the texts' characters go through the automaton as the UTF-8 bytes of the joined
 *   text ("surrogatepass": a lone surrogate is its three bytes), without joining or encoding.
 *
 * The scan's cost is mostly memory: a document visits a few hundred states, whose table rows
 * other work has pushed out of the cache in between (a table on the ASCII classes alone is half
 * the size, but then a text in another script pays for the failure links on every byte). So the
 * table is small: 16-bit entries, rows aligned to a cache line, and the classes of lowercase
 * letters, space and newline (most of a text's bytes) first, in the row's first cache line. And
 * a long document is scanned as two halves at once (``feed_pair``): each step waits on the
 * look-up before it, so two chains keep two look-ups in flight. A matcher of a few literals
 * (a site's) instead passes over, at the root, the bytes none of them starts with (``SPARSE``),
 * 16 at a time with SSE2 (``pass_over``). The plain step (``FEED``) is a class load, a table
 * load and one compare: a newline, a match or a deep state take ``slow``, which counts the rows.
 *
 * The automaton: a trie of the literals (ASCII letters lowered, bytes mapped to classes: the
 * bytes no literal holds are one class, on which every state goes back to the root), its
 * states numbered breadth first (a state's children are consecutive), failure links, and each
 * state's patterns (of the literals ending there or at a state its failure chain reaches). The
 * shallow states, where a scan spends nearly all its time, have a full transition table; a
 * deeper one looks among its children and follows its failure link (those are numbered depth
 * first: ``deep_order``).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "../steps/_held.h"
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h>
#define PASS_SIMD 1
#endif

/* A test that is seldom true: GCC then loads a table entry straight into the scan's state and
 * tests it there (the plain step one instruction shorter), the rare step out of the loop. */
#if defined(__GNUC__) || defined(__clang__)
#define RARE(x) __builtin_expect(!!(x), 0)
#else
#define RARE(x) (x)
#endif

#define DENSE 2048 /* states with a full transition table, at most (the first, shallowest ones; below 2**14) */
/* A table entry: the state it goes to (below 2**14), plus OUT if that state has patterns; or FAR,
 * a state past the table (``deep`` finds it). One test (``entry & (OUT | FAR)``) tells the scan's
 * plain step (to a shallow state with nothing to record) from every other, which ``slow`` takes;
 * the plain step's entry is then the state as it is (nothing to mask off). */
#define OUT 0x4000
#define FAR 0x8000
#define STATE 0x3FFF
#define LINE 64    /* the table's alignment: a cache line */
#define CAPSULE "cleaner.rules._scan.Matcher"
#define MAX_STOPS 8 /* bytes a sparse scan's pass over the root looks for 16 at a time (``pass_over``) */
#define MAX_PATTERNS (1 << 24) /* (a rule set has thousands; past this, the tables by pattern would be gigabytes) */
#define MAX_ALPHABETS 64       /* (one bit each of a uint64_t: a rule set has a few; more are not asked) */

/* What a step past the table reads of a state (``deep``, ``slow``), side by side: one cache line
 * where four arrays by state were four, each a miss at a state met a few times a document (the
 * line features' weights, read between two documents' scans, push them out of the caches). A
 * state's patterns are counted in it, and one pattern (most states that have any) is in it: a
 * match's step reads this node alone, not the next state's too for where its patterns end, nor
 * ``outs``, a miss of its own at each match (``outs_pack``). */
typedef struct {
    int32_t first;    /* its first child (the children are numbered consecutively) */
    int32_t fail;     /* the longest proper suffix of its string that is a state */
    int32_t out;      /* its pattern if it has one; where they start in ``outs`` if more */
    uint16_t outs;    /* how many (MANY: that many or more, their count then at outs[out], the patterns after) */
    uint8_t children; /* how many (at most 255: each is on a class of its own, never class 0) */
} Node;
#define MANY 0xFFFF

typedef struct Spare Spare;

typedef struct {
    int32_t states, classes, dense, patterns;
    /* A table row's width: 1 << shift entries, the least power of two of at least ``classes``.
     * The scan's step waits on the table load before it, then works out the next entry's place
     * from it: a shift there is one cycle where a multiply by ``classes`` was three (the
     * generic rules' 128 classes fill their rows as before; a site's few get a few spare). */
    int shift;
    int split; /* the state after a newline is the same whatever came before (see ``rows``) */
    int32_t after_nl; /* that state if ``split`` (no match ends on a newline then), else -1: where
                       * ``END_ROW`` goes without a step through ``slow`` */
    int sparse;         /* most letters leave the root where it is: ``skip`` pays (a site's few literals) */
    uint8_t nl;         /* the newline's class (never 0): every entry on it is flagged OUT (see ``slow``) */
    uint8_t skip[128];  /* by ASCII byte: the root goes back to itself on it, recording nothing (not a newline) */
    int nstops;         /* the ASCII bytes not in ``skip`` (the newline is one), if at most MAX_STOPS; else -1 */
    uint8_t stops[MAX_STOPS];
    uint8_t lanes[MAX_STOPS][16];  /* each stop in 16 bytes (``pass_over``'s compares of one-byte characters) */
    uint16_t wide[MAX_STOPS][8];   /* and in 8 two-byte lanes */
    uint8_t cls[256];   /* by byte: its class (0: in no literal) */
    uint16_t *table;    /* (dense + 1) rows of 1 << shift: where a shallow state goes on each class (coded, see
                         * OUT), and a last row for a deep state: FAR on every class but 0 */
    void *table_block;  /* the allocation ``table`` lies in (aligned to LINE inside it) */
    Node *node;         /* by state */
    uint8_t *label;     /* by state: the class of the edge into it */
    int32_t *outs;      /* the patterns of the states of more than one (see Node) */
    int32_t ncounted, *counted; /* the patterns with row lengths and no factors (every row) */
    /* The patterns scanned for (``patterns`` of them) are each one of the rows' patterns (``reals``
     * of them: the keys, the results), or an alternative of one (prefilter._plan): by scanned
     * pattern, its pattern (``real``) and the next alternative of it (``next_alt``, or -1); by
     * pattern, its first alternative (``first_alt``); ``alts_any``: some pattern has two. */
    int32_t reals, *real, *next_alt, *first_alt;
    int alts_any;
    Spare *spare; /* two (``scan_init``) */
    int32_t *bound;             /* by pattern: its row lengths' index in low and high, or -1 */
    Py_ssize_t *low, *high;
    /* By row lengths' index: the most characters other than spaces a row may hold
     * (prefilter.dense), or -1 (none); ``dense_any``: some pattern has one (the rows' texts are
     * kept for it). */
    Py_ssize_t *most;
    int dense_any;
    /* Prefilter's sets of characters (``alphabet``: a row holds none but them; ``needed``: one of
     * them at least; ``first``: its first character is one), at most MAX_ALPHABETS of them, one
     * bit each, set in ``every`` for an alphabet and in ``firsts`` for a first: by row lengths'
     * index, the bit of its alphabet, of its needed ones and of its first ones, or -1 (none); by
     * ASCII character, the bits of the sets that hold it; and of those that hold characters past
     * ASCII. */
    int8_t *alpha, *need, *first;
    int alphabets;
    uint64_t in_alpha[128], past_ascii, every, firsts;
} Matcher;

static int spares_make(Matcher *m);
static void spares_free(Matcher *m);

static void matcher_free(Matcher *m) {
    if (m == NULL) return;
    PyMem_Free(m->table_block);
    PyMem_Free(m->node);
    PyMem_Free(m->label);
    PyMem_Free(m->outs);
    PyMem_Free(m->counted);
    PyMem_Free(m->real);
    PyMem_Free(m->next_alt);
    PyMem_Free(m->first_alt);
    spares_free(m);
    PyMem_Free(m->bound);
    PyMem_Free(m->low);
    PyMem_Free(m->high);
    PyMem_Free(m->most);
    PyMem_Free(m->alpha);
    PyMem_Free(m->need);
    PyMem_Free(m->first);
    PyMem_Free(m);
}

static void capsule_free(PyObject *capsule) { matcher_free((Matcher *)PyCapsule_GetPointer(capsule, CAPSULE)); }

static uint8_t lower(uint8_t b) { return b >= 'A' && b <= 'Z' ? (uint8_t)(b + 32) : b; }

/* The child of ``s`` on class ``c``, or -1 (the children are few past the root's). */
static int32_t child(const Matcher *m, int32_t s, uint8_t c) {
    int32_t end = m->node[s].first + m->node[s].children;
    for (int32_t t = m->node[s].first; t < end; t++)
        if (m->label[t] == c) return t;
    return -1;
}

/* Pattern indices: ``list`` as an array of ints below ``patterns`` (NULL with an error set).
 * Read from a tuple of its items: an item's __index__ (run by PyLong_AsLong) could empty a
 * list while it is read. */
static int32_t *indices(PyObject *list, int32_t patterns, Py_ssize_t *size) {
    PyObject *seq = PySequence_Tuple(list);
    if (seq == NULL) return NULL;
    *size = PyTuple_GET_SIZE(seq);
    int32_t *out = PyMem_Malloc((*size + 1) * sizeof(int32_t));
    if (out == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t j = 0; j < *size; j++) {
        long p = PyLong_AsLong(PyTuple_GET_ITEM(seq, j));
        if (p == -1 && PyErr_Occurred()) goto bad;
        if (p < 0 || p >= patterns) {
            PyErr_SetString(PyExc_ValueError, "a pattern index out of range");
            goto bad;
        }
        out[j] = (int32_t)p;
    }
    Py_DECREF(seq);
    return out;
bad:
    Py_DECREF(seq);
    PyMem_Free(out);
    return NULL;
}

/* A set of characters of Prefilter's lengths (None, or (ASCII characters, past ASCII too)) as the
 * matcher's next bit (``mask``: ``every`` for an alphabet, ``firsts`` for a first, or NULL): the
 * bit's number, -1 for None or past MAX_ALPHABETS, or -2 with an error set. */
static int char_set(Matcher *m, PyObject *set, uint64_t *mask) {
    PyObject *chars;
    int past_ascii;
    if (set == Py_None || m->alphabets >= MAX_ALPHABETS) return -1;
    if (!PyTuple_Check(set) || !PyArg_ParseTuple(set, "Up", &chars, &past_ascii)) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "a set of characters: None or (str, bool)");
        return -2;
    }
    uint64_t bit = (uint64_t)1 << m->alphabets;
    for (Py_ssize_t k = 0; k < PyUnicode_GET_LENGTH(chars); k++) {
        Py_UCS4 ch = PyUnicode_READ_CHAR(chars, k);
        if (ch >= 128) {
            PyErr_SetString(PyExc_ValueError, "a set's characters are ASCII");
            return -2;
        }
        m->in_alpha[ch] |= bit;
    }
    if (past_ascii) m->past_ascii |= bit;
    if (mask != NULL) *mask |= bit;
    return m->alphabets++;
}

/* The row lengths of Prefilter: ``counted`` and ``lengths`` ([pattern, low, high[, alphabet,
 * needed[, first[, dense]]]], one per pattern at most; ``char_set``) into the matcher. 0, or -1 with an
 * error set. */
static int row_lengths(Matcher *m, PyObject *counted, PyObject *lengths) {
    Py_ssize_t size;
    m->counted = indices(counted, m->patterns, &size);
    if (m->counted == NULL) return -1;
    m->ncounted = (int32_t)size;
    PyObject *seq = PySequence_Tuple(lengths); /* (held: "lnn" can run an __index__) */
    if (seq == NULL) return -1;
    size = PyTuple_GET_SIZE(seq);
    m->bound = PyMem_Malloc(((size_t)m->patterns + 1) * sizeof(int32_t));
    m->low = PyMem_Malloc((size + 1) * sizeof(Py_ssize_t));
    m->high = PyMem_Malloc((size + 1) * sizeof(Py_ssize_t));
    m->alpha = PyMem_Malloc((size + 1) * sizeof(int8_t));
    m->need = PyMem_Malloc((size + 1) * sizeof(int8_t));
    m->first = PyMem_Malloc((size + 1) * sizeof(int8_t));
    m->most = PyMem_Malloc((size + 1) * sizeof(Py_ssize_t));
    if (!m->bound || !m->low || !m->high || !m->alpha || !m->need || !m->first || !m->most) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (int32_t p = 0; p < m->patterns; p++) m->bound[p] = -1;
    for (Py_ssize_t j = 0; j < size; j++) {
        long p;
        Py_ssize_t low, high, most = -1;
        PyObject *alphabet = Py_None, *needed = Py_None, *start = Py_None;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(seq, j), "lnn|OOOn", &p, &low, &high, &alphabet, &needed, &start,
                              &most))
            goto bad;
        if (most < -1) {
            PyErr_SetString(PyExc_ValueError, "a dense bound is at least 0");
            goto bad;
        }
        if (p < 0 || p >= m->patterns || m->bound[p] >= 0) {
            PyErr_SetString(PyExc_ValueError, "row lengths of a pattern index out of range, or twice");
            goto bad;
        }
        m->bound[p] = (int32_t)j;
        m->low[j] = low;
        m->high[j] = high;
        m->most[j] = most;
        m->dense_any |= most >= 0;
        int a = char_set(m, alphabet, &m->every), b = a < -1 ? a : char_set(m, needed, NULL);
        int f = b < -1 ? b : char_set(m, start, &m->firsts);
        if (f < -1) goto bad;
        m->alpha[j] = (int8_t)a;
        m->need[j] = (int8_t)b;
        m->first[j] = (int8_t)f;
    }
    Py_DECREF(seq);
    return 0;
bad:
    Py_DECREF(seq);
    return -1;
}

/* Whose alternative each scanned pattern is (``real``: None, each its own pattern; else a list of
 * one pattern index per scanned pattern, each pattern's at least once) into the matcher. 0, or -1
 * with an error set. */
static int alternatives_of(Matcher *m, PyObject *real) {
    Py_ssize_t size = m->patterns;
    int32_t *given = real == Py_None ? NULL : indices(real, m->patterns, &size);
    if (real != Py_None && given == NULL) return -1;
    if (size != m->patterns) {
        PyMem_Free(given);
        PyErr_SetString(PyExc_ValueError, "one pattern per scanned pattern");
        return -1;
    }
    m->reals = 0;
    for (int32_t p = 0; p < m->patterns; p++)
        if ((given ? given[p] : p) >= m->reals) m->reals = (given ? given[p] : p) + 1;
    m->real = PyMem_Malloc(((size_t)m->patterns + 1) * sizeof(int32_t));
    m->next_alt = PyMem_Malloc(((size_t)m->patterns + 1) * sizeof(int32_t));
    m->first_alt = PyMem_Malloc(((size_t)m->reals + 1) * sizeof(int32_t));
    if (!m->real || !m->next_alt || !m->first_alt) {
        PyMem_Free(given);
        PyErr_NoMemory();
        return -1;
    }
    for (int32_t r = 0; r < m->reals; r++) m->first_alt[r] = -1;
    for (int32_t p = m->patterns - 1; p >= 0; p--) { /* (from the end: each one's next is the one met before) */
        int32_t r = given ? given[p] : p;
        m->real[p] = r;
        m->next_alt[p] = m->first_alt[r];
        m->alts_any |= m->first_alt[r] >= 0;
        m->first_alt[r] = p;
    }
    PyMem_Free(given);
    for (int32_t r = 0; r < m->reals; r++)
        if (m->first_alt[r] < 0) {
            PyErr_SetString(PyExc_ValueError, "a pattern with no scanned pattern");
            return -1;
        }
    return 0;
}

/* A shallow state as a table entry codes it (see OUT); FAR for a deep one. */
static inline uint16_t code(const Matcher *m, int32_t s) {
    if (s >= m->dense) return FAR;
    return (uint16_t)((uint32_t)s | (m->node[s].outs != 0 ? OUT : 0));
}

/* The states past the table (from ``m->dense`` on, each sibling block whole: see ``build``)
 * numbered again, depth first: a state's children stay consecutive, and each block comes right
 * after its parent's, before its siblings' blocks. A scan goes down a literal past the table one
 * state at a time, each step reading the node (and label) of the state it goes to: breadth first,
 * those lay a level (thousands of states) apart, a cache miss a step; now a chain of single
 * children, most of the deep trie, is read from consecutive nodes. ``outs`` is laid out again in
 * the new order, ``*start_at`` (by state, and one past: where its patterns start in ``outs``,
 * ending where the next state's do) made anew for it. 0, or -1 (out of memory). */
static int deep_order(Matcher *m, int32_t **start_at) {
    const int32_t *start = *start_at;
    int32_t nodes = m->states, dense = m->dense, next = dense, top = 0;
    int32_t *id = PyMem_Malloc((size_t)nodes * sizeof(int32_t)), *old = PyMem_Malloc((size_t)nodes * sizeof(int32_t));
    int32_t *stack = PyMem_Malloc((size_t)nodes * sizeof(int32_t));
    Node *node = PyMem_Calloc((size_t)nodes + 1, sizeof(Node));
    uint8_t *label = PyMem_Calloc(nodes, 1);
    int32_t *outs = PyMem_Malloc(((size_t)start[nodes] + 1) * sizeof(int32_t));
    int32_t *starts = PyMem_Malloc(((size_t)nodes + 1) * sizeof(int32_t));
    int ok = id && old && stack && node && label && outs && starts;
    if (ok) {
        for (int32_t s = 0; s < dense; s++) id[s] = s;
        for (int32_t p = 0; p < dense; p++) {
            if (m->node[p].children == 0 || m->node[p].first < dense) continue;
            stack[top++] = p; /* (a table state whose children are past it: a tree of deep states) */
            while (top > 0) {
                int32_t u = stack[--top], first = m->node[u].first, k = m->node[u].children;
                for (int32_t j = 0; j < k; j++) id[first + j] = next++;
                for (int32_t j = k - 1; j >= 0; j--) /* (the first child's block next) */
                    if (m->node[first + j].children > 0) stack[top++] = first + j;
            }
        }
        for (int32_t s = 0; s < nodes; s++) old[id[s]] = s;
        int32_t used = 0;
        for (int32_t v = 0; v < nodes; v++) {
            const Node *from = &m->node[old[v]];
            node[v].first = from->children > 0 ? id[from->first] : 0;
            node[v].children = from->children;
            node[v].fail = id[from->fail];
            starts[v] = used;
            for (int32_t j = start[old[v]]; j < start[old[v] + 1]; j++) outs[used++] = m->outs[j];
            label[v] = m->label[old[v]];
        }
        starts[nodes] = used;
        PyMem_Free(m->node);
        PyMem_Free(m->label);
        PyMem_Free(m->outs);
        PyMem_Free(*start_at);
        m->node = node;
        m->label = label;
        m->outs = outs;
        *start_at = starts;
    } else {
        PyMem_Free(node);
        PyMem_Free(label);
        PyMem_Free(outs);
        PyMem_Free(starts);
    }
    PyMem_Free(id);
    PyMem_Free(old);
    PyMem_Free(stack);
    return ok ? 0 : -1;
}

/* Each state's patterns (``outs`` from ``start[state]`` to ``start[state + 1]``) into its node:
 * their count, and the pattern itself for a state of one; ``outs`` made anew with the patterns
 * of the states of more (see Node). 0, or -1 (out of memory). */
static int outs_pack(Matcher *m, const int32_t *start) {
    size_t room = 1;
    for (int32_t v = 0; v < m->states; v++) {
        int32_t count = start[v + 1] - start[v];
        if (count > 1) room += (size_t)count + (count >= MANY);
    }
    int32_t *outs = PyMem_Malloc(room * sizeof(int32_t)), used = 0;
    if (outs == NULL) return -1;
    for (int32_t v = 0; v < m->states; v++) {
        int32_t count = start[v + 1] - start[v];
        Node *n = &m->node[v];
        n->outs = (uint16_t)(count < MANY ? count : MANY);
        n->out = count == 1 ? m->outs[start[v]] : used;
        if (count > 1) {
            if (count >= MANY) outs[used++] = count;
            memcpy(outs + used, m->outs + start[v], (size_t)count * sizeof(int32_t));
            used += count;
        }
    }
    PyMem_Free(m->outs);
    m->outs = outs;
    return 0;
}

/* build(literals, owners, patterns, counted, lengths[, real]) -> the matcher: literals (bytes) as
 * prefilter._plan gives them, owners[k] the scanned patterns (indices below ``patterns``) literal
 * k is a factor of; Prefilter's counted and lengths (by scanned pattern) and real (see
 * ``alternatives_of``). */
static PyObject *build(PyObject *self, PyObject *args) {
    PyObject *literal_list, *owner_list, *counted, *lengths, *real = Py_None;
    int patterns;
    if (!PyArg_ParseTuple(args, "O!O!iOO|O", &PyList_Type, &literal_list, &PyList_Type, &owner_list, &patterns,
                          &counted, &lengths, &real))
        return NULL;
    /* Tuples of the lists' items, held for the call: the __index__ or __iter__ of what the
     * counted, lengths and owners hold runs Python code, which could empty the lists. */
    PyObject *literals = PyList_AsTuple(literal_list), *owners = PyList_AsTuple(owner_list);
    if (literals == NULL || owners == NULL) {
        Py_XDECREF(literals);
        Py_XDECREF(owners);
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(literals);
    if (PyTuple_GET_SIZE(owners) != n || patterns < 0 || patterns > MAX_PATTERNS) {
        PyErr_SetString(PyExc_ValueError, "one list of owners per literal, and 0 to 2**24 patterns");
        Py_DECREF(literals);
        Py_DECREF(owners);
        return NULL;
    }
    Matcher *m = PyMem_Calloc(1, sizeof(Matcher));
    /* The trie as first built: each node's children a linked list; the literals ending at it too. */
    int32_t *t_first = NULL, *t_next = NULL, *t_lit = NULL, *lit_next = NULL, *order = NULL, *renum = NULL;
    int32_t *start = NULL; /* by state, and one past: where its patterns start in ``outs`` (``outs_pack``) */
    uint8_t *t_label = NULL;
    int32_t *stamp = NULL;
    PyObject *result = NULL;
    if (m == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    m->patterns = patterns;
    if (row_lengths(m, counted, lengths) < 0 || alternatives_of(m, real) < 0 || spares_make(m) < 0) goto done;

    Py_ssize_t total = 1;
    int seen[256] = {0}, split = 1;
    seen['\n'] = 1; /* (a class of its own even in no literal: ``slow`` counts the rows on it) */
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *lit = PyTuple_GET_ITEM(literals, k);
        if (!PyBytes_Check(lit) || PyBytes_GET_SIZE(lit) == 0) {
            PyErr_SetString(PyExc_ValueError, "a literal is a non-empty bytes");
            goto done;
        }
        const uint8_t *b = (const uint8_t *)PyBytes_AS_STRING(lit);
        for (Py_ssize_t i = 0; i < PyBytes_GET_SIZE(lit); i++) seen[lower(b[i])] = 1;
        total += PyBytes_GET_SIZE(lit);
        /* A literal with a newline past its first byte, or the newline alone: the state after a
         * newline can depend on the bytes before it (or record a match), so one stream. */
        if (PyBytes_GET_SIZE(lit) == 1 ? b[0] == '\n' : memchr(b + 1, '\n', PyBytes_GET_SIZE(lit) - 1) != NULL)
            split = 0;
    }
    if (total >= INT32_MAX / 2) {
        PyErr_SetString(PyExc_ValueError, "too many literals");
        goto done;
    }
    /* The classes of the bytes most of a text is (see the top): first, in one cache line of a row. */
    int classes = 1;
    static const char common[] = "etaoinsrhldcumfpgwybvkxjqz \n";
    for (const char *p = common; *p; p++)
        if (seen[(uint8_t)*p]) m->cls[(uint8_t)*p] = (uint8_t)classes++;
    for (int b = 0; b < 256; b++)
        if (seen[b] && m->cls[b] == 0) m->cls[b] = (uint8_t)classes++;
    if (classes > 256) { /* (every byte: 255 classes and the unused 0 fit a byte only up to 255) */
        PyErr_SetString(PyExc_ValueError, "too many byte classes");
        goto done;
    }
    for (int b = 'A'; b <= 'Z'; b++) m->cls[b] = m->cls[b + 32];
    m->classes = classes;
    while ((1 << m->shift) < classes) m->shift++;
    m->nl = m->cls['\n'];
    m->split = split;
    if ((double)total * 2 >= (double)UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "too many literals");
        goto done;
    }

    t_first = PyMem_Malloc(total * sizeof(int32_t));
    t_next = PyMem_Malloc(total * sizeof(int32_t));
    t_lit = PyMem_Malloc(total * sizeof(int32_t));
    t_label = PyMem_Malloc(total);
    lit_next = PyMem_Malloc((n + 1) * sizeof(int32_t));
    if (!t_first || !t_next || !t_lit || !t_label || !lit_next) {
        PyErr_NoMemory();
        goto done;
    }
    int32_t nodes = 1;
    t_first[0] = t_next[0] = t_lit[0] = -1;
    t_label[0] = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *lit = PyTuple_GET_ITEM(literals, k);
        const uint8_t *b = (const uint8_t *)PyBytes_AS_STRING(lit);
        int32_t s = 0;
        for (Py_ssize_t i = 0; i < PyBytes_GET_SIZE(lit); i++) {
            uint8_t c = m->cls[b[i]];
            int32_t t = t_first[s];
            while (t >= 0 && t_label[t] != c) t = t_next[t];
            if (t < 0) {
                t = nodes++;
                t_first[t] = t_lit[t] = -1;
                t_label[t] = c;
                t_next[t] = t_first[s];
                t_first[s] = t;
            }
            s = t;
        }
        lit_next[k] = t_lit[s];
        t_lit[s] = (int32_t)k;
    }

    /* Breadth first: order[new] = old node; renum[old] = new. */
    m->states = nodes;
    order = PyMem_Malloc(nodes * sizeof(int32_t));
    renum = PyMem_Malloc(nodes * sizeof(int32_t));
    m->node = PyMem_Calloc((size_t)nodes + 1, sizeof(Node));
    m->label = PyMem_Calloc(nodes, 1);
    stamp = PyMem_Malloc(((size_t)patterns + 1) * sizeof(int32_t));
    start = PyMem_Malloc(((size_t)nodes + 1) * sizeof(int32_t));
    if (!order || !renum || !m->node || !m->label || !stamp || !start) {
        PyErr_NoMemory();
        goto done;
    }
    int32_t head = 0, tail = 1;
    order[0] = 0;
    renum[0] = 0;
    while (head < tail) {
        int32_t s = order[head++];
        m->node[renum[s]].first = tail;
        for (int32_t t = t_first[s]; t >= 0; t = t_next[t]) {
            renum[t] = tail;
            m->label[tail] = t_label[t];
            order[tail++] = t;
        }
        m->node[renum[s]].children = (uint8_t)(tail - m->node[renum[s]].first); /* (at most 255: see Node) */
    }

    /* Failure links, breadth first (a state's link is shallower, so done before it). */
    for (int32_t u = 0; u < nodes; u++) {
        for (int32_t v = m->node[u].first; v < m->node[u].first + m->node[u].children; v++) {
            int32_t f = 0;
            if (u != 0) {
                f = m->node[u].fail;
                int32_t to;
                while ((to = child(m, f, m->label[v])) < 0 && f != 0) f = m->node[f].fail;
                f = to < 0 ? 0 : to;
            }
            m->node[v].fail = f;
        }
    }

    /* Each state's patterns: its own literals' owners, then its failure link's, each once. */
    Py_ssize_t cap = 1024, used = 0;
    m->outs = PyMem_Malloc(cap * sizeof(int32_t));
    if (!m->outs) {
        PyErr_NoMemory();
        goto done;
    }
    for (int32_t p = 0; p <= patterns; p++) stamp[p] = -1;
    for (int32_t v = 0; v < nodes; v++) {
        start[v] = (int32_t)used;
        for (int32_t k = t_lit[order[v]]; k >= 0; k = lit_next[k]) {
            PyObject *seq = PySequence_Tuple(PyTuple_GET_ITEM(owners, k));
            if (seq == NULL) goto done;
            for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(seq); j++) {
                long p = PyLong_AsLong(PyTuple_GET_ITEM(seq, j));
                if (p == -1 && PyErr_Occurred()) {
                    Py_DECREF(seq);
                    goto done;
                }
                if (p < 0 || p >= patterns) {
                    Py_DECREF(seq);
                    PyErr_SetString(PyExc_ValueError, "a pattern index out of range");
                    goto done;
                }
                if (stamp[p] == v) continue;
                stamp[p] = v;
                if (used == cap) {
                    cap *= 2;
                    int32_t *grown = cap < INT32_MAX / 2 ? PyMem_Realloc(m->outs, cap * sizeof(int32_t)) : NULL;
                    if (!grown) {
                        Py_DECREF(seq);
                        PyErr_NoMemory();
                        goto done;
                    }
                    m->outs = grown;
                }
                m->outs[used++] = (int32_t)p;
            }
            Py_DECREF(seq);
        }
        if (v != 0) {
            int32_t f = m->node[v].fail;
            for (int32_t j = start[f]; j < start[f + 1]; j++) {
                int32_t p = m->outs[j];
                if (stamp[p] == v) continue;
                stamp[p] = v;
                if (used == cap) {
                    cap *= 2;
                    int32_t *grown = cap < INT32_MAX / 2 ? PyMem_Realloc(m->outs, cap * sizeof(int32_t)) : NULL;
                    if (!grown) {
                        PyErr_NoMemory();
                        goto done;
                    }
                    m->outs = grown;
                }
                m->outs[used++] = p;
            }
        }
        start[v + 1] = (int32_t)used;
    }

    /* The shallow states' full table: a child, else where the failure link goes on it. Past
     * DENSE states, the table ends where the sibling block that holds state DENSE starts (every
     * block wholly in it or past it), and the states past it are numbered again (``deep_order``). */
    m->dense = nodes;
    if (nodes > DENSE) {
        int32_t p = 0;
        while (m->node[p].children == 0 || m->node[p].first + m->node[p].children <= DENSE) p++;
        m->dense = m->node[p].first;
        if (deep_order(m, &start) < 0) {
            PyErr_NoMemory();
            goto done;
        }
    }
    if (outs_pack(m, start) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    size_t width = (size_t)1 << m->shift;
    m->table_block = PyMem_Calloc((size_t)(m->dense + 1) * width * sizeof(uint16_t) + LINE, 1);
    if (!m->table_block) {
        PyErr_NoMemory();
        goto done;
    }
    m->table = (uint16_t *)(((uintptr_t)m->table_block + LINE - 1) & ~(uintptr_t)(LINE - 1));
    for (int32_t s = 0; s < m->dense; s++) {
        uint16_t *row = m->table + (size_t)s * width;
        /* (a FAR entry copied from the failure link's row stays right: ``deep`` follows the links) */
        for (int c = 0; c < classes; c++) row[c] = s == 0 ? 0 : m->table[(size_t)m->node[s].fail * width + c];
        for (int32_t t = m->node[s].first; t < m->node[s].first + m->node[s].children; t++) row[m->label[t]] = code(m, t);
    }
    /* The row a scan in a deep state is on: every step to ``slow``, but on a byte in no literal,
     * which goes back to the root from any state. */
    uint16_t *last = m->table + (size_t)m->dense * width;
    last[0] = 0;
    for (int c = 1; c < classes; c++) last[c] = FAR;
    /* Every step on a newline goes to ``slow`` (a spurious OUT records nothing: it looks at the
     * state's patterns), which counts the rows there: the plain step has no test for a newline
     * per character (a text's rows are a few per thousand characters). */
    for (int32_t s = 0; s < m->dense; s++) m->table[(size_t)s * width + m->nl] |= OUT;

    /* With ``split``, no literal ends on a newline (none is "\n" alone, nor holds one past its
     * first byte), and the state after one is the root's child on it (or the root). */
    if (split) {
        int32_t t = child(m, 0, m->nl);
        m->after_nl = t < 0 ? 0 : t;
    } else {
        m->after_nl = -1;
    }

    /* What the root stays at: a scan there passes over these bytes without a look-up each. */
    int letters = 0;
    for (int b = 0; b < 128; b++) {
        m->skip[b] = b != '\n' && m->table[m->cls[b]] == 0;
        letters += b >= 'a' && b <= 'z' && m->skip[b];
    }
    m->sparse = letters >= 20;
    m->nstops = 0;
    for (int b = 0; b < 128 && m->nstops >= 0; b++)
        if (!m->skip[b]) {
            if (m->nstops == MAX_STOPS) m->nstops = -1;
            else {
                memset(m->lanes[m->nstops], b, sizeof m->lanes[0]);
                for (int j = 0; j < 8; j++) m->wide[m->nstops][j] = (uint16_t)b;
                m->stops[m->nstops++] = (uint8_t)b;
            }
        }

    result = PyCapsule_New(m, CAPSULE, capsule_free);
done:
    PyMem_Free(t_first);
    PyMem_Free(t_next);
    PyMem_Free(t_lit);
    PyMem_Free(t_label);
    PyMem_Free(lit_next);
    PyMem_Free(order);
    PyMem_Free(renum);
    PyMem_Free(stamp);
    PyMem_Free(start);
    Py_DECREF(literals);
    Py_DECREF(owners);
    if (result == NULL) matcher_free(m);
    return result;
}

/* A step from state ``s`` on class ``c`` where the table does not say (``s`` past it, or its
 * entry FAR): to a child, or by its failure link (to a shallower state, in the end to one in the
 * table, or the root). The state it goes to. */
static int32_t deep(const Matcher *m, int32_t s, uint8_t c) {
    for (;;) {
        if (s < m->dense) {
            uint16_t e = m->table[((size_t)s << m->shift) + c];
            if (!(e & FAR)) return e & STATE;
        }
        int32_t t = child(m, s, c);
        if (t >= 0) return t;
        if (s == 0) return 0;
        s = m->node[s].fail;
    }
}

/* The rows found so far: for each pattern, a list of its rows (increasing, each once) chained
 * through one arena; ``order`` the patterns in the order of their first row. */
typedef struct {
    Py_ssize_t row;
    int32_t next;
} Hit;

/* A pattern's rows found so far (``add``): side by side, one cache line where three arrays by
 * pattern were three, each a miss at a match (a call's matches are of a few patterns among
 * hundreds, met a few times a document). */
typedef struct {
    Py_ssize_t last; /* its last row, or (none yet) PY_SSIZE_T_MIN: below any row (-1 on) */
    int32_t head, tail; /* its first and last in ``hits`` (head -1: none) */
} Mark;

typedef struct {
    const Matcher *m;
    int32_t real;     /* the state, while the scan is on the table's last row (a deep one) */
    Py_ssize_t row;  /* the row of the byte the scan is at */
    int lines;       /* a newline ends a row (the call's text is not ASCII: ``slow`` counts it) */
    Mark *mark;       /* by pattern */
    int32_t *order, found;
    Hit *hits;
    Py_ssize_t used, cap;
    Spare *spare; /* the matcher's whose tables these are, or NULL (``scan_init``) */
} Scan;

/* Tables of a scan the matcher keeps for its calls, as new (``scan_init``), while not ``busy``. */
struct Spare {
    Scan tables;
    int busy;
};

/* The pattern ``p`` has a match on ``sc->row``: the row added to its list (once). 0, or -1 (out of memory). */
static int add(Scan *sc, int32_t p) {
    Mark *k = &sc->mark[p];
    if (k->last == sc->row) return 0;
    if (sc->used == sc->cap) {
        Py_ssize_t cap = sc->cap ? sc->cap * 2 : 256;
        Hit *grown = PyMem_Realloc(sc->hits, cap * sizeof(Hit));
        if (grown == NULL) return -1;
        sc->hits = grown;
        sc->cap = cap;
    }
    /* (Marked only once the row is added: a spare's tables are reset by ``order``, so a pattern
     * marked but not in it would keep its mark for the matcher's next call.) */
    k->last = sc->row;
    int32_t at = (int32_t)sc->used++;
    sc->hits[at].row = sc->row;
    sc->hits[at].next = -1;
    if (k->head < 0) {
        k->head = at;
        sc->order[sc->found++] = p;
    } else {
        sc->hits[k->tail].next = at;
    }
    k->tail = at;
    return 0;
}

/* on_match: the patterns of state ``n`` have a match on ``sc->row``. 0, or -1 (out of memory). */
static int record(Scan *sc, const Node *n) {
    if (n->outs == 1) return add(sc, n->out);
    const int32_t *p = sc->m->outs + n->out;
    int32_t count = n->outs == MANY ? *p++ : n->outs;
    for (int32_t j = 0; j < count; j++)
        if (add(sc, p[j]) < 0) return -1;
    return 0;
}

/* Every step but the plain one (``FEED``): at ``x`` in the table (a table row, a shallow state or
 * the last row for the deep state ``sc->real``, times the classes, plus the byte's class), whose
 * entry is ``e``. A state with patterns records them; then a newline, in a scan that counts rows
 * by them, starts the next row (the newline is on the row it ends, as on_match reads it). The row
 * the scan goes on from, or -1 (out of memory). (The plain step keeps neither the row nor the
 * class apart from ``x``: they are worked out here, on the few steps that come here.) */
static int32_t slow(Scan *sc, size_t x, uint32_t e) {
    const Matcher *m = sc->m;
    uint32_t v = (uint32_t)(x >> m->shift);
    uint8_t c = (uint8_t)(x & (((size_t)1 << m->shift) - 1));
    int32_t t = e & FAR ? deep(m, v == (uint32_t)m->dense ? sc->real : (int32_t)v, c) : (int32_t)(e & STATE);
    if (m->node[t].outs != 0 && record(sc, &m->node[t]) < 0) return -1;
    if (c == m->nl && sc->lines) sc->row++;
    if (t < m->dense) return t;
    sc->real = t;
    return m->dense;
}

/* One byte through the automaton of scan ``sc`` (a pointer) at table row ``v`` (see ``slow``). A
 * byte in no literal is class 0, whose entry is the root on every row. (``cls``, ``table`` and
 * ``shift``: the matcher's, as locals; ``nomem``: where an allocation that failed goes.) */
#define FEED(sc, v, byte)                                                             \
    do {                                                                              \
        size_t x_ = ((size_t)(v) << shift) + cls[(byte)];                             \
        (v) = table[x_]; /* (the entry: the next row, on the plain step) */           \
        if (RARE((v) > STATE)) { /* (OUT or FAR: the top bits) */                     \
            int32_t r_ = slow((sc), x_, (v));                                         \
            if (r_ < 0) goto nomem;                                                   \
            (v) = (uint32_t)r_;                                                       \
        }                                                                             \
    } while (0)

/* One character as its UTF-8 bytes (surrogates too: "surrogatepass"). (A newline's row: ``slow``.) */
#define FEED_CHAR(sc, v, character)                                                   \
    do {                                                                              \
        Py_UCS4 ch = (character);                                                     \
        if (ch < 0x80) {                                                              \
            FEED(sc, v, (uint8_t)ch);                                                 \
        } else if (ch < 0x800) {                                                      \
            FEED(sc, v, (uint8_t)(0xC0 | (ch >> 6)));                                 \
            FEED(sc, v, (uint8_t)(0x80 | (ch & 0x3F)));                               \
        } else if (ch < 0x10000) {                                                    \
            FEED(sc, v, (uint8_t)(0xE0 | (ch >> 12)));                                \
            FEED(sc, v, (uint8_t)(0x80 | ((ch >> 6) & 0x3F)));                        \
            FEED(sc, v, (uint8_t)(0x80 | (ch & 0x3F)));                               \
        } else {                                                                      \
            FEED(sc, v, (uint8_t)(0xF0 | (ch >> 18)));                                \
            FEED(sc, v, (uint8_t)(0x80 | ((ch >> 12) & 0x3F)));                       \
            FEED(sc, v, (uint8_t)(0x80 | ((ch >> 6) & 0x3F)));                        \
            FEED(sc, v, (uint8_t)(0x80 | (ch & 0x3F)));                               \
        }                                                                             \
    } while (0)

/* The newline that ends a text's row: counted here when the scan counts rows by the texts
 * (``slow`` counts it otherwise). Where the state after a newline is known (``after_nl``: it
 * records nothing), there at once, the row counted here either way: a step through ``slow``
 * less a row. */
#define END_ROW(sc, v)                                                                \
    do {                                                                              \
        if ((sc)->m->after_nl >= 0) {                                                 \
            (v) = (uint32_t)(sc)->m->after_nl;                                        \
            (sc)->row++;                                                              \
        } else {                                                                      \
            FEED(sc, v, '\n');                                                        \
            if (!(sc)->lines) (sc)->row++;                                            \
        }                                                                             \
    } while (0)

/* From ``c[i]`` on (``size`` characters of one or two bytes: ``wide``), where the scan at the root
 * may stop passing over: past the blocks of 16 bytes whose characters are all in ``skip`` (an
 * ASCII character not among the matcher's ``stops``), at the first character that is not, or
 * where fewer than 16 bytes are left. What the one-by-one pass (``SPARSE``) then passes over from
 * there, it would have from ``i``: the same characters, a compare each for 8 or 16. */
static Py_ssize_t pass_over(const Matcher *m, const void *c, int wide, Py_ssize_t i, Py_ssize_t size) {
#ifdef PASS_SIMD
    int n = m->nstops;
    if (n < 0) return i;
    if (wide) {
        const __m128i high = _mm_set1_epi16((short)0xFF80), zero = _mm_setzero_si128(), ones = _mm_cmpeq_epi16(zero, zero);
        for (; i + 8 <= size; i += 8) {
            __m128i x = _mm_loadu_si128((const __m128i *)((const Py_UCS2 *)c + i));
            /* (a character past 0x7F: some bit of 0xFF80 set; the compare gives 0xFFFF where none is) */
            __m128i out = _mm_xor_si128(_mm_cmpeq_epi16(_mm_and_si128(x, high), zero), ones);
            for (int k = 0; k < n; k++)
                out = _mm_or_si128(out, _mm_cmpeq_epi16(x, _mm_loadu_si128((const __m128i *)m->wide[k])));
            int hits = _mm_movemask_epi8(out);
            if (hits != 0) return i + __builtin_ctz((unsigned)hits) / 2;
        }
    } else {
        for (; i + 16 <= size; i += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)((const uint8_t *)c + i));
            __m128i out = x; /* (a byte past 0x7F has its top bit set, as a compare's 0xFF: movemask reads both) */
            for (int k = 0; k < n; k++)
                out = _mm_or_si128(out, _mm_cmpeq_epi8(x, _mm_loadu_si128((const __m128i *)m->lanes[k])));
            int hits = _mm_movemask_epi8(out);
            if (hits != 0) return i + __builtin_ctz((unsigned)hits);
        }
    }
#else
    (void)m, (void)c, (void)wide, (void)size;
#endif
    return i;
}

/* A loop of feed_text for a sparse matcher: at the root, the characters it stays at (``skip``)
 * are passed over, 16 bytes at a time while they can be (``pass_over``: ``wide``, 0 or 1, for
 * one- and two-byte characters, -1 for neither), then a compare each instead of a look-up (most
 * of a text, for a site's few literals that start a line); every other one is fed (``feed``, of
 * ``c[i]``). A newline is never passed over: it starts a row. */
#define SPARSE(c, wide, feed)                                                         \
    for (Py_ssize_t i = from; i < size; i++) {                                        \
        if (v == 0) {                                                                 \
            if ((wide) >= 0) i = pass_over(sc->m, (c), (wide), i, size);              \
            while (i < size && (c)[i] < 0x80 && skip[(c)[i]]) i++;                    \
            if (i == size) break;                                                     \
        }                                                                             \
        feed;                                                                         \
    }

/* ``text``'s first ``size`` characters (all of them, or none: a row too long to scan) from
 * character ``from`` on, then the newline that ends its row, through scan ``sc`` from table row
 * ``*at`` (rows by the texts or by newlines, as ``sc->lines`` says). 0, or -1 (out of memory). */
static int feed_text(Scan *sc, uint32_t *at, PyObject *text, Py_ssize_t size, Py_ssize_t from) {
    const uint8_t *cls = sc->m->cls;
    const uint16_t *table = sc->m->table;
    const unsigned shift = (unsigned)sc->m->shift;
    uint32_t v = *at;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (sc->m->sparse) {
        const uint8_t *skip = sc->m->skip;
        if (PyUnicode_IS_ASCII(text)) {
            const uint8_t *b = data;
            SPARSE(b, 0, FEED(sc, v, b[i]));
        } else if (kind == PyUnicode_1BYTE_KIND) {
            const Py_UCS1 *c = data;
            SPARSE(c, 0, FEED_CHAR(sc, v, c[i]));
        } else if (kind == PyUnicode_2BYTE_KIND) {
            const Py_UCS2 *c = data;
            SPARSE(c, 1, FEED_CHAR(sc, v, c[i]));
        } else {
            const Py_UCS4 *c = data;
            SPARSE(c, -1, FEED_CHAR(sc, v, c[i]));
        }
    } else if (PyUnicode_IS_ASCII(text)) { /* (a newline in it starts a row only if not ``ascii``: ``slow``) */
        const uint8_t *b = data;
        for (Py_ssize_t i = from; i < size; i++) FEED(sc, v, b[i]);
    } else if (kind == PyUnicode_1BYTE_KIND) { /* (one loop per kind: no switch per character) */
        const Py_UCS1 *c = data;
        for (Py_ssize_t i = from; i < size; i++) FEED_CHAR(sc, v, c[i]);
    } else if (kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *c = data;
        for (Py_ssize_t i = from; i < size; i++) FEED_CHAR(sc, v, c[i]);
    } else {
        const Py_UCS4 *c = data;
        for (Py_ssize_t i = from; i < size; i++) FEED_CHAR(sc, v, c[i]);
    }
    END_ROW(sc, v);
    *at = v;
    return 0;
nomem:
    return -1;
}

/* One character of an ASCII text: its byte as it is (no test for a character past 0x7F). */
#define FEED_ASCII(sc, v, character) FEED(sc, v, (uint8_t)(character))

/* The loop of ``feed_pair`` over ``steps`` characters of each text, from ``pa`` and ``pb``, for
 * one pair of kinds (TA, TB), each fed by FA and FB (``FEED_ASCII`` for an ASCII text, whose
 * characters need no test for one past 0x7F: most rows; ``FEED_CHAR`` else): no switch on the
 * kind per character, nor a test for a newline (``slow`` counts the rows where a newline starts
 * one). (Before, every pair of rows but two of one byte a character went through one loop
 * reading both by PyUnicode_READ: most rows of a document that is not ASCII, where one curly
 * quote makes a row two bytes a character.) 0, or -1 (out of memory). */
#define PAIR_LOOP(name, TA, FA, TB, FB)                                               \
    static int name(Scan *a, uint32_t *at_a, Scan *b, uint32_t *at_b, const void *da, \
                    const void *db, Py_ssize_t steps) {                               \
        const uint8_t *cls = a->m->cls;                                               \
        const uint16_t *table = a->m->table;                                          \
        const unsigned shift = (unsigned)a->m->shift;                                 \
        const TA *pa = da;                                                            \
        const TB *pb = db;                                                            \
        uint32_t va = *at_a, vb = *at_b;                                              \
        Py_ssize_t i = 0;                                                             \
        for (; i + 1 < steps; i += 2) { /* (two a turn: half the loop's count and test) */ \
            FA(a, va, pa[i]);                                                         \
            FB(b, vb, pb[i]);                                                         \
            FA(a, va, pa[i + 1]);                                                     \
            FB(b, vb, pb[i + 1]);                                                     \
        }                                                                             \
        if (i < steps) {                                                              \
            FA(a, va, pa[i]);                                                         \
            FB(b, vb, pb[i]);                                                         \
        }                                                                             \
        *at_a = va;                                                                   \
        *at_b = vb;                                                                   \
        return 0;                                                                     \
    nomem:                                                                            \
        return -1;                                                                    \
    }
PAIR_LOOP(pair_aa, Py_UCS1, FEED_ASCII, Py_UCS1, FEED_ASCII)
PAIR_LOOP(pair_a1, Py_UCS1, FEED_ASCII, Py_UCS1, FEED_CHAR)
PAIR_LOOP(pair_a2, Py_UCS1, FEED_ASCII, Py_UCS2, FEED_CHAR)
PAIR_LOOP(pair_1a, Py_UCS1, FEED_CHAR, Py_UCS1, FEED_ASCII)
PAIR_LOOP(pair_11, Py_UCS1, FEED_CHAR, Py_UCS1, FEED_CHAR)
PAIR_LOOP(pair_12, Py_UCS1, FEED_CHAR, Py_UCS2, FEED_CHAR)
PAIR_LOOP(pair_2a, Py_UCS2, FEED_CHAR, Py_UCS1, FEED_ASCII)
PAIR_LOOP(pair_21, Py_UCS2, FEED_CHAR, Py_UCS1, FEED_CHAR)
PAIR_LOOP(pair_22, Py_UCS2, FEED_CHAR, Py_UCS2, FEED_CHAR)
#undef PAIR_LOOP

typedef int (*PairLoop)(Scan *, uint32_t *, Scan *, uint32_t *, const void *, const void *, Py_ssize_t);
/* By the kinds of the two texts (``kind_of``: 0 ASCII, 1 one byte, 2 two bytes), their loop. */
static const PairLoop pair_loops[3][3] = {
    {pair_aa, pair_a1, pair_a2}, {pair_1a, pair_11, pair_12}, {pair_2a, pair_21, pair_22}};

/* A text's kind for ``pair_loops``: 0 ASCII, 1 one byte a character, 2 two; -1 four (no loop: rare). */
static int kind_of(PyObject *text) {
    if (PyUnicode_IS_ASCII(text)) return 0;
    int kind = PyUnicode_KIND(text);
    return kind == PyUnicode_1BYTE_KIND ? 1 : kind == PyUnicode_2BYTE_KIND ? 2 : -1;
}

/* Two scans at once, ``a`` on texts [*ka, end_a) and ``b`` on [*kb, n), a character of each in
 * turn until either runs out of texts (``*ka``, ``*kb``, ``*ia``, ``*ib``: where each is then, a
 * text and a character in it; ``sizes``: the characters of each text to scan). The two chains
 * of table look-ups do not wait for each other: the processor has two cache misses in flight
 * where one scan has one (the table is larger than the first-level cache, and other work evicts
 * it between documents). 0, or -1 (out of memory). */
static int feed_pair(Scan *a, uint32_t *at_a, Scan *b, uint32_t *at_b, PyObject *texts, const Py_ssize_t *sizes,
                     Py_ssize_t *ka, Py_ssize_t end_a, Py_ssize_t *kb, Py_ssize_t n, Py_ssize_t *ia, Py_ssize_t *ib) {
    const uint8_t *cls = a->m->cls;
    const uint16_t *table = a->m->table;
    const unsigned shift = (unsigned)a->m->shift;
    uint32_t va = *at_a, vb = *at_b;
    while (*ka < end_a && *kb < n) {
        PyObject *ta = PyList_GET_ITEM(texts, *ka), *tb = PyList_GET_ITEM(texts, *kb);
        Py_ssize_t la = sizes[*ka], lb = sizes[*kb];
        int kind_a = PyUnicode_KIND(ta), kind_b = PyUnicode_KIND(tb), code_a = kind_of(ta), code_b = kind_of(tb);
        const void *da = PyUnicode_DATA(ta), *db = PyUnicode_DATA(tb);
        Py_ssize_t i = *ia, j = *ib, steps = la - i < lb - j ? la - i : lb - j;
        int done = 1;
        if (code_a >= 0 && code_b >= 0) /* (a character is ``kind`` bytes: the loops start at i and j) */
            done = pair_loops[code_a][code_b](a, &va, b, &vb, (const char *)da + i * kind_a,
                                              (const char *)db + j * kind_b, steps);
        else { /* (a row with a character past the BMP: rare) */
            for (Py_ssize_t s = 0; s < steps; s++, i++, j++) {
                FEED_CHAR(a, va, PyUnicode_READ(kind_a, da, i));
                FEED_CHAR(b, vb, PyUnicode_READ(kind_b, db, j));
            }
            i -= steps;
            j -= steps;
        }
        if (done < 0) goto nomem;
        i += steps;
        j += steps;
        *ia = i;
        *ib = j;
        if (i == la) {
            END_ROW(a, va);
            ++*ka;
            *ia = 0;
        }
        if (j == lb) {
            END_ROW(b, vb);
            ++*kb;
            *ib = 0;
        }
    }
    *at_a = va;
    *at_b = vb;
    return 0;
nomem:
    return -1;
}

/* The rows ``b`` found (numbered from its first text's row) after ``a``'s, ``a`` having scanned
 * the texts before: as one scan of them all would have found them, in its order. 0, or -1. */
static int merge(Scan *a, const Scan *b) {
    Py_ssize_t offset = a->row; /* (the row a's last newline started: b's first) */
    for (int32_t k = 0; k < b->found; k++) {
        int32_t p = b->order[k];
        for (int32_t at = b->mark[p].head; at >= 0; at = b->hits[at].next) {
            a->row = b->hits[at].row + offset;
            if (add(a, p) < 0) return -1;
        }
    }
    return 0;
}

/* The most hits a spare's tables keep room for after a call (1 MB): a real page's scan finds a few hundred. */
#define SPARE_HITS 65536
/* The most patterns a matcher keeps spare tables for (20 bytes a pattern, twice: 2.6 MB at most);
 * one of more makes its tables at each call. */
#define SPARE_PATTERNS 65536

/* A scan's tables by pattern (``np`` of them), no row found yet. 0, or -1 (out of memory). */
static int scan_tables(Scan *sc, int32_t np) {
    sc->mark = PyMem_Malloc(((size_t)np + 1) * sizeof(Mark));
    sc->order = PyMem_Malloc(((size_t)np + 1) * sizeof(int32_t));
    if (!sc->mark || !sc->order) return -1;
    for (int32_t p = 0; p < np; p++) {
        sc->mark[p].last = PY_SSIZE_T_MIN;
        sc->mark[p].head = -1;
    }
    return 0;
}

static void scan_free(Scan *sc) {
    if (sc->spare != NULL) { /* (its tables made as new again: only the patterns found were written) */
        for (int32_t k = 0; k < sc->found; k++) {
            sc->mark[sc->order[k]].last = PY_SSIZE_T_MIN;
            sc->mark[sc->order[k]].head = -1;
        }
        Spare *spare = sc->spare;
        spare->tables = *sc; /* (the hits as ``add`` grew them) */
        spare->tables.spare = NULL;
        spare->busy = 0;
        if (sc->cap > SPARE_HITS) { /* (a huge document's are not kept for the next) */
            PyMem_Free(sc->hits);
            spare->tables.hits = NULL;
            spare->tables.cap = 0;
        }
        return;
    }
    PyMem_Free(sc->mark);
    PyMem_Free(sc->order);
    PyMem_Free(sc->hits);
}

/* The matcher's two spare tables (``scan_init``), as new. 0, or -1 with an error set. */
static int spares_make(Matcher *m) {
    if (m->patterns > SPARE_PATTERNS) return 0; /* (m->spare stays NULL) */
    m->spare = PyMem_Calloc(2, sizeof(Spare));
    if (m->spare == NULL || scan_tables(&m->spare[0].tables, m->patterns) < 0 ||
        scan_tables(&m->spare[1].tables, m->patterns) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void spares_free(Matcher *m) {
    for (int k = 0; m->spare != NULL && k < 2; k++) scan_free(&m->spare[k].tables); /* (their own ``spare``: NULL) */
    PyMem_Free(m->spare);
}

/* A scan's tables by pattern (``np``, the matcher's, of them), no row found yet; ``lines``: rows
 * by newlines: a spare's of the matcher (two, for a call's two scans: no tables made and set for
 * each call, thousands of stores for a rule set scanned as its alternatives), or new ones where
 * both are taken (a call made by a finalizer while another builds its result). 0, or -1 (out of
 * memory). */
static int scan_init(Scan *sc, const Matcher *m, int32_t np, int lines) {
    *sc = (Scan){m, 0, -1, lines, NULL, NULL, 0, NULL, 0, 0, NULL};
    for (int k = 0; m->spare != NULL && k < 2; k++) {
        Spare *spare = &m->spare[k];
        if (!spare->busy) {
            Scan *kept = &spare->tables;
            sc->mark = kept->mark, sc->order = kept->order;
            sc->hits = kept->hits, sc->cap = kept->cap;
            sc->spare = spare;
            spare->busy = 1;
            return 0;
        }
    }
    return scan_tables(sc, np);
}

/* Texts of fewer characters than this are scanned as one stream (the second's set-up is not worth it). */
#define SPLIT_CHARS 256

/* The length of texts[row] as ``sizes[row]`` reads it in Python (a negative row from the end):
 * from ``sizes``, the n texts' lengths; -1 with IndexError set past the list. */
static inline Py_ssize_t size_of(const Py_ssize_t *sizes, Py_ssize_t n, Py_ssize_t row) {
    Py_ssize_t r = row < 0 ? row + n : row;
    if (r < 0 || r >= n) {
        PyErr_SetString(PyExc_IndexError, "list index out of range");
        return -1;
    }
    return sizes[r];
}

/* The sets (their bits) that hold the character ``ch``. */
static inline uint64_t char_sets(const Matcher *m, Py_UCS4 ch) { return ch < 128 ? m->in_alpha[ch] : m->past_ascii; }

/* The sets of characters (their bits) ``text`` may be a row of: all of them if it has a newline
 * (its lines are matched apart), else the alphabets that hold each of its characters
 * (prefilter.holds), the needed sets that hold one (prefilter.meets) and the first ones that
 * hold its first (prefilter.begins; none for an empty text). */
static uint64_t held_by(const Matcher *m, PyObject *text) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    uint64_t each = ~(uint64_t)0, one = 0, start = 0, other = ~(m->every | m->firsts);
    if (PyUnicode_IS_ASCII(text)) { /* (most rows: a byte a character, no test past 0x7F) */
        const uint8_t *b = data;
        int newline = 0;
        for (Py_ssize_t i = 0; i < size; i++) {
            uint64_t in = m->in_alpha[b[i]];
            each &= in;
            one |= in;
            newline |= b[i] == '\n';
        }
        if (size > 0) start = m->in_alpha[b[0]];
        return newline ? ~(uint64_t)0 : (each & m->every) | (one & other) | (start & m->firsts);
    }
    for (Py_ssize_t i = 0; i < size; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch == '\n') return ~(uint64_t)0;
        uint64_t in = char_sets(m, ch);
        each &= in;
        one |= in;
        if (i == 0) start = in;
    }
    return (each & m->every) | (one & other) | (start & m->firsts);
}

/* Whether ``text`` may be a row of a pattern whose rows hold at most ``most`` characters other
 * than spaces (prefilter.sparse): it has a newline, or no more of them. (Asked only of a row
 * longer than ``most``: a long paragraph named by a factor.) */
static int sparse_enough(PyObject *text, Py_ssize_t most) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t size = PyUnicode_GET_LENGTH(text), other = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch == '\n') return 1;
        /* (prefilter._SPACES: \t to \r, \x1c to the space, and these past ASCII) */
        int space = ch < 0x80 ? (ch >= 0x09 && ch <= 0x0D) || (ch >= 0x1C && ch <= 0x20)
                              : ch == 0x85 || ch == 0xA0 || ch == 0x1680 || (ch >= 0x2000 && ch <= 0x200A) ||
                                    ch == 0x2028 || ch == 0x2029 || ch == 0x202F || ch == 0x205F || ch == 0x3000;
        other += !space;
    }
    return other <= most;
}

/* ``held_by``'s bit of the first set ``f`` alone (prefilter.begins), without reading the whole text
 * unless its first character is not in the set (then only for a newline): 1, 0, or -1 with an
 * error set. */
static int begins(const Matcher *m, PyObject *text, int f) {
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    if (size == 0) return 0;
    const void *data = PyUnicode_DATA(text);
    Py_UCS4 ch = PyUnicode_READ(PyUnicode_KIND(text), data, 0);
    if ((char_sets(m, ch) >> f) & 1) return 1;
    if (PyUnicode_IS_ASCII(text)) return memchr(data, '\n', (size_t)size) != NULL;
    Py_ssize_t at = PyUnicode_FindChar(text, '\n', 0, size, 1);
    return at == -2 ? -1 : at >= 0;
}

/* ``held_by`` of the texts, each worked out when first asked for (most rows no set is asked of):
 * ``texts`` the texts, held, as their sizes were taken (the list could change while the results
 * are made: a collection can run a finalizer), ``held`` and ``known`` by text. */
typedef struct {
    PyObject **texts;
    Py_ssize_t taken;
    uint64_t *held;
    uint8_t *known;
} Held;

static void held_free(Held *held) {
    for (Py_ssize_t k = 0; k < held->taken; k++) Py_DECREF(held->texts[k]);
    PyMem_Free(held->texts);
    PyMem_Free(held->held);
    PyMem_Free(held->known);
}

/* Whether ``row`` is kept by pattern p's row lengths and sets of characters (Prefilter._by_length):
 * 1, 0, or -1. (inline, with ``size_of``: asked for each row found, where a call cost more than
 * the test.) */
static inline int fits(const Matcher *m, const Py_ssize_t *sizes, Held *held, Py_ssize_t n, int32_t bound,
                       Py_ssize_t row) {
    if (bound < 0) return 1;
    Py_ssize_t size = size_of(sizes, n, row);
    if (size < 0) return -1;
    if (!(m->low[bound] <= size && size <= m->high[bound] && size)) return 0;
    Py_ssize_t r = row < 0 ? row + n : row;
    if (m->most[bound] >= 0 && size > m->most[bound] && !sparse_enough(held->texts[r], m->most[bound])) return 0;
    int a = m->alpha[bound], b = m->need[bound], f = m->first[bound];
    if (a < 0 && b < 0 && f < 0) return 1;
    if (a < 0 && b < 0 && !held->known[r]) return begins(m, held->texts[r], f); /* (most rows of such a pattern) */
    if (!held->known[r]) {
        held->held[r] = held_by(m, held->texts[r]);
        held->known[r] = 1;
    }
    uint64_t held_r = held->held[r];
    return (a < 0 || (held_r >> a & 1)) && (b < 0 || (held_r >> b & 1)) && (f < 0 || (held_r >> f & 1));
}

/* ``row`` appended to ``list``: 0, or -1 with an error set. */
static int append_row(PyObject *list, Py_ssize_t row) {
    PyObject *number = PyLong_FromSsize_t(row);
    int bad = number == NULL || PyList_Append(list, number) < 0;
    Py_XDECREF(number);
    return bad ? -1 : 0;
}

static int row_order(const void *a, const void *b) {
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

/* Rows kept so far (``alternative_kept``): ``at[0..used)``, room for ``cap``. */
typedef struct {
    Py_ssize_t *at, used, cap;
} Kept;

/* The rows alternative ``q`` found (every row, for one with row lengths and no factors) that its
 * bounds keep (``fits``), appended to ``kept``; with ``kept`` NULL, only whether one is kept.
 * 1 (one kept) or 0, or -1 with an error set. */
static int alternative_kept(const Matcher *m, const Scan *sc, const Py_ssize_t *sizes, Held *held, Py_ssize_t n,
                            int32_t q, Kept *kept) {
    int every = sc->mark[q].last == PY_SSIZE_T_MAX; /* (counted: its rows are every row) */
    int32_t at = every ? -1 : sc->mark[q].head;
    int any = 0;
    for (Py_ssize_t k = 0; every ? k < n : at >= 0; k++) {
        Py_ssize_t row = every ? k : sc->hits[at].row;
        if (!every) at = sc->hits[at].next;
        int keep = fits(m, sizes, held, n, m->bound[q], row);
        if (keep <= 0) {
            if (keep < 0) return -1;
            continue;
        }
        if (kept == NULL) return 1;
        any = 1;
        if (kept->used == kept->cap) {
            Py_ssize_t grown = kept->cap ? 2 * kept->cap : 64;
            Py_ssize_t *more = PyMem_Realloc(kept->at, (size_t)grown * sizeof(Py_ssize_t));
            if (more == NULL) {
                PyErr_NoMemory();
                return -1;
            }
            kept->at = more;
            kept->cap = grown;
        }
        kept->at[kept->used++] = row;
    }
    return any;
}

/* The rows of pattern ``r`` scanned as several alternatives (Prefilter._by_pattern): those each
 * alternative keeps (``alternative_kept``), each once, in order, appended to ``list``. 0, or -1
 * with an error set. Prefilter._by_length leaves out an alternative that keeps none, so the
 * pattern's rows come in the result where the first alternative that keeps one is (``rows``). */
static int alternative_rows(const Matcher *m, const Scan *sc, const Py_ssize_t *sizes, Held *held, Py_ssize_t n,
                            int32_t r, PyObject *list) {
    Kept kept = {NULL, 0, 0};
    int bad = 0;
    for (int32_t q = m->first_alt[r]; q >= 0 && !bad; q = m->next_alt[q])
        bad = alternative_kept(m, sc, sizes, held, n, q, &kept) < 0;
    if (!bad && kept.used > 1) qsort(kept.at, (size_t)kept.used, sizeof(Py_ssize_t), row_order);
    for (Py_ssize_t k = 0; k < kept.used && !bad; k++)
        if (k == 0 || kept.at[k] != kept.at[k - 1]) bad = append_row(list, kept.at[k]) < 0;
    PyMem_Free(kept.at);
    return bad ? -1 : 0;
}

/* rows(matcher, texts[, keys[, limit]]) -> {pattern: [row, ...]}: Prefilter.rows (the scan of
 * "\n" + "\n".join(texts) + "\n" in UTF-8, "surrogatepass", then _by_length), without joining or
 * encoding the texts: their characters go through the automaton as the UTF-8 bytes they are.
 * ``keys`` (a tuple, one per pattern, or None): each pattern's rows under keys[pattern] instead
 * of its index, a pattern whose key is None left out (what the engine keeps, without a pass in
 * Python). ``limit`` (-1: none): a text longer than this is read as "" (compiled.scannable),
 * without the caller making a list of the texts so read. */
static PyObject *rows(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *capsule, *texts, *keys = Py_None;
    Py_ssize_t limit = -1;
    if (fast_args("rows", args, nargs, "OL|On", &capsule, &texts, &keys, &limit) < 0) return NULL;
    const Matcher *m = PyCapsule_GetPointer(capsule, CAPSULE);
    if (m == NULL) return NULL;
    if (keys != Py_None && (!PyTuple_Check(keys) || PyTuple_GET_SIZE(keys) != m->reals)) {
        PyErr_SetString(PyExc_ValueError, "keys: a tuple of one key per pattern");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(texts);
    /* The texts' lengths as scanned (0 for one past ``limit``: read as ""), taken before the
     * results are built (as _by_length's sizes): making them can run a collection, and a
     * finalizer could change the list. */
    Py_ssize_t *sizes = PyMem_Malloc((n + 1) * sizeof(Py_ssize_t));
    /* (and the texts themselves, where the matcher has sets of characters to ask of them) */
    Held held = {NULL, 0, NULL, NULL};
    int keep_texts = m->alphabets > 0 || m->dense_any;
    if (sizes != NULL && keep_texts) {
        held.texts = PyMem_Malloc((n + 1) * sizeof(PyObject *));
        held.held = PyMem_Malloc((n + 1) * sizeof(uint64_t));
        held.known = PyMem_Calloc(n + 1, 1);
    }
    if (sizes == NULL || (keep_texts && (held.texts == NULL || held.held == NULL || held.known == NULL))) {
        PyMem_Free(sizes);
        held_free(&held);
        return PyErr_NoMemory();
    }
    int ascii = 1; /* the text is ASCII: rows by the texts' lengths, else after each newline */
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *text = PyList_GET_ITEM(texts, k);
        if (!PyUnicode_Check(text)) {
            PyMem_Free(sizes);
            held_free(&held);
            PyErr_SetString(PyExc_TypeError, "texts are str");
            return NULL;
        }
        Py_ssize_t size = PyUnicode_GET_LENGTH(text);
        sizes[k] = limit >= 0 && size > limit ? 0 : size;
        if (held.texts != NULL) {
            Py_INCREF(text);
            held.texts[held.taken++] = text;
        }
        if (sizes[k] > 0 && !PyUnicode_IS_ASCII(text)) ascii = 0; /* (a text read as "" is ASCII) */
    }
    const uint8_t *cls = m->cls;
    const uint16_t *table = m->table;
    const unsigned shift = (unsigned)m->shift;
    uint32_t v = 0;
    PyObject *result = NULL;
    int32_t np = m->patterns;
    Scan sc, second;
    int two = 0; /* (``second`` set up: freed at the end) */
    uint8_t *taken = NULL; /* by pattern of several alternatives: its rows are in the result */
    if (scan_init(&sc, m, np, !ascii) < 0) goto nomem;

    if (m->states > 1) {
        END_ROW(&sc, v);
        /* Where the second half of the texts starts (by characters), if it is scanned alongside the
         * first: after a newline the automaton is in the one state whatever came before (no
         * literal holds a newline past its first byte: ``split``), so the scan of the texts from
         * there on, from that state, finds what the one scan of them all finds, on its rows
         * numbered from there (``merge``). */
        Py_ssize_t total = 0, half = n;
        for (Py_ssize_t k = 0; k < n; k++) total += sizes[k];
        if (m->split && !m->sparse && n >= 2 && total >= SPLIT_CHARS) {
            Py_ssize_t sum = 0;
            for (half = 0; half < n - 1 && 2 * (sum + sizes[half]) <= total; half++) sum += sizes[half];
            if (half == 0) half = 1;
        }
        Py_ssize_t k = 0, i = 0;
        if (half < n) {
            two = 1;
            if (scan_init(&second, m, np, !ascii) < 0) goto nomem;
            uint32_t w = 0;
            END_ROW(&second, w); /* (from the root, at row -1: to the state after a newline) */
            Py_ssize_t k2 = half, i2 = 0;
            if (feed_pair(&sc, &v, &second, &w, texts, sizes, &k, half, &k2, n, &i, &i2) < 0) goto nomem;
            /* The first half's rest, then the second's. */
            for (; k < half; k++, i = 0)
                if (feed_text(&sc, &v, PyList_GET_ITEM(texts, k), sizes[k], i) < 0) goto nomem;
            for (; k2 < n; k2++, i2 = 0)
                if (feed_text(&second, &w, PyList_GET_ITEM(texts, k2), sizes[k2], i2) < 0) goto nomem;
            if (merge(&sc, &second) < 0) goto nomem;
        } else {
            for (; k < n; k++)
                if (feed_text(&sc, &v, PyList_GET_ITEM(texts, k), sizes[k], 0) < 0) goto nomem;
        }
        if (n == 0) FEED(&sc, v, '\n'); /* "\n" + "" + "\n": the two newlines, the second on row 0 */
    }

    /* _by_length: the patterns without factors that have row lengths get every row; a pattern
     * with row lengths keeps the rows of a length it can match, and is left out with none. */
    for (int32_t j = 0; j < m->ncounted; j++) {
        int32_t p = m->counted[j];
        if (sc.mark[p].head < 0 && sc.mark[p].last != PY_SSIZE_T_MAX) sc.order[sc.found++] = p;
        sc.mark[p].last = PY_SSIZE_T_MAX; /* (marks it: every row) */
    }
    result = PyDict_New();
    if (result == NULL) goto done;
    if (m->alts_any && (taken = PyMem_Calloc((size_t)m->reals + 1, 1)) == NULL) goto nomem;
    for (int32_t j = 0; j < sc.found; j++) {
        int32_t p = sc.order[j], r = m->real[p], bound = m->bound[p];
        /* (the tuple is the caller's, held by ``args`` for the call: its items cannot change) */
        PyObject *named = keys == Py_None ? NULL : PyTuple_GET_ITEM(keys, r);
        int several = m->next_alt[m->first_alt[r]] >= 0; /* (rows of its alternatives: ``alternative_rows``) */
        if (several && taken[r]) continue;
        if (several) {
            int keeps = alternative_kept(m, &sc, sizes, &held, n, p, NULL);
            if (keeps < 0) goto fail;
            if (!keeps) continue;
        }
        PyObject *list = PyList_New(0);
        if (list == NULL) goto fail;
        int bad = 0;
        if (several) {
            taken[r] = 1;
            bad = alternative_rows(m, &sc, sizes, &held, n, r, list) < 0;
        } else if (sc.mark[p].last == PY_SSIZE_T_MAX) {
            for (Py_ssize_t row = 0; row < n && !bad; row++) {
                int keep = fits(m, sizes, &held, n, bound, row);
                if (keep < 0) bad = 1;
                else if (keep) bad = append_row(list, row) < 0;
            }
        } else {
            for (int32_t at = sc.mark[p].head; at >= 0 && !bad; at = sc.hits[at].next) {
                int keep = fits(m, sizes, &held, n, bound, sc.hits[at].row);
                if (keep < 0) bad = 1;
                else if (keep) bad = append_row(list, sc.hits[at].row) < 0;
            }
        }
        /* (a pattern left out is looked at all the same: a row past the list is an error as in
         * Python; one of several alternatives has rows if any has: those without bounds keep theirs) */
        if (!bad && named != Py_None && ((bound < 0 && !several) || PyList_GET_SIZE(list) > 0)) {
            PyObject *key = named != NULL ? named : PyLong_FromLong(r);
            if (named != NULL) Py_INCREF(named);
            bad = key == NULL || PyDict_SetItem(result, key, list) < 0;
            Py_XDECREF(key);
        }
        Py_DECREF(list);
        if (bad) goto fail;
    }
    goto done;
nomem:
    PyErr_NoMemory();
fail:
    Py_CLEAR(result);
done:
    scan_free(&sc);
    if (two) scan_free(&second);
    PyMem_Free(sizes);
    PyMem_Free(taken);
    held_free(&held);
    return result;
}

static PyObject *name_dropped_by, *name_text, *name_blank; /* (interned by ``names``) */

/* A Line's attributes read from their slots (steps/_held.h): a Reader per call. */
enum { A_DROPPED, A_TEXT, A_BLANK, N_ATTRS };
static PyObject *attr_names[N_ATTRS];
typedef Slots Reader;
#define READER_INIT {NULL, N_ATTRS, attr_names, {-1, -1, -1, -1, -1, -1, -1, -1}}

static int names(void) {
    if (name_dropped_by == NULL && (name_dropped_by = PyUnicode_InternFromString("dropped_by")) == NULL) return -1;
    if (name_text == NULL && (name_text = PyUnicode_InternFromString("text")) == NULL) return -1;
    if (name_blank == NULL && (name_blank = PyUnicode_InternFromString("blank")) == NULL) return -1;
    attr_names[A_DROPPED] = name_dropped_by;
    attr_names[A_TEXT] = name_text;
    attr_names[A_BLANK] = name_blank;
    return 0;
}

/* An index into a list as Python reads it (a negative one from the end); -1 with IndexError set. */
static Py_ssize_t item_index(PyObject *number, Py_ssize_t size) {
    Py_ssize_t i = PyLong_AsSsize_t(number);
    if (i == -1 && PyErr_Occurred()) return -1;
    if (i < 0) i += size;
    if (i < 0 || i >= size) {
        PyErr_SetString(PyExc_IndexError, "list index out of range");
        return -1;
    }
    return i;
}

static PyObject *name_ascii_tests, *name_tests; /* (interned by ``twin_match``) */

/* The RE2 Matches (bound, a tuple: one for each of the pattern's parts, regex.parts) that
 * start_match calls on a row, ASCII or not, for ``twin``: a new reference; Py_None (a new
 * reference too) when there are none to call (-2 below); NULL with an error set. */
static PyObject *twin_match(PyObject *twin, int ascii) {
    if (name_ascii_tests == NULL && (name_ascii_tests = PyUnicode_InternFromString("_ascii_tests")) == NULL)
        return NULL;
    if (name_tests == NULL && (name_tests = PyUnicode_InternFromString("_tests")) == NULL) return NULL;
    PyObject *tests = PyObject_GetAttr(PyTuple_GET_ITEM(twin, 0), ascii ? name_ascii_tests : name_tests);
    if (tests == NULL) return NULL;
    if (tests == Py_None || tests == Py_False) {
        Py_DECREF(tests);
        Py_RETURN_NONE;
    }
    if (!PyTuple_CheckExact(tests) || PyTuple_GET_SIZE(tests) == 0) {
        Py_DECREF(tests);
        PyErr_SetString(PyExc_TypeError, "a Regex's tests: None, False or a tuple of RE2 Matches");
        return NULL;
    }
    return tests;
}

/* Whether ``match`` (an RE2 Match, bound) finds a match in data[0:end] at ``anchor``: 1 or 0, -1
 * with an error set. */
static int match_found(PyObject *match, PyObject *anchor, PyObject *data, PyObject *zero, PyObject *end) {
    PyObject *argv[4] = {anchor, data, zero, end};
    PyObject *found = PyObject_Vectorcall(match, argv, 4, NULL);
    PyObject *first = found == NULL ? NULL : PySequence_GetItem(found, 0); /* [(start, end), ...]: the whole match's span */
    PyObject *start = first == NULL ? NULL : PySequence_GetItem(first, 0);
    int hit = -1;
    if (start != NULL) {
        long at = PyLong_AsLong(start);
        hit = at == -1 && PyErr_Occurred() ? -1 : at != -1;
    }
    Py_XDECREF(start);
    Py_XDECREF(first);
    Py_XDECREF(found);
    return hit;
}

/* Regex.test_start of a row (a plain str, no newline) the memo does not know, without its Python
 * frames: ``twin`` is (regex, anchor, memo_text, memo_size), Regex.native_start's: the Matches that
 * Regex._test_on picks for the row (an ASCII row: the ASCII twins', ``_ascii_tests``; another: the
 * pattern's own, ``_tests``, compiled by Regex.__getattr__ if unset) called in turn as test_start
 * calls them (on the row's UTF-8, "surrogatepass") until one finds a match, the answer then kept
 * in ``starts`` as _remember keeps it. 1 or 0; -1 with an error set; -2 when the ASCII twins are
 * not compiled yet, or there are none (``_ascii_tests`` None or False), or the pattern has no RE2
 * (``_tests`` None): ``check`` answers then. ``found_match``: twin_match's answer by kind of row
 * (0: not ASCII, 1: ASCII), NULL until asked, and kept by the caller for the rows of one rule
 * (three attribute reads a row were most of this glue's cost on long pages). Matches found stay
 * right for the rule's other rows: the compiled patterns they are bound to are held; none found
 * yet (twin_match's Py_None: ``check`` answers, and may compile them) is not kept, and asked again
 * at the next row, as before. */
static int start_match(PyObject *twin, PyObject *starts, PyObject *text, PyObject **found_match) {
    int ascii = PyUnicode_IS_ASCII(text);
    PyObject **slot = &found_match[ascii];
    if (*slot == NULL) {
        PyObject *found = twin_match(twin, ascii);
        if (found == NULL) return -1;
        if (found == Py_None) { /* (not kept: asked again at the next row) */
            Py_DECREF(found);
            return -2;
        }
        *slot = found;
    }
    PyObject *tests = Py_NewRef(*slot);
    Py_ssize_t memo_text = PyLong_AsSsize_t(PyTuple_GET_ITEM(twin, 2));
    Py_ssize_t memo_size = memo_text == -1 && PyErr_Occurred() ? -1 : PyLong_AsSsize_t(PyTuple_GET_ITEM(twin, 3));
    if (memo_size == -1 && PyErr_Occurred()) {
        Py_DECREF(tests);
        return -1;
    }
    /* (An ASCII row's characters are its UTF-8 bytes; another is encoded as test_start does.) */
    PyObject *data = ascii ? PyBytes_FromStringAndSize((const char *)PyUnicode_1BYTE_DATA(text),
                                                       PyUnicode_GET_LENGTH(text))
                           : PyUnicode_AsEncodedString(text, "utf-8", "surrogatepass");
    Py_ssize_t size = data == NULL ? 0 : PyBytes_GET_SIZE(data);
    PyObject *end = data == NULL ? NULL : PyLong_FromSsize_t(size);
    PyObject *zero = end == NULL ? NULL : PyLong_FromLong(0);
    int hit = zero == NULL ? -1 : 0;
    /* (``tests`` is held, a tuple: nothing a Match runs can change it) */
    for (Py_ssize_t k = 0; hit == 0 && k < PyTuple_GET_SIZE(tests); k++)
        hit = match_found(PyTuple_GET_ITEM(tests, k), PyTuple_GET_ITEM(twin, 1), data, zero, end);
    Py_DECREF(tests);
    Py_XDECREF(zero);
    Py_XDECREF(end);
    Py_XDECREF(data);
    if (hit < 0 || PyUnicode_GET_LENGTH(text) > memo_text) return hit;
    if (PyDict_GET_SIZE(starts) >= memo_size) PyDict_Clear(starts);
    return PyDict_SetItem(starts, text, hit ? Py_True : Py_False) < 0 ? -1 : hit;
}

/* One line rule on its rows (kinds/line.py's walk, the loop inside): the rows it drops get its id.
 * 1: done, 0: an error set. Every list is read again at each step (a call into Python may have
 * changed it), and every object taken from one is held while used. ``twin``: None, or what
 * ``start_match`` needs to answer a row without ``check``; ``matches``: start_match's, kept
 * across the rule's rows. */
static int walk_rows(Reader *reader, PyObject *rows, PyObject *found, PyObject *rule_id, PyObject *starts,
                     PyObject *check, PyObject *twin, PyObject **matches) {
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(found); j++) {
        PyObject *number = PyList_GET_ITEM(found, j);
        Py_INCREF(number);
        Py_ssize_t i = item_index(number, PyList_GET_SIZE(rows));
        Py_DECREF(number);
        if (i < 0) return 0;
        PyObject *line = PyList_GET_ITEM(rows, i);
        Py_INCREF(line);
        PyObject *dropped = slot_read(reader, line, A_DROPPED);
        if (dropped == NULL) goto fail;
        Py_DECREF(dropped); /* (only compared to None, which lives for ever) */
        if (dropped != Py_None) {
            Py_DECREF(line);
            continue;
        }
        PyObject *text = slot_read(reader, line, A_TEXT);
        if (text == NULL) goto fail;
        int hit = -1;
        /* Regex.test_start's first step, its memo (bools by text), looked up here: a str key
         * runs no Python code. A row with a newline is Regex.test's: ``check`` decides. */
        if (PyUnicode_CheckExact(text) && PyUnicode_FindChar(text, '\n', 0, PyUnicode_GET_LENGTH(text), 1) == -1) {
            PyObject *known = PyDict_GetItemWithError(starts, text);
            if (known == Py_True) hit = 1;
            else if (known == Py_False) hit = 0;
            else if (known == NULL && PyErr_Occurred()) {
                Py_DECREF(text);
                goto fail;
            } else if (twin != Py_None) {
                hit = start_match(twin, starts, text, matches);
                if (hit == -1) {
                    Py_DECREF(text);
                    goto fail;
                }
            }
        }
        if (hit < 0) { /* (-2: no twin to ask) */
            PyObject *answer = PyObject_CallOneArg(check, text);
            if (answer == NULL) {
                Py_DECREF(text);
                goto fail;
            }
            hit = PyObject_IsTrue(answer);
            Py_DECREF(answer);
        }
        Py_DECREF(text);
        if (hit < 0 || (hit && PyObject_SetAttr(line, name_dropped_by, rule_id) < 0)) goto fail;
        Py_DECREF(line);
        continue;
    fail:
        Py_DECREF(line);
        return 0;
    }
    return 1;
}

/* walk_rows with the rule's Matches (start_match) held for its rows, then let go. */
static int walk_rule(Reader *reader, PyObject *rows, PyObject *found, PyObject *rule_id, PyObject *starts,
                     PyObject *check, PyObject *twin) {
    PyObject *matches[2] = {NULL, NULL};
    int ok = walk_rows(reader, rows, found, rule_id, starts, check, twin, matches);
    Py_XDECREF(matches[0]);
    Py_XDECREF(matches[1]);
    return ok;
}

/* walk(rows, may, order, simple, start, deadline, clock) -> int: kinds/line.py's walk (its twin
 * and the tests' oracle, which says what it does). */
static PyObject *walk_with(Reader *reader, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *rows, *may, *order, *simple, *deadline, *clock;
    Py_ssize_t k;
    if (fast_args("walk", args, nargs, "LDLLnOO", &rows, &may, &order, &simple, &k, &deadline, &clock) < 0)
        return NULL;
    if (k < 0) k = 0;
    for (; k < PyList_GET_SIZE(order); k++) {
        PyObject *number = PyList_GET_ITEM(order, k);
        Py_INCREF(number);
        Py_ssize_t at = item_index(number, PyList_GET_SIZE(simple));
        Py_DECREF(number);
        if (at < 0) return NULL;
        PyObject *plain = PyList_GET_ITEM(simple, at);
        if (plain == Py_None) break;
        Py_ssize_t items = PyTuple_CheckExact(plain) ? PyTuple_GET_SIZE(plain) : 0;
        PyObject *twin = items == 5 ? PyTuple_GET_ITEM(plain, 4) : Py_None;
        if ((items != 4 && items != 5) || !PyDict_CheckExact(PyTuple_GET_ITEM(plain, 2)) ||
            (twin != Py_None && !(PyTuple_CheckExact(twin) && PyTuple_GET_SIZE(twin) == 4))) {
            PyErr_SetString(PyExc_TypeError,
                            "simple: None or (key, rule id, memo dict, check[, None or (regex, anchor, size, count)])");
            return NULL;
        }
        Py_INCREF(plain); /* (holds the key, id, memo and check too) */
        PyObject *found = PyDict_GetItemWithError(may, PyTuple_GET_ITEM(plain, 0));
        int ok = 1;
        if (found != NULL) {
            Py_INCREF(found);
            if (!PyList_Check(found)) {
                PyErr_SetString(PyExc_TypeError, "may: lists of rows");
                ok = 0;
            } else
                ok = walk_rule(reader, rows, found, PyTuple_GET_ITEM(plain, 1), PyTuple_GET_ITEM(plain, 2),
                               PyTuple_GET_ITEM(plain, 3), twin);
            Py_DECREF(found);
        } else if (PyErr_Occurred())
            ok = 0;
        Py_DECREF(plain);
        if (!ok) return NULL;
        if (deadline != Py_None) {
            PyObject *now = PyObject_CallNoArgs(clock);
            if (now == NULL) return NULL;
            int over = PyObject_RichCompareBool(now, deadline, Py_GT);
            Py_DECREF(now);
            if (over < 0) return NULL;
            if (over) return PyLong_FromSsize_t(-(k + 1));
        }
    }
    return PyLong_FromSsize_t(k);
}

static PyObject *walk(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (names() < 0) return NULL;
    Reader reader = READER_INIT;
    PyObject *result = walk_with(&reader, args, nargs);
    slots_done(&reader);
    return result;
}

/* carry(rows_then, texts_then, rows_now, may_then, hits_then, wanted) -> (may, hits) | None:
 * engine.carry (its twin and the tests' oracle, which says what it does). */
static PyObject *carry(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *rows_then, *texts_then, *rows_now, *may_then, *hits_then, *wanted;
    if (fast_args("carry", args, nargs, "LLLDLO", &rows_then, &texts_then, &rows_now, &may_then, &hits_then,
                  &wanted) < 0)
        return NULL;
    if (wanted != Py_None && !PyAnySet_Check(wanted)) {
        PyErr_SetString(PyExc_TypeError, "wanted: a set or None");
        return NULL;
    }
    if (names() < 0) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(rows_then);
    if (PyList_GET_SIZE(texts_then) != n) {
        PyErr_SetString(PyExc_ValueError, "a text for each row");
        return NULL;
    }
    /* By row then: where it is now, or -1 (each row now is one of then, in the same order). */
    Py_ssize_t *pos = PyMem_Malloc((n + 1) * sizeof(Py_ssize_t));
    if (pos == NULL) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) pos[i] = -1;
    PyObject *result = NULL, *may = NULL, *hits = NULL, *items = NULL;
    Reader reader = READER_INIT;
    Py_ssize_t j = 0;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(rows_now); k++) {
        PyObject *row = PyList_GET_ITEM(rows_now, k);
        while (j < n && j < PyList_GET_SIZE(rows_then) && PyList_GET_ITEM(rows_then, j) != row) j++;
        if (j >= n || j >= PyList_GET_SIZE(rows_then) || j >= PyList_GET_SIZE(texts_then)) goto none;
        Py_INCREF(row);
        PyObject *text = slot_read(&reader, row, A_TEXT);
        Py_DECREF(row);
        if (text == NULL) goto fail;
        PyObject *then = PyList_GET_ITEM(texts_then, j);
        Py_INCREF(then);
        int same = PyObject_RichCompareBool(text, then, Py_EQ); /* (may run a subclass's __eq__) */
        Py_DECREF(then);
        Py_DECREF(text);
        if (same < 0) goto fail;
        if (!same) goto none;
        pos[j++] = k;
    }
    may = PyDict_New();
    hits = PyList_New(0);
    items = PyDict_Items(may_then); /* (a copy: nothing below can change what is walked) */
    if (may == NULL || hits == NULL || items == NULL) goto fail;
    for (Py_ssize_t e = 0; e < PyList_GET_SIZE(items); e++) {
        PyObject *item = PyList_GET_ITEM(items, e), *key = PyTuple_GET_ITEM(item, 0), *found = PyTuple_GET_ITEM(item, 1);
        if (wanted != Py_None) {
            int in = PySet_Contains(wanted, key);
            if (in < 0) goto fail;
            if (!in) continue;
        }
        if (!PyList_Check(found)) {
            PyErr_SetString(PyExc_TypeError, "may: lists of rows");
            goto fail;
        }
        PyObject *now = PyList_New(0);
        if (now == NULL) goto fail;
        for (Py_ssize_t f = 0; f < PyList_GET_SIZE(found); f++) {
            Py_ssize_t i = item_index(PyList_GET_ITEM(found, f), n);
            PyObject *number = i < 0 ? NULL : pos[i] < 0 ? Py_None : PyLong_FromSsize_t(pos[i]);
            if (number == NULL) {
                Py_DECREF(now);
                goto fail;
            }
            if (number == Py_None) continue;
            int bad = PyList_Append(now, number) < 0;
            Py_DECREF(number);
            if (bad) {
                Py_DECREF(now);
                goto fail;
            }
        }
        int bad = PyList_GET_SIZE(now) > 0 && PyDict_SetItem(may, key, now) < 0;
        Py_DECREF(now);
        if (bad) goto fail;
    }
    for (Py_ssize_t f = 0; f < PyList_GET_SIZE(hits_then); f++) {
        Py_ssize_t i = item_index(PyList_GET_ITEM(hits_then, f), n);
        if (i < 0) goto fail;
        if (pos[i] < 0) continue;
        PyObject *number = PyLong_FromSsize_t(pos[i]);
        int bad = number == NULL || PyList_Append(hits, number) < 0;
        Py_XDECREF(number);
        if (bad) goto fail;
    }
    result = PyTuple_Pack(2, may, hits);
    goto fail; /* (releases what the tuple now holds) */
none:
    result = Py_NewRef(Py_None);
fail:
    Py_XDECREF(may);
    Py_XDECREF(hits);
    Py_XDECREF(items);
    PyMem_Free(pos);
    slots_done(&reader);
    return result;
}


/* alive's array of (line, text) pairs, twice as long: 0, or -1 with MemoryError set (the array as it was). */
static int grow(PyObject ***kept, Py_ssize_t *cap) {
    PyObject **grown = *cap > PY_SSIZE_T_MAX / 4 / (Py_ssize_t)sizeof(PyObject *)
                           ? NULL
                           : PyMem_Realloc(*kept, 4 * (size_t)*cap * sizeof(PyObject *));
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *kept = grown;
    *cap *= 2;
    return 0;
}

/* alive(lines, nonblank[, limit]) -> (rows, texts): compiled.alive (its twin and the tests'
 * oracle). The lines kept and their texts are held in one array as they are read, and the two
 * lists made at the end at their size (an append each cost more than the line's reads). With a
 * ``limit`` of 0 or more, the first ``limit`` rows kept, the lines after them not read. */
static PyObject *alive(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *lines;
    int nonblank;
    Py_ssize_t limit = -1;
    if (fast_args("alive", args, nargs, "Lp|n", &lines, &nonblank, &limit) < 0 || names() < 0) return NULL;
    /* (a line's read can run Python code that lengthens the list: the array grows then) */
    Py_ssize_t size = PyList_GET_SIZE(lines), k = 0;
    Py_ssize_t cap = (limit >= 0 && limit < size ? limit : size) + 1;
    PyObject **kept = PyMem_Malloc(2 * (size_t)cap * sizeof(PyObject *)); /* line, text, line, text... */
    PyObject *rows = NULL, *texts = NULL, *result = NULL;
    Reader reader = READER_INIT;
    if (kept == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lines) && k != limit; i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        PyObject *in_dropped, *in_blank, *in_text; /* (a line of the class met before, most lines: no reference, no call) */
        if (line_borrow(line, reader.type, reader.offsets, A_DROPPED, A_BLANK, A_TEXT, &in_dropped, &in_blank,
                        &in_text)) {
            if (in_dropped != Py_None || (nonblank && in_blank == Py_True)) continue;
            if (k == cap && grow(&kept, &cap) < 0) goto done;
            kept[2 * k] = Py_NewRef(line);
            kept[2 * k + 1] = Py_NewRef(in_text);
            k++;
            continue;
        }
        Py_INCREF(line);
        PyObject *dropped = slot_read(&reader, line, A_DROPPED);
        int keep = dropped == NULL ? -1 : dropped == Py_None;
        Py_XDECREF(dropped);
        if (keep == 1 && nonblank) {
            PyObject *blank = slot_read(&reader, line, A_BLANK);
            int is = blank == NULL ? -1 : PyObject_IsTrue(blank);
            Py_XDECREF(blank);
            keep = is < 0 ? -1 : !is;
        }
        PyObject *text = keep == 1 ? slot_read(&reader, line, A_TEXT) : NULL;
        if (keep == 1 && text != NULL && k == cap && grow(&kept, &cap) < 0) Py_CLEAR(text);
        if (keep < 0 || (keep == 1 && text == NULL)) {
            Py_DECREF(line);
            goto done;
        }
        if (keep == 1) { /* (the references held here go to the array) */
            kept[2 * k] = line;
            kept[2 * k + 1] = text;
            k++;
        } else
            Py_DECREF(line);
    }
    rows = PyList_New(k);
    texts = rows == NULL ? NULL : PyList_New(k);
    result = texts == NULL ? NULL : PyTuple_New(2);
    if (result == NULL) goto done;
    for (Py_ssize_t j = 0; j < k; j++) { /* (each list takes its items' references) */
        PyList_SET_ITEM(rows, j, kept[2 * j]);
        PyList_SET_ITEM(texts, j, kept[2 * j + 1]);
    }
    k = 0;
    PyTuple_SET_ITEM(result, 0, rows);
    PyTuple_SET_ITEM(result, 1, texts);
    rows = texts = NULL;
done:
    for (Py_ssize_t j = 0; j < 2 * k; j++) Py_DECREF(kept[j]);
    PyMem_Free(kept);
    Py_XDECREF(rows);
    Py_XDECREF(texts);
    slots_done(&reader);
    return result;
}

/* unchanged(lines, texts) -> bool: steps/rules.unchanged_texts (its twin and the tests' oracle). */
static PyObject *unchanged_with(Reader *reader, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *lines, *texts;
    if (fast_args("unchanged", args, nargs, "LL", &lines, &texts) < 0) return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lines); i++) {
        if (i >= PyList_GET_SIZE(texts)) {
            PyErr_SetString(PyExc_IndexError, "list index out of range");
            return NULL;
        }
        PyObject *line = PyList_GET_ITEM(lines, i), *then = PyList_GET_ITEM(texts, i);
        Py_INCREF(line);
        Py_INCREF(then);
        PyObject *dropped = slot_read(reader, line, A_DROPPED);
        int same = dropped == NULL ? -1 : 1;
        if (dropped == Py_None) {
            PyObject *text = slot_read(reader, line, A_TEXT);
            same = text == NULL ? -1 : PyObject_RichCompareBool(text, then, Py_EQ);
            Py_XDECREF(text);
        }
        Py_XDECREF(dropped);
        Py_DECREF(line);
        Py_DECREF(then);
        if (same < 0) return NULL;
        if (!same) Py_RETURN_FALSE;
    }
    Py_RETURN_TRUE;
}

static PyObject *unchanged(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (names() < 0) return NULL;
    Reader reader = READER_INIT;
    PyObject *result = unchanged_with(&reader, args, nargs);
    slots_done(&reader);
    return result;
}

static PyMethodDef methods[] = {
    {"build", build, METH_VARARGS,
     "build(literals, owners, patterns, counted, lengths[, real]) -> matcher: prefilter._compile and Prefilter's row "
     "lengths."},
    {"rows", (PyCFunction)(void (*)(void))rows, METH_FASTCALL,
     "rows(matcher, texts[, keys[, limit]]) -> {pattern (or its key): sorted rows}: Prefilter.rows."},
    {"alive", (PyCFunction)(void (*)(void))alive, METH_FASTCALL, "alive(lines, nonblank[, limit]) -> (rows, texts): compiled.alive."},
    {"unchanged", (PyCFunction)(void (*)(void))unchanged, METH_FASTCALL, "unchanged(lines, texts) -> bool: steps/rules.unchanged_texts."},
    {"carry", (PyCFunction)(void (*)(void))carry, METH_FASTCALL,
     "carry(rows_then, texts_then, rows_now, may_then, hits_then, wanted) -> (may, hits) | None: engine.carry."},
    {"walk", (PyCFunction)(void (*)(void))walk, METH_FASTCALL, "walk(rows, may, order, simple, start, deadline, clock) -> int: kinds/line.py's walk."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_scan", "The rules prefilter's literal scan in C.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__scan(void) { return PyModule_Create(&module); }

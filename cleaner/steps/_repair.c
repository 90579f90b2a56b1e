/* The repair step's per-line decisions (steps/repair.py, steps/whitespace.py) in C: which lines
 * ftfy must see and what the whitespace step makes of the others, one call per document, so
 * that Python touches only the lines that change.
 *
 * Every definition is the Python one, to the bit (tests/test_native_repair.py compares the two):
 * - the gate's character classes are the ones repair_gate.gate() gives (ftfy's tables), passed
 *   in once by configure() as code point ranges, and matched as `re` matches a class: by code point;
 * - so are the witness pairs of ftfy's mojibake test (repair_gate.witnesses, repair._BAD);
 * - sre's \s for str patterns is Py_UNICODE_ISSPACE, as is str.rstrip's whitespace;
 * - each pattern is matched by hand, as `re` would (noted at each function).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include "_held.h"
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h>
#define REPAIR_SSE2 1
#endif

/* ---- the gate's classes: one byte per code point, bits set from configure()'s ranges ---- */

enum { LEAD = 1, CONT = 2, CONTROL = 4, BAD_ONE = 8 };
static unsigned char classes[0x110000];
static int configured = 0, touched = 0; /* the classes are set; the table may hold bits */

/* ftfy's mojibake test's witnesses (repair_gate.witnesses): bit k of first_of(a) and of
 * second_of(b) are both set when a then b is branch k's pair; BAD_ONE marks the characters a
 * branch matches alone. Below U+10000 by code point, in 256 pages of 256 code points: a page
 * all of whose code points have the same bits holds them once (uniform), the others a block of
 * their own; above U+FFFF one mask (each class holds all or none of them: configure() refuses any
 * other). Pages, not a table of all 65,536: configure() runs at every start, and one class
 * ([^A-Za-z]) holds nearly every code point. Without witnesses (bad_known 0) every text "maybe"
 * has mojibake: ftfy decides. */
typedef struct {
    uint64_t uniform[256];
    uint64_t *block[256]; /* NULL: the page's code points all have uniform[page] */
    uint64_t high;
} Masks;
static Masks bad_first, bad_second;
static int bad_known = 0;

static inline uint64_t mask_of(const Masks *masks, Py_UCS4 ch) {
    if (ch >= 0x10000) return masks->high;
    const uint64_t *block = masks->block[ch >> 8];
    return block ? block[ch & 0xFF] : masks->uniform[ch >> 8];
}

/* bit set for first..last, within one page. */
static int set_in_page(Masks *masks, long first, long last, uint64_t bit) {
    long page = first >> 8;
    if ((first & 0xFF) == 0 && (last & 0xFF) == 0xFF && masks->block[page] == NULL) {
        masks->uniform[page] |= bit;
        return 0;
    }
    if (masks->block[page] == NULL) {
        uint64_t *block = PyMem_Malloc(256 * sizeof(uint64_t));
        if (block == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (int k = 0; k < 256; k++) block[k] = masks->uniform[page];
        masks->block[page] = block;
    }
    for (long ch = first; ch <= last; ch++) masks->block[page][ch & 0xFF] |= bit;
    return 0;
}

static void clear_masks(Masks *masks) {
    for (int page = 0; page < 256; page++) PyMem_Free(masks->block[page]);
    memset(masks, 0, sizeof(*masks));
}

/* Calls set(start, end, context) for each (start, end) pair of a class, inclusive, checked: a
 * tuple or list of pairs, each a tuple or list of two ints. -1 with an error set. (Each is copied
 * to a tuple first: an item borrowed from a list could go while a conversion runs Python code.) */
typedef int (*RangeSetter)(long start, long end, void *context);

static int each_range(PyObject *ranges, RangeSetter set, void *context) {
    if (!PyTuple_Check(ranges) && !PyList_Check(ranges)) {
        PyErr_SetString(PyExc_TypeError, "ranges must be a tuple of (start, end) pairs");
        return -1;
    }
    PyObject *held = PySequence_Tuple(ranges);
    if (held == NULL) return -1;
    int status = 0;
    for (Py_ssize_t r = 0; r < PyTuple_GET_SIZE(held) && status == 0; r++) {
        PyObject *item = PyTuple_GET_ITEM(held, r), *pair;
        long start, end;
        if (!PyTuple_Check(item) && !PyList_Check(item)) {
            PyErr_SetString(PyExc_TypeError, "a range must be a (start, end) pair");
            status = -1;
        } else if ((pair = PySequence_Tuple(item)) == NULL) {
            status = -1;
        } else {
            if (!PyArg_ParseTuple(pair, "ll", &start, &end))
                status = -1;
            else if (start < 0 || end < start || end >= 0x110000) {
                PyErr_SetString(PyExc_ValueError, "a range outside the code points");
                status = -1;
            } else
                status = set(start, end, context);
            Py_DECREF(pair);
        }
    }
    Py_DECREF(held);
    return status;
}

static int set_class_bit(long start, long end, void *bit) {
    for (long ch = start; ch <= end; ch++) classes[ch] |= *(unsigned char *)bit;
    return 0;
}

/* The ranges of one class; their bit set in classes. */
static int set_ranges(PyObject *ranges, unsigned char bit) { return each_range(ranges, set_class_bit, &bit); }

typedef struct {
    Masks *masks;
    uint64_t bit;
} MaskBit;

/* One range of a witness pair's class: its bit in the masks (a range that reaches past U+FFFF
 * must run from U+10000 or before to U+10FFFF). */
static int set_mask_bit(long start, long end, void *context) {
    Masks *masks = ((MaskBit *)context)->masks;
    uint64_t bit = ((MaskBit *)context)->bit;
    if (end >= 0x10000) {
        if (start > 0x10000 || end != 0x10FFFF) {
            PyErr_SetString(PyExc_ValueError, "a class that holds only some code points past U+FFFF");
            return -1;
        }
        masks->high |= bit;
        if (start == 0x10000) return 0;
        end = 0xFFFF;
    }
    for (long first = start; first <= end; first = (first | 0xFF) + 1) {
        long last = (first | 0xFF) < end ? (first | 0xFF) : end;
        if (set_in_page(masks, first, last, bit) < 0) return -1;
    }
    return 0;
}

static int set_bad_ranges(PyObject *ranges, uint64_t bit, Masks *masks) {
    MaskBit context = {masks, bit};
    return each_range(ranges, set_mask_bit, &context);
}

/* bad: None, or (pairs, single): pairs at most 64 (first, second) classes, single a class; each
 * class a sequence of ranges (tuples or lists: repair.py passes what json gives). Single's
 * characters past U+FFFF go by code point too. */
static int set_bad(PyObject *bad) {
    if (bad == Py_None) return 0;
    PyObject *pairs, *single;
    if (!PyArg_ParseTuple(bad, "OO", &pairs, &single)) return -1;
    if (!PyTuple_Check(pairs) && !PyList_Check(pairs)) {
        PyErr_SetString(PyExc_TypeError, "pairs must be a tuple of (first, second) classes");
        return -1;
    }
    PyObject *held = PySequence_Tuple(pairs);
    if (held == NULL) return -1;
    int status = 0;
    if (PyTuple_GET_SIZE(held) > 64) {
        PyErr_SetString(PyExc_ValueError, "at most 64 witness pairs");
        status = -1;
    }
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(held) && status == 0; k++) {
        PyObject *item = PyTuple_GET_ITEM(held, k), *pair = NULL, *first, *second;
        uint64_t bit = (uint64_t)1 << k;
        if (!PyTuple_Check(item) && !PyList_Check(item)) {
            PyErr_SetString(PyExc_TypeError, "a witness must be a (first, second) pair of classes");
            status = -1;
        } else if ((pair = PySequence_Tuple(item)) == NULL || !PyArg_ParseTuple(pair, "OO", &first, &second) ||
                   set_bad_ranges(first, bit, &bad_first) < 0 || set_bad_ranges(second, bit, &bad_second) < 0)
            status = -1;
        Py_XDECREF(pair);
    }
    Py_DECREF(held);
    if (status < 0 || set_ranges(single, BAD_ONE) < 0) return -1;
    bad_known = 1;
    return 0;
}

/* No printable ASCII character (' ' to '~') is a lead or a control character: suspect() then skips
 * 8-byte blocks of them without looking each one up (ftfy's classes hold none). */
static int printable_plain = 0;
/* Nor a character a witness matches alone or starts a pair with: maybe_bad() then skips them too
 * (a pair's second character is read from the character before the run). */
static int printable_unbad = 0;

static void clear_tables(void) {
    printable_plain = printable_unbad = 0;
    memset(classes, 0, sizeof(classes));
    clear_masks(&bad_first);
    clear_masks(&bad_second);
    bad_known = 0;
}

static PyObject *configure(PyObject *self, PyObject *args) {
    PyObject *lead, *cont, *control, *bad = Py_None;
    if (!PyArg_ParseTuple(args, "OOO|O", &lead, &cont, &control, &bad)) return NULL;
    /* The tables start zeroed (and untouched: only the pages of the classes' ranges and of the
     * characters read are ever mapped); a second configure() clears them first. */
    if (touched) clear_tables();
    configured = 0;
    touched = 1;
    if (set_ranges(lead, LEAD) < 0 || set_ranges(cont, CONT) < 0 || set_ranges(control, CONTROL) < 0 ||
        set_bad(bad) < 0) {
        clear_tables();
        touched = 0;
        return NULL;
    }
    printable_plain = printable_unbad = 1;
    for (int ch = 0x20; ch < 0x7F; ch++) {
        if (classes[ch] & (LEAD | CONTROL)) printable_plain = 0;
        if ((classes[ch] & BAD_ONE) || mask_of(&bad_first, (Py_UCS4)ch)) printable_unbad = 0;
    }
    configured = 1;
    Py_RETURN_NONE;
}

/* ---- the gate: repair.py's _needs_repair ---- */

/* _ENTITY.search (ftfy's HTML_ENTITY_RE, &#?[0-9A-Za-z]{1,24};): an '&', an optional '#', 1 to
 * 24 ASCII letters or digits, then ';'. Backtracking finds nothing more: with the '#' taken, a
 * shorter run would need ';' where a letter is; without it, the run would start at the '#'. */
static int is_alnum_ascii(Py_UCS4 ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

/* An entity at i, where text has its '&': #?[0-9A-Za-z]{1,24}; after it. */
static int entity_at(int kind, const void *data, Py_ssize_t n, Py_ssize_t i) {
    Py_ssize_t j = i + 1;
    if (j < n && PyUnicode_READ(kind, data, j) == '#') j++;
    Py_ssize_t k = j;
    while (k < n && k - j <= 24 && is_alnum_ascii(PyUnicode_READ(kind, data, k))) k++;
    return k - j >= 1 && k - j <= 24 && k < n && PyUnicode_READ(kind, data, k) == ';';
}

/* The first i from `from` on (below n) with t[i] a or b, or n: memchr's job for a 2-byte text (a
 * real page of 2-byte text was read a character at a time for its '&'s and its line ends, ~60K
 * instructions a page). With SSE2, eight characters at once; the rest one at a time. */
static Py_ssize_t find_ucs2(const Py_UCS2 *t, Py_ssize_t from, Py_ssize_t n, Py_UCS2 a, Py_UCS2 b) {
    Py_ssize_t i = from;
#ifdef REPAIR_SSE2
    const __m128i want_a = _mm_set1_epi16((short)a), want_b = _mm_set1_epi16((short)b);
    for (; i + 8 <= n; i += 8) {
        __m128i x = _mm_loadu_si128((const __m128i *)(t + i));
        unsigned hit = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi16(x, want_a), _mm_cmpeq_epi16(x, want_b)));
        if (hit) return i + __builtin_ctz(hit) / 2;
    }
#endif
    for (; i < n; i++)
        if (t[i] == a || t[i] == b) return i;
    return n;
}

#define AMP_LOOP(T)                                                                             \
    do {                                                                                        \
        const T *t = (const T *)data;                                                           \
        for (Py_ssize_t i = 0; i < n; i++)                                                      \
            if (t[i] == '&' && entity_at(kind, data, n, i)) return 1;                           \
        return 0;                                                                               \
    } while (0)

/* _ENTITY.search: each '&' looked at, found by memchr in a 1-byte text, by find_ucs2 in a 2-byte
 * one (a page with an '&' and no '<' was read a character at a time, its whole text, by the
 * document's gate). */
static int has_entity(int kind, const void *data, Py_ssize_t n) {
    switch (kind) {
    case PyUnicode_1BYTE_KIND: {
        const Py_UCS1 *t = (const Py_UCS1 *)data;
        for (const Py_UCS1 *at = t; at < t + n && (at = memchr(at, '&', (size_t)(t + n - at))) != NULL; at++)
            if (entity_at(kind, data, n, at - t)) return 1;
        return 0;
    }
    case PyUnicode_2BYTE_KIND:
        for (Py_ssize_t i = find_ucs2(data, 0, n, '&', '&'); i < n; i = find_ucs2(data, i + 1, n, '&', '&'))
            if (entity_at(kind, data, n, i)) return 1;
        return 0;
    default: AMP_LOOP(Py_UCS4);
    }
}

/* Whether each character of an 8-byte block of 1-byte (2-byte) characters is printable ASCII, ' '
 * to '~': no lane with a bit at or above 0x80, none below 0x20 (a lane below n sets its top bit in
 * (x - n) & ~x: exact for whether any does, as lanes are below 0x80 there), and none 0x7F (a zero
 * lane of x ^ 0x7F, the same test with n = 1). */
#define ONES_1 0x0101010101010101ULL
#define ONES_2 0x0001000100010001ULL
#define PRINTABLE(x, ONES, WIDE, HIGH)                                                         \
    ((((x) & (WIDE) * (ONES)) | (((x) - 0x20 * (ONES)) & ~(x) & (HIGH) * (ONES)) |              \
      ((((x) ^ 0x7F * (ONES)) - (ONES)) & ~((x) ^ 0x7F * (ONES)) & (HIGH) * (ONES))) == 0)

/* How many characters from t on (per of them, all in the text) are printable ASCII, ' ' to '~', before
 * the first that is not: per when all are. With SSE2, 16 bytes at once (a lane is printable when
 * it is above 0x1F and below 0x7F as a signed number: lanes of 0x80 and up are negative); else
 * the 8-byte test above, all or nothing (0: the caller looks at the first character alone). */
#ifdef REPAIR_SSE2
#define PRINTABLE_LANES_1 16
#define PRINTABLE_LANES_2 8
static inline int printable_run_1(const Py_UCS1 *t) {
    __m128i x = _mm_loadu_si128((const __m128i *)t);
    __m128i ok = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x1F)), _mm_cmplt_epi8(x, _mm_set1_epi8(0x7F)));
    unsigned bad = ~(unsigned)_mm_movemask_epi8(ok) & 0xFFFFu;
    return bad ? __builtin_ctz(bad) : 16;
}
static inline int printable_run_2(const Py_UCS2 *t) {
    __m128i x = _mm_loadu_si128((const __m128i *)t);
    __m128i ok = _mm_and_si128(_mm_cmpgt_epi16(x, _mm_set1_epi16(0x1F)), _mm_cmplt_epi16(x, _mm_set1_epi16(0x7F)));
    unsigned bad = ~(unsigned)_mm_movemask_epi8(ok) & 0xFFFFu;
    return bad ? __builtin_ctz(bad) / 2 : 8;
}
#else
#define PRINTABLE_LANES_1 8
#define PRINTABLE_LANES_2 4
static inline int printable_run_1(const Py_UCS1 *t) {
    uint64_t block;
    memcpy(&block, t, 8);
    return PRINTABLE(block, ONES_1, (uint64_t)0x80, (uint64_t)0x80) ? 8 : 0;
}
static inline int printable_run_2(const Py_UCS2 *t) {
    uint64_t block;
    memcpy(&block, t, 8);
    return PRINTABLE(block, ONES_2, (uint64_t)0xFF80, (uint64_t)0x8000) ? 4 : 0;
}
#endif

/* In a loop over t[i] (i < n): a run of printable ASCII from i passed over when these characters
 * are known to hold nothing the loop looks for (on); at the character after a shorter run, the
 * loop's body goes on (i < n there). */
#define PASS_PRINTABLE(LANES, RUN, on)                                                           \
    if ((LANES) && (on) && i + (LANES) <= n) {                                                   \
        int run = RUN(t + i);                                                                    \
        i += run;                                                                                \
        if (run == (LANES)) continue;                                                            \
    }

/* _SUSPECT.search ({LEAD}(?:{CONT}| )|{CONTROL}) from *at on: 1 for a control character, 2
 * for a lead followed by a continuation or a space (and no control character before it), 0 for
 * none; *at is left at the lead. Without leads, only the control characters are looked for
 * (_CONTROL.search: 1 or 0). With printable_plain, a run of printable ASCII holds neither (a lead
 * before the run still looks at its first character), so each run is passed over and only the
 * characters between are looked up, in order. */
#define SUSPECT_LOOP(T, LANES, RUN)                                                              \
    do {                                                                                         \
        const T *t = (const T *)data;                                                            \
        Py_ssize_t i = *at;                                                                      \
        while (i < n) {                                                                          \
            PASS_PRINTABLE(LANES, RUN, printable_plain);                                         \
            unsigned char c = classes[t[i]];                                                     \
            if (c & CONTROL) return 1;                                                           \
            if (leads && (c & LEAD) && i + 1 < n &&                                              \
                (t[i + 1] == ' ' || (classes[t[i + 1]] & CONT))) {                               \
                *at = i;                                                                         \
                return 2;                                                                        \
            }                                                                                    \
            i++;                                                                                 \
        }                                                                                        \
        return 0;                                                                                \
    } while (0)

static inline int no_run(const Py_UCS4 *t) {
    (void)t;
    return 0;
}

static int suspect(int kind, const void *data, Py_ssize_t n, Py_ssize_t *at, int leads) {
    switch (kind) {
    case PyUnicode_1BYTE_KIND: SUSPECT_LOOP(Py_UCS1, PRINTABLE_LANES_1, printable_run_1);
    case PyUnicode_2BYTE_KIND: SUSPECT_LOOP(Py_UCS2, PRINTABLE_LANES_2, printable_run_2);
    default: SUSPECT_LOOP(Py_UCS4, 0, no_run);
    }
}

/* _CONTROL.search: a control character anywhere (suspect's loop, runs of printable ASCII passed
 * over). */
static int has_control(int kind, const void *data, Py_ssize_t n) {
    Py_ssize_t at = 0;
    return suspect(kind, data, n, &at, 0);
}

/* _BAD.search (repair._bad_pattern): a character some branch matches alone, or two in a row that
 * are some branch's pair; always 1 without witnesses. With printable_unbad, runs of printable ASCII
 * are passed over as in suspect() (most of a line the gate looks at this far). */
#define BAD_LOOP(T, LANES, RUN)                                                                  \
    do {                                                                                         \
        const T *t = (const T *)data;                                                            \
        Py_ssize_t i = 0;                                                                        \
        while (i < n) {                                                                          \
            PASS_PRINTABLE(LANES, RUN, printable_unbad);                                         \
            Py_UCS4 ch = t[i];                                                                   \
            if (classes[ch] & BAD_ONE) return 1;                                                 \
            uint64_t first = mask_of(&bad_first, ch);                                            \
            if (first && i + 1 < n && (first & mask_of(&bad_second, t[i + 1]))) return 1;       \
            i++;                                                                                 \
        }                                                                                        \
        return 0;                                                                                \
    } while (0)

static int maybe_bad(int kind, const void *data, Py_ssize_t n) {
    if (!bad_known) return 1;
    switch (kind) {
    case PyUnicode_1BYTE_KIND: BAD_LOOP(Py_UCS1, PRINTABLE_LANES_1, printable_run_1);
    case PyUnicode_2BYTE_KIND: BAD_LOOP(Py_UCS2, PRINTABLE_LANES_2, printable_run_2);
    default: BAD_LOOP(Py_UCS4, 0, no_run);
    }
}

/* Whether text holds the ASCII character ch: memchr straight on a 1-byte text (most texts, and
 * PyUnicode_FindChar's checks cost as much as its memchr on a line), PyUnicode_FindChar else. */
static inline int holds(PyObject *text, char ch) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (PyUnicode_KIND(text) == PyUnicode_1BYTE_KIND)
        return n > 0 && memchr(PyUnicode_1BYTE_DATA(text), ch, (size_t)n) != NULL;
    return PyUnicode_FindChar(text, (Py_UCS4)ch, 0, n, 1) >= 0;
}

/* _needs_repair(text, entities, witness): with entities, a text holding '&' and no '<' in which
 * _ENTITY finds an entity; else a control character, or _SUSPECT's lead (and with witness,
 * _BAD's witness). */
static int needs_repair_of(PyObject *text, int entities, int witness) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (entities && holds(text, '&') && !holds(text, '<') && has_entity(kind, data, n))
        return 1;
    Py_ssize_t at = 0;
    switch (suspect(kind, data, n, &at, 1)) {
    case 0: return 0;
    case 1: return 1;
    /* (no control character before the lead at at, nor at it: the rest is looked at for one) */
    default: return !witness || suspect(kind, data, n, &at, 0) || maybe_bad(kind, data, n);
    }
}

/* ---- ftfy's mojibake test, exactly: badness.is_bad (repair_patterns.py, repair_ftfy.py) ----
 *
 * BADNESS_RE as repair_patterns.branches reads it: up to 64 branches, each a run of up to
 * MAX_ITEMS characters, each character from a class (sorted code point ranges, and sre's \s or \w:
 * flags), maybe negated, maybe optional (x?), the branch maybe anchored (^: the text's start). A
 * branch can only match where its trigger is: one plain class, or two in a row (bit k of the first
 * and second masks, as for the witnesses), found by table look-up; there the branch is matched by
 * hand from each start its optional items allow. search() finds a match iff some branch matches at
 * some start, and that is all is_bad asks. */

enum { ITEM_SPACE = 1, ITEM_WORD = 2, ITEM_NEGATE = 4, ITEM_OPTIONAL = 8 };
#define MAX_ITEMS 16
#define MAX_OPTIONAL 4

typedef struct {
    Py_UCS4 *ranges; /* first, last, first, last, ...: sorted, not overlapping */
    Py_ssize_t count; /* ranges */
    int flags;
} Item;

typedef struct {
    int anchored, count;
    Py_ssize_t lo, hi; /* the trigger's place in a match: lo to hi characters after its start */
    Item items[MAX_ITEMS];
} Branch;

static Branch exact[64];
static int exact_count = 0, exact_known = 0;
static Masks exact_first, exact_second;
static uint64_t exact_single; /* branches triggered by one character */

/* sre's \s and \w for str patterns (SRE_UNI_IS_SPACE, SRE_UNI_IS_WORD). */
static int in_item(const Item *item, Py_UCS4 ch) {
    int in = 0;
    Py_ssize_t low = 0, high = item->count;
    while (low < high) {
        Py_ssize_t mid = low + (high - low) / 2;
        if (ch < item->ranges[2 * mid])
            high = mid;
        else if (ch > item->ranges[2 * mid + 1])
            low = mid + 1;
        else {
            in = 1;
            break;
        }
    }
    if (!in && (item->flags & ITEM_SPACE) && Py_UNICODE_ISSPACE(ch)) in = 1;
    if (!in && (item->flags & ITEM_WORD) && (Py_UNICODE_ISALNUM(ch) || ch == '_')) in = 1;
    return (item->flags & ITEM_NEGATE) ? !in : in;
}

/* Whether items k.. of the branch match the text from pos on (an optional item taken or not:
 * at most 2^MAX_OPTIONAL ways). */
static int match_from(const Branch *branch, int k, int kind, const void *data, Py_ssize_t n, Py_ssize_t pos) {
    for (; k < branch->count; k++) {
        const Item *item = &branch->items[k];
        if (item->flags & ITEM_OPTIONAL) {
            if (pos < n && in_item(item, PyUnicode_READ(kind, data, pos)) &&
                match_from(branch, k + 1, kind, data, n, pos + 1))
                return 1;
            continue;
        }
        if (pos >= n || !in_item(item, PyUnicode_READ(kind, data, pos))) return 0;
        pos++;
    }
    return 1;
}

static int is_bad_of(int kind, const void *data, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t found = mask_of(&exact_first, PyUnicode_READ(kind, data, i));
        if (!found) continue;
        found &= exact_single | (i + 1 < n ? mask_of(&exact_second, PyUnicode_READ(kind, data, i + 1)) : 0);
        for (int k = 0; found; k++, found >>= 1) {
            if (!(found & 1)) continue;
            const Branch *branch = &exact[k];
            for (Py_ssize_t start = i - branch->hi; start <= i - branch->lo; start++)
                if (start >= 0 && (!branch->anchored || start == 0) && match_from(branch, 0, kind, data, n, start))
                    return 1;
        }
    }
    return 0;
}

static void clear_exact(void) {
    for (int k = 0; k < exact_count; k++)
        for (int j = 0; j < exact[k].count; j++) PyMem_Free(exact[k].items[j].ranges);
    memset(exact, 0, sizeof(exact));
    exact_count = exact_known = 0;
    exact_single = 0;
    clear_masks(&exact_first);
    clear_masks(&exact_second);
}

static int append_range(long start, long end, void *context) {
    Item *item = context;
    if (item->count > 0 && (Py_UCS4)start <= item->ranges[2 * item->count - 1]) {
        PyErr_SetString(PyExc_ValueError, "a class's ranges must be sorted and apart");
        return -1;
    }
    Py_UCS4 *grown = PyMem_Realloc(item->ranges, 2 * (item->count + 1) * sizeof(Py_UCS4));
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    item->ranges = grown;
    grown[2 * item->count] = (Py_UCS4)start;
    grown[2 * item->count + 1] = (Py_UCS4)end;
    item->count++;
    return 0;
}

/* One branch: (anchored, ((ranges, flags), ...), trigger, pair); its trigger's classes set bit k
 * of the masks. -1 with an error set. */
static int set_branch(PyObject *spec, int k) {
    Branch *branch = &exact[k];
    PyObject *items, *held = NULL, *trigger_ranges[2] = {NULL, NULL};
    int anchored, pair, trigger, optional = 0, status = -1;
    if (!PyTuple_Check(spec) || !PyArg_ParseTuple(spec, "pOip", &anchored, &items, &trigger, &pair)) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "a branch must be (anchored, items, trigger, pair)");
        return -1;
    }
    if (!PyTuple_Check(items) && !PyList_Check(items)) {
        PyErr_SetString(PyExc_TypeError, "a branch's items must be a tuple or list");
        return -1;
    }
    if ((held = PySequence_Tuple(items)) == NULL) return -1;
    Py_ssize_t count = PyTuple_GET_SIZE(held);
    if (count < 1 || count > MAX_ITEMS || trigger < 0 || trigger + pair >= count) {
        PyErr_SetString(PyExc_ValueError, "a branch of 1 to 16 items, its trigger among them");
        goto done;
    }
    branch->anchored = anchored;
    for (Py_ssize_t j = 0; j < count; j++) {
        PyObject *item_spec = PyTuple_GET_ITEM(held, j), *pair_spec, *ranges;
        Item *item = &branch->items[j];
        branch->count = (int)j + 1; /* (so that clear_exact frees what is set) */
        if (!PyTuple_Check(item_spec) && !PyList_Check(item_spec)) {
            PyErr_SetString(PyExc_TypeError, "an item must be (ranges, flags)");
            goto done;
        }
        if ((pair_spec = PySequence_Tuple(item_spec)) == NULL) goto done;
        int ok = PyArg_ParseTuple(pair_spec, "Oi", &ranges, &item->flags) && each_range(ranges, append_range, item) == 0;
        if (ok && (j == trigger || (pair && j == trigger + 1))) trigger_ranges[j - trigger] = Py_NewRef(ranges);
        Py_DECREF(pair_spec);
        if (!ok) goto done;
        if (item->flags & ~(ITEM_SPACE | ITEM_WORD | ITEM_NEGATE | ITEM_OPTIONAL)) {
            PyErr_SetString(PyExc_ValueError, "unknown item flags");
            goto done;
        }
        optional += (item->flags & ITEM_OPTIONAL) != 0;
        if (j < trigger) branch->lo += (item->flags & ITEM_OPTIONAL) == 0;
    }
    branch->hi = trigger;
    if (optional > MAX_OPTIONAL || branch->items[trigger].flags != 0 || (pair && branch->items[trigger + 1].flags != 0)) {
        PyErr_SetString(PyExc_ValueError, "at most 4 optional items; a trigger of plain classes");
        goto done;
    }
    uint64_t bit = (uint64_t)1 << k;
    if (set_bad_ranges(trigger_ranges[0], bit, &exact_first) < 0) goto done;
    if (pair ? set_bad_ranges(trigger_ranges[1], bit, &exact_second) < 0 : (exact_single |= bit, 0)) goto done;
    status = 0;
done:
    Py_XDECREF(trigger_ranges[0]);
    Py_XDECREF(trigger_ranges[1]);
    Py_DECREF(held);
    return status;
}

static PyObject *configure_bad(PyObject *self, PyObject *arg) {
    clear_exact();
    PyObject *held = PySequence_Tuple(arg);
    if (held == NULL) return NULL;
    if (PyTuple_GET_SIZE(held) > 64) {
        PyErr_SetString(PyExc_ValueError, "at most 64 branches");
        Py_DECREF(held);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(held); k++) {
        exact_count = (int)k + 1;
        if (set_branch(PyTuple_GET_ITEM(held, k), (int)k) < 0) {
            Py_DECREF(held);
            clear_exact();
            return NULL;
        }
    }
    Py_DECREF(held);
    exact_known = 1;
    Py_RETURN_NONE;
}

static PyObject *is_bad(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "text must be str");
        return NULL;
    }
    if (!exact_known) {
        PyErr_SetString(PyExc_RuntimeError, "configure_bad() first");
        return NULL;
    }
    return PyBool_FromLong(is_bad_of(PyUnicode_KIND(arg), PyUnicode_DATA(arg), PyUnicode_GET_LENGTH(arg)));
}

/* ---- ftfy's byte patterns of fixed-length branches (repair_matchers.Alternation) ----
 * A bytes pattern that is an alternation of branches, each a run of 1 to ALT_ITEMS bytes, each
 * byte from a class, with nothing optional, no anchor and no flag (ftfy's LOSSY_UTF8_RE and
 * ALTERED_UTF8_RE), matches as sre matches it: at the leftmost position where some branch matches,
 * the first branch (in the pattern's order) that matches there. sub() goes on from the end of each
 * match (no match is empty). The table (repair_patterns.table) is: the number of branches (1 to
 * ALT_BRANCHES), then for each its length L and L classes of 32 bytes (bit b of byte b / 8 for
 * byte value b). */
#define ALT_BRANCHES 64
#define ALT_ITEMS 16

typedef struct {
    int count;
    int length[ALT_BRANCHES];
    const unsigned char *items[ALT_BRANCHES]; /* length[k] classes of 32 bytes, in the table */
    unsigned char starts[256];                /* 1 for a byte some branch's first class holds */
} Alternation;

static inline int in_byte_class(const unsigned char *set, unsigned char b) { return (set[b >> 3] >> (b & 7)) & 1; }

static int read_alternation(const unsigned char *table, Py_ssize_t size, Alternation *alt) {
    Py_ssize_t at = 1;
    if (size < 1 || table[0] < 1 || table[0] > ALT_BRANCHES) goto bad;
    alt->count = table[0];
    memset(alt->starts, 0, sizeof alt->starts);
    for (int k = 0; k < alt->count; k++) {
        if (at >= size || table[at] < 1 || table[at] > ALT_ITEMS) goto bad;
        alt->length[k] = table[at++];
        if (size - at < (Py_ssize_t)alt->length[k] * 32) goto bad;
        alt->items[k] = table + at;
        for (int b = 0; b < 256; b++) alt->starts[b] |= in_byte_class(table + at, (unsigned char)b);
        at += (Py_ssize_t)alt->length[k] * 32;
    }
    if (at != size) goto bad;
    return 0;
bad:
    PyErr_SetString(PyExc_ValueError, "not an alternation table");
    return -1;
}

/* The tables last read, each kept with a reference to its bytes (which its items point into, and
 * which cannot change): ftfy's two patterns are asked about in turn, a dozen times a line, and
 * reading a table costs as much as matching it on a short line. Only exact bytes are kept (no
 * subclass's code can run when one is let go). */
#define ALT_KEPT 4
static PyObject *alt_kept_table[ALT_KEPT];
static Alternation alt_kept[ALT_KEPT];
static int alt_next = 0;

static const Alternation *alternation_of(PyObject *table, Alternation *fresh) {
    for (int k = 0; k < ALT_KEPT; k++)
        if (alt_kept_table[k] == table) return &alt_kept[k];
    if (read_alternation((const unsigned char *)PyBytes_AS_STRING(table), PyBytes_GET_SIZE(table), fresh) < 0)
        return NULL;
    if (!PyBytes_CheckExact(table)) return fresh;
    int slot = alt_next;
    alt_next = (alt_next + 1) % ALT_KEPT;
    Py_XSETREF(alt_kept_table[slot], Py_NewRef(table));
    alt_kept[slot] = *fresh;
    return &alt_kept[slot];
}

/* The length of the first branch that matches at pos, or 0. */
static inline int alternation_at(const Alternation *alt, const unsigned char *data, Py_ssize_t n, Py_ssize_t pos) {
    if (!alt->starts[data[pos]]) return 0;
    for (int k = 0; k < alt->count; k++) {
        int length = alt->length[k];
        if (n - pos < length) continue;
        int j = 0;
        while (j < length && in_byte_class(alt->items[k] + 32 * j, data[pos + j])) j++;
        if (j == length) return length;
    }
    return 0;
}

/* alternation(table, data, replacement=None): with no replacement, whether the pattern matches
 * somewhere in data (sre's search, as a bool); with one, sre's sub(replacement, data) for a
 * replacement taken literally (the caller passes none holding a backslash, which sre reads as a
 * template). */
/* (METH_FASTCALL: PyArg_ParseTuple's format cost some 250 instructions a document) */
static PyObject *alternation(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *table, *data, *replacement = Py_None;
    Alternation fresh;
    if (fast_args("alternation", args, nargs, "SS|O", &table, &data, &replacement) < 0) return NULL;
    if (replacement != Py_None && !PyBytes_Check(replacement)) {
        PyErr_SetString(PyExc_TypeError, "replacement must be bytes or None");
        return NULL;
    }
    const Alternation *alt = alternation_of(table, &fresh);
    if (alt == NULL) return NULL;
    const unsigned char *in = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_ssize_t n = PyBytes_GET_SIZE(data);
    if (replacement == Py_None) {
        for (Py_ssize_t pos = 0; pos < n; pos++)
            if (alternation_at(alt, in, n, pos)) Py_RETURN_TRUE;
        Py_RETURN_FALSE;
    }
    /* Two passes: the output's size, then the output. */
    Py_ssize_t r = PyBytes_GET_SIZE(replacement), size = 0, matches = 0;
    for (Py_ssize_t pos = 0; pos < n;) {
        int length = alternation_at(alt, in, n, pos);
        if (length == 0) {
            if (size == PY_SSIZE_T_MAX) return PyErr_NoMemory();
            size++;
            pos++;
            continue;
        }
        if (size > PY_SSIZE_T_MAX - r) return PyErr_NoMemory();
        size += r;
        matches++;
        pos += length;
    }
    if (matches == 0) return Py_NewRef(data);
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL) return NULL;
    unsigned char *to = (unsigned char *)PyBytes_AS_STRING(out);
    const char *with = PyBytes_AS_STRING(replacement);
    for (Py_ssize_t pos = 0; pos < n;) {
        int length = alternation_at(alt, in, n, pos);
        if (length == 0) {
            *to++ = in[pos++];
            continue;
        }
        if (r > 0) memcpy(to, with, (size_t)r);
        to += r;
        pos += length;
    }
    return out;
}

/* ---- ftfy's possible_encoding (repair_matchers.Encodings) ----
 * chardata.ENCODING_REGEXES[name].match(text), for each pattern of the form ^[class]*$: the
 * class's characters greedily, then $ (the end, or a last '\n'), so the text matches when each
 * of its characters is in the class but for a last '\n'. Up to 16 classes (configure_encodings),
 * as bit k of enc_bmp[ch] below U+10000; configure_encodings refuses a class reaching past it. */
#define ENC_CLASSES 16
static uint16_t enc_bmp[0x10000];
static int enc_count = 0; /* 0: not configured */

static int set_enc_bit(long start, long end, void *bit) {
    if (end > 0xFFFF) {
        PyErr_SetString(PyExc_ValueError, "a class past U+FFFF");
        return -1;
    }
    for (long ch = start; ch <= end; ch++) enc_bmp[ch] |= *(uint16_t *)bit;
    return 0;
}

static PyObject *configure_encodings(PyObject *self, PyObject *arg) {
    enc_count = 0;
    memset(enc_bmp, 0, sizeof enc_bmp);
    PyObject *held = PySequence_Tuple(arg);
    if (held == NULL) return NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(held);
    if (count < 1 || count > ENC_CLASSES) {
        PyErr_SetString(PyExc_ValueError, "1 to 16 classes");
        Py_DECREF(held);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        uint16_t bit = (uint16_t)(1u << k);
        if (each_range(PyTuple_GET_ITEM(held, k), set_enc_bit, &bit) < 0) {
            Py_DECREF(held);
            memset(enc_bmp, 0, sizeof enc_bmp);
            return NULL;
        }
    }
    Py_DECREF(held);
    enc_count = (int)count;
    Py_RETURN_NONE;
}

/* encodings(text) -> int: bit k set when class k's pattern matches text. */
static PyObject *encodings(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "text must be str");
        return NULL;
    }
    if (enc_count == 0) {
        PyErr_SetString(PyExc_RuntimeError, "configure_encodings() first");
        return NULL;
    }
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    if (n > 0 && PyUnicode_READ(kind, data, n - 1) == '\n') n--; /* $ matches before it: any class */
    unsigned all = (1u << enc_count) - 1, mask = all;
    for (Py_ssize_t i = 0; i < n && mask; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        mask &= ch <= 0xFFFF ? enc_bmp[ch] : 0u;
    }
    return PyLong_FromUnsignedLong(mask);
}

/* ---- ftfy's UTF8_DETECTOR_RE (repair_matchers.Detector) ----
 * A str pattern (?<![B])(?:R1|R2|...)+ as repair_patterns.detector reads it: a negative lookbehind
 * of one class (or none), then one or more times, greedily, an alternation of runs of classes of
 * fixed length. sre's search finds the leftmost position p where the lookbehind holds (p is 0, or
 * the character before p is not in B: sre looks behind into the text before a search's pos) and a
 * first iteration matches; each iteration takes the first run, in the pattern's order, that
 * matches where it starts, and nothing after the repeat can fail, so sre never backtracks into an
 * iteration once taken: the match ends where no run matches. sub() goes on from each match's end
 * (no match is empty). Classes are bits of det_bmp (up to DET_CLASSES of them, each below U+10000:
 * configure_detector refuses others), so a character past U+FFFF is in none. */
#define DET_CLASSES 8
#define DET_BRANCHES 16
#define DET_ITEMS 16
static uint8_t det_bmp[0x10000];
static int det_known = 0, det_behind = 0, det_count = 0; /* det_behind: the lookbehind's bit, 0 for none */
static int det_length[DET_BRANCHES];
static uint8_t det_items[DET_BRANCHES][DET_ITEMS]; /* each item's class bit */
static uint8_t det_starts;                         /* the bits of the runs' first classes */

static int set_det_bit(long start, long end, void *bit) {
    if (end > 0xFFFF) {
        PyErr_SetString(PyExc_ValueError, "a class past U+FFFF");
        return -1;
    }
    for (long ch = start; ch <= end; ch++) det_bmp[ch] |= *(uint8_t *)bit;
    return 0;
}

static void clear_detector(void) {
    det_known = det_behind = det_count = 0;
    det_starts = 0;
    memset(det_bmp, 0, sizeof det_bmp);
}

/* configure_detector(classes, behind, runs): classes, up to 8, each a sequence of (first, last)
 * code points below U+10000; behind the lookbehind's class (an index) or -1; runs, 1 to 16, each
 * a sequence of 1 to 16 class indices. */
static PyObject *configure_detector(PyObject *self, PyObject *args) {
    PyObject *classes, *runs, *held_classes = NULL, *held_runs = NULL;
    int behind;
    clear_detector();
    if (!PyArg_ParseTuple(args, "OiO", &classes, &behind, &runs)) return NULL;
    if ((held_classes = PySequence_Tuple(classes)) == NULL) goto fail;
    if ((held_runs = PySequence_Tuple(runs)) == NULL) goto fail;
    Py_ssize_t count = PyTuple_GET_SIZE(held_classes), run_count = PyTuple_GET_SIZE(held_runs);
    if (count < 1 || count > DET_CLASSES || behind < -1 || behind >= count || run_count < 1 ||
        run_count > DET_BRANCHES) {
        PyErr_SetString(PyExc_ValueError, "1 to 8 classes, the lookbehind among them, and 1 to 16 runs");
        goto fail;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        uint8_t bit = (uint8_t)(1u << k);
        if (each_range(PyTuple_GET_ITEM(held_classes, k), set_det_bit, &bit) < 0) goto fail;
    }
    for (Py_ssize_t k = 0; k < run_count; k++) {
        PyObject *run = PySequence_Tuple(PyTuple_GET_ITEM(held_runs, k));
        if (run == NULL) goto fail;
        Py_ssize_t length = PyTuple_GET_SIZE(run);
        int ok = length >= 1 && length <= DET_ITEMS;
        for (Py_ssize_t j = 0; ok && j < length; j++) {
            long index = PyLong_Check(PyTuple_GET_ITEM(run, j)) ? PyLong_AsLong(PyTuple_GET_ITEM(run, j)) : -1;
            ok = index >= 0 && index < count;
            if (ok) det_items[k][j] = (uint8_t)(1u << index);
        }
        Py_DECREF(run);
        if (!ok) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "a run of 1 to 16 class indices");
            goto fail;
        }
        det_length[k] = (int)length;
        det_starts |= det_items[k][0];
    }
    det_count = (int)run_count;
    det_behind = behind < 0 ? 0 : 1 << behind;
    det_known = 1;
    Py_DECREF(held_classes);
    Py_DECREF(held_runs);
    Py_RETURN_NONE;
fail:
    Py_XDECREF(held_classes);
    Py_XDECREF(held_runs);
    clear_detector();
    return NULL;
}

static inline uint8_t det_bits(int kind, const void *data, Py_ssize_t i) {
    Py_UCS4 ch = PyUnicode_READ(kind, data, i);
    return ch <= 0xFFFF ? det_bmp[ch] : 0;
}

/* Where the repeat that starts at pos ends (pos: no first iteration). */
static Py_ssize_t det_end(int kind, const void *data, Py_ssize_t n, Py_ssize_t pos) {
    for (;;) {
        int k = 0;
        for (; k < det_count; k++) {
            int length = det_length[k], j = 0;
            if (n - pos < length) continue;
            while (j < length && (det_bits(kind, data, pos + j) & det_items[k][j])) j++;
            if (j == length) break;
        }
        if (k == det_count) return pos;
        pos += det_length[k];
    }
}

/* detect(text, all) -> (start, end, start, end, ...): the matches sre's finditer (sub's) finds,
 * or with all false the first one only (search). */
static PyObject *detect(PyObject *self, PyObject *args) {
    PyObject *text;
    int all;
    if (!PyArg_ParseTuple(args, "Up", &text, &all)) return NULL;
    if (!det_known) {
        PyErr_SetString(PyExc_RuntimeError, "configure_detector() first");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    for (Py_ssize_t pos = 0; pos < n;) {
        if (!(det_bits(kind, data, pos) & det_starts) || (pos > 0 && (det_bits(kind, data, pos - 1) & det_behind))) {
            pos++;
            continue;
        }
        Py_ssize_t end = det_end(kind, data, n, pos);
        if (end == pos) {
            pos++;
            continue;
        }
        PyObject *start_obj = PyLong_FromSsize_t(pos), *end_obj = PyLong_FromSsize_t(end);
        int failed = start_obj == NULL || end_obj == NULL || PyList_Append(out, start_obj) < 0 ||
                     PyList_Append(out, end_obj) < 0;
        Py_XDECREF(start_obj);
        Py_XDECREF(end_obj);
        if (failed) {
            Py_DECREF(out);
            return NULL;
        }
        if (!all) break;
        pos = end;
    }
    return out;
}

/* ---- whitespace.py ---- */

/* _ODD_SPACE ([\x0b\x0c\x1c-\x1f\x85\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f]), replaced
 * by ' ', and _INVISIBLE ([\u200b\u2060\ufeff]), removed: is_odd(ch) is a character of either (in
 * fewer tests for the characters a text is made of: the six below U+0020 as bits of a word, most
 * of the rest in U+2000..U+207F, as bits of two words), and is_invisible tells the two apart. None
 * is printable ASCII (' ' to '~'), so a run of it is passed over without a test a character. */
static int is_invisible(Py_UCS4 ch) { return ch == 0x200B || ch == 0x2060 || ch == 0xFEFF; }

/* U+000B, U+000C and U+001C-U+001F (VT, FF, FS, GS, RS, US: whitespace.BREAKS below U+0080), as bits */
#define LOW_ODD ((1u << 0x0B) | (1u << 0x0C) | (1u << 0x1C) | (1u << 0x1D) | (1u << 0x1E) | (1u << 0x1F))

static const uint64_t odd_2000[2] = {
    0xFFFULL | (1ULL << 0x28) | (1ULL << 0x29) | (1ULL << 0x2F), /* U+2000-U+200B, U+2028, U+2029, U+202F */
    (1ULL << 0x1F) | (1ULL << 0x20),                             /* U+205F, U+2060 */
};
static inline int is_odd(Py_UCS4 ch) {
    if (ch < 0x20) return (int)((LOW_ODD >> ch) & 1);
    if (ch - 0x2000 < 0x80) return (int)((odd_2000[(ch - 0x2000) >> 6] >> ((ch - 0x2000) & 63)) & 1);
    return ch == 0x85 || ch == 0xA0 || ch == 0x1680 || ch == 0xFEFF;
}

/* whitespace.BREAKS (VT, FF, FS, GS, RS, US, U+2028, U+2029): the odd spaces repair() makes spaces
 * before ftfy sees a line. */
static inline int is_break(Py_UCS4 ch) {
    if (ch < 0x20) return (int)((LOW_ODD >> ch) & 1);
    return ch == 0x2028 || ch == 0x2029;
}

/* Whether a character of t (n of them) is one that TEST holds: runs of printable ASCII (which
 * holds none of the odd characters) passed over a block at once. */
#define FIND_LOOP(T, LANES, RUN, TEST)                                                           \
    do {                                                                                         \
        const T *t = (const T *)data;                                                            \
        Py_ssize_t i = 0;                                                                        \
        while (i < n) {                                                                          \
            PASS_PRINTABLE(LANES, RUN, 1);                                                       \
            if (TEST(t[i])) return 1;                                                            \
            i++;                                                                                 \
        }                                                                                        \
        return 0;                                                                                \
    } while (0)

/* An odd space or invisible mark in a 1-byte (2-byte, 4-byte) text. */
static int odd_ucs1(const void *data, Py_ssize_t n) { FIND_LOOP(Py_UCS1, PRINTABLE_LANES_1, printable_run_1, is_odd); }
static int odd_ucs2(const void *data, Py_ssize_t n) { FIND_LOOP(Py_UCS2, PRINTABLE_LANES_2, printable_run_2, is_odd); }
static int odd_ucs4(const void *data, Py_ssize_t n) { FIND_LOOP(Py_UCS4, 0, no_run, is_odd); }

static int odd_of(int kind, const void *data, Py_ssize_t n) {
    switch (kind) {
    case PyUnicode_1BYTE_KIND: return odd_ucs1(data, n);
    case PyUnicode_2BYTE_KIND: return odd_ucs2(data, n);
    default: return odd_ucs4(data, n);
    }
}

#ifdef REPAIR_SSE2
/* The lanes of x from lo to lo + span (unsigned, wrapping below lo), as all-ones: x - lo saturated
 * at span is x - lo only there. */
static inline __m128i in_range_8(__m128i x, char lo, char span) {
    __m128i d = _mm_sub_epi8(x, _mm_set1_epi8(lo));
    return _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(span)), d);
}
static inline __m128i in_range_16(__m128i x, short lo, short span) {
    __m128i d = _mm_sub_epi16(x, _mm_set1_epi16(lo));
    return _mm_cmpeq_epi16(_mm_subs_epu16(d, _mm_set1_epi16(span)), _mm_setzero_si128());
}
#endif

/* whitespace.has_breaks: one of whitespace.BREAKS in the text. It is asked of every document, and
 * a page's line ends and punctuation would cut the printable runs FIND_LOOP passes over every few
 * characters: with SSE2, 16 bytes (eight 2-byte characters) are tested at once for the breaks
 * themselves (U+000B-U+000C, U+001C-U+001F, U+2028-U+2029). */
static int has_breaks(int kind, const void *data, Py_ssize_t n) {
#ifdef REPAIR_SSE2
    Py_ssize_t i = 0;
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *t = (const Py_UCS1 *)data;
        for (; i + 16 <= n; i += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(t + i));
            if (_mm_movemask_epi8(_mm_or_si128(in_range_8(x, 0x0B, 1), in_range_8(x, 0x1C, 3)))) return 1;
        }
        for (; i < n; i++)
            if (is_break(t[i])) return 1;
        return 0;
    }
    if (kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *t = (const Py_UCS2 *)data;
        for (; i + 8 <= n; i += 8) {
            __m128i x = _mm_loadu_si128((const __m128i *)(t + i));
            __m128i hit = _mm_or_si128(_mm_or_si128(in_range_16(x, 0x0B, 1), in_range_16(x, 0x1C, 3)),
                                       in_range_16(x, 0x2028, 1));
            if (_mm_movemask_epi8(hit)) return 1;
        }
        for (; i < n; i++)
            if (is_break(t[i])) return 1;
        return 0;
    }
#endif
    switch (kind) {
    case PyUnicode_1BYTE_KIND: FIND_LOOP(Py_UCS1, PRINTABLE_LANES_1, printable_run_1, is_break);
    case PyUnicode_2BYTE_KIND: FIND_LOOP(Py_UCS2, PRINTABLE_LANES_2, printable_run_2, is_break);
    default: FIND_LOOP(Py_UCS4, 0, no_run, is_break);
    }
}

/* normalized()'s new text: each odd space as ' ', each invisible mark left out (is_odd is the
 * union of the two, which are apart). */
#define REBUILD_LOOP(T)                                        \
    do {                                                       \
        const T *t = (const T *)data;                          \
        T *o = (T *)out;                                       \
        for (Py_ssize_t i = 0; i < n; i++) {                   \
            T ch = t[i];                                       \
            if (!is_odd(ch))                                   \
                o[used++] = ch;                                \
            else if (!is_invisible(ch))                        \
                o[used++] = ' ';                               \
        }                                                      \
    } while (0)

/* REBUILD_LOOP for a 1-byte text into out (n bytes): its length. Below U+0100 every odd character
 * is an odd space (the invisible marks are above U+2000), so each byte is copied or made ' '. */
static Py_ssize_t rebuild_ucs1(const Py_UCS1 *t, Py_ssize_t n, Py_UCS1 *out) {
    for (Py_ssize_t i = 0; i < n; i++) out[i] = is_odd(t[i]) ? ' ' : t[i];
    return n;
}

/* REBUILD_LOOP for a 2-byte text into out (n code units): its length. Runs of printable ASCII (no
 * odd character is one) are copied PRINTABLE_LANES_2 at once: the block is stored whole at
 * out + used, then used moves on by the run (used <= i, so the store stays inside out's n). */
static Py_ssize_t rebuild_ucs2(const Py_UCS2 *t, Py_ssize_t n, Py_UCS2 *out) {
    Py_ssize_t used = 0, i = 0;
    while (i < n) {
        if (i + PRINTABLE_LANES_2 <= n) {
            memcpy(out + used, t + i, PRINTABLE_LANES_2 * sizeof(Py_UCS2));
            int run = printable_run_2(t + i);
            i += run;
            used += run;
            if (run == PRINTABLE_LANES_2) continue;
        }
        Py_UCS2 ch = t[i++];
        if (!is_odd(ch))
            out[used++] = ch;
        else if (!is_invisible(ch))
            out[used++] = ' ';
    }
    return used;
}

/* normalize(text) when it differs from text (a new reference), else NULL with no error set; NULL
 * with an error set on failure. The odd spaces become ' ' and the invisible marks go, then
 * rstrip() (a text with no odd character: rstrip() alone). Any odd space or invisible mark changes
 * the text (one becomes ' ', the other shortens it), as does any trailing whitespace. *trimmed
 * (when not NULL) is set when the new text is text with its trailing whitespace cut, and no more. */
static PyObject *normalized(PyObject *text, int *trimmed) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int odd = odd_of(kind, data, n);
    if (!odd) {
        Py_ssize_t end = n;
        while (end > 0 && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, end - 1))) end--;
        if (trimmed != NULL) *trimmed = 1;
        return end == n ? NULL : PyUnicode_Substring(text, 0, end);
    }
    /* The new text in the text's own width (an odd character becomes ' ' or goes: none widens it),
     * each character looked at once; PyUnicode_FromKindAndData narrows it where it can. */
    void *out = PyMem_Malloc((size_t)(n ? n : 1) * (size_t)kind);
    if (out == NULL) return PyErr_NoMemory();
    Py_ssize_t used = 0;
    switch (kind) {
    case PyUnicode_1BYTE_KIND: used = rebuild_ucs1((const Py_UCS1 *)data, n, (Py_UCS1 *)out); break;
    case PyUnicode_2BYTE_KIND: used = rebuild_ucs2((const Py_UCS2 *)data, n, (Py_UCS2 *)out); break;
    default: REBUILD_LOOP(Py_UCS4); break;
    }
    while (used > 0 && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, out, used - 1))) used--;
    PyObject *result = PyUnicode_FromKindAndData(kind, out, used);
    PyMem_Free(out);
    return result;
}

/* needs_whitespace: _DIRTY.search, with re.MULTILINE (\s(?:$|(?=\r))|[\x0b\x0c\x1c-\x1f\x85\u00a0
 * \u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u2060\ufeff]): a \s at the end of the
 * text or before '\n' ($ under MULTILINE) or '\r', or one of the odd characters anywhere. So it is
 * asked of each line end (a \s before it) and of the odd characters, not of each character: on a
 * 1-byte text (most documents) by memchr from line end to line end, on a 2-byte one by find_ucs2
 * (a page whose lines end clean was read a character at a time, its whole text, for the one
 * answer). */
static int space_before(const Py_UCS1 *t, Py_ssize_t n, int end) {
    for (const Py_UCS1 *at = t + 1; at < t + n && (at = memchr(at, end, (size_t)(t + n - at))) != NULL; at++)
        if (Py_UNICODE_ISSPACE(at[-1])) return 1;
    return 0;
}

#define ENDS_LOOP(T)                                                                            \
    do {                                                                                        \
        const T *t = (const T *)data;                                                           \
        for (Py_ssize_t i = 1; i < n; i++)                                                      \
            if ((t[i] == '\n' || t[i] == '\r') && Py_UNICODE_ISSPACE(t[i - 1])) return 1;       \
    } while (0)

static int dirty(PyObject *text) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (n == 0) return 0;
    if (Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, n - 1))) return 1;
    /* The line ends first, then the odd characters in the whole text: most dirty documents have
     * a blank line ("\n\n") near their start, found without the text read to its end. */
    switch (kind) {
    case PyUnicode_1BYTE_KIND:
        if (space_before(data, n, '\n') || space_before(data, n, '\r')) return 1;
        return odd_ucs1(data, n);
    case PyUnicode_2BYTE_KIND: {
        const Py_UCS2 *t = (const Py_UCS2 *)data;
        for (Py_ssize_t i = find_ucs2(t, 1, n, '\n', '\r'); i < n; i = find_ucs2(t, i + 1, n, '\n', '\r'))
            if (Py_UNICODE_ISSPACE(t[i - 1])) return 1;
        return odd_ucs2(t, n);
    }
    default:
        ENDS_LOOP(Py_UCS4);
        return odd_ucs4(data, n);
    }
}

/* ---- entry points ---- */

static int ready(void) {
    if (!configured) PyErr_SetString(PyExc_RuntimeError, "configure() the gate's classes first");
    return configured;
}

/* (METH_FASTCALL, as alternation) */
static PyObject *needs_repair(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *text;
    int entities, witness = 1;
    if (fast_args("needs_repair", args, nargs, "Up|p", &text, &entities, &witness) < 0 || !ready()) return NULL;
    return PyBool_FromLong(needs_repair_of(text, entities, witness));
}

/* repair._quiet: no control character and no witness of ftfy's mojibake test (False without
 * witnesses: nothing is known). */
static PyObject *quiet(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "text must be str");
        return NULL;
    }
    if (!ready()) return NULL;
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    return PyBool_FromLong(bad_known && !has_control(kind, data, n) && !maybe_bad(kind, data, n));
}

/* _CONTROL.search: a control character of the gate's class anywhere (repair_ftfy: ftfy's fixers
 * that change nothing else). */
static PyObject *control(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "text must be str");
        return NULL;
    }
    if (!ready()) return NULL;
    return PyBool_FromLong(has_control(PyUnicode_KIND(arg), PyUnicode_DATA(arg), PyUnicode_GET_LENGTH(arg)));
}

static PyObject *needs_whitespace(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "text must be str");
        return NULL;
    }
    return PyBool_FromLong(dirty(arg));
}

static PyObject *breaks(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "text must be str");
        return NULL;
    }
    return PyBool_FromLong(has_breaks(PyUnicode_KIND(arg), PyUnicode_DATA(arg), PyUnicode_GET_LENGTH(arg)));
}

static PyObject *normalize(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "text must be str");
        return NULL;
    }
    PyObject *result = normalized(arg, NULL);
    /* The text itself when unchanged, as str.rstrip gives it: a str (a copy of a subclass's). */
    if (result == NULL && !PyErr_Occurred()) return PyUnicode_Substring(arg, 0, PyUnicode_GET_LENGTH(arg));
    return result;
}

/* What repair()'s loop does to one text (a new reference): None for the rounds, or its new text;
 * NULL with no error set when it leaves the text alone, with one set on failure. */
/* A text cut short of its trailing whitespace needs no repair when the text did not: the gate is
 * a search for a match within the text (an entity, with no '<' in the text, which the cut keeps or
 * not with the text; a lead and the character after it; a control character; a witness or a
 * witness pair), and a match within the shorter text is one within the text. So only a text whose
 * odd spaces or marks were changed is asked again (~330 instructions a line with trailing space). */
static PyObject *change_of(PyObject *text, int enabled, int entities) {
    if (enabled && needs_repair_of(text, entities, 1)) return Py_NewRef(Py_None);
    int trimmed = 0;
    PyObject *value = normalized(text, &trimmed);
    if (value != NULL && enabled && !trimmed && needs_repair_of(value, entities, 1))
        Py_SETREF(value, Py_NewRef(Py_None));
    return value;
}

static PyObject *changes_of(PyObject *texts, int enabled, int entities) {
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(texts); i++) {
        PyObject *value = change_of(PyTuple_GET_ITEM(texts, i), enabled, entities);
        if (value == NULL) {
            if (PyErr_Occurred()) goto fail;
            continue;
        }
        PyObject *item = Py_BuildValue("(nN)", i, value);
        if (item == NULL) goto fail;
        int appended = PyList_Append(out, item);
        Py_DECREF(item);
        if (appended < 0) goto fail;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* What repair()'s loop does to each text, for the texts it changes, in order: (i, None) for a
 * line the gate lets through in its first or second round (ftfy must see it: repair.py runs
 * its rounds), (i, normalize(text)) for a line only the whitespace step changes. For such a
 * line the second round finds the gate shut again and normalize() changes nothing (it is
 * idempotent: no odd space, mark or trailing whitespace is left), so that is its last round.
 * Without ``enabled`` no line is gated; the rest is the same. (texts: a tuple of str.) */
static PyObject *lines(PyObject *self, PyObject *args) {
    PyObject *list;
    int enabled, entities;
    if (!PyArg_ParseTuple(args, "O!pp", &PyList_Type, &list, &enabled, &entities)) return NULL;
    if (enabled && !ready()) return NULL;
    PyObject *texts = held_texts(list);
    if (texts == NULL) return NULL;
    PyObject *out = changes_of(texts, enabled, entities);
    Py_DECREF(texts);
    return out;
}

static PyObject *s_text;

/* repair()'s decisions for a document in one call: (enabled, changes), ``enabled`` whether ftfy
 * may see its lines (repair.py's enabled after the document's gate, the gate without the
 * mojibake test) and ``changes`` what lines() gives for the lines' texts with it (none when the
 * gate is shut and needs_whitespace finds nothing in the document). A text of "" is no document:
 * no document-level gate. */
/* (False, []): plan's and repair_lines' answer for a document with nothing to repair (built
 * directly: Py_BuildValue walked its format for it) */
static PyObject *nothing_to_repair(void) {
    PyObject *changes = PyList_New(0);
    if (changes == NULL) return NULL;
    PyObject *result = PyTuple_Pack(2, Py_False, changes);
    Py_DECREF(changes);
    return result;
}

static PyObject *plan(PyObject *self, PyObject *args) {
    PyObject *line_list, *text;
    int enabled, entities;
    if (!PyArg_ParseTuple(args, "O!Upp", &PyList_Type, &line_list, &text, &enabled, &entities)) return NULL;
    if (enabled && !ready()) return NULL;
    if (PyUnicode_GET_LENGTH(text) > 0) {
        enabled = enabled && needs_repair_of(text, entities, 0);
        if (!enabled && !dirty(text)) return nothing_to_repair();
    }
    PyObject *held = PyList_AsTuple(line_list);
    if (held == NULL) return NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(held);
    PyObject *texts = PyTuple_New(count), *changes = NULL, *result = NULL;
    if (texts == NULL) goto done;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *value = PyObject_GetAttr(PyTuple_GET_ITEM(held, i), s_text);
        if (value == NULL) goto done;
        PyTuple_SET_ITEM(texts, i, value);
        if (!PyUnicode_Check(value)) {
            PyErr_SetString(PyExc_TypeError, "a line's text must be str");
            goto done;
        }
    }
    changes = changes_of(texts, enabled, entities);
    if (changes == NULL) goto done;
    result = PyTuple_Pack(2, enabled ? Py_True : Py_False, changes);
done:
    Py_DECREF(held);
    Py_XDECREF(texts);
    Py_XDECREF(changes);
    return result;
}

static PyObject *s_blank, *s_changed_by, *s_change;

/* A Line's text, blank and changed_by, by slot for the class of repair_lines' line_type (_held.h). */
enum { W_TEXT, W_BLANK, W_CHANGED, N_WRITTEN };
static PyObject *written_names[N_WRITTEN];

/* line.<attribute k> = value, straight into its slot when offsets[k] says it is one. */
static int slot_write(PyObject *line, const Py_ssize_t *offsets, int k, PyObject *value) {
    if (offsets[k] < 0) return PyObject_SetAttr(line, written_names[k], value);
    PyObject **slot = (PyObject **)((char *)line + offsets[k]);
    PyObject *old = *slot;
    *slot = Py_NewRef(value);
    Py_XDECREF(old);
    return 0;
}

/* line.<attribute k>: a new reference, from its slot when offsets[k] (for reading) says it is one and
 * it is set. */
static PyObject *slot_get(PyObject *line, const Py_ssize_t *offsets, int k) {
    if (offsets[k] >= 0) {
        PyObject *value = slot_borrow(line, offsets[k]);
        if (value != NULL) return Py_NewRef(value);
    }
    return PyObject_GetAttr(line, written_names[k]);
}

/* line.change(normal, label) (document.Line.change) for a line of exactly line_type, by its
 * attributes (reads and writes: their slots in line_type to read and to write, -1 for the generic
 * way) without running the method; for any other class, the method. 0, or -1 with an error set.
 * (normal is normalize()'s: rstripped, so it is blank when it is empty.) */
/* was: the text normal was made from (normalized() gives a text only where it differs from the
 * one it is given), so a line still holding that very object is changed without comparing the two. */
static PyObject *first_label; /* (label,) for change_line's last label */

static int change_line(PyObject *line, PyObject *normal, PyObject *was, PyObject *label, PyObject *line_type,
                       const Py_ssize_t *reads, const Py_ssize_t *writes) {
    if (Py_TYPE(line) != (PyTypeObject *)line_type) {
        PyObject *done = PyObject_CallMethodObjArgs(line, s_change, normal, label, NULL);
        Py_XDECREF(done);
        return done == NULL ? -1 : 0;
    }
    PyObject *now = slot_get(line, reads, W_TEXT);
    if (now == NULL) return -1;
    int same = now == was               ? 0
               : PyUnicode_Check(now) ? PyUnicode_Compare(normal, now) == 0
                                      : PyObject_RichCompareBool(normal, now, Py_EQ);
    Py_DECREF(now);
    if (same < 0 || PyErr_Occurred()) return -1;
    if (same) return 0;
    if (slot_write(line, writes, W_TEXT, normal) < 0 ||
        slot_write(line, writes, W_BLANK, PyUnicode_GET_LENGTH(normal) == 0 ? Py_True : Py_False) < 0)
        return -1;
    PyObject *labels = slot_get(line, reads, W_CHANGED);
    if (labels == NULL) return -1;
    int status;
    if (PyTuple_CheckExact(labels) && PyTuple_GET_SIZE(labels) == 0) {
        /* (a line's first label, most lines': () + (label,) is (label,), one tuple kept for all of
         * them, as a tuple cannot change: no tuple made and added a line) */
        /* (``one`` held here: dropping the old tuple, or a __setattr__, may run code that calls
         * this again and replaces the module's) */
        PyObject *one;
        if (first_label != NULL && PyTuple_GET_ITEM(first_label, 0) == label) {
            one = Py_NewRef(first_label);
        } else {
            if ((one = PyTuple_Pack(1, label)) == NULL) {
                Py_DECREF(labels);
                return -1;
            }
            Py_XSETREF(first_label, Py_NewRef(one));
        }
        status = slot_write(line, writes, W_CHANGED, one);
        Py_DECREF(one);
    } else {
        int found = PySequence_Contains(labels, label);
        status = found < 0 ? -1 : found ? 0 : PyList_Check(labels) ? PyList_Append(labels, label) : -2;
    }
    if (status == -2) { /* (not a list: labels + (label,), as Line.change's +=, written back) */
        PyObject *one = PyTuple_Pack(1, label);
        PyObject *more = one == NULL ? NULL : PyNumber_InPlaceAdd(labels, one);
        status = more == NULL ? -1 : slot_write(line, writes, W_CHANGED, more);
        Py_XDECREF(one);
        Py_XDECREF(more);
    }
    Py_DECREF(labels);
    return status;
}

/* repair.repair's native half in one call: plan()'s decisions, then each line only the whitespace
 * step changes changed here (line.change(normal, label)); (enabled, [i]): the lines that go through
 * the rounds in Python (ftfy sees them), in order. plan() without its objects: the texts read from
 * their slots, the decisions kept in an array, not as a list of tuples; as in plan(), every text is
 * read and every decision made before the first line is changed. */
/* (METH_FASTCALL: PyArg_ParseTuple cost some 500 instructions a document) */
static PyObject *repair_lines(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *line_list, *text, *label, *line_type;
    int enabled, entities;
    if (fast_args("repair_lines", args, nargs, "LUppUT", &line_list, &text, &enabled, &entities, &label, &line_type) < 0)
        return NULL;
    if (enabled && !ready()) return NULL;
    if (PyUnicode_GET_LENGTH(text) > 0) {
        enabled = enabled && needs_repair_of(text, entities, 0);
        if (!enabled && !dirty(text)) return nothing_to_repair();
    }
    PyObject *held = PyList_AsTuple(line_list), *texts = NULL, *rounds = NULL, *result = NULL;
    if (held == NULL) return NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(held);
    /* normals[i]: the line's new text (a reference), Py_None for the rounds, NULL for no change */
    PyObject **normals = PyMem_Calloc(count ? count : 1, sizeof(PyObject *));
    Slots reading;
    slots_init(&reading, written_names, 1);
    Py_ssize_t reads[N_WRITTEN], writes[N_WRITTEN];
    slot_offsets_of((PyTypeObject *)line_type, written_names, N_WRITTEN, 0, reads);
    slot_offsets_of((PyTypeObject *)line_type, written_names, N_WRITTEN, 1, writes);
    if (normals == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if ((texts = PyTuple_New(count)) == NULL || (rounds = PyList_New(0)) == NULL) goto done;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *value = slot_read(&reading, PyTuple_GET_ITEM(held, i), W_TEXT);
        if (value == NULL) goto done;
        PyTuple_SET_ITEM(texts, i, value);
        if (!PyUnicode_Check(value)) {
            PyErr_SetString(PyExc_TypeError, "a line's text must be str");
            goto done;
        }
    }
    for (Py_ssize_t i = 0; i < count; i++) /* changes_of */
        if ((normals[i] = change_of(PyTuple_GET_ITEM(texts, i), enabled, entities)) == NULL && PyErr_Occurred())
            goto done;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *normal = normals[i];
        if (normal == NULL) continue;
        if (normal == Py_None) {
            PyObject *index = PyLong_FromSsize_t(i);
            int appended = index == NULL ? -1 : PyList_Append(rounds, index);
            Py_XDECREF(index);
            if (appended < 0) goto done;
            continue;
        }
        if (i >= PyList_GET_SIZE(line_list)) { /* (the lines changed under us: lines[i] in Python) */
            PyErr_SetString(PyExc_IndexError, "list index out of range");
            goto done;
        }
        PyObject *line = Py_NewRef(PyList_GET_ITEM(line_list, i));
        int changed = change_line(line, normal, PyTuple_GET_ITEM(texts, i), label, line_type, reads, writes);
        Py_DECREF(line);
        if (changed < 0) goto done;
    }
    result = PyTuple_Pack(2, enabled ? Py_True : Py_False, rounds);
done:
    for (Py_ssize_t i = 0; normals != NULL && i < count; i++) Py_XDECREF(normals[i]);
    PyMem_Free(normals);
    slots_done(&reading);
    Py_DECREF(held);
    Py_XDECREF(texts);
    Py_XDECREF(rounds);
    return result;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(lead, cont, control, bad=None): the gate's classes, each a tuple of (first, last) code points, "
     "and ftfy's mojibake witnesses, (pairs, single) (repair_gate.witnesses)."},
    {"needs_repair", (PyCFunction)(void (*)(void))needs_repair, METH_FASTCALL,
     "needs_repair(text, entities, witness=True) -> bool: repair._needs_repair."},
    {"configure_bad", configure_bad, METH_O,
     "configure_bad(branches): ftfy's BADNESS_RE as repair_patterns.branches reads it."},
    {"is_bad", is_bad, METH_O, "is_bad(text) -> bool: ftfy.badness.is_bad, after configure_bad()."},
    {"alternation", (PyCFunction)(void (*)(void))alternation, METH_FASTCALL,
     "alternation(table, data, replacement=None): search (bool) or sub with a literal replacement, for a bytes "
     "pattern of fixed-length branches (repair_matchers.Alternation)."},
    {"configure_encodings", configure_encodings, METH_O,
     "configure_encodings(classes): the classes of ftfy's ENCODING_REGEXES (repair_matchers.Encodings), each a tuple "
     "of (first, last) code points below U+10000."},
    {"encodings", encodings, METH_O, "encodings(text) -> int: bit k set when class k's ^[class]*$ matches text."},
    {"configure_detector", configure_detector, METH_VARARGS,
     "configure_detector(classes, behind, runs): ftfy's UTF8_DETECTOR_RE as repair_patterns.detector reads it."},
    {"detect", detect, METH_VARARGS,
     "detect(text, all) -> [start, end, ...]: its matches in text (sub's), or the first (search's)."},
    {"control", control, METH_O, "control(text) -> bool: a character of the gate's control class in text."},
    {"quiet", quiet, METH_O, "quiet(text) -> bool: repair._quiet (nothing but entities for ftfy to change)."},
    {"needs_whitespace", needs_whitespace, METH_O, "needs_whitespace(text) -> bool: whitespace.needs_whitespace."},
    {"breaks", breaks, METH_O, "breaks(text) -> bool: whitespace.has_breaks."},
    {"normalize", normalize, METH_O, "normalize(text) -> str: whitespace.normalize."},
    {"lines", lines, METH_VARARGS,
     "lines(texts, enabled, entities) -> [(i, normalized text or None)]: the lines repair() changes."},
    {"plan", plan, METH_VARARGS,
     "plan(lines, text, enabled, entities) -> (enabled, changes): the document's gates and lines() of its lines' "
     "texts, in one call (repair.repair)."},
    {"repair_lines", (PyCFunction)(void (*)(void))repair_lines, METH_FASTCALL,
     "repair_lines(lines, text, enabled, entities, label, line_type) -> (enabled, [i]): plan(), with its "
     "whitespace-only changes made (line.change(normal, label)); the lines left for the rounds."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_repair", "The repair step's per-line decisions in C.",
                                    -1, methods};

PyMODINIT_FUNC PyInit__repair(void) {
    if (s_text == NULL && ((s_text = PyUnicode_InternFromString("text")) == NULL ||
                           (s_blank = PyUnicode_InternFromString("blank")) == NULL ||
                           (s_changed_by = PyUnicode_InternFromString("changed_by")) == NULL ||
                           (s_change = PyUnicode_InternFromString("change")) == NULL))
        return NULL;
    written_names[W_TEXT] = s_text;
    written_names[W_BLANK] = s_blank;
    written_names[W_CHANGED] = s_changed_by;
    return PyModule_Create(&module);
}

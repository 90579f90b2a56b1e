/* What a line's text alone gives the line classifier: features.py's _per_line, in one pass over
 * each line in C instead of regular expressions, numpy passes and Python loops.
 *
 * Every definition is the Python one, to the bit (tests/test_native.py compares the two):
 * - character classes are the str methods' (Py_UNICODE_ISALPHA, ...), and the regular
 *   expressions' classes are sre's for str patterns: \w is Py_UNICODE_ISALNUM or '_', \d is
 *   Py_UNICODE_ISDECIMAL, \s is Py_UNICODE_ISSPACE;
 * - case folding is str.casefold's, which maps each character on its own: each character's
 *   folding is str.casefold of it alone, asked once and kept;
 * - each pattern of features.py is matched by hand, as `re` would (noted at each function);
 * - the float columns are the same IEEE operations on the same integers (a count, or one count
 *   divided by another), so they round the same way;
 * - the n-grams are zlib's CRC-32 of the words' UTF-8 ("surrogatepass"); a pair's is its second
 *   word's CRC combined with the first's (zlib's crc32_combine, as ngrams.py computes them).
 *
 * The text is read where it is (PyUnicode_DATA, one copy of the pass for each of str's three
 * widths): one pass over its characters does the class counts, the special characters (commas,
 * ©, separators, links, where a date may start) and, on their foldings, the words (stoplists,
 * the joined words, their CRCs).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "_pairwise.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define INLINE static inline __attribute__((always_inline))
#define NOINLINE static __attribute__((noinline))
#elif defined(_MSC_VER)
#define INLINE static __forceinline
#define NOINLINE static __declspec(noinline)
#else
#define INLINE static inline
#define NOINLINE static
#endif

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#define PREFETCH_WRITE(p) __builtin_prefetch((p), 1)
#else
#define PREFETCH(p) ((void)0)
#define PREFETCH_WRITE(p) ((void)0)
#endif

#define N_STATIC 10
#define MAX_LANGUAGES 32

/* Where each value goes in a line's row of float64 (features.py's _ROW layout). */
typedef struct {
    Py_ssize_t size, words, upper_share, digits, punct, hits, languages;
    Py_ssize_t statics[N_STATIC];
    uint32_t buckets_mask;
} Layout;

/* ---- character classes ---- */

/* Each code point's classes, looked up once (CPython's are function calls through its tables,
 * a dozen of them a character otherwise): 0 until first seen; Latin-1's filled at import. */
enum { ALPHA = 1, UPPER = 2, DIGIT = 4, ALNUM = 8, SPACE = 16, DECIMAL = 32, WORD = 64, KNOWN = 128 };
static unsigned char classes[0x110000];

NOINLINE unsigned char class_learn(Py_UCS4 ch) {
    unsigned char c = KNOWN | (Py_UNICODE_ISALPHA(ch) ? ALPHA : 0) | (Py_UNICODE_ISUPPER(ch) ? UPPER : 0) |
                      (Py_UNICODE_ISDIGIT(ch) ? DIGIT : 0) | (Py_UNICODE_ISALNUM(ch) ? ALNUM | WORD : 0) |
                      (Py_UNICODE_ISSPACE(ch) ? SPACE : 0) | (Py_UNICODE_ISDECIMAL(ch) ? DECIMAL : 0) |
                      (ch == '_' ? WORD : 0);
    classes[ch] = c;
    return c;
}

INLINE unsigned char class_of(Py_UCS4 ch) {
    unsigned char c = classes[ch];
    return c ? c : class_learn(ch);
}

static int is_word(Py_UCS4 ch) { return class_of(ch) & WORD; }
static int is_decimal(Py_UCS4 ch) { return class_of(ch) & DECIMAL; }
static int is_space(Py_UCS4 ch) { return class_of(ch) & SPACE; }

/* The class counts (str.isalpha, isupper, isdigit, isalnum, isspace, and the words of str.split()
 * and those that start upper-case) in one 64-bit sum, 9 bits each, emptied every CHUNK characters:
 * what one character of each class adds, after a space (+ 256) or not. */
#define CHUNK 511
#define AFTER_SPACE 256
static uint64_t counts_of[512];

/* ---- case folding ---- */

/* str.casefold maps each character on its own (CPython's do_casefold calls _PyUnicode_ToFoldedFull
 * for each, 1 to 3 characters): a character's folding, str.casefold of it alone, asked once and kept
 * by code point: 0 until first seen, else FOLD_ONE | the character, or FOLD_MANY | where in `many`. */
#define FOLD_ONE 0x80000000u
#define FOLD_MANY 0x40000000u
static uint32_t folds[0x110000];
typedef struct {
    Py_ssize_t size;
    Py_UCS4 c[3];
} Many;
static Many *many;
static Py_ssize_t many_size, many_room;

NOINLINE int fold_learn(Py_UCS4 ch) {
    PyObject *one = PyUnicode_FromOrdinal((int)ch); /* an exact str: its casefold is str's */
    PyObject *folded = one ? PyObject_CallMethod(one, "casefold", NULL) : NULL;
    Py_XDECREF(one);
    if (folded == NULL) return -1;
    Py_ssize_t size = PyUnicode_Check(folded) ? PyUnicode_GET_LENGTH(folded) : 0;
    if (size < 1 || size > 3) {
        Py_DECREF(folded);
        PyErr_SetString(PyExc_SystemError, "casefold: not 1 to 3 characters a character");
        return -1;
    }
    if (size == 1) {
        folds[ch] = FOLD_ONE | PyUnicode_READ_CHAR(folded, 0);
    } else {
        if (many_size == many_room) {
            Py_ssize_t room = many_room ? 2 * many_room : 64;
            Many *grown = PyMem_Realloc(many, room * sizeof(Many));
            if (grown == NULL) {
                Py_DECREF(folded);
                PyErr_NoMemory();
                return -1;
            }
            many = grown;
            many_room = room;
        }
        many[many_size].size = size;
        for (Py_ssize_t k = 0; k < size; k++) many[many_size].c[k] = PyUnicode_READ_CHAR(folded, k);
        folds[ch] = FOLD_MANY | (uint32_t)many_size++;
    }
    Py_DECREF(folded);
    return 0;
}

/* Latin-1 at one look-up: its class, its folding and that's class, and whether special: the characters that the pass looks
 * at more closely (special()): ',', '©', the separators' (features._SEPARATOR_HINT), the links'
 * ('.', ':', '@') and the decimal digits; above 255 those are '›', '•' and the decimals. */
typedef struct {
    uint64_t counts[2];                   /* counts_of its class, not after a space and after one */
    uint32_t fold;                        /* its entry of folds */
    unsigned char space, folded_class, special; /* 1 if a space; its folding's class (one character); SPECIAL */
} Latin1;
static Latin1 latin1[256];
/* The plain characters of Latin-1, those the pass takes a run of at a time inside a word: plain[ch] is its folding
 * when that is one ASCII \w, not \d, and ch not special (the letters); 0 otherwise (no such folding is 0). inside[ch]
 * is its counts_of not after a space (its counts[0]), in a table of its own: the run's loop reads two small ones. */
static unsigned char plain[256];
static uint64_t inside[256];
static uint64_t space_counts; /* counts_of a ' ', after a space or not (the same) */

/* ---- CRC-32 and UTF-8 ---- */

static uint32_t crc_table[256];

/* zlib.crc32 of one more byte, on the register as zlib keeps it (inverted). */
#define CRC_BYTE(reg, byte) ((reg) = crc_table[((reg) ^ (byte)) & 0xFF] ^ ((reg) >> 8))

static void crc_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

/* ---- the stoplists: word -> bit mask of languages, as a table of code point strings ---- */

#define FILTER_BITS ((size_t)1 << 19) /* 64 KB */
#define FILTER_AT(hash) (((hash) >> 8) & (FILTER_BITS - 1))
#define SHORT_STOP 4
_Static_assert(SHORT_STOP == 4, "stop_bits compares a short stopword's characters by a switch of 4 cases");

typedef struct {
    PyObject *source; /* the dict it was built from (a strong reference) */
    Py_ssize_t source_size;
#if PY_VERSION_HEX < 0x030C0000
    uint64_t version; /* the dict's version when built: any change to it changes that */
#else
    int stale; /* the dict changed since (its watcher's mark) */
#endif
    size_t mask; /* slots - 1 */
    /* A bit per FILTER_BITS hash values, set for each stopword's (hash >> 8): most words are no stopword and
     * their look-up ends here, in a table that stays in the caches (the slots' arrays are megabytes). */
    uint64_t *filter;
    /* 16 bytes: a look-up reads one cache line, and most stopwords (up to SHORT_STOP characters below
     * U+10000) are in it whole; a longer one's characters are in pool, then a second line. */
    struct StopSlot {
        uint32_t bits;  /* its languages; 0: an empty slot (a word of no language needs none) */
        uint16_t tag;   /* the high half of hash_word of the word */
        uint16_t short_length; /* its length, 1..SHORT_STOP, with its characters in chars; 0: in pool */
        union {
            uint16_t chars[SHORT_STOP];
            uint32_t start; /* pool[start] is its length, its characters follow */
        } word;
    } *slots;
    Py_UCS4 *pool;
} Stoplists;

/* The table kept from call to call, rebuilt when infos() is given another dict or the dict has
 * changed. A call that runs while another is under way (a finalizer run by an allocation of the
 * outer one, which calls infos() again) leaves it alone: the outer call reads it throughout; such
 * a call builds a table of its own for another dict. */
static Stoplists stops;
static int busy; /* infos() calls under way */
#if PY_VERSION_HEX >= 0x030C0000
static int watcher = -1;

static int stops_watch(PyDict_WatchEvent event, PyObject *dict, PyObject *key, PyObject *value) {
    if (dict == stops.source) stops.stale = 1;
    return 0;
}
#endif

/* The CRC register after one more character's UTF-8 (surrogates too, as "surrogatepass" writes them). By value, not
 * through a pointer: a field of the words' state whose address is taken stays in memory. */
INLINE uint32_t crc_utf8(uint32_t reg, Py_UCS4 ch) {
    if (ch < 0x80) {
        CRC_BYTE(reg, ch);
    } else if (ch < 0x800) {
        CRC_BYTE(reg, 0xC0 | (ch >> 6));
        CRC_BYTE(reg, 0x80 | (ch & 0x3F));
    } else if (ch < 0x10000) {
        CRC_BYTE(reg, 0xE0 | (ch >> 12));
        CRC_BYTE(reg, 0x80 | ((ch >> 6) & 0x3F));
        CRC_BYTE(reg, 0x80 | (ch & 0x3F));
    } else {
        CRC_BYTE(reg, 0xF0 | (ch >> 18));
        CRC_BYTE(reg, 0x80 | ((ch >> 12) & 0x3F));
        CRC_BYTE(reg, 0x80 | ((ch >> 6) & 0x3F));
        CRC_BYTE(reg, 0x80 | (ch & 0x3F));
    }
    return reg;
}

/* The CRC register after `bytes` zero bytes. */
INLINE uint32_t crc_zeros(uint32_t reg, int bytes) {
    for (int k = 0; k < bytes; k++) CRC_BYTE(reg, 0);
    return reg;
}

/* A stopword's slot: the CRC of its UTF-8, which the words' pass computes anyway (for the grams). */
static uint32_t hash_word(const Py_UCS4 *w, Py_ssize_t size) {
    uint32_t reg = 0xFFFFFFFFu;
    for (Py_ssize_t i = 0; i < size; i++) reg = crc_utf8(reg, w[i]);
    return ~reg;
}

/* The dict last (a finalizer of one of its values may run code). */
static void stops_free(Stoplists *table) {
    Stoplists old = *table;
    memset(table, 0, sizeof *table);
    PyMem_Free(old.filter);
    PyMem_Free(old.slots);
    PyMem_Free(old.pool);
    Py_XDECREF(old.source);
}

/* The table was built from dict as it stands. */
static int stops_fresh(const Stoplists *table, PyObject *dict) {
#if PY_VERSION_HEX < 0x030C0000
    if (((PyDictObject *)dict)->ma_version_tag != table->version) return 0;
#else
    if (table->stale) return 0;
#endif
    return dict == table->source && PyDict_GET_SIZE(dict) == table->source_size;
}

/* A table of dict's words into *table, which is freed first: built aside, then swapped in. */
static int stops_build(Stoplists *table, PyObject *dict) {
    Stoplists stops = {0}; /* (the global shadowed: this function builds aside) */
    Py_ssize_t entries = PyDict_GET_SIZE(dict), chars = 0, pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "stopwords must be str");
            return -1;
        }
        chars += PyUnicode_GET_LENGTH(key) + 1;
    }
    size_t slots = 16;
    while (slots < (size_t)entries * 2 + 1) slots <<= 1;
    if (chars > (Py_ssize_t)INT32_MAX) { /* a slot's start and length are 32 bits */
        PyErr_SetString(PyExc_ValueError, "stopwords: too many characters");
        return -1;
    }
    stops.slots = PyMem_Malloc(slots * sizeof(struct StopSlot));
    stops.pool = PyMem_Malloc((chars + 1) * sizeof(Py_UCS4));
    stops.filter = PyMem_Calloc(FILTER_BITS / 64, sizeof(uint64_t));
    if (!stops.slots || !stops.pool || !stops.filter) {
        stops_free(&stops);
        PyErr_NoMemory();
        return -1;
    }
    memset(stops.slots, 0, slots * sizeof(struct StopSlot));
    stops.mask = slots - 1;
    Py_ssize_t used = 0;
    pos = 0;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        Py_ssize_t size = PyUnicode_GET_LENGTH(key);
        unsigned long bits = PyLong_AsUnsignedLong(value);
        if (bits == (unsigned long)-1 && PyErr_Occurred()) {
            stops_free(&stops);
            return -1;
        }
        Py_UCS4 *word = stops.pool + used + 1;
        if (PyUnicode_AsUCS4(key, word, size + 1, 0) == NULL) {
            stops_free(&stops);
            return -1;
        }
        if ((uint32_t)bits == 0 || size == 0) continue; /* it adds to no stoplist's count: left out */
        uint32_t hash = hash_word(word, size);
        stops.filter[FILTER_AT(hash) / 64] |= (uint64_t)1 << (FILTER_AT(hash) % 64);
        size_t slot = hash & stops.mask;
        while (stops.slots[slot].bits) slot = (slot + 1) & stops.mask;
        struct StopSlot *e = &stops.slots[slot];
        e->bits = (uint32_t)bits;
        e->tag = (uint16_t)(hash >> 16);
        int inline_ok = size <= SHORT_STOP;
        for (Py_ssize_t i = 0; i < size && inline_ok; i++) inline_ok = word[i] < 0x10000;
        if (inline_ok) {
            e->short_length = (uint16_t)size;
            for (Py_ssize_t i = 0; i < size; i++) e->word.chars[i] = (uint16_t)word[i];
        } else {
            e->short_length = 0;
            e->word.start = (uint32_t)used;
            stops.pool[used] = (Py_UCS4)size;
            used += size + 1;
        }
    }
    Py_INCREF(dict);
    stops.source = dict;
    stops.source_size = entries;
#if PY_VERSION_HEX < 0x030C0000
    stops.version = ((PyDictObject *)dict)->ma_version_tag;
#endif
    Stoplists old = *table;
    *table = stops;
    stops_free(&old);
    return 0;
}

/* The stoplists that hold the word w (hash_word(w) is h). */
INLINE uint32_t stop_bits(const Stoplists *t, uint32_t h, const Py_UCS4 *w, Py_ssize_t size) {
    if (!(t->filter[FILTER_AT(h) / 64] >> (FILTER_AT(h) % 64) & 1)) return 0;
    const uint16_t tag = (uint16_t)(h >> 16);
    for (size_t slot = h & t->mask; t->slots[slot].bits; slot = (slot + 1) & t->mask) {
        const struct StopSlot *e = &t->slots[slot];
        if (e->tag != tag) continue;
        Py_ssize_t i = 0;
        if (e->short_length) {
            if (e->short_length != size) continue;
            /* 1 to SHORT_STOP characters, compared from the last without a loop's test (SHORT_STOP is 4) */
            const uint16_t *c = e->word.chars;
            switch (size) {
            case 4:
                if (c[3] != w[3]) continue;
                /* fall through */
            case 3:
                if (c[2] != w[2]) continue;
                /* fall through */
            case 2:
                if (c[1] != w[1]) continue;
                /* fall through */
            default:
                if (c[0] != w[0]) continue;
            }
            return e->bits;
        } else {
            const Py_UCS4 *word = t->pool + e->word.start;
            if ((Py_ssize_t)word[0] != size) continue;
            word++;
            while (i < size && word[i] == w[i]) i++;
        }
        if (i == size) return e->bits;
    }
    return 0;
}

/* ---- small ints ---- */

/* The grams' ints, shared: a direct-mapped cache by value (most grams are a few common words and
 * pairs), each entry a strong reference. */
#define INT_CACHE (1 << 14)
static PyObject *int_cache[INT_CACHE];
static uint32_t int_keys[INT_CACHE];

static PyObject *gram_int(uint32_t value) {
    size_t slot = value & (INT_CACHE - 1);
    PyObject *found = int_cache[slot];
    if (found == NULL || int_keys[slot] != value) {
        found = PyLong_FromUnsignedLong(value);
        if (found == NULL) return NULL;
        Py_XSETREF(int_cache[slot], found);
        int_keys[slot] = value;
    }
    Py_INCREF(found);
    return found;
}

/* ---- the patterns of features.py ---- */

#define AT(i) PyUnicode_READ(kind, data, (i))

/* The text at i starts with the ASCII string s. */
static int at(int kind, const void *data, Py_ssize_t n, Py_ssize_t i, const char *s) {
    if (i < 0) return 0;
    for (; *s; s++, i++)
        if (i >= n || AT(i) != (Py_UCS4)(unsigned char)*s) return 0;
    return 1;
}

/* ch is \d, in a text of kind (a constant where inlined): in Latin-1 the decimals are '0' to '9' alone, a compare. */
INLINE int decimal_in(const int kind, Py_UCS4 ch) {
    return kind == PyUnicode_1BYTE_KIND ? ch - '0' <= 9 : is_decimal(ch);
}

INLINE Py_ssize_t decimals(const int kind, const void *data, Py_ssize_t n, Py_ssize_t i) {
    Py_ssize_t j = i;
    while (j < n && decimal_in(kind, AT(j))) j++;
    return j - i;
}

/* From i, the first character that may be a decimal (n if none): with SSE2, 16 bytes at a time, in a 1-byte text the
 * first '0' to '9' (its only decimals), in a 2-byte one the first '0' to '9' or character above Latin-1; else (and for
 * the last few characters, a 4-byte text) i itself. The caller tests what it finds: this only skips. */
INLINE Py_ssize_t to_decimal(const int kind, const void *data, Py_ssize_t n, Py_ssize_t i) {
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *t = data;
        for (; i + 16 <= n; i += 16) { /* ch - '0' below 10, unsigned: (ch - '0') ^ 0x80 below -128 + 10, signed */
            const __m128i v = _mm_xor_si128(_mm_sub_epi8(_mm_loadu_si128((const __m128i *)(t + i)), _mm_set1_epi8('0')),
                                            _mm_set1_epi8(-128));
            const int found = _mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(-128 + 10)));
            if (found) return i + __builtin_ctz((unsigned)found);
        }
    } else if (kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *t = data;
        for (; i + 8 <= n; i += 8) {
            const __m128i v = _mm_loadu_si128((const __m128i *)(t + i));
            const __m128i digit = _mm_cmplt_epi16(_mm_xor_si128(_mm_sub_epi16(v, _mm_set1_epi16('0')), _mm_set1_epi16(-32768)),
                                                  _mm_set1_epi16(-32768 + 10));
            const __m128i latin1 = _mm_cmpeq_epi16(_mm_and_si128(v, _mm_set1_epi16(-256)), _mm_setzero_si128());
            const int found = _mm_movemask_epi8(digit) | (~_mm_movemask_epi8(latin1) & 0xFFFF); /* 2 bits a character */
            if (found) return i + (__builtin_ctz((unsigned)found) >> 1);
        }
    }
#else
    (void)kind, (void)data, (void)n;
#endif
    return i;
}

static int is_date_separator(Py_UCS4 ch) { return ch == '.' || ch == '/' || ch == '-'; }

/* reference.DATE (`\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|\b(?:19|20)\d\d\b`) matches somewhere,
 * from the first decimal on (every match starts with one). A \d is a \w, so the leading \b is "no
 * \w before"; each \d{a,b} before a separator must take the whole run of digits (a digit is no
 * separator), so it holds when the run is a to b long; the last \d{1,4}\b likewise needs its whole
 * run (1 to 4) and no \w after it. Inlined with `kind` a constant: one copy per width (it reads each character from
 * the first decimal on). */
INLINE int has_date_in(const int kind, const void *data, Py_ssize_t n, Py_ssize_t first) {
    for (Py_ssize_t i = first; i < n; i++) {
        if (!decimal_in(kind, AT(i))) {
            i = to_decimal(kind, data, n, i + 1) - 1; /* (most characters after the first decimal are none) */
            continue;
        }
        if (i > 0 && is_word(AT(i - 1))) continue;
        Py_ssize_t r1 = decimals(kind, data, n, i);
        if (r1 == 4 && ((AT(i) == '1' && AT(i + 1) == '9') || (AT(i) == '2' && AT(i + 1) == '0')) &&
            (i + 4 == n || !is_word(AT(i + 4))))
            return 1; /* (?:19|20)\d\d\b: exactly four digits (a fifth is a \w: no \b) */
        Py_ssize_t j = i + r1;
        i = j - 1; /* no match starts inside the run (a digit before it is a \w) */
        if (r1 > 4 || j >= n || !is_date_separator(AT(j))) continue;
        j++;
        Py_ssize_t r2 = decimals(kind, data, n, j);
        if (r2 < 1 || r2 > 2) continue;
        j += r2;
        if (j >= n || !is_date_separator(AT(j))) continue;
        j++;
        Py_ssize_t r3 = decimals(kind, data, n, j);
        if (r3 < 1 || r3 > 4) continue;
        j += r3;
        if (j == n || !is_word(AT(j))) return 1;
    }
    return 0;
}

static int has_date(int kind, const void *data, Py_ssize_t n, Py_ssize_t first) {
    return kind == PyUnicode_1BYTE_KIND   ? has_date_in(PyUnicode_1BYTE_KIND, data, n, first)
           : kind == PyUnicode_2BYTE_KIND ? has_date_in(PyUnicode_2BYTE_KIND, data, n, first)
                                          : has_date_in(PyUnicode_4BYTE_KIND, data, n, first);
}

/* What special() finds. */
typedef struct {
    Py_ssize_t commas;     /* text.count(",") */
    Py_ssize_t separators; /* len(_SEPARATORS.findall(text)) */
    Py_ssize_t taken;      /* where the last separator found ends: the next may not start before */
    Py_ssize_t decimal;    /* the first decimal's position, or -1 */
    int copyright;         /* "©" in text (or "(c)" in the folded text: the words' pass) */
    int link;              /* features._LINK matches */
} Special;

/* One of the characters marked SPECIAL (or '›', '•', a decimal), at i:
 * - features._SEPARATORS (`\s[|›»/·•>]\s|->|\s-\s|\|`, findall: from each position the first
 *   alternative that matches, then on after the match): a match starting at q holds one of
 *   |›»/·•>- at q + 1 (the first and third, which start with a space) or at q (the second and
 *   fourth: '-', '|'), and at most one alternative matches at q (their first characters differ);
 *   so at each such character, in order, the match starting before it, then the one starting on it,
 *   each if it starts where no match was taken;
 * - features._LINK (`https?://|www\.|@\w|\.(?:com|org|net|de)\b`): "http(s)" before "://",
 *   "www" before '.', a \w after '@', a domain and a \b after '.'. */
NOINLINE void special(int kind, const void *data, Py_ssize_t n, Py_ssize_t i, Py_UCS4 ch, Special *s) {
    switch (ch) {
    case ',':
        s->commas++;
        return;
    case 0xA9:
        s->copyright = 1;
        return;
    case '|': case 0x203A: case 0xBB: case '/': case 0xB7: case 0x2022: case '>': case '-':
        if (i - 1 >= s->taken && i + 1 < n && is_space(AT(i - 1)) && is_space(AT(i + 1))) {
            s->separators++;
            s->taken = i + 2;
        } else if (i >= s->taken && (ch == '|' || (ch == '-' && i + 1 < n && AT(i + 1) == '>'))) {
            s->separators++;
            s->taken = i + (ch == '|' ? 1 : 2);
        }
        return;
    case '@':
        s->link |= i + 1 < n && is_word(AT(i + 1));
        return;
    case ':':
        s->link |= at(kind, data, n, i, "://") && (at(kind, data, n, i - 4, "http") || at(kind, data, n, i - 5, "https"));
        return;
    case '.':
        if (s->link) return;
        if (i > 0 && AT(i - 1) == 'w' && at(kind, data, n, i - 3, "www")) {
            s->link = 1;
            return;
        }
        /* (most periods end a sentence: the next character is looked at first, no domain's first letter ends it) */
        const Py_UCS4 next = i + 1 < n ? AT(i + 1) : 0;
        if (next != 'c' && next != 'o' && next != 'n' && next != 'd') return;
        static const char *domains[] = {"com", "org", "net", "de"};
        static const Py_ssize_t sizes[] = {3, 3, 3, 2};
        for (int k = 0; k < 4; k++) {
            Py_ssize_t end = i + 1 + sizes[k];
            if (at(kind, data, n, i + 1, domains[k]) && (end == n || !is_word(AT(end)))) s->link = 1;
        }
        return;
    }
    if (s->decimal < 0 && (class_of(ch) & DECIMAL)) s->decimal = i;
}

/* features' sentence end: less trailing \s, then closing quotes and brackets, the line ends in
 * one of .!?…:; */
static int sentence_end(int kind, const void *data, Py_ssize_t n) {
    Py_ssize_t end = n;
    while (end > 0 && is_space(AT(end - 1))) end--;
    for (; end > 0; end--) {
        Py_UCS4 ch = AT(end - 1);
        if (!(ch == '"' || ch == '\'' || ch == 0x201D || ch == 0x2019 || ch == 0xBB || ch == ')' || ch == ']')) break;
    }
    if (end == 0) return 0;
    Py_UCS4 last = AT(end - 1);
    return last == '.' || last == '!' || last == '?' || last == 0x2026 || last == ':' || last == ';';
}

static int starts_bullet(int kind, const void *data, Py_ssize_t n) {
    if (n == 0) return 1; /* "" in "-•*·>»›|#" */
    switch (AT(0)) {
    case '-': case 0x2022: case '*': case 0xB7: case '>': case 0xBB: case 0x203A: case '|': case '#':
        return 1;
    }
    return 0;
}

/* ---- one line ---- */

/* The words of the folded text (features.tokens_of: WORD.findall(text.casefold()), runs of \w)
 * as they are read, one folded character at a time. */
typedef struct {
    Py_UCS4 *joined;           /* the words joined by spaces, after one (each word writes one before it) */
    Py_UCS4 *at;               /* its end (pointers, not indices: a run of characters takes and leaves them as is) */
    uint32_t ored;             /* its characters OR-ed: the str kind it needs */
    uint32_t *singles, *pairs; /* each word's gram, each pair's (without a lexical model, or with float32 weights) */
    Py_ssize_t count;          /* words (their characters: joined's less the count - 1 spaces between them) */
    uint32_t *hits, languages; /* how many words each stoplist holds */
    uint64_t lanes[4];         /* the same, 8 stoplists a sum of 8 bits each, added to hits every 255 stopwords (and read at the end) */
    int pending;               /* stopwords in lanes */
    uint32_t mask;             /* BUCKETS - 1 */
    const Stoplists *stops;    /* the call's stoplists */
    /* The lexical model's weights when it is scored (float32 or float64: one of them). The shipped float32 weights
     * are read by line_info in a loop at the line's end, from the grams kept in singles and pairs: a weight is
     * often out of the core's own cache (1 MB of them, random grams), and there the loads of a line are in
     * flight together, where one a word, read as its gram ends, held up the scan behind it (perf, sampled by the
     * clock: the loads were a third of line_info's time; the features call, A/B in one process: 0.94-0.96 of
     * its time on real pages, even on the bench corpus, whose few words keep their weights cached). float64 weights (a model not trained as shipped) go where each gram's weight
     * goes as the gram ends: a word's at scores[its index], a pair's at pair_scores[the second word's index - 1]
     * (line_info moves them after the words'). */
    const float *weights32;
    const double *weights64;
    double *scores, *pair_scores;
    uint32_t previous;         /* the CRC of the previous word */
    /* the word being read: */
    int in_word;
    Py_UCS4 *word;     /* where it starts in joined */
    uint32_t reg;      /* the CRC register over its UTF-8 (also its stoplist slot) */
    /* The CRC register over the previous word's UTF-8, a space and this word's (its pair's gram) is reg ^ shift: CRC_BYTE
     * is linear in the register and the byte together, so two registers run over the same bytes differ by what their
     * difference becomes run over zero bytes. One table look-up a byte, with no byte to add in. */
    uint32_t shift;
    unsigned decimal;  /* DECIMAL while all of it is \d */
    Py_UCS4 before;    /* the folded character before it */
    int copyright;     /* "(c)" in the folded text */
} Words;

/* spread[b]: 1 in byte j for each bit j of b. */
static uint64_t spread[256];

/* The lanes' sums into hits. Inlined, as everything given the words' state: its address taken by no call, the
 * compiler keeps its fields in registers (else each store into joined or the grams, of the same type, reloads them). */
INLINE void lanes_out(Words *w) {
    if (w->pending == 0) return; /* a line of no stopword */
    for (int k = 0; k < 4; k++) {
        if (w->lanes[k] == 0) continue; /* 8 stoplists none of which listed a word (past the languages: all) */
        for (int j = 0; j < 8; j++) w->hits[8 * k + j] += (w->lanes[k] >> (8 * j)) & 0xFF;
        w->lanes[k] = 0;
    }
    w->pending = 0;
}

/* The end of a word, before the folded character ``next`` (0 at the text's end): its stoplists,
 * its gram (ngrams.py: the CRC of its UTF-8, "0" for a number, ngrams.NUMBER: a run of \w
 * matches ^\d[\d.,:]*$ when all of it is \d), its pair's gram with the previous word (the CRC of
 * "a b": zlib.crc32(b, crc32(" ", crc(a))), the word's register and the shift). */
INLINE void word_end(Words *w, Py_UCS4 next, const int f32) {
    Py_ssize_t size = w->at - w->word;
    uint32_t crc = ~w->reg;
    uint32_t bits = stop_bits(w->stops, crc, w->word, size) & w->languages;
    if (w->decimal) crc = 0xF4DBDF21u; /* zlib.crc32(b"0") */
    if (bits) { /* one for each language that lists it, in the lanes' sums */
        w->lanes[0] += spread[bits & 0xFF];
        w->lanes[1] += spread[(bits >> 8) & 0xFF];
        if (bits >> 16) { /* (none past the 16th language: the shipped 16 read two lanes, not four) */
            w->lanes[2] += spread[(bits >> 16) & 0xFF];
            w->lanes[3] += spread[bits >> 24];
        }
        if (++w->pending == 255) lanes_out(w);
    }
    const uint32_t single = crc & w->mask;
    uint32_t pair = 0;
    if (w->count) {
        uint32_t reg = w->reg ^ w->shift;
        if (w->decimal) {
            reg = ~w->previous;
            CRC_BYTE(reg, ' ');
            CRC_BYTE(reg, '0');
        }
        pair = ~reg & w->mask;
    }
    if (f32) { /* the shipped model's weights32: its grams kept, their weights read by line_info at the end */
        /* Each weight asked for now, read at the line's end: a page's pairs are scattered over the megabyte of weights
         * (most miss the caches), and their fetches then overlap the scan of the words after them (the features'
         * call took 3-5% less time, on the bench corpus and on real pages). */
        w->singles[w->count] = single;
        PREFETCH(&w->weights32[single]);
        if (w->count) {
            w->pairs[w->count - 1] = pair;
            PREFETCH(&w->weights32[pair]);
        }
    } else if (w->weights64 != NULL) {
        w->scores[w->count] = w->weights64[single];
        if (w->count) w->pair_scores[w->count - 1] = w->weights64[pair];
    } else {
        w->singles[w->count] = single;
        if (w->count) w->pairs[w->count - 1] = pair;
    }
    w->copyright |= next == ')' && size == 1 && w->word[0] == 'c' && w->before == '(';
    w->previous = crc;
    w->count++;
    w->in_word = 0;
}

/* A word starts: a space before it in joined (the first's is left out of the str), its registers set (its pair's
 * over the previous word and a space). */
INLINE void word_start(Words *w) {
    w->in_word = 1;
    *w->at++ = ' ';
    w->word = w->at;
    w->reg = 0xFFFFFFFFu;
    w->shift = ~w->previous;
    CRC_BYTE(w->shift, ' ');
    w->shift ^= w->reg;
    w->decimal = DECIMAL;
}

/* One more character of the folded text, of class c. */
INLINE void fold_char(Words *w, Py_UCS4 fc, unsigned c, const int f32) {
    if (!(c & WORD)) {
        if (w->in_word) word_end(w, fc, f32);
        w->before = fc;
        return;
    }
    if (!w->in_word) word_start(w);
    *w->at++ = fc;
    w->ored |= fc;
    w->decimal &= c;
    if (fc < 0x80) {
        CRC_BYTE(w->reg, fc);
        CRC_BYTE(w->shift, 0);
    } else {
        w->reg = crc_utf8(w->reg, fc);
        w->shift = crc_zeros(w->shift, fc < 0x800 ? 2 : fc < 0x10000 ? 3 : 4);
    }
}

/* A character's folding (its entry of folds, learnt if 0) into the words; -1 on an error. */
INLINE int fold_wide(Words *w, Py_UCS4 ch, uint32_t f, const int f32) {
    if (f == 0) {
        if (fold_learn(ch) < 0) return -1;
        f = folds[ch];
    }
    if (f & FOLD_ONE) {
        Py_UCS4 fc = f & ~FOLD_ONE;
        fold_char(w, fc, class_of(fc), f32);
    } else {
        const Many *m = &many[f & ~FOLD_MANY];
        for (Py_ssize_t k = 0; k < m->size; k++) fold_char(w, m->c[k], class_of(m->c[k]), f32);
    }
    return 0;
}

/* The counts of the text as it is (features._char_counts): str.isalpha, ... of each character,
 * its words of str.split() (a non-space after a space or at the start) and those that start
 * with an upper-case character. */
typedef struct {
    Py_ssize_t alpha, upper, digit, alnum, spaces, split, capitalised;
} Counts;

/* The one pass over a text of `kind` (a constant where it is inlined: one copy per width). */
INLINE int scan(const int kind, const int f32, const void *data, Py_ssize_t n, Counts *counts, Special *sp, Words *w) {
    unsigned after_space = 1;
    /* A str's characters end with a NUL (data[n]: CPython's invariant, which _PyUnicode_CheckConsistency checks);
     * looked at all the same, and without it every run tests the chunk's end. */
    const int terminated = AT(n) == 0;
    for (Py_ssize_t base = 0; base < n; base += CHUNK) {
        Py_ssize_t end = n - base > CHUNK ? base + CHUNK : n;
        const int to_nul = end == n && terminated; /* the text's last chunk, its NUL after it */
        uint64_t sum = 0;
        Py_UCS4 ch;
        for (Py_ssize_t i = base; i < end; i++) {
            ch = AT(i);
            if (kind == PyUnicode_1BYTE_KIND || ch < 256) {
                unsigned b = plain[ch];
                if (b) {
                    /* A run of plain characters at a time: of all fold_char does, the character into joined
                     * and the CRC (one byte); the word is no number (nor of a wider kind). In a text of 2 or 4
                     * bytes a character (most of them Latin-1 there too: a text of ASCII with a curly quote is
                     * one) until the first above Latin-1. Its first character may start a word (after a space
                     * or not); the others are inside it, never after a space (no space folds to a \w), and
                     * none is one: after_space is 0 from the first on. */
                    if (w->in_word) {
                        sum += inside[ch];
                    } else {
                        word_start(w);
                        sum += latin1[ch].counts[after_space];
                        after_space = 0;
                    }
                    Py_UCS4 *out = w->at;
                    uint32_t reg = w->reg, shift = w->shift;
                    if (to_nul) {
                        /* The text's last chunk (a line's only one, below CHUNK characters): the run ends at the
                         * text's NUL at the latest (plain[0] is 0), with no test of the chunk's end a character,
                         * and one index for the text and joined. */
                        Py_ssize_t j = 0;
                        for (;;) {
                            out[j] = b;
                            CRC_BYTE(reg, b);
                            CRC_BYTE(shift, 0);
                            ch = AT(i + ++j);
                            if (!((ch < 256 || kind == PyUnicode_1BYTE_KIND) && (b = plain[ch]))) break;
                            sum += inside[ch];
                        }
                        i += j;
                        out += j;
                    } else {
                        for (;;) {
                            *out++ = b;
                            CRC_BYTE(reg, b);
                            CRC_BYTE(shift, 0);
                            if (!(++i < end && ((ch = AT(i)) < 256 || kind == PyUnicode_1BYTE_KIND) && (b = plain[ch])))
                                break;
                            sum += inside[ch];
                        }
                    }
                    w->at = out;
                    w->reg = reg;
                    w->shift = shift;
                    w->decimal = 0;
                    /* i is the character the run stopped at, read (unless the chunk's end): on with it here, not
                     * read and looked up again */
                    if (i >= end) break;
                    if (!(kind == PyUnicode_1BYTE_KIND || ch < 256)) goto wide;
                }
                if (ch == ' ') { /* the commonest of the others: no mark, its own folding, a space after anything */
                    sum += space_counts;
                    after_space = 1;
                    if (w->in_word) word_end(w, ' ', f32);
                    w->before = ' ';
                    continue;
                }
                const Latin1 *e = &latin1[ch];
                sum += e->counts[after_space];
                after_space = e->space;
                /* (a decimal after the first is nothing more to special(): no call for each digit of a number) */
                if (e->special && !(sp->decimal >= 0 && ch - '0' <= 9)) special(kind, data, n, i, ch, sp);
                uint32_t f = e->fold;
                if (f & FOLD_ONE)
                    fold_char(w, f & ~FOLD_ONE, e->folded_class, f32);
                else if (fold_wide(w, ch, f, f32) < 0)
                    return -1;
            } else {
            wide:;
                unsigned c = class_of(ch);
                sum += counts_of[c | (after_space ? AFTER_SPACE : 0)];
                after_space = (c & SPACE) != 0;
                if (ch == 0x203A || ch == 0x2022 || (c & DECIMAL)) special(kind, data, n, i, ch, sp);
                if (fold_wide(w, ch, folds[ch], f32) < 0) return -1;
            }
        }
        counts->alpha += sum & 0x1FF;
        counts->upper += (sum >> 9) & 0x1FF;
        counts->digit += (sum >> 18) & 0x1FF;
        counts->alnum += (sum >> 27) & 0x1FF;
        counts->spaces += (sum >> 36) & 0x1FF;
        counts->split += (sum >> 45) & 0x1FF;
        counts->capitalised += (sum >> 54) & 0x1FF;
    }
    if (w->in_word) word_end(w, 0, f32);
    return 0; /* (the lanes' last sums are read by line_info as it writes the row: not added to hits first) */
}

/* A str of the joined words (their characters OR-ed tell its kind: each bound is a power of 2). Not inlined: in
 * line_info, GCC kept its loops' vectors and counts in memory (a byte stored may alias them). */
NOINLINE PyObject *joined_str(const Py_UCS4 *joined, Py_ssize_t used, uint32_t ored) {
    Py_UCS4 max = ored < 0x80 ? 0x7F : ored < 0x100 ? 0xFF : ored < 0x10000 ? 0xFFFF : 0x10FFFF;
    PyObject *s = PyUnicode_New(used, max);
    if (s == NULL) return NULL;
    void *out = PyUnicode_DATA(s);
    if (max <= 0xFF) {
        Py_ssize_t k = 0;
#if defined(__SSE2__)
        for (; k + 16 <= used; k += 16) { /* 16 at once: below 256, no pack saturates */
            const __m128i *in = (const __m128i *)(joined + k);
            __m128i low = _mm_packs_epi32(_mm_loadu_si128(in), _mm_loadu_si128(in + 1));
            __m128i high = _mm_packs_epi32(_mm_loadu_si128(in + 2), _mm_loadu_si128(in + 3));
            _mm_storeu_si128((__m128i *)((Py_UCS1 *)out + k), _mm_packus_epi16(low, high));
        }
#endif
        for (; k < used; k++) ((Py_UCS1 *)out)[k] = (Py_UCS1)joined[k];
    } else if (max == 0xFFFF)
        for (Py_ssize_t k = 0; k < used; k++) ((Py_UCS2 *)out)[k] = (Py_UCS2)joined[k];
    else
        memcpy(out, joined, used * sizeof(Py_UCS4));
    return s;
}

/* A str's hash for words_groups and a Features' KeptTable: its kind, length and characters' bytes, 8 at a time; of a
 * long one, only the first and last HASH_ENDS bytes (its length tells most of the others apart, and every use compares
 * the characters of a hash found: a line is read once a document the less). Not Python's siphash, keyed and safe
 * against chosen collisions, but some times cheaper: a chain of collisions longer than GROUP_PROBES sends the document
 * to the dict, and a KeptTable keeps two of them. */
#define GROUP_PROBES 32
#define HASH_ENDS 32
INLINE uint64_t hash_bytes(uint64_t h, const unsigned char *p, Py_ssize_t size) {
    for (; size >= 8; size -= 8, p += 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        h = (h ^ word) * 0xFF51AFD7ED558CCDu;
        h ^= h >> 32;
    }
    uint64_t tail = 0;
    memcpy(&tail, p, (size_t)size);
    return (h ^ tail) * 0xC4CEB9FE1A85EC53u;
}

static uint64_t words_hash(PyObject *s) {
    const unsigned char *p = PyUnicode_DATA(s);
    const Py_ssize_t size = PyUnicode_GET_LENGTH(s) * PyUnicode_KIND(s);
    uint64_t h = 0x9E3779B97F4A7C15u ^ ((uint64_t)size << 2 | (uint64_t)PyUnicode_KIND(s));
    if (size > 2 * HASH_ENDS)
        h = hash_bytes(hash_bytes(h, p, HASH_ENDS), p + size - HASH_ENDS, HASH_ENDS);
    else
        h = hash_bytes(h, p, size);
    return h ^ (h >> 29);
}

/* The lexical model of a line's grams (model.Model.ngram_scores: the weights summed in np.add.reduceat's
 * order, the first plus the pairwise sum of the rest, over the square root of their count, plus the bias). */
typedef struct {
    const char *weights; /* BUCKETS of them, float64 or (the same values, half the memory) float32 */
    Py_ssize_t weight_size; /* 8 or 4 */
    double bias;
    double *values; /* room for a line's grams' weights: 4n + 4 (the pairs' put from 2n + 2 on, then moved) */
    int extras;     /* the info as a Features keeps it: see line_info */
} Lexical;

/* A Features' own info (line_info with lexical->extras) has Py_None for its lexical score, which its row bytes hold
 * after the row instead, followed by words_hash of its words joined (its bytes): no float made for a new line, and
 * no float and no words read for each line of a document the Features finds kept (the row is read anyway). */
#define EXTRAS 2
#define EXTRA_SCORE 0
#define EXTRA_HASH 1

/* One line's (grams, row bytes, its words joined by spaces), or with lexical (lexical score, row bytes,
 * words joined, text), or with lexical->extras (None, row bytes and EXTRAS, words joined, text); scratch has room
 * for 8n + 4 values of 4 bytes, lexical->values for 4n + 4 doubles. */
static PyObject *line_info(PyObject *text, uint32_t *scratch, const Layout *layout, const Stoplists *table,
                           const Lexical *lexical) {
    PyObject *grams = NULL, *row = NULL, *joined = NULL, *result = NULL;
    double score = 0.0;
    const int extras = lexical != NULL && lexical->extras ? EXTRAS : 0;
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);

    /* The folded text is 3n at most: its words joined, a space before each, 3n + 1 (each word but the first follows
     * a character of no word), and (3n + 1) / 2 words, so as many grams and pairs. */
    Counts counts = {0};
    Special sp = {0, 0, 0, -1, 0, 0};
    uint32_t hits[MAX_LANGUAGES] = {0};
    /* By an initializer, not a memset (which the compiler keeps in memory, and with it every field): */
    Words w = {
        .hits = hits,
        .joined = scratch,
        .at = scratch,
        .singles = scratch + 4 * n + 1,
        .pairs = scratch + 6 * n + 2,
        .mask = layout->buckets_mask,
        .stops = table,
        /* (the words' weights from values[0] on, the pairs' after room for the words, then moved down to theirs) */
        .weights32 = lexical != NULL && lexical->weight_size == 4 ? (const float *)lexical->weights : NULL,
        .weights64 = lexical != NULL && lexical->weight_size == 8 ? (const double *)lexical->weights : NULL,
        .scores = lexical != NULL ? lexical->values : NULL,
        .pair_scores = lexical != NULL ? lexical->values + 2 * n + 2 : NULL,
        .languages = layout->languages == 32 ? 0xFFFFFFFFu : (1u << layout->languages) - 1,
    };
    /* (a copy of the pass for each width, and for the shipped model's float32 weights or any other way) */
    int ok = w.weights32 != NULL ? (kind == PyUnicode_1BYTE_KIND   ? scan(PyUnicode_1BYTE_KIND, 1, data, n, &counts, &sp, &w)
                                    : kind == PyUnicode_2BYTE_KIND ? scan(PyUnicode_2BYTE_KIND, 1, data, n, &counts, &sp, &w)
                                                                   : scan(PyUnicode_4BYTE_KIND, 1, data, n, &counts, &sp, &w))
             : kind == PyUnicode_1BYTE_KIND ? scan(PyUnicode_1BYTE_KIND, 0, data, n, &counts, &sp, &w)
             : kind == PyUnicode_2BYTE_KIND ? scan(PyUnicode_2BYTE_KIND, 0, data, n, &counts, &sp, &w)
                                            : scan(PyUnicode_4BYTE_KIND, 0, data, n, &counts, &sp, &w);
    if (ok < 0) return NULL;
    const Py_ssize_t used = w.at > w.joined ? w.at - w.joined - 1 : 0; /* the joined words' length, from joined + 1 */

    /* Hashed 1-grams, then 2-grams (ngrams.hashed_ids); [0] without words. A list of ints is in no
     * cycle: left out of the garbage collector's passes (as CPython does with tuples of atoms). */
    Py_ssize_t count = w.count;
    if (lexical != NULL) { /* the score of those grams instead */
        const Py_ssize_t size = count ? 2 * count - 1 : 1;
        double *v = lexical->values;
        if (count == 0)
            v[0] = lexical->weight_size == 4 ? (double)((const float *)lexical->weights)[0] : ((const double *)lexical->weights)[0];
        else if (w.weights32 != NULL) {
            const float *weights = w.weights32;
            for (Py_ssize_t g = 0; g < count; g++) v[g] = (double)weights[w.singles[g]];
            for (Py_ssize_t g = 0; g + 1 < count; g++) v[count + g] = (double)weights[w.pairs[g]];
        } else if (count > 1)
            memmove(v + count, w.pair_scores, (count - 1) * sizeof(double)); /* after the words' (2n + 2 >= count) */
        double sum = v[0];
        if (size > 1) sum += pairwise_sum(v + 1, size - 1);
        score = sum / sqrt((double)size) + lexical->bias;
        if (lexical->extras) {
            grams = Py_None;
            Py_INCREF(grams);
        } else {
            grams = PyFloat_FromDouble(score);
            if (grams == NULL) goto done;
        }
    } else {
    grams = PyList_New(count ? 2 * count - 1 : 1);
    if (grams == NULL) goto done;
    for (Py_ssize_t g = 0; g < (count ? 2 * count - 1 : 1); g++) {
        PyObject *gram = gram_int(count == 0 ? 0 : g < count ? w.singles[g] : w.pairs[g - count]);
        if (gram == NULL) goto done;
        PyList_SET_ITEM(grams, g, gram);
    }
    PyObject_GC_UnTrack(grams);
    }

    /* The row. */
    row = PyBytes_FromStringAndSize(NULL, (layout->size + extras) * (Py_ssize_t)sizeof(double));
    if (row == NULL) goto done;
    double *values = (double *)PyBytes_AS_STRING(row);
    memset(values, 0, layout->size * sizeof(double));
    double statics[N_STATIC] = {
        (double)sentence_end(kind, data, n),
        (double)(n > 0 && AT(n - 1) == ':'),
        (double)sp.separators,
        (double)counts.capitalised / (double)(counts.split ? counts.split : 1),
        count ? (double)(used - (count - 1)) / (double)count : 0.0, /* the words' characters over their count */
        (double)sp.commas,
        (double)(counts.digit > 0 && sp.decimal >= 0 && has_date(kind, data, n, sp.decimal)),
        (double)sp.link,
        (double)(sp.copyright || w.copyright),
        (double)starts_bullet(kind, data, n),
    };
    values[layout->words] = (double)count;
    for (int s = 0; s < N_STATIC; s++) values[layout->statics[s]] = statics[s];
    values[layout->upper_share] = (double)counts.upper / (counts.alpha > 0 ? (double)counts.alpha : 1.0);
    values[layout->digits] = (double)counts.digit;
    values[layout->punct] = (double)(n - counts.alnum - counts.spaces);
    for (Py_ssize_t k = 0; 8 * k < layout->languages; k++) { /* hits and what the lanes hold (languages <= 32) */
        uint64_t lane = w.lanes[k];
        const Py_ssize_t top = layout->languages - 8 * k < 8 ? layout->languages - 8 * k : 8;
        double *out = values + layout->hits + 8 * k;
        Py_ssize_t j = 0;
#if defined(__SSE2__)
        /* A lane of 8 at a time: its bytes widened to 32 bits, hits added, as doubles (the counts are below 2**31,
         * a line's words, n < 2**28: exact as signed ints too); 4 conversions of 2 instead of 8 of 1. */
        if (top == 8 && n < ((Py_ssize_t)1 << 28)) {
            const __m128i zero = _mm_setzero_si128();
            const __m128i bytes = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)&w.lanes[k]), zero);
            const __m128i low = _mm_add_epi32(_mm_unpacklo_epi16(bytes, zero), _mm_loadu_si128((const __m128i *)(hits + 8 * k)));
            const __m128i high =
                _mm_add_epi32(_mm_unpackhi_epi16(bytes, zero), _mm_loadu_si128((const __m128i *)(hits + 8 * k + 4)));
            _mm_storeu_pd(out, _mm_cvtepi32_pd(low));
            _mm_storeu_pd(out + 2, _mm_cvtepi32_pd(_mm_unpackhi_epi64(low, low)));
            _mm_storeu_pd(out + 4, _mm_cvtepi32_pd(high));
            _mm_storeu_pd(out + 6, _mm_cvtepi32_pd(_mm_unpackhi_epi64(high, high)));
            j = 8;
        }
#endif
        for (; j < top; j++) out[j] = (double)(hits[8 * k + j] + (uint32_t)((lane >> (8 * j)) & 0xFF));
    }

    joined = joined_str(w.joined + 1, used, w.ored);
    if (joined == NULL) goto done;
    if (extras) {
        const uint64_t h = words_hash(joined);
        values[layout->size + EXTRA_SCORE] = score;
        memcpy(values + layout->size + EXTRA_HASH, &h, sizeof h);
    }
    /* with lexical, the text too: features() keeps the info by a hash of it, and compares */
    result = PyTuple_New(lexical != NULL ? 4 : 3); /* (not PyTuple_Pack: the references handed over, not counted again) */
    if (result == NULL) goto done;
    PyTuple_SET_ITEM(result, 0, grams);
    PyTuple_SET_ITEM(result, 1, row);
    PyTuple_SET_ITEM(result, 2, joined);
    grams = row = joined = NULL;
    if (lexical != NULL) {
        Py_INCREF(text);
        PyTuple_SET_ITEM(result, 3, text);
    }
    PyObject_GC_UnTrack(result); /* its items are in no cycle either */

done:
    Py_XDECREF(grams);
    Py_XDECREF(row);
    Py_XDECREF(joined);
    return result;
}

static int parse_layout(PyObject *spec, Layout *layout) {
    /* (row size, words, upper_share, digits, punct, hits, languages, buckets, (the 10 static columns)) */
    PyObject *statics;
    unsigned long buckets;
    if (!PyArg_ParseTuple(spec, "nnnnnnnkO!", &layout->size, &layout->words, &layout->upper_share, &layout->digits,
                          &layout->punct, &layout->hits, &layout->languages, &buckets, &PyTuple_Type, &statics))
        return -1;
    if (PyTuple_GET_SIZE(statics) != N_STATIC || layout->languages < 0 || layout->languages > MAX_LANGUAGES ||
        layout->size > PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(double) || /* its bytes */
        layout->hits < 0 || layout->hits + layout->languages > layout->size || buckets == 0 ||
        buckets > 0x100000000ul || (buckets & (buckets - 1)))
        goto bad;
    layout->buckets_mask = (uint32_t)(buckets - 1);
    Py_ssize_t columns[] = {layout->words, layout->upper_share, layout->digits, layout->punct};
    for (int c = 0; c < 4; c++)
        if (columns[c] < 0 || columns[c] >= layout->size) goto bad;
    for (int s = 0; s < N_STATIC; s++) {
        layout->statics[s] = PyLong_AsSsize_t(PyTuple_GET_ITEM(statics, s));
        if (layout->statics[s] == -1 && PyErr_Occurred()) return -1;
        if (layout->statics[s] < 0 || layout->statics[s] >= layout->size) goto bad;
    }
    return 0;
bad:
    PyErr_SetString(PyExc_ValueError, "a bad row layout");
    return -1;
}

/* The stoplist table of masks for a call (busy counted up; stops_release undoes it): the kept one, rebuilt
 * if stale, or one of the call's own in *own when run inside another call; NULL with an exception set. */
static const Stoplists *stops_acquire(PyObject *masks, Stoplists *own) {
    busy++;
    if (stops_fresh(&stops, masks)) return &stops;
    if (busy == 1) { /* the kept table, rebuilt */
#if PY_VERSION_HEX >= 0x030C0000
        if (stops.source != NULL && PyDict_Unwatch(watcher, stops.source) < 0) goto fail;
        stops.stale = 1;
#endif
        if (stops_build(&stops, masks) < 0) goto fail;
#if PY_VERSION_HEX >= 0x030C0000
        if (PyDict_Watch(watcher, masks) < 0) {
            stops_free(&stops);
            goto fail;
        }
#endif
        return &stops;
    }
    /* run inside another call, which reads the kept table: one of its own */
    if (stops_build(own, masks) == 0) return own;
fail:
    busy--;
    return NULL;
}

static void stops_release(Stoplists *own) {
    busy--;
    stops_free(own);
}

/* Scratch space for line_info: 8n + 4 values of 4 bytes, and 4n + 4 doubles for the lexical score. */
typedef struct {
    uint32_t *buffer;
    double *values;
    Py_ssize_t room;
} Scratch;

static void scratch_free(Scratch *scratch) {
    PyMem_Free(scratch->buffer);
    PyMem_Free(scratch->values);
    scratch->buffer = NULL;
    scratch->values = NULL;
    scratch->room = 0;
}

static int scratch_fit(Scratch *scratch, Py_ssize_t n) {
    if (n > (PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(double) - 4) / 8) {
        PyErr_NoMemory();
        return -1;
    }
    if (8 * n + 4 > scratch->room) {
        scratch_free(scratch);
        const Py_ssize_t room = 8 * n + 4 > 4096 ? 8 * n + 4 : 4096;
        scratch->buffer = PyMem_Malloc(room * sizeof(uint32_t));
        scratch->values = PyMem_Malloc((room / 2 + 2) * sizeof(double));
        scratch->room = room;
        if (scratch->buffer == NULL || scratch->values == NULL) {
            scratch_free(scratch);
            PyErr_NoMemory();
            return -1;
        }
    }
    return 0;
}

static PyObject *infos(PyObject *self, PyObject *args) {
    PyObject *texts, *masks, *spec;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyList_Type, &texts, &PyDict_Type, &masks, &PyTuple_Type, &spec))
        return NULL;
    Layout layout;
    if (parse_layout(spec, &layout) < 0) return NULL;
    Stoplists own = {0};
    const Stoplists *table = stops_acquire(masks, &own);
    if (table == NULL) return NULL;
    PyObject *held = NULL, *out = NULL;
    Scratch scratch = {NULL, NULL, 0};
    /* The texts held for the call (an allocation may run a finalizer that changes the caller's list). */
    held = PyList_AsTuple(texts);
    if (held == NULL) goto fail;
    Py_ssize_t k = PyTuple_GET_SIZE(held);
    out = PyList_New(k);
    if (out == NULL) goto fail;
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *text = PyTuple_GET_ITEM(held, i);
        if (!PyUnicode_Check(text)) {
            PyErr_SetString(PyExc_TypeError, "texts must be str");
            goto fail;
        }
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(text) < 0) goto fail;
#endif
        if (scratch_fit(&scratch, PyUnicode_GET_LENGTH(text)) < 0) goto fail;
        PyObject *info = line_info(text, scratch.buffer, &layout, table, NULL);
        if (info == NULL) goto fail;
        PyList_SET_ITEM(out, i, info);
    }
    scratch_free(&scratch);
    Py_DECREF(held);
    stops_release(&own);
    return out;
fail:
    scratch_free(&scratch);
    Py_XDECREF(held);
    Py_XDECREF(out);
    stops_release(&own);
    return NULL;
}

/* ---- a document: features.extract's numpy part ---- */

/* The columns of the feature matrix that document() fills, by name (features.py's NAMES). */
enum {
    C_LOG_CHARS, C_STOPWORDS, C_STOP_DENSITY, C_SENTENCE_END, C_DIGIT_SHARE, C_PUNCT_SHARE, C_REL_POS,
    C_WIN2_WORDS, C_DIST_LONG, C_BEFORE_FIRST_LONG, C_AFTER_LAST_LONG, C_SHORT_RUN, C_DOC_LONG_SHARE,
    C_LOG_DOC_LINES, C_PREV_WORDS, C_NEXT_WORDS, C_REPEATS, C_LANG_COVERAGE, N_COLUMNS
};

static int get_doubles(PyObject *obj, Py_buffer *view, Py_ssize_t size, int writable) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    if (view->itemsize != sizeof(double) || view->format == NULL || strcmp(view->format, "d") != 0 ||
        view->len != size * (Py_ssize_t)sizeof(double)) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_ValueError, "expected a C-contiguous float64 array of the right size");
        return -1;
    }
    return 0;
}

/* The layouts document() and features() know of: the row's, the matrix's width, the long and short line
 * limits, and the columns they fill (features._DOC_SPEC). */
typedef struct {
    Py_ssize_t row_size, r_words, r_digits, r_hits, languages, width, long_words, short_words;
    Py_ssize_t col[N_COLUMNS];
} DocSpec;

static int parse_doc_spec(PyObject *spec, DocSpec *d) {
    PyObject *columns_obj;
    if (!PyArg_ParseTuple(spec, "nnnnnnnnO!", &d->row_size, &d->r_words, &d->r_digits, &d->r_hits, &d->languages,
                          &d->width, &d->long_words, &d->short_words, &PyTuple_Type, &columns_obj))
        return -1;
    if (PyTuple_GET_SIZE(columns_obj) != N_COLUMNS || d->languages < 1 || d->languages > MAX_LANGUAGES ||
        d->r_words < 0 || d->r_digits < 0 || d->r_hits < 0 || d->r_hits + d->languages > d->row_size ||
        d->r_digits + 2 > d->row_size || d->r_digits > d->width || d->r_words >= d->row_size)
        goto bad_spec;
    for (int c = 0; c < N_COLUMNS; c++) {
        d->col[c] = PyLong_AsSsize_t(PyTuple_GET_ITEM(columns_obj, c));
        if (d->col[c] == -1 && PyErr_Occurred()) return -1;
        /* rel_pos and win2_words start runs of 3 and 6 columns */
        Py_ssize_t span = c == C_REL_POS ? 3 : c == C_WIN2_WORDS ? 6 : 1;
        if (d->col[c] < 0 || d->col[c] + span > d->width) goto bad_spec;
    }
    return 0;
bad_spec:
    PyErr_SetString(PyExc_ValueError, "a bad matrix layout");
    return -1;
}

/* Two exact str are equal: what str's == says (same kind, length and characters). */
static int words_equal(PyObject *a, PyObject *b) {
    return a == b || (PyUnicode_GET_LENGTH(a) == PyUnicode_GET_LENGTH(b) && PyUnicode_KIND(a) == PyUnicode_KIND(b) &&
                      memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b),
                             (size_t)(PyUnicode_GET_LENGTH(a) * PyUnicode_KIND(a))) == 0);
}

/* Counter(words) of the lines whose infos ``held`` holds (n of them, each item's [2] its words), as fill
 * needs it: each line's first line of the same words in group[i], and that one's count of them in copies;
 * without objects or Python's hashing, when every words is an exact str (ours: the cache's, or a caller's
 * exact str, whose == is its characters'). 1 done; 0 not done (a words not an exact str, too long a chain
 * of collisions), the dict's turn; -1 with an exception set. Infos of a Features' own (extras) hold their words'
 * hash after their rows (at rows[i] + hash_at; -1: none): their words, exact str of ours, are read only to compare. */
static int words_groups(PyObject *held, Py_ssize_t n, const double *const *rows, Py_ssize_t hash_at, Py_ssize_t *group,
                        Py_ssize_t *copies) {
    for (Py_ssize_t i = 0; i < n && hash_at < 0; i++) {
        PyObject *key = PyTuple_GET_ITEM(PyTuple_GET_ITEM(held, i), 2);
        if (!PyUnicode_CheckExact(key)) return 0;
#if PY_VERSION_HEX < 0x030C0000
        if (!PyUnicode_IS_READY(key)) return 0;
#endif
    }
    size_t slots = 16;
    while (slots < 2 * (size_t)n) slots <<= 1;
    Py_ssize_t *table = PyMem_New(Py_ssize_t, slots); /* a line's index, -1: empty */
    uint64_t *hashes = PyMem_New(uint64_t, n ? n : 1);
    if (table == NULL || hashes == NULL) {
        PyMem_Free(table);
        PyMem_Free(hashes);
        PyErr_NoMemory();
        return -1;
    }
    memset(table, 0xFF, slots * sizeof(Py_ssize_t));
    int done = 1;
    for (Py_ssize_t i = 0; i < n && done; i++) {
        PyObject *key = PyTuple_GET_ITEM(PyTuple_GET_ITEM(held, i), 2);
        uint64_t h;
        if (hash_at >= 0)
            memcpy(&h, rows[i] + hash_at, sizeof h);
        else
            h = words_hash(key);
        hashes[i] = h;
        size_t slot = (size_t)h & (slots - 1);
        int probes = 0;
        for (;; slot = (slot + 1) & (slots - 1)) {
            const Py_ssize_t j = table[slot];
            if (j < 0) { /* new words */
                table[slot] = i;
                group[i] = i;
                copies[i] = 1;
                break;
            }
            if (hashes[j] == h && words_equal(PyTuple_GET_ITEM(PyTuple_GET_ITEM(held, j), 2), key)) {
                group[i] = j;
                copies[j]++;
                break;
            }
            if (++probes > GROUP_PROBES) {
                done = 0;
                break;
            }
        }
    }
    PyMem_Free(table);
    PyMem_Free(hashes);
    return done;
}

/* The feature matrix m (n rows of d->width) of the lines whose infos ``held`` holds (a tuple: each item's [1]
 * is its row bytes, its [2] its words joined): features._numpy_extract, the same operations in the same
 * order; (language bit, coverage), or NULL with an exception set. */
/* Every column fill leaves alone is `extra` (-1: none): each value of a row is written, by fill or (extra) by its
 * caller, and m need not be zeroed first. sentence_end is no column fill writes: it reads it, from the first r_digits
 * the row's copy wrote, or (a layout that puts it past them) from the zeroed matrix. */
static int fill_covers(const DocSpec *d, Py_ssize_t extra) {
    for (Py_ssize_t j = 0; j < d->width; j++) {
        int written = j < d->r_digits || j == extra; /* (the first r_digits copied from the row) */
        for (int c = 0; c < N_COLUMNS && !written; c++) {
            if (c == C_SENTENCE_END) continue;
            const Py_ssize_t span = c == C_REL_POS ? 3 : c == C_WIN2_WORDS ? 6 : 1;
            written = j >= d->col[c] && j < d->col[c] + span;
        }
        if (!written) return 0;
    }
    return 1;
}

/* (clear: m zeroed first, for the columns it leaves alone; fill_covers says where there are none. score_column >= 0:
 * the infos are a Features' own, with EXTRAS after each row, the lexical score written into that column.) */
static PyObject *fill(const DocSpec *d, PyObject *held, const double *size, const double *log_size,
                      const double *position, double log_lines, double *m, int clear, Py_ssize_t score_column) {
    const Py_ssize_t row_size = d->row_size, r_words = d->r_words, r_digits = d->r_digits, r_hits = d->r_hits,
                     languages = d->languages, width = d->width, long_words = d->long_words,
                     short_words = d->short_words;
    const Py_ssize_t *col = d->col;
    Py_ssize_t n = PyTuple_GET_SIZE(held);
    const double **rows = PyMem_New(const double *, n ? n : 1);
    double *scratch = PyMem_New(double, 4 * n + 4);
    Py_ssize_t *group = PyMem_New(Py_ssize_t, 2 * n + 1); /* each line's first copy, then each copy's count */
    PyObject *seen = NULL, *result = NULL;
    const Py_ssize_t row_bytes = (row_size + (score_column >= 0 ? EXTRAS : 0)) * (Py_ssize_t)sizeof(double);
    if (rows == NULL || scratch == NULL || group == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *info = PyTuple_GET_ITEM(held, i);
        PyObject *row = PyTuple_Check(info) && PyTuple_GET_SIZE(info) >= 3 ? PyTuple_GET_ITEM(info, 1) : NULL;
        if (row == NULL || !PyBytes_Check(row) || PyBytes_GET_SIZE(row) != row_bytes) {
            PyErr_SetString(PyExc_ValueError, "a line's info is not (grams, row, words)");
            goto done;
        }
        rows[i] = (const double *)PyBytes_AS_STRING(row);
    }

    /* detect_language: the stoplist with most hits in the lines up to the one that reaches
     * 3,000 words (whole numbers: exact in any order), the first of the best. */
    int bit = 0;
    double coverage = 0.0;
    if (n) {
        double words = 0, hits[MAX_LANGUAGES] = {0};
        Py_ssize_t upto = 0;
        while (upto < n) {
            words += rows[upto][r_words];
            const double *row_hits = rows[upto] + r_hits;
            Py_ssize_t b = 0;
#if defined(__SSE2__)
            for (; b + 2 <= languages; b += 2) /* two at a time */
                _mm_storeu_pd(hits + b, _mm_add_pd(_mm_loadu_pd(hits + b), _mm_loadu_pd(row_hits + b)));
#endif
            for (; b < languages; b++) hits[b] += row_hits[b];
            upto++;
            if (words >= 3000) break;
        }
        for (Py_ssize_t b = 1; b < languages; b++)
            if (hits[b] > hits[bit]) bit = (int)b;
        coverage = words ? hits[bit] / words : 0.0;
    }

    /* The columns of each line alone, and the three whose neighbours' means are taken. */
    double *column_words = scratch, *column_density = scratch + n, *column_long = scratch + 2 * n;
    Py_ssize_t long_count = 0, first_long = -1, last_long = -1;
    if (clear) memset(m, 0, n * width * sizeof(double));
    for (Py_ssize_t i = 0; i < n; i++) {
        const double *r = rows[i];
        double *out = m + i * width;
        memcpy(out, r, r_digits * sizeof(double)); /* words, the static columns, upper_share */
        double words = r[r_words], stops = r[r_hits + bit], at_least_one = size[i] > 1 ? size[i] : 1.0;
        out[col[C_LOG_CHARS]] = log_size[i];
        out[col[C_STOPWORDS]] = stops;
        out[col[C_STOP_DENSITY]] = words > 0 ? stops / words : 0.0;
        out[col[C_DIGIT_SHARE]] = r[r_digits] / at_least_one;
        out[col[C_PUNCT_SHARE]] = r[r_digits + 1] / at_least_one;
        for (int k = 0; k < 3; k++) out[col[C_REL_POS] + k] = position[3 * i + k];
        int is_long = words >= (double)long_words && out[col[C_SENTENCE_END]] > 0;
        column_words[i] = words;
        column_density[i] = out[col[C_STOP_DENSITY]];
        column_long[i] = is_long;
        if (is_long) {
            long_count++;
            if (first_long < 0) first_long = i;
            last_long = i;
        }
    }

    /* Means over the neighbours within 2 and 5 lines: a running sum (numpy's cumsum, in order),
     * the window's difference less the line itself, over the number of neighbours. */
    const double *column_of[3] = {column_words, column_density, column_long};
    double *padded = scratch + 3 * n; /* n + 1 */
    for (int c = 0; c < 3; c++) {
        padded[0] = 0.0;
        for (Py_ssize_t i = 0; i < n; i++) padded[i + 1] = padded[i] + column_of[c][i];
        for (int w = 0; w < 2; w++) {
            const Py_ssize_t radius = w ? 5 : 2;
            const double *column = column_of[c];
            double *out = m + col[C_WIN2_WORDS] + 2 * c + w;
            /* The lines with all 2 * radius neighbours (most of a document's) without the window's bounds clipped
             * (the same operations: count is 2 * radius there), then the others. */
            const double full = (double)(2 * radius);
            for (Py_ssize_t i = radius; i + radius < n; i++)
                out[i * width] = (padded[i + radius + 1] - padded[i - radius] - column[i]) / full;
            for (Py_ssize_t i = 0; i < n; i++) {
                if (i == radius && i + radius < n) { /* past those */
                    i = n - radius - 1;
                    continue;
                }
                Py_ssize_t lo = i - radius > 0 ? i - radius : 0, hi = i + radius + 1 < n ? i + radius + 1 : n;
                Py_ssize_t count = hi - lo - 1;
                double total = padded[hi] - padded[lo] - column[i];
                out[i * width] = count > 0 ? total / (double)count : 0.0;
            }
        }
    }

    /* dist_long (features._distance_to, capped at 30), short_run (_run_lengths). */
    Py_ssize_t last = -30;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (column_long[i]) last = i;
        m[i * width + col[C_DIST_LONG]] = (double)(i - last < 30 ? i - last : 30);
    }
    last = n + 30;
    for (Py_ssize_t i = n - 1; i >= 0; i--) {
        if (column_long[i]) last = i;
        if ((double)(last - i) < m[i * width + col[C_DIST_LONG]]) m[i * width + col[C_DIST_LONG]] = (double)(last - i);
    }
    for (Py_ssize_t i = 0; i < n;) {
        Py_ssize_t j = i;
        int is_short = column_words[i] < (double)short_words;
        while (j < n && (column_words[j] < (double)short_words) == is_short) j++;
        for (Py_ssize_t k = i; k < j; k++) m[k * width + col[C_SHORT_RUN]] = is_short ? (double)(j - i) : 0.0;
        i = j;
    }

    /* The document's: where the long lines start and end, their share, its length, coverage;
     * each line's neighbours' words; how many other lines have the same words: Counter(words) in
     * one pass, each line's words mapped to the first line with them, whose count grows: in a table of
     * our own (words_groups), else in a dict (no second look-up: the words may be a str subclass whose
     * hash changes, or raises). */
    Py_ssize_t *copies = group + n;
    const int grouped = words_groups(held, n, rows, score_column >= 0 ? row_size + EXTRA_HASH : -1, group, copies);
    if (grouped < 0) goto done;
    if (!grouped) seen = PyDict_New();
    if (!grouped && seen == NULL) goto done;
    for (Py_ssize_t i = 0; i < n && !grouped; i++) {
        PyObject *key = PyTuple_GET_ITEM(PyTuple_GET_ITEM(held, i), 2);
        PyObject *first = PyDict_GetItemWithError(seen, key); /* an int of ours: no code of the caller's */
        if (first == NULL && PyErr_Occurred()) goto done;
        if (first == NULL) {
            PyObject *index = PyLong_FromSsize_t(i);
            if (index == NULL || PyDict_SetItem(seen, key, index) < 0) {
                Py_XDECREF(index);
                goto done;
            }
            Py_DECREF(index);
            group[i] = i;
            copies[i] = 1;
        } else {
            group[i] = PyLong_AsSsize_t(first);
            copies[group[i]]++;
        }
    }
    double per_line = (double)(n > 1 ? n : 1), long_share = n ? (double)long_count / (double)n : 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double *out = m + i * width;
        if (first_long >= 0) {
            double before = ((double)first_long - (double)i) / per_line, after = ((double)i - (double)last_long) / per_line;
            out[col[C_BEFORE_FIRST_LONG]] = before < 0 ? 0.0 : before;
            out[col[C_AFTER_LAST_LONG]] = after < 0 ? 0.0 : after;
        } else {
            out[col[C_BEFORE_FIRST_LONG]] = out[col[C_AFTER_LAST_LONG]] = 1.0;
        }
        out[col[C_DOC_LONG_SHARE]] = long_share;
        out[col[C_LOG_DOC_LINES]] = log_lines;
        out[col[C_PREV_WORDS]] = i > 0 ? column_words[i - 1] : 0.0;
        out[col[C_NEXT_WORDS]] = i + 1 < n ? column_words[i + 1] : 0.0;
        out[col[C_REPEATS]] = (double)(copies[group[i]] - 1);
        out[col[C_LANG_COVERAGE]] = coverage;
        if (score_column >= 0) out[score_column] = rows[i][row_size + EXTRA_SCORE];
    }
    /* (bit, coverage): made directly, not by Py_BuildValue's format, read anew each call */
    PyObject *bit_int = PyLong_FromLong(bit), *coverage_float = PyFloat_FromDouble(coverage);
    if (bit_int != NULL && coverage_float != NULL) result = PyTuple_Pack(2, bit_int, coverage_float);
    Py_XDECREF(bit_int);
    Py_XDECREF(coverage_float);

done:
    Py_XDECREF(seen);
    PyMem_Free(rows);
    PyMem_Free(scratch);
    PyMem_Free(group);
    return result;
}

/* document(infos, sizes, log1p_sizes, positions, log_lines, matrix, spec) -> (language bit, coverage):
 * the feature matrix of a document from its lines' infos (features._line_infos), exactly as
 * features.extract computes it with numpy (the same operations in the same order; the log1p
 * values come from numpy, whose log1p need not be the C library's). */
static PyObject *document(PyObject *self, PyObject *args) {
    PyObject *infos, *sizes_obj, *logs_obj, *positions_obj, *matrix_obj, *spec;
    double log_lines;
    if (!PyArg_ParseTuple(args, "O!OOOdOO!", &PyList_Type, &infos, &sizes_obj, &logs_obj, &positions_obj, &log_lines,
                          &matrix_obj, &PyTuple_Type, &spec))
        return NULL;
    DocSpec d;
    if (parse_doc_spec(spec, &d) < 0) return NULL;
    if (d.width > PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(double) / (PyList_GET_SIZE(infos) ? PyList_GET_SIZE(infos) : 1)) {
        PyErr_SetString(PyExc_ValueError, "a bad matrix layout");
        return NULL;
    }
    /* The lines' infos held for the call: a str subclass's __hash__ or __eq__ (the words as dict keys
     * below) may empty the caller's list, and rows[] points into the infos' bytes. */
    PyObject *held = PyList_AsTuple(infos);
    if (held == NULL) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(held);
    Py_buffer sizes = {0}, logs = {0}, positions = {0}, matrix = {0};
    PyObject *result = NULL;
    if (get_doubles(sizes_obj, &sizes, n, 0) < 0) goto done;
    if (get_doubles(logs_obj, &logs, n, 0) < 0) goto done;
    if (get_doubles(positions_obj, &positions, 3 * n, 0) < 0) goto done;
    if (get_doubles(matrix_obj, &matrix, d.width * n, 1) < 0) goto done;
    result = fill(&d, held, sizes.buf, logs.buf, positions.buf, log_lines, matrix.buf, !fill_covers(&d, -1), -1);
done:
    if (sizes.obj) PyBuffer_Release(&sizes);
    if (logs.obj) PyBuffer_Release(&logs);
    if (positions.obj) PyBuffer_Release(&positions);
    if (matrix.obj) PyBuffer_Release(&matrix);
    Py_DECREF(held);
    return result;
}

/* A line's info as features() keeps it in its cache: (lexical score, row bytes, words joined, text), exact types. */
static int fast_info(PyObject *info, Py_ssize_t row_size) {
    return info != NULL && PyTuple_CheckExact(info) && PyTuple_GET_SIZE(info) == 4 &&
           PyUnicode_CheckExact(PyTuple_GET_ITEM(info, 3)) &&
           PyFloat_CheckExact(PyTuple_GET_ITEM(info, 0)) && PyBytes_CheckExact(PyTuple_GET_ITEM(info, 1)) &&
           PyBytes_GET_SIZE(PyTuple_GET_ITEM(info, 1)) == row_size * (Py_ssize_t)sizeof(double) &&
           PyUnicode_CheckExact(PyTuple_GET_ITEM(info, 2));
}

/* What features() is given besides a document (its lines, their positions and the matrix), checked: the
 * stoplists' masks, the row's and the matrix's layouts, the lexical weights and bias, the cache and its limit, the
 * table of log1p, the key's length and the lexical score's column. Its buffers are held by whoever made it. */
typedef struct {
    Layout layout;
    DocSpec d;
    PyObject *masks, *cache; /* a dict each (cache: features()' own; NULL in a Features, which keeps a KeptTable) */
    Py_ssize_t limit, max_chars, ngram_column;
    int covered; /* fill_covers(d, ngram_column): no column of the matrix but those fill and the score write */
    Py_buffer weights, table;
    double bias;
} Setup;

/* A Setup from its parts (the layouts parsed, the buffers got and checked): 0, or -1 with an exception set and
 * nothing held. */
static int setup_init(Setup *u, PyObject *masks, PyObject *layout_spec, PyObject *weights_obj, double bias,
                      PyObject *cache, Py_ssize_t limit, PyObject *log1p_obj, PyObject *spec, Py_ssize_t max_chars,
                      Py_ssize_t ngram_column) {
    memset(&u->weights, 0, sizeof u->weights);
    memset(&u->table, 0, sizeof u->table);
    if (parse_layout(layout_spec, &u->layout) < 0 || parse_doc_spec(spec, &u->d) < 0) return -1;
    if (u->d.row_size != u->layout.size || ngram_column < 0 || ngram_column >= u->d.width || max_chars < 0) {
        PyErr_SetString(PyExc_ValueError, "a bad matrix layout");
        return -1;
    }
    if (PyObject_GetBuffer(weights_obj, &u->weights, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    const Py_buffer *w = &u->weights;
    const char *format = w->format == NULL ? "B" : w->format[0] == '=' || w->format[0] == '<' ? w->format + 1 : w->format;
    if (!((w->itemsize == 8 && strcmp(format, "d") == 0) || (w->itemsize == 4 && strcmp(format, "f") == 0)) ||
        w->len / w->itemsize <= (Py_ssize_t)u->layout.buckets_mask) {
        PyErr_SetString(PyExc_ValueError, "weights: expected a C-contiguous float64 or float32 array of a weight a bucket");
        PyBuffer_Release(&u->weights);
        return -1;
    }
    if (PyObject_GetBuffer(log1p_obj, &u->table, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&u->weights);
        return -1;
    }
    if (u->table.itemsize != sizeof(double) || u->table.format == NULL || strcmp(u->table.format, "d") != 0) {
        PyErr_SetString(PyExc_ValueError, "log1p: expected a C-contiguous float64 array");
        PyBuffer_Release(&u->weights);
        PyBuffer_Release(&u->table);
        return -1;
    }
    u->masks = masks;
    u->cache = cache;
    u->bias = bias;
    u->limit = limit;
    u->max_chars = max_chars;
    u->ngram_column = ngram_column;
    u->covered = fill_covers(&u->d, ngram_column);
    return 0;
}

static void setup_release(Setup *u) {
    if (u->weights.obj) PyBuffer_Release(&u->weights);
    if (u->table.obj) PyBuffer_Release(&u->table);
}

/* The lines a Features keeps, by words_hash of their key: each key's info (as features() keeps it in its dict), two
 * to a set of slots, the one last used first (a miss drops the other). Not a dict: no int made for a key, no dict
 * probed or grown, none emptied when full. */
typedef struct {
    uint64_t hash;
    PyObject *info; /* a strong reference; NULL: empty */
} Kept;

typedef struct {
    Kept *slots;      /* 2 * (sets_mask + 1) */
    size_t sets_mask; /* a power of 2 less one */
    Py_ssize_t held;  /* slots not empty */
} KeptTable;

/* The info kept for key (words_hash h), borrowed (its set's first from now on), or NULL. */
static PyObject *kept_find(KeptTable *t, uint64_t h, PyObject *key) {
    Kept *set = t->slots + 2 * (h & t->sets_mask);
    for (int k = 0; k < 2; k++)
        if (set[k].info != NULL && set[k].hash == h && words_equal(PyTuple_GET_ITEM(set[k].info, 3), key)) {
            if (k) {
                const Kept hit = set[1];
                set[1] = set[0];
                set[0] = hit;
            }
            return set[0].info;
        }
    return NULL;
}

/* info kept for its key (words_hash h), first of its set; the set's last dropped: returned, the table's reference
 * now the caller's to release (NULL: none). */
static PyObject *kept_put(KeptTable *t, uint64_t h, PyObject *info) {
    Kept *set = t->slots + 2 * (h & t->sets_mask);
    PyObject *dropped = set[1].info;
    set[1] = set[0];
    set[0].hash = h;
    set[0].info = info;
    Py_INCREF(info);
    if (dropped == NULL) t->held++; /* (a set's second is empty only while its first is) */
    return dropped;
}

/* A Features' last call: its texts (held, so no address of one is another's while kept), their infos and their
 * stripped lengths. A later round of the pipeline calls again with the lines that were left, most of them the very
 * str objects of the last call: those take their info and length from here by identity (an info is its text's
 * alone), with no strip, no key copied, hashed and compared in the KeptTable. Kept for one document: a call of
 * another document (features_call's test) drops it unread. */
typedef struct {
    PyObject *held;  /* a tuple of str; NULL: none */
    PyObject *infos; /* a tuple of infos, one a text */
    double *sizes;   /* the texts' stripped lengths (then extract_into's other n values) */
} Memo;

static void memo_clear(Memo *memo) {
    PyObject *held = memo->held, *infos = memo->infos;
    double *sizes = memo->sizes;
    memo->held = memo->infos = NULL; /* (emptied before the references go: a str subclass's finalizer may call in) */
    memo->sizes = NULL;
    PyMem_Free(sizes);
    Py_XDECREF(infos);
    Py_XDECREF(held);
}

/* A text's slot in a memo's index (open addressing by the object's address; the slots hold index + 1, 0 empty). */
static size_t memo_slot(const PyObject *text, size_t mask) {
    return (size_t)(((uint64_t)(uintptr_t)text >> 4) * 0x9E3779B97F4A7C15u >> 32) & mask;
}

/* The memo's index: 2 slots a text at least, a power of 2 (*mask set), or NULL with an exception set. */
static Py_ssize_t *memo_index(const Memo *memo, size_t *mask) {
    const Py_ssize_t m = PyTuple_GET_SIZE(memo->held);
    size_t size = 2;
    while (size < 2 * (size_t)m) size <<= 1;
    Py_ssize_t *slots = PyMem_Calloc(size, sizeof(Py_ssize_t));
    if (slots == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    *mask = size - 1;
    for (Py_ssize_t k = 0; k < m; k++) {
        size_t at = memo_slot(PyTuple_GET_ITEM(memo->held, k), *mask);
        while (slots[at]) at = (at + 1) & *mask;
        slots[at] = k + 1;
    }
    return slots;
}

/* The memo's place of text (the same object), or -1. */
static Py_ssize_t memo_find(const Memo *memo, const Py_ssize_t *slots, size_t mask, const PyObject *text) {
    for (size_t at = memo_slot(text, mask); slots[at]; at = (at + 1) & mask)
        if (PyTuple_GET_ITEM(memo->held, slots[at] - 1) == text) return slots[at] - 1;
    return -1;
}

/* A line's key and its words_hash, made in extract_into's first pass. */
typedef struct {
    PyObject *key;
    uint64_t hash;
    PyObject *candidate; /* borrowed: the kept info of the line's hash (a prefetch's address only) */
    Py_ssize_t line;     /* its place in the document */
} LineKey;

enum { KEY_MADE, KEY_MEMO, KEY_STOP };

/* Line i of held (text)'s key and hash (KEY_MADE; *key a new reference), or its info and length from `last`'s memo
 * (KEY_MEMO: infos[i] set), with its stripped length and log1p in sizes[i] and logs[i]; KEY_STOP where the line
 * ends the call (not a str, or as long as the table: the caller's to say which), or -1 with an exception set. */
static int line_key(const Setup *u, PyObject *text, Py_ssize_t i, const Memo *last, const Py_ssize_t *slots,
                    size_t mask, PyObject *infos, double *sizes, double *logs, int *exact, LineKey *out) {
    const Py_ssize_t table_size = u->table.len / (Py_ssize_t)sizeof(double);
    if (!PyUnicode_Check(text)) return KEY_STOP;
    *exact &= PyUnicode_CheckExact(text);
    if (slots != NULL) {
        const Py_ssize_t k = memo_find(last, slots, mask, text);
        if (k >= 0) {
            PyObject *info = PyTuple_GET_ITEM(last->infos, k);
            sizes[i] = last->sizes[k];
            logs[i] = ((const double *)u->table.buf)[(Py_ssize_t)sizes[i]];
            Py_INCREF(info);
            PyTuple_SET_ITEM(infos, i, info);
            return KEY_MEMO;
        }
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(text) < 0) return -1;
#endif
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t lo = 0, hi = PyUnicode_GET_LENGTH(text); /* str.strip(): Py_UNICODE_ISSPACE both ends */
    while (lo < hi && is_space(AT(lo))) lo++;
    while (hi > lo && is_space(AT(hi - 1))) hi--;
    if (hi - lo >= table_size) return KEY_STOP;
    sizes[i] = (double)(hi - lo);
    logs[i] = ((const double *)u->table.buf)[hi - lo];
    PyObject *key = PyUnicode_Substring(text, lo, hi - lo > u->max_chars ? lo + u->max_chars : hi); /* an exact str */
    if (key == NULL) return -1;
    /* The cache's key: a hash of the text's characters (some times cheaper than a str's siphash, which a new
     * text needs), in the dict as an int; the info holds the text, compared on a hit. */
    out->key = key;
    out->hash = words_hash(key);
    return KEY_MADE;
}

/* The matrix of the lines ``held`` (a tuple of str): features()' work once its arguments are checked, positions
 * (3n values) and m (n rows of u->d.width) of the right sizes; the lines' infos kept in `kept` where given, else in
 * u->cache; line_info's space in `scratch` (grown as needed, freed by the caller); the texts of `last` (where given,
 * and not empty) take their infos and lengths from it, and `next` (where given) is this call's, when it gives (bit,
 * coverage). (bit, coverage), None, or NULL with an exception.
 *
 * In passes, for the loads that miss: a KeptTable of ROWS_CACHE_SIZE lines is 256 KB of slots, its infos and their
 * texts scattered objects, seldom in cache when a line is looked up (perf, clock-sampled: most of the lookup's samples
 * sat after the slot's load, the hit's info and its text, and the Py_DECREF of the info a put drops). The first pass
 * makes every line's key and hash and prefetches its slots; the second reads them and prefetches the info whose hash
 * is the line's; the third its text and row: the loads of all the document's lines in flight together, not one
 * line's at a time. Then the lines are looked up (and their infos made) in order, as before: the passes only
 * prefetch, the lookups find what the table holds then. The infos the table drops are prefetched as they go and
 * released after the loop, all together (most are freed: their items' loads, prefetched first, in flight at once).
 * The Features call, A/B in one process on the pipeline's own calls (sums of each call's best of 4-6 alternated
 * runs): 0.89-0.90 of its time on bench pages, 0.83-0.89 on real ones (0.90-0.91 and 0.80-0.86 with the caches
 * flushed between calls); callgrind: +0.2% instructions. */
static PyObject *extract_into(const Setup *u, KeptTable *kept, Scratch *scratch, PyObject *held,
                              const double *positions, double log_lines, double *m, const Memo *last, Memo *next) {
    const Py_ssize_t n = PyTuple_GET_SIZE(held);
    const Layout *layout = &u->layout;
    PyObject *infos = NULL, *result = NULL, *cache = u->cache;
    double *sizes = PyMem_New(double, 2 * n + 1), *logs = sizes + n;
    /* the lines not the memo's, in order (keys[looked:made] held), then the infos the KeptTable dropped (released at
     * the end): one block */
    const size_t line_bytes = sizeof(LineKey) + sizeof(PyObject *);
    LineKey *keys = (size_t)n < PY_SSIZE_T_MAX / line_bytes ? PyMem_Malloc(((size_t)n + 1) * line_bytes) : NULL;
    PyObject **dropped = keys != NULL ? (PyObject **)(keys + n + 1) : NULL;
    Py_ssize_t made = 0, looked = 0, ndropped = 0;
    Stoplists own = {0};
    const Stoplists *stoplists = NULL;
    Py_ssize_t *slots = NULL;
    size_t mask = 0;
    Py_ssize_t stop = n; /* the lines before it have their keys (or the memo's infos) */
    int exact = 1; /* every text an exact str: only then kept in `next` (a subclass's object may hold this Features in
                    * a cycle, which the memo would keep alive: Features takes no part in the collector's walks) */
    if (sizes == NULL || keys == NULL || dropped == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (last != NULL && last->held != NULL && (slots = memo_index(last, &mask)) == NULL) goto done;
    infos = PyTuple_New(n);
    if (infos == NULL) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        LineKey *k = keys + made;
        const int got = line_key(u, PyTuple_GET_ITEM(held, i), i, last, slots, mask, infos, sizes, logs, &exact, k);
        if (got < 0) goto done;
        if (got == KEY_STOP) {
            stop = i;
            break;
        }
        if (got == KEY_MADE) {
            k->line = i;
            made++;
            if (kept != NULL) PREFETCH(kept->slots + 2 * (k->hash & kept->sets_mask));
        }
    }
    if (kept != NULL) {
        for (LineKey *k = keys; k < keys + made; k++) {
            const Kept *set = kept->slots + 2 * (k->hash & kept->sets_mask);
            PyObject *info = set[0].hash == k->hash ? set[0].info : set[1].hash == k->hash ? set[1].info : NULL;
            PREFETCH(info); /* (NULL: no fault) */
            k->candidate = info;
        }
        for (LineKey *k = keys; k < keys + made; k++)
            if (k->candidate != NULL) {
                PREFETCH(PyTuple_GET_ITEM(k->candidate, 3));
                PREFETCH(PyTuple_GET_ITEM(k->candidate, 1));
            }
    }
    stoplists = stops_acquire(u->masks, &own);
    if (stoplists == NULL) goto done;
    const Lexical lexical_base = {u->weights.buf, u->weights.itemsize, u->bias, NULL, kept != NULL};
    for (; looked < made; looked++) { /* (keys[looked] released last: an error leaves it to `done`) */
        PyObject *key = keys[looked].key;
        const uint64_t h = keys[looked].hash;
        const Py_ssize_t i = keys[looked].line;
        PyObject *hash = NULL, *info = NULL;
        if (kept != NULL) {
            info = kept_find(kept, h, key);
        } else {
            hash = PyLong_FromUnsignedLongLong(h);
            if (hash == NULL) goto done;
            info = PyDict_GetItemWithError(cache, hash); /* an int key: no code of the caller's */
            if (info == NULL && PyErr_Occurred()) {
                Py_DECREF(hash);
                goto done;
            }
            if (!(fast_info(info, layout->size) && words_equal(PyTuple_GET_ITEM(info, 3), key))) info = NULL;
        }
        if (info != NULL) {
            Py_INCREF(info);
        } else {
            if (scratch_fit(scratch, PyUnicode_GET_LENGTH(key)) < 0) {
                Py_XDECREF(hash);
                goto done;
            }
            Lexical lexical = lexical_base;
            lexical.values = scratch->values;
            info = line_info(key, scratch->buffer, layout, stoplists, &lexical);
            if (info == NULL) {
                Py_XDECREF(hash);
                goto done;
            }
            if (kept != NULL) {
                PyObject *gone = kept_put(kept, h, info);
                if (gone != NULL) {
                    PREFETCH_WRITE(gone); /* (its count, decremented after the loop) */
                    dropped[ndropped++] = gone;
                }
            } else {
                if (PyDict_GET_SIZE(cache) >= u->limit) PyDict_Clear(cache);
                if (PyDict_SetItem(cache, hash, info) < 0) { /* (another text of the same hash: replaced) */
                    Py_DECREF(info);
                    Py_DECREF(hash);
                    goto done;
                }
            }
        }
        Py_XDECREF(hash);
        Py_DECREF(key);
        PyTuple_SET_ITEM(infos, i, info);
    }
    if (stop < n) { /* the line that stopped the first pass, once the lines before it are done (as they were) */
        if (!PyUnicode_Check(PyTuple_GET_ITEM(held, stop))) {
            PyErr_SetString(PyExc_TypeError, "texts must be str");
        } else {
            result = Py_None; /* a line as long as the table */
            Py_INCREF(result);
        }
        goto done;
    }
    result = fill(&u->d, infos, sizes, logs, positions, log_lines, m, !u->covered, kept != NULL ? u->ngram_column : -1);
    if (result != NULL && kept == NULL)
        for (Py_ssize_t i = 0; i < n; i++)
            m[i * u->d.width + u->ngram_column] = PyFloat_AS_DOUBLE(PyTuple_GET_ITEM(PyTuple_GET_ITEM(infos, i), 0));
    if (next != NULL && exact && result != NULL && result != Py_None) {
        Py_INCREF(held);
        next->held = held;
        next->infos = infos;
        next->sizes = sizes;
        infos = NULL;
        sizes = NULL;
    }
done:
    for (; looked < made; looked++) Py_DECREF(keys[looked].key);
    /* The dropped infos, most freed here (a tuple of None, a bytes and two exact str: freeing it runs no code):
     * the items of those to be freed prefetched first, all of them, then all released. */
    for (Py_ssize_t k = 0; k < ndropped; k++)
        if (Py_REFCNT(dropped[k]) == 1)
            for (Py_ssize_t j = 0; j < 4; j++) PREFETCH_WRITE(PyTuple_GET_ITEM(dropped[k], j));
    for (Py_ssize_t k = 0; k < ndropped; k++) Py_DECREF(dropped[k]);
    if (stoplists != NULL) stops_release(&own);
    PyMem_Free(keys);
    PyMem_Free(slots);
    PyMem_Free(sizes);
    Py_XDECREF(infos);
    return result;
}

/* features(texts, masks, layout, weights, bias, cache, limit, log1p, positions, log_lines, matrix, spec, max_chars,
 * ngram_column) -> (language bit, coverage), or None: features.extract's matrix of a document's lines, the
 * lexical score (model.Model.score's) in its column, in one call: each text stripped (str.strip), its first
 * max_chars characters its key; each key's (lexical score, row, words joined, key) from the cache (by words_hash
 * of the key, an int), or computed (infos' pass, the grams' weights summed) and kept there (emptied first when it
 * holds `limit`); then document()'s
 * columns, log1p[length] as a line's log1p. None, the matrix unfinished, when a line is as long as the table:
 * the caller does it the long way. */
static PyObject *features(PyObject *self, PyObject *args) {
    PyObject *texts, *masks, *layout_spec, *weights_obj, *cache, *log1p_obj, *positions_obj, *matrix_obj, *spec;
    double bias, log_lines;
    Py_ssize_t limit, max_chars, ngram_column;
    if (!PyArg_ParseTuple(args, "O!O!O!OdO!nOOdOO!nn", &PyList_Type, &texts, &PyDict_Type, &masks, &PyTuple_Type,
                          &layout_spec, &weights_obj, &bias, &PyDict_Type, &cache, &limit, &log1p_obj, &positions_obj,
                          &log_lines, &matrix_obj, &PyTuple_Type, &spec, &max_chars, &ngram_column))
        return NULL;
    Setup u;
    if (setup_init(&u, masks, layout_spec, weights_obj, bias, cache, limit, log1p_obj, spec, max_chars, ngram_column) < 0)
        return NULL;
    /* The texts held for the call (an allocation may run a finalizer that changes the caller's list). */
    PyObject *held = PyList_AsTuple(texts), *result = NULL;
    Py_buffer positions = {0}, matrix = {0};
    if (held == NULL) goto done;
    const Py_ssize_t n = PyTuple_GET_SIZE(held);
    if (u.d.width > PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(double) / (n ? n : 1)) {
        PyErr_SetString(PyExc_ValueError, "a bad matrix layout");
        goto done;
    }
    if (get_doubles(positions_obj, &positions, 3 * n, 0) < 0) goto done;
    if (get_doubles(matrix_obj, &matrix, u.d.width * n, 1) < 0) goto done;
    Scratch scratch = {NULL, NULL, 0};
    result = extract_into(&u, NULL, &scratch, held, positions.buf, log_lines, matrix.buf, NULL, NULL);
    scratch_free(&scratch);
done:
    if (positions.obj) PyBuffer_Release(&positions);
    if (matrix.obj) PyBuffer_Release(&matrix);
    setup_release(&u);
    Py_XDECREF(held);
    return result;
}

/* Features(masks, layout, weights, bias, limit, log1p, spec, max_chars, ngram_column): features() with all but the
 * document given once, checked once, and its buffers held (the classifier's shortcut calls it once a document: parsing
 * and checking 14 arguments was a sixth of a short document's cost), its lines kept in a table of its own (KeptTable:
 * `limit` of them, at most 2**24, rounded up to a power of 2, two at least). A call (texts, matrix) -> (bit, coverage)
 * or None is features(texts, ..., positions, log_lines, matrix, ...) with the positions compiled.positions gives:
 * i / max(n - 1, 1), log1p(i), log1p(n - 1 - i), and log1p(n). */
typedef struct {
    PyObject_HEAD
    Setup u;
    KeptTable kept;
    /* line_info's space, kept from call to call (grown to the longest line's key, max_chars at most): not allocated
     * and freed each document. A call made while another is under way (a finalizer run by an allocation of it, which
     * calls the Features again) has one of its own. */
    Scratch scratch;
    int calls; /* calls under way */
    int ready;
    Memo memo; /* the last call's lines (of a call not made inside another) */
} Features;

static void features_dealloc(Features *self) {
    if (self->ready) {
        setup_release(&self->u);
        Py_DECREF(self->u.masks);
    }
    if (self->kept.slots != NULL) {
        for (size_t k = 0; k < 2 * (self->kept.sets_mask + 1); k++) Py_XDECREF(self->kept.slots[k].info);
        PyMem_Free(self->kept.slots);
    }
    scratch_free(&self->scratch);
    memo_clear(&self->memo);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* kept() -> int: how many lines the Features keeps. */
static PyObject *features_kept(Features *self, PyObject *unused) { return PyLong_FromSsize_t(self->kept.held); }

static PyMethodDef features_methods[] = {
    {"kept", (PyCFunction)features_kept, METH_NOARGS, "kept() -> int: how many lines it keeps."},
    {NULL, NULL, 0, NULL},
};

static PyObject *features_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"masks", "layout", "weights", "bias", "limit", "log1p", "spec", "max_chars",
                               "ngram_column", NULL};
    PyObject *masks, *layout_spec, *weights_obj, *log1p_obj, *spec;
    double bias;
    Py_ssize_t limit, max_chars, ngram_column;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!OdnOO!nn:Features", keywords, &PyDict_Type, &masks,
                                     &PyTuple_Type, &layout_spec, &weights_obj, &bias, &limit, &log1p_obj,
                                     &PyTuple_Type, &spec, &max_chars, &ngram_column))
        return NULL;
    if (limit < 0 || limit > ((Py_ssize_t)1 << 24)) {
        PyErr_SetString(PyExc_ValueError, "limit out of range");
        return NULL;
    }
    Features *self = (Features *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    if (setup_init(&self->u, masks, layout_spec, weights_obj, bias, NULL, limit, log1p_obj, spec, max_chars,
                   ngram_column) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    Py_INCREF(masks);
    self->ready = 1;
    size_t sets = 1; /* the fewest sets of two that hold `limit` lines (one set at least) */
    while (2 * sets < (size_t)limit) sets <<= 1;
    self->kept.slots = PyMem_Calloc(2 * sets, sizeof(Kept));
    if (self->kept.slots == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->kept.sets_mask = sets - 1;
    return (PyObject *)self;
}

static PyObject *features_call(Features *self, PyObject *args, PyObject *kwargs) {
    PyObject *texts, *matrix_obj;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs)) {
        PyErr_SetString(PyExc_TypeError, "Features(): no keyword arguments");
        return NULL;
    }
    if (!PyArg_UnpackTuple(args, "Features", 2, 2, &texts, &matrix_obj)) return NULL;
    if (!PyList_Check(texts)) {
        PyErr_SetString(PyExc_TypeError, "texts: expected a list");
        return NULL;
    }
    const Setup *u = &self->u;
    PyObject *held = PyList_AsTuple(texts), *result = NULL;
    if (held == NULL) return NULL;
    const Py_ssize_t n = PyTuple_GET_SIZE(held);
    Py_buffer matrix = {0};
    double *positions = PyMem_New(double, 3 * n + 1);
    if (positions == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (u->d.width > PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(double) / (n ? n : 1)) {
        PyErr_SetString(PyExc_ValueError, "a bad matrix layout");
        goto done;
    }
    if (get_doubles(matrix_obj, &matrix, u->d.width * n, 1) < 0) goto done;
    /* compiled.positions(n): Python's i / below divides the two ints as doubles (both exact, far below 2**53),
     * and math.log1p of an int is the C library's log1p of it as a double: the table's entry, where it has one
     * (log1p_table's, of the same function) */
    const double below = (double)(n - 1 > 1 ? n - 1 : 1);
    const double *table = u->table.buf;
    const Py_ssize_t table_size = u->table.len / (Py_ssize_t)sizeof(double);
#define LOG1P(k) ((k) < table_size ? table[k] : log1p((double)(k)))
    for (Py_ssize_t i = 0; i < n; i++) {
        positions[3 * i] = (double)i / below;
        positions[3 * i + 1] = LOG1P(i);
        positions[3 * i + 2] = LOG1P(n - 1 - i);
    }
    Scratch own = {NULL, NULL, 0};
    /* The memo is taken out for the call (a call made inside it, by a finalizer, neither reads nor keeps one), read
     * where this is a later round of the same document, and replaced by this call's. A later round has the last
     * call's first or last line (a round drops some lines, seldom both ends): else this is another document, whose
     * memo is dropped first, unread (its blocks then this call's to reuse, as when a call kept nothing). Taken for
     * a later round wrongly (a str shared by two documents), the memo is read for nothing: its texts are the same
     * objects, held, and an info is its text's alone. */
    const int outer = self->calls == 0;
    Memo last = {NULL, NULL, NULL}, next = {NULL, NULL, NULL};
    if (outer) {
        last = self->memo;
        self->memo = next;
        const Py_ssize_t m = last.held != NULL ? PyTuple_GET_SIZE(last.held) : 0;
        if (!(n > 0 && m > 0 &&
              (PyTuple_GET_ITEM(held, 0) == PyTuple_GET_ITEM(last.held, 0) ||
               PyTuple_GET_ITEM(held, n - 1) == PyTuple_GET_ITEM(last.held, m - 1))))
            memo_clear(&last);
    }
    self->calls++;
    result = extract_into(u, &self->kept, outer ? &self->scratch : &own, held, positions, LOG1P(n), matrix.buf,
                          last.held != NULL ? &last : NULL, outer ? &next : NULL);
    self->calls--;
    scratch_free(&own);
    if (outer) {
        Memo dropped = self->memo; /* (empty: no call inside this one keeps one) */
        self->memo = next;
        memo_clear(&dropped);
        memo_clear(&last);
    }
#undef LOG1P
done:
    if (matrix.obj) PyBuffer_Release(&matrix);
    PyMem_Free(positions);
    Py_DECREF(held);
    return result;
}

static PyTypeObject FeaturesType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "cleaner.classify._lines.Features",
    .tp_basicsize = sizeof(Features),
    .tp_dealloc = (destructor)features_dealloc,
    .tp_call = (ternaryfunc)features_call,
    .tp_methods = features_methods,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Features(masks, layout, weights, bias, limit, log1p, spec, max_chars, ngram_column): "
              "(texts, matrix) -> (bit, coverage) or None, features() of a document (a later round of the last "
              "call's reads the lines it had from that call's).",
    .tp_new = features_new,
};

/* log1p_table(size) -> bytes: log1p(0), ..., log1p(size - 1) as float64, the C library's (as math.log1p's):
 * features.log1p_values, which the classifier's features read a line's log1p from. */
static PyObject *log1p_table(PyObject *self, PyObject *arg) {
    Py_ssize_t size = PyLong_AsSsize_t(arg);
    if (size == -1 && PyErr_Occurred()) return NULL;
    if (size < 0 || size > (1 << 24)) {
        PyErr_SetString(PyExc_ValueError, "log1p_table: size out of range");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, size * (Py_ssize_t)sizeof(double));
    if (out == NULL) return NULL;
    double *values = (double *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < size; i++) values[i] = log1p((double)i);
    return out;
}

/* unfilled(size) -> bytearray: size bytes, not zeroed, for a buffer the C fills in full (the shortcut's matrix, which a
 * Features call writes every cell of where its layout lets fill cover them, else zeroes first; its log-odds, which
 * Forest.odds_above writes one a line): bytearray(size) zeroed it first, a memset of 296 bytes a line. */
static PyObject *unfilled(PyObject *self, PyObject *arg) {
    Py_ssize_t size = PyLong_AsSsize_t(arg);
    if (size == -1 && PyErr_Occurred()) return NULL;
    if (size < 0) {
        PyErr_SetString(PyExc_ValueError, "unfilled: a negative size");
        return NULL;
    }
    return PyByteArray_FromStringAndSize(NULL, size);
}

static PyMethodDef methods[] = {
    {"log1p_table", log1p_table, METH_O, "log1p_table(size) -> bytes: log1p of 0 .. size - 1, float64."},
    {"unfilled", unfilled, METH_O, "unfilled(size) -> bytearray: size bytes, not zeroed (for a buffer C fills in full)."},
    {"infos", infos, METH_VARARGS,
     "infos(texts, stopword_masks, layout) -> [(grams, row bytes, words joined)]: features._per_line."},
    {"document", document, METH_VARARGS,
     "document(infos, sizes, log1p_sizes, positions, log_lines, matrix, spec) -> (bit, coverage): features.extract."},
    {"features", features, METH_VARARGS,
     "features(texts, masks, layout, weights, bias, cache, limit, log1p, positions, log_lines, matrix, spec, "
     "max_chars, ngram_column) -> (bit, coverage) or None: features.extract and the lexical score in one call."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_lines", "The classifier's per-line features in C.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__lines(void) {
    crc_init();
#if PY_VERSION_HEX >= 0x030C0000
    if (watcher < 0 && (watcher = PyDict_AddWatcher(stops_watch)) < 0) return NULL;
#endif
    /* Latin-1's classes, foldings and special characters, and what each class adds to the counts. */
    for (Py_UCS4 ch = 0; ch < 256; ch++) {
        class_learn(ch);
        if (fold_learn(ch) < 0) return NULL;
    }
    for (unsigned c = 0; c < 512; c++) {
        unsigned starts = (c & AFTER_SPACE) && !(c & SPACE); /* a word of str.split() starts */
        counts_of[c] = (uint64_t)((c & ALPHA) != 0) | (uint64_t)((c & UPPER) != 0) << 9 |
                       (uint64_t)((c & DIGIT) != 0) << 18 | (uint64_t)((c & ALNUM) != 0) << 27 |
                       (uint64_t)((c & SPACE) != 0) << 36 | (uint64_t)starts << 45 |
                       (uint64_t)(starts && (c & UPPER)) << 54;
    }
    for (unsigned b = 0; b < 256; b++) {
        spread[b] = 0;
        for (int j = 0; j < 8; j++) spread[b] |= (uint64_t)((b >> j) & 1) << (8 * j);
    }
    for (Py_UCS4 ch = 0; ch < 256; ch++) {
        uint32_t f = folds[ch];
        int marked = (classes[ch] & DECIMAL) || strchr(",|/>-@:.", (int)ch) != NULL || ch == 0xA9 || ch == 0xBB ||
                     ch == 0xB7; /* © » · */
        latin1[ch].counts[0] = counts_of[classes[ch]];
        latin1[ch].counts[1] = counts_of[classes[ch] | AFTER_SPACE];
        latin1[ch].fold = f;
        latin1[ch].space = (classes[ch] & SPACE) != 0;
        latin1[ch].folded_class = f & FOLD_ONE ? class_of(f & ~FOLD_ONE) : 0;
        latin1[ch].special = marked && ch;
        plain[ch] = !latin1[ch].special && (f & FOLD_ONE) && (f & ~FOLD_ONE) < 0x80 &&
                            (latin1[ch].folded_class & (WORD | DECIMAL)) == WORD
                        ? (unsigned char)(f & 0x7F)
                        : 0;
        inside[ch] = latin1[ch].counts[0];
    }
    space_counts = latin1[' '].counts[0];
    /* what the scan's path for ' ' takes for granted (the classes and foldings of the running Python's) */
    if (latin1[' '].counts[1] != space_counts || latin1[' '].special || latin1[' '].fold != (FOLD_ONE | ' ') ||
        (latin1[' '].folded_class & WORD) || !latin1[' '].space) {
        PyErr_SetString(PyExc_SystemError, "_lines: ' ' is not a plain space here");
        return NULL;
    }
    if (PyType_Ready(&FeaturesType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&FeaturesType);
    if (PyModule_AddObject(m, "Features", (PyObject *)&FeaturesType) < 0) {
        Py_DECREF(&FeaturesType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

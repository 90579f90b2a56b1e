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
#include "_held.h"

/* ---- the punctuation: below U+10000 by table, the others (none, as dedup.py has it) by a list ---- */

#define MAX_OTHER 64
static unsigned char bmp_punct[0x10000];
static Py_UCS4 other_punct[MAX_OTHER];
static int n_other = 0, configured = 0;
static unsigned long generation = 0; /* configure()'s calls: the punctuation a head was made with */

static int is_punct(Py_UCS4 ch) {
    if (ch < 0x10000) return bmp_punct[ch];
    for (int k = 0; k < n_other; k++)
        if (other_punct[k] == ch) return 1;
    return 0;
}

/* The ASCII separators, by table: [0] str.split's whitespace, [1] that or the punctuation (filled
 * at import and by configure()). */
static unsigned char ascii_separator[2][0x80];

/* The same as one table a character: its fold (A-Z lowered, the rest itself) for a word character,
 * SEPARATOR for a separator, so a key's loop makes one look-up a character, not a test and a fold. */
#define SEPARATOR 0xFF
static unsigned char ascii_fold[2][0x80];

/* Whether plain_chunk's word characters ([1]: A-Z, a-z and 0-9; [0]: '!' to '~') are word characters
 * of the table (configure() can make any character punctuation), and ' ' a separator: else the
 * keys of that table are made a character at a time only. */
static int plain_ok[2];

static void fill_ascii_separators(void) {
    for (int ch = 0; ch < 0x80; ch++) {
        ascii_separator[0][ch] = Py_UNICODE_ISSPACE(ch) != 0;
        ascii_separator[1][ch] = ascii_separator[0][ch] || bmp_punct[ch];
        for (int p = 0; p < 2; p++)
            ascii_fold[p][ch] = ascii_separator[p][ch] ? SEPARATOR : (unsigned char)((unsigned)(ch - 'A') < 26u ? ch + 32 : ch);
    }
    for (int p = 0; p < 2; p++) {
        plain_ok[p] = ascii_separator[p][' '];
        for (int ch = '!'; ch <= '~'; ch++)
            if ((p == 0 || (ch >= '0' && ch <= '9') || ((unsigned)((ch | 0x20) - 'a') < 26u)) && ascii_separator[p][ch])
                plain_ok[p] = 0;
    }
}

/* A separator of _words_key's words (with punctuation) or _exact_key's (without). */
static inline int is_separator(Py_UCS4 ch, int punctuation) {
    if (ch < 0x80) return ascii_separator[punctuation != 0][ch];
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
    fill_ascii_separators();
    generation++; /* (the heads kept by the last search were made with the punctuation before) */
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

#if PY_VERSION_HEX >= 0x030D0000
/* (From 3.13 CPython's function for one character is not exported: the keys of a text that is not
 * ASCII are made by str.casefold, then split and joined.) */

/* str.casefold of text[:n] into out, room + 1 code points (fold_room's): its length, or -1 with an
 * error set. */
static Py_ssize_t casefold(PyObject *text, Py_ssize_t n, Py_UCS4 *out, Py_ssize_t room) {
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
#endif

#if defined(__SSE2__)
#include <emmintrin.h>
/* wide (16 or 8) bytes of an ASCII text whose key, from a word character on, is the bytes themselves
 * with A-Z lowered: each a word character of the plain kind (with punctuation: A-Z, a-z, 0-9; without:
 * '!' to '~') or a ' ' alone between two of them (the ' ' the key writes for that separator), the
 * first and the last a word character. Then their wide code points are written to out (which holds
 * them) and 1 given; else 0, and what was written there is garbage past the key (the caller writes
 * it over). Only where plain_ok says these are the table's word characters. (A head's or a line's
 * bytes were each a table look-up, a test and a 4-byte store: most of key_into's time, and most of
 * a document's first search.) */
static inline int plain_chunk(const Py_UCS1 *text, int punctuation, Py_UCS4 *out, int wide) {
    /* (wide 16, or 8: the low 8 bytes, the others 0, which is neither kind) */
    __m128i x = wide == 16 ? _mm_loadu_si128((const __m128i *)text) : _mm_loadl_epi64((const __m128i *)text);
    unsigned all = wide == 16 ? 0xFFFF : 0xFF, ends = wide == 16 ? 0x8001 : 0x81;
    __m128i lower = _mm_or_si128(x, _mm_set1_epi8(0x20));
    __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)), _mm_cmplt_epi8(lower, _mm_set1_epi8('z' + 1)));
    __m128i word = punctuation ? _mm_or_si128(alpha, _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
                                                                   _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1))))
                               : _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(' ')), _mm_cmplt_epi8(x, _mm_set1_epi8(0x7F)));
    unsigned words = (unsigned)_mm_movemask_epi8(word);
    unsigned spaces = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')));
    /* (a byte at or above 0x80 is negative to the signed compares: neither; the text is ASCII) */
    if (((words | spaces) & all) != all || (spaces & (spaces >> 1)) || (spaces & ends)) return 0;
    __m128i folded = _mm_or_si128(x, _mm_and_si128(alpha, _mm_set1_epi8(0x20))), zero = _mm_setzero_si128();
    __m128i low = _mm_unpacklo_epi8(folded, zero), high = _mm_unpackhi_epi8(folded, zero);
    _mm_storeu_si128((__m128i *)out, _mm_unpacklo_epi16(low, zero));
    _mm_storeu_si128((__m128i *)(out + 4), _mm_unpackhi_epi16(low, zero));
    if (wide == 16) {
        _mm_storeu_si128((__m128i *)(out + 8), _mm_unpacklo_epi16(high, zero));
        _mm_storeu_si128((__m128i *)(out + 12), _mm_unpackhi_epi16(high, zero));
    }
    return 1;
}
/* 16 bytes at a time while they are plain and room is left (room(w): whether w more code points
 * fit, read and written), then 8 once (a short line, a head's last few words). */
#define PLAIN_CHUNKS(room)                                                                            \
    if (plain) {                                                                                      \
        while ((room(16)) && plain_chunk(text + i, punctuation, out + used, 16)) {                    \
            i += 16;                                                                                  \
            used += 16;                                                                               \
        }                                                                                             \
        if ((room(8)) && plain_chunk(text + i, punctuation, out + used, 8)) {                         \
            i += 8;                                                                                   \
            used += 8;                                                                                \
        }                                                                                             \
    }
#else
#define PLAIN_CHUNKS(room)
#endif
#define WHOLE_ROOM(w) (n - i >= (w))
#define HEAD_ROOM(w) (n - i >= (w) && limit - used >= (w))

/* The key of an ASCII text[:n], straight from its bytes into out (n code points), up to its
 * first limit code points (it is made in order: the rest of the text cannot change them): ASCII
 * case folds to itself but A-Z, and neither a letter nor its fold is a separator, so folding and
 * splitting in one pass is folding and then splitting. */
static Py_ssize_t ascii_key(const Py_UCS1 *text, Py_ssize_t n, int punctuation, Py_UCS4 *out, Py_ssize_t limit) {
    const unsigned char *fold = ascii_fold[punctuation != 0];
    Py_ssize_t used = 0;
    int plain = plain_ok[punctuation != 0];
    (void)plain;
    if (limit >= n) {
        /* The whole key (it is never longer than the text: a ' ' stands for one separator or more):
         * word by word, each a run copied with A-Z lowered, one ' ' before every word but the first
         * (a whole line's exact key, most of what a document's first round costs). */
        Py_ssize_t i = 0;
        while (i < n && fold[text[i]] == SEPARATOR) i++;
        while (i < n) {
            /* (at a word's first character: 16 or 8 bytes at a time while they are plain. used <= i,
             * so w code points fit while i + w <= n) */
            PLAIN_CHUNKS(WHOLE_ROOM)
            for (unsigned char f; i < n && (f = fold[text[i]]) != SEPARATOR; i++) out[used++] = f;
            while (i < n && fold[text[i]] == SEPARATOR) i++;
            if (i < n) out[used++] = ' ';
        }
        return used;
    }
    /* Up to limit (a head): word by word too, each run copied no further than the limit (a ' ' as
     * the limit-th code point when a word ends just before it, as the key's first limit hold). */
    Py_ssize_t i = 0;
    while (i < n && fold[text[i]] == SEPARATOR) i++;
    while (i < n) {
        PLAIN_CHUNKS(HEAD_ROOM)
        Py_ssize_t stop = n - i < limit - used ? n : i + (limit - used);
        for (unsigned char f; i < stop && (f = fold[text[i]]) != SEPARATOR; i++) out[used++] = f;
        if (used >= limit) break;
        while (i < n && fold[text[i]] == SEPARATOR) i++;
        if (i < n) out[used++] = ' ';
        if (used >= limit) break;
    }
    return used;
}

#if PY_VERSION_HEX < 0x030D0000
/* " ".join(text[:n].casefold().split()) (with punctuation, the punctuation first made spaces:
 * dedup's _PUNCTUATION.sub(" ", s)) in one pass, for a text of one kind: each character's fold
 * (ASCII inline, the others by CPython's function for one character, as str.casefold does), each
 * folded code point then split: a separator ends a word, the next word starts with one ' '.
 * folded counts what casefold would have written, for the room check: room for each fold and one
 * for each character after it, never short with Unicode's data, whose case folding is stable.
 * A run of ASCII word characters is copied in one inner loop (most of a text that one curly quote
 * made 2 bytes a character). */
#define FOLD_JOIN(T)                                                                                  \
    do {                                                                                              \
        const T *t = (const T *)data;                                                                 \
        for (Py_ssize_t i = 0; i < n && used < limit; i++) {                                          \
            Py_UCS4 ch = t[i], one[3];                                                                \
            if (ch < 0x80) {                                                                          \
                unsigned char f = fold[ch];                                                           \
                if (f == SEPARATOR) {                                                                 \
                    folded++;                                                                         \
                    gap = used > 0;                                                                   \
                    continue;                                                                         \
                }                                                                                     \
                if (gap) out[used++] = ' ';                                                           \
                gap = 0;                                                                              \
                /* the run of ASCII word characters from here, each its own fold (A-Z lowered), up to \
                 * the limit: used grows with j, so used < limit while j < stop (one test a character) */ \
                Py_ssize_t j = i, stop = n - i < limit - used ? n : i + (limit - used);               \
                do {                                                                                  \
                    out[used++] = f;                                                                  \
                    j++;                                                                              \
                } while (j < stop && t[j] < 0x80 && (f = fold[t[j]]) != SEPARATOR);                   \
                folded += j - i;                                                                      \
                i = j - 1;                                                                            \
                continue;                                                                             \
            }                                                                                         \
            int count = _PyUnicode_ToFoldedFull(ch, one);                                             \
            if (count > room - folded - (n - 1 - i)) {                                                \
                too_long();                                                                           \
                return -1;                                                                            \
            }                                                                                         \
            folded += count;                                                                          \
            for (int k = 0; k < count; k++) {                                                         \
                if (is_separator(one[k], punctuation)) {                                              \
                    gap = used > 0;                                                                   \
                } else {                                                                              \
                    if (gap) out[used++] = ' ';                                                       \
                    gap = 0;                                                                          \
                    out[used++] = one[k];                                                             \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
    } while (0)

static Py_ssize_t fold_join(PyObject *text, Py_ssize_t n, int punctuation, Py_UCS4 *out, Py_ssize_t room,
                            Py_ssize_t limit) {
    const void *data = PyUnicode_DATA(text);
    const unsigned char *fold = ascii_fold[punctuation != 0];
    Py_ssize_t used = 0, folded = 0;
    int gap = 0;
    switch (PyUnicode_KIND(text)) {
    case PyUnicode_1BYTE_KIND: FOLD_JOIN(Py_UCS1); break;
    case PyUnicode_2BYTE_KIND: FOLD_JOIN(Py_UCS2); break;
    default: FOLD_JOIN(Py_UCS4);
    }
    return used < limit ? used : limit;
}
#endif

/* The key of text[:n] into out, which holds room + 1 code points (fold_room's room), up to its
 * first limit code points: its length, or -1 with an error set. */
static Py_ssize_t key_into(PyObject *text, Py_ssize_t n, int punctuation, Py_UCS4 *out, Py_ssize_t room,
                           Py_ssize_t limit) {
    if (PyUnicode_IS_ASCII(text)) return ascii_key(PyUnicode_1BYTE_DATA(text), n, punctuation, out, limit);
#if PY_VERSION_HEX < 0x030D0000
    return fold_join(text, n, punctuation, out, room, limit);
#else
    Py_ssize_t size = casefold(text, n, out, room);
    if (size < 0) return -1;
    size = join_words(out, size, punctuation);
    return size < limit ? size : limit;
#endif
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
    Py_ssize_t size = key_into(text, n, punctuation, *key, room, PY_SSIZE_T_MAX);
    if (size < 0) {
        PyMem_Free(*key);
        *key = NULL;
    }
    return size;
}

/* The keys of text[:cut] for each text (or each whose only[i] is set: the others' are left empty),
 * each up to its first limit code points, in one block: keys[start[i]:start[i] + size[i]]. One
 * allocation a call for the keys, one for where they are, not one a line. With hashes, each key's
 * hash_key too (the heads: round_search's table of them, and the memo's, below). */
typedef struct {
    Py_UCS4 *keys;
    Py_ssize_t *start, *size; /* (one allocation: size is start + count) */
    uint64_t *hash;           /* NULL unless asked for */
} Keys;

static void free_keys(Keys *keys) {
    PyMem_Free(keys->keys);
    PyMem_Free(keys->start);
    PyMem_Free(keys->hash);
    keys->keys = NULL;
    keys->start = keys->size = NULL;
    keys->hash = NULL;
}

/* A key's hash, of its size and its first and last 16 code points: equal keys are told apart
 * from colliding ones by comparing them whole, and the hash stays cheap for long lines. Two code
 * points a step (a head is 40 of them: half the multiplies), the odd one last on its own. */
static uint64_t hash_key(const Py_UCS4 *key, Py_ssize_t size) {
    uint64_t hash = (1469598103934665603ULL ^ (uint64_t)size) * 1099511628211ULL; /* FNV-1a */
    Py_ssize_t head = size < 32 ? size : 16, i;
    for (i = 0; i + 1 < head; i += 2)
        hash = (hash ^ ((uint64_t)key[i] << 32 | key[i + 1])) * 0x9E3779B97F4A7C15ULL; /* (odd: a bijection) */
    if (i < head) hash = (hash ^ key[i]) * 0x9E3779B97F4A7C15ULL;
    for (i = size < 32 ? size : size - 16; i + 1 < size; i += 2)
        hash = (hash ^ ((uint64_t)key[i] << 32 | key[i + 1])) * 0x9E3779B97F4A7C15ULL;
    if (i < size) hash = (hash ^ key[i]) * 0x9E3779B97F4A7C15ULL;
    return hash ^ hash >> 32; /* (the table's slot is the low bits: the high ones mixed in) */
}

/* ---- the heads of the last search, kept for the next ----
 * A later round of a document searches mostly the same str objects again (the lines the other
 * steps left, their texts not rewritten), and prefixes() after a round's repeats are dropped
 * searches the texts that round just did, less the dropped: on a real page most heads were made
 * by the search before. A head is a function of its text, of cut and limit, and of the
 * punctuation (configure()'s generation), so a text that is the very object the last search met
 * takes its head and hash from there. The last search's texts are held by the memo (no other str
 * can take one's address while it is kept), and a search takes the memo out of its static for
 * its length (a finalizer a search runs can start another search, on another thread: each one
 * reads a memo of its own, or none). The memo is looked in only when the caller says the texts
 * can be those of the search before (a later round of its document): a document's first search
 * would find none there, and each look is a read of memory the steps since have pushed out of
 * the caches; its table of addresses is made when a text is not where memo_lookup looks first.
 * A search whose texts the last one all met (a later round's rows are the last round's less those
 * the steps dropped) takes its heads without a copy, and their firsts (head_firsts') from the
 * memo's: memo_take; one over the very texts (prefixes() after a round whose repeats dropped
 * nothing) takes them as they are. */
typedef struct {
    PyObject *texts;          /* the tuple searched, held; NULL: no memo */
    Keys heads;               /* with their hashes */
    Py_ssize_t *table, slots; /* each text's index, by the text's address (-1: empty); NULL until wanted */
    Py_ssize_t cut, limit;
    unsigned long generation;
    Py_ssize_t *first; /* head_firsts' of the heads, when the search kept them (NULL: none) */
} Memo;

#define NO_KEYS ((Keys){NULL, NULL, NULL, NULL})
#define NO_MEMO ((Memo){NULL, NO_KEYS, NULL, 0, 0, 0, 0, NULL})

static Memo last_search; /* the last search's, when it kept one */
/* The exact keys (repeats_in's, whole texts, no punctuation: a function of the text alone) the
 * last call that made keys made, kept the same way for a later round of its document (its screen
 * meets the texts that share heads again, and their keys were made in the round before): of the
 * texts it wanted only (a few of a document's), so that a later call reads it in order. */
static Memo last_exact;

static void memo_free(Memo *memo) {
    Py_CLEAR(memo->texts);
    free_keys(&memo->heads);
    PyMem_Free(memo->table);
    memo->table = NULL;
    PyMem_Free(memo->first);
    memo->first = NULL;
}

/* Whether the memo's texts are the very texts of the tuple, in its order (prefixes() after a
 * round whose repeats dropped nothing searches them again: most of a real page's prefixes()). */
static int memo_same_texts(const Memo *memo, PyObject *texts) {
    Py_ssize_t count = PyTuple_GET_SIZE(texts);
    if (memo->texts == NULL || PyTuple_GET_SIZE(memo->texts) != count) return 0;
    for (Py_ssize_t i = 0; i < count; i++)
        if (PyTuple_GET_ITEM(memo->texts, i) != PyTuple_GET_ITEM(texts, i)) return 0;
    return 1;
}

static inline size_t address_slot(const void *p, Py_ssize_t slots) {
    return (size_t)((((uint64_t)(uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ULL) >> 29) & (size_t)(slots - 1);
}

/* The index in the memo of the very text given, or -1 (with add, after putting index i there). */
static Py_ssize_t memo_find(const Memo *memo, PyObject *text, Py_ssize_t add) {
    for (size_t s = address_slot(text, memo->slots);; s = (s + 1) & (size_t)(memo->slots - 1)) {
        Py_ssize_t m = memo->table[s];
        if (m < 0) {
            if (add >= 0) memo->table[s] = add;
            return -1;
        }
        if (PyTuple_GET_ITEM(memo->texts, m) == text) return m;
    }
}

/* The memo's table made: 0, or -1 when there is no room for it (no error set: the memo only
 * spares work). */
static int memo_table(Memo *memo) {
    Py_ssize_t count = PyTuple_GET_SIZE(memo->texts), slots = 2;
    while (slots < 2 * count) slots *= 2;
    if ((memo->table = PyMem_Malloc(slots * sizeof(Py_ssize_t))) == NULL) return -1;
    memo->slots = slots;
    for (Py_ssize_t s = 0; s < slots; s++) memo->table[s] = -1;
    for (Py_ssize_t i = 0; i < count; i++) memo_find(memo, PyTuple_GET_ITEM(memo->texts, i), i); /* (a text twice: its first) */
    return 0;
}

/* How far past the text after the last one found memo_lookup reads in order before the table: a
 * later round's texts are the last search's less the lines the other steps dropped, most of them
 * a few in a row. */
#define MEMO_AHEAD 8

/* The index in the memo of the very text given, or -1. Looked first where the text after the
 * last one found there is, and the few after it (a later search's texts are most of the last
 * one's, in its order: the memo is then read in order, not a slot of the table here and there for
 * each), else in the table, made on the first such look. *next: that index, 0 at the start of a
 * search. */
static Py_ssize_t memo_lookup(Memo *memo, PyObject *text, Py_ssize_t *next) {
    Py_ssize_t m = -1, n = PyTuple_GET_SIZE(memo->texts);
    Py_ssize_t stop = n - *next > MEMO_AHEAD ? *next + MEMO_AHEAD : n;
    for (Py_ssize_t k = *next; k < stop; k++)
        if (PyTuple_GET_ITEM(memo->texts, k) == text) {
            m = k;
            break;
        }
    if (m < 0 && (memo->table != NULL || memo_table(memo) == 0)) m = memo_find(memo, text, -1);
    if (m >= 0) *next = m + 1;
    return m;
}

/* The keys (see Keys) of the texts, or of those whose only[i] is set; with hashed, their hashes
 * too; then (NULL, or a memo of keys made with this cut, limit and punctuation, with their hashes
 * when hashed): where a text whose key is wanted is one of its texts, that key (and hash) is
 * copied from it. 0, or -1 with an error set (what it allocated freed). */
static int all_keys(PyObject *texts, Py_ssize_t cut, int punctuation, Py_ssize_t limit, const unsigned char *only,
                    int hashed, Memo *then, Keys *keys) {
    Py_ssize_t count = PyTuple_GET_SIZE(texts), total = 0, next = 0;
    keys->keys = NULL;
    keys->hash = NULL;
    keys->start = PyMem_Malloc((count ? 2 * count : 1) * sizeof(Py_ssize_t));
    keys->size = NULL;
    if (hashed) keys->hash = PyMem_Malloc((count ? count : 1) * sizeof(uint64_t));
    if (keys->start == NULL || (hashed && keys->hash == NULL)) {
        PyErr_NoMemory();
        goto fail;
    }
    keys->size = keys->start + count; /* (after the check: no arithmetic on NULL) */
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *text = PyTuple_GET_ITEM(texts, i);
        Py_ssize_t m = then == NULL || (only != NULL && !only[i]) ? -1 : memo_lookup(then, text, &next), room;
        if (m >= 0) {
            room = then->heads.size[m];
        } else {
            Py_ssize_t n = only != NULL && !only[i] ? 0 : PyUnicode_GET_LENGTH(text);
            if ((room = fold_room(text, n < cut ? n : cut)) < 0) goto fail;
        }
        if (total > (PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(Py_UCS4)) - room - 1) {
            PyErr_NoMemory();
            goto fail;
        }
        keys->start[i] = total;
        keys->size[i] = m >= 0 ? -1 - m : room; /* (the memo's index, or its room, until the key is made) */
        total += room + 1;
    }
    keys->keys = PyMem_Malloc((total ? total : 1) * sizeof(Py_UCS4));
    if (keys->keys == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_UCS4 *key = keys->keys + keys->start[i];
        Py_ssize_t size = keys->size[i];
        if (size < 0) {
            Py_ssize_t m = -1 - size;
            size = then->heads.size[m];
            memcpy(key, then->heads.keys + then->heads.start[m], size * sizeof(Py_UCS4));
            keys->size[i] = size;
            if (hashed) keys->hash[i] = then->heads.hash[m];
            continue;
        }
        if (only != NULL && !only[i]) { /* (its size 0) */
            if (hashed) keys->hash[i] = hash_key(key, 0);
            continue;
        }
        PyObject *text = PyTuple_GET_ITEM(texts, i);
        Py_ssize_t n = PyUnicode_GET_LENGTH(text);
        if ((size = key_into(text, n < cut ? n : cut, punctuation, key, size, limit)) < 0) goto fail;
        keys->size[i] = size;
        if (hashed) keys->hash[i] = hash_key(key, size);
    }
    return 0;
fail:
    free_keys(keys);
    return -1;
}

/* The heads of texts each of which the memo's search met (a later round's: the texts the other
 * steps left, in their order), taken from the memo without a copy: its block of keys becomes
 * theirs (each text's key where the memo has it; the dropped texts' keys stay there unread), and
 * their firsts follow from the memo's firsts (two texts have one head when their texts in the memo
 * had one first). 1 when taken (*first: PyMem, the caller's; the memo's block is the heads' now),
 * 0 when a text is not the memo's (nothing taken), -1 with an error set. */
static int memo_take(Memo *then, PyObject *texts, Keys *heads, Py_ssize_t **first) {
    Py_ssize_t count = PyTuple_GET_SIZE(texts), n_then = PyTuple_GET_SIZE(then->texts), next = 0;
    Keys taken = NO_KEYS;
    taken.start = PyMem_Malloc((count ? 2 * count : 1) * sizeof(Py_ssize_t));
    taken.hash = PyMem_Malloc((count ? count : 1) * sizeof(uint64_t));
    Py_ssize_t *firsts = PyMem_Malloc((count ? count : 1) * sizeof(Py_ssize_t));
    Py_ssize_t *met = PyMem_Malloc((n_then ? n_then : 1) * sizeof(Py_ssize_t)); /* each head's first text here */
    int status = -1;
    if (taken.start == NULL || taken.hash == NULL || firsts == NULL || met == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    taken.size = taken.start + count;
    for (Py_ssize_t m = 0; m < n_then; m++) met[m] = -1;
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t m = memo_lookup(then, PyTuple_GET_ITEM(texts, i), &next);
        if (m < 0) {
            status = 0;
            goto done;
        }
        taken.start[i] = then->heads.start[m];
        taken.size[i] = then->heads.size[m];
        taken.hash[i] = then->heads.hash[m];
        Py_ssize_t head = then->first[m] < 0 ? m : then->first[m];
        firsts[i] = met[head];
        if (met[head] < 0) met[head] = i;
    }
    taken.keys = then->heads.keys;
    then->heads.keys = NULL;
    *heads = taken;
    taken = NO_KEYS;
    *first = firsts;
    firsts = NULL;
    status = 1;
done:
    free_keys(&taken);
    PyMem_Free(firsts);
    PyMem_Free(met);
    return status;
}

/* An open-addressing table of key indices (a power of two of slots, at least twice the keys),
 * all empty; NULL with an error set. */
static Py_ssize_t *table_new(Py_ssize_t count, Py_ssize_t *slots) {
    Py_ssize_t size = 2;
    while (size < 2 * count) size *= 2;
    Py_ssize_t *table = PyMem_Malloc(size * sizeof(Py_ssize_t));
    if (table == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t s = 0; s < size; s++) table[s] = -1;
    *slots = size;
    return table;
}

/* The index of the first key in the table equal to key i, or -1 after putting i in it. */
static Py_ssize_t seen_or_add(Py_ssize_t *table, Py_ssize_t slots, const Keys *keys, Py_ssize_t i) {
    const Py_UCS4 *key = keys->keys + keys->start[i];
    Py_ssize_t size = keys->size[i];
    uint64_t hash = keys->hash != NULL ? keys->hash[i] : hash_key(key, size);
    for (size_t s = (size_t)hash & (size_t)(slots - 1);; s = (s + 1) & (size_t)(slots - 1)) {
        Py_ssize_t j = table[s];
        if (j < 0) {
            table[s] = i;
            return -1;
        }
        /* (the hashes first, when made: most heads are limit long, and a slot's other keys differ) */
        if (keys->size[j] == size && (keys->hash == NULL || keys->hash[j] == hash) &&
            !memcmp(keys->keys + keys->start[j], key, size * sizeof(Py_UCS4)))
            return j;
    }
}

/* Whether two keys of min_chars or more (of those whose only[i] is set) are the same: 1, 0, or -1
 * with an error set. */
static int any_shared(const Keys *keys, Py_ssize_t count, Py_ssize_t min_chars, const unsigned char *only) {
    Py_ssize_t slots;
    Py_ssize_t *table = table_new(count, &slots);
    if (table == NULL) return -1;
    int found = 0;
    for (Py_ssize_t i = 0; i < count && !found; i++)
        found = only[i] && keys->size[i] >= min_chars && seen_or_add(table, slots, keys, i) >= 0;
    PyMem_Free(table);
    return found;
}

/* ---- a screen for repeats_in: a fingerprint of each text's exact key, made without the key ---- */

/* Of a key's code points above U+0020 (all but its ' ' and the controls str.split keeps): their
 * sum, their count and their XOR. Equal keys have equal prints; a print passes over the key's word
 * breaks and order, so two unequal keys can share one (their texts then go the whole way, keys made
 * and compared): most documents' texts share none, and no key is made for them. */
typedef struct {
    uint64_t sum;
    uint64_t count;
    uint64_t xor;
} Print;

#define ONES_1 0x0101010101010101ULL
#define ONES_2 0x0001000100010001ULL

/* Eight bytes (four 2-byte characters) that are all below U+0080, lanes of ONES: each lane above
 * ' ' taken, A-Z lowered (a lane's top bit set by adding a constant is a comparison with it: no
 * lane is at or above 0x80, so no carry crosses into the next). The lanes' sum by one multiply
 * (four 16-bit lanes of at most 0xFE: their running sums never carry past a lane), and so is
 * their count: keep >> 7 is 1 in each lane taken, and its running sums (8 at most) reach the top
 * lane alone. (Not __builtin_popcountll: without -mpopcnt, which the wheels cannot assume, that is
 * a call into libgcc for every block.) */
#define PRINT_BLOCK(x, ONES, p, lanes)                                                             \
    do {                                                                                           \
        uint64_t keep = ((x) + 0x5F * (ONES)) & 0x80 * (ONES);                                     \
        uint64_t upper = ((x) + 0x3F * (ONES)) & ~((x) + 0x25 * (ONES)) & 0x80 * (ONES);            \
        uint64_t v = ((x) + (upper >> 2)) & ((keep >> 7) * 0xFF);                                  \
        uint64_t pairs = (ONES) == ONES_1 ? (v & 0x00FF00FF00FF00FFULL) + ((v >> 8) & 0x00FF00FF00FF00FFULL) : v; \
        (p)->sum += (pairs * ONES_2) >> 48;                                                        \
        (p)->count += (((keep) >> 7) * (ONES)) >> ((ONES) == ONES_1 ? 56 : 48);                    \
        (lanes) ^= v;                                                                              \
    } while (0)

/* One code point of the text into the print: its fold's code points that are no separator and
 * above ' ' (as the key holds them). 0, or -1 (no fold known here: from 3.13, past ASCII). */
static inline int print_char(Py_UCS4 ch, Print *p) {
    if (ch < 0x80) {
        if (ch > 0x20) {
            ch = ch - 'A' < 26 ? ch + 32 : ch;
            p->sum += ch;
            p->count++;
            p->xor ^= ch;
        }
        return 0;
    }
#if PY_VERSION_HEX < 0x030D0000
    Py_UCS4 one[3];
    int count = _PyUnicode_ToFoldedFull(ch, one);
    for (int k = 0; k < count; k++)
        if (one[k] > 0x20 && !is_separator(one[k], 0)) {
            p->sum += one[k];
            p->count++;
            p->xor ^= one[k];
        }
    return 0;
#else
    return -1;
#endif
}

/* The blocks of a text of 1 or 2 bytes a character (8 bytes each; a block with a character at or
 * above U+0080, WIDE, character by character), then its tail. */
#define PRINT_LOOP(T, ONES, WIDE)                                                                  \
    do {                                                                                           \
        const T *t = (const T *)data;                                                              \
        const Py_ssize_t per = (Py_ssize_t)(8 / sizeof(T));                                        \
        for (; i + per <= n; i += per) {                                                           \
            uint64_t x;                                                                            \
            memcpy(&x, t + i, 8);                                                                  \
            if (!(x & (WIDE) * (ONES))) {                                                          \
                PRINT_BLOCK(x, ONES, p, lanes);                                                    \
                continue;                                                                          \
            }                                                                                      \
            for (Py_ssize_t k = 0; k < per; k++)                                                   \
                if (print_char(t[i + k], p) < 0) return -1;                                        \
        }                                                                                          \
        for (; i < n; i++)                                                                         \
            if (print_char(t[i], p) < 0) return -1;                                                \
    } while (0)

/* The print of a text's exact key: 0, or -1 when it cannot be made here (no error set). */
static int print_of(PyObject *text, Print *p) {
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0;
    int kind = PyUnicode_KIND(text);
    uint64_t lanes = 0; /* the blocks' XOR, lane by lane */
    memset(p, 0, sizeof(*p));
    if (kind == PyUnicode_1BYTE_KIND) {
        PRINT_LOOP(Py_UCS1, ONES_1, 0x80);
    } else if (kind == PyUnicode_2BYTE_KIND) {
        PRINT_LOOP(Py_UCS2, ONES_2, 0xFF80);
    } else {
        const Py_UCS4 *t = data;
        for (; i < n; i++)
            if (print_char(t[i], p) < 0) return -1;
    }
    /* the lanes' XOR folded into one: 8 bytes, or 4 2-byte lanes */
    lanes ^= lanes >> 32;
    lanes ^= lanes >> 16;
    if (kind == PyUnicode_1BYTE_KIND) lanes ^= lanes >> 8;
    p->xor ^= lanes & (kind == PyUnicode_1BYTE_KIND ? 0xFF : 0xFFFF);
    return 0;
}

/* A print's slot in a table of slots (a power of two). */
static size_t print_slot(const Print *p, Py_ssize_t slots) {
    uint64_t hash = (p->sum * 0x9E3779B97F4A7C15ULL) ^ (p->count * 0xC2B2AE3D27D4EB4FULL) ^ p->xor;
    return (size_t)(hash ^ hash >> 29) & (size_t)(slots - 1);
}

/* Whether a text's exact key can be min_chars long or more (fold_room's bound: the key is never
 * longer). */
static int can_reach(PyObject *text, Py_ssize_t min_chars) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (min_chars <= 0) return 1;
    if (PyUnicode_IS_ASCII(text)) return n >= min_chars;
    /* times * n >= min_chars, times 2 or 3: n >= ceil(min_chars / times), which is n > (min_chars - 1) / times
     * (min_chars >= 1), each a division by a constant (a multiply: a division by a variable, times, was
     * an idiv of some 40 cycles for every text of a round's screen) */
    return n > (PyUnicode_KIND(text) == PyUnicode_1BYTE_KIND ? (min_chars - 1) / 2 : (min_chars - 1) / 3);
}

/* Whether two of the texts whose key can be min_chars long or more (can_reach), or of those only
 * whose only[i] is set (head_screen's: they include every such text that can share its key),
 * share a print: 0 when none do (then no two share a key of min_chars or more, and repeats_in has
 * None to give without a key made), 1 when some do or a print cannot be made here (the keys are to
 * be made and compared), -1 with an error set. */
static int prints_meet(PyObject *texts, Py_ssize_t min_chars, const unsigned char *only) {
    Py_ssize_t count = PyTuple_GET_SIZE(texts), slots;
    Print *prints = PyMem_Malloc((count ? count : 1) * sizeof(Print));
    Py_ssize_t *table = prints == NULL ? NULL : table_new(count, &slots);
    if (table == NULL) {
        if (prints == NULL) PyErr_NoMemory();
        PyMem_Free(prints);
        return -1;
    }
    int met = 0;
    for (Py_ssize_t i = 0; i < count && !met; i++) {
        PyObject *text = PyTuple_GET_ITEM(texts, i);
        if (only != NULL ? !only[i] : !can_reach(text, min_chars)) continue;
        if (print_of(text, &prints[i]) < 0) {
            met = 1;
            break;
        }
        for (size_t s = print_slot(&prints[i], slots);; s = (s + 1) & (size_t)(slots - 1)) {
            Py_ssize_t j = table[s];
            if (j < 0) {
                table[s] = i;
                break;
            }
            if (prints[j].sum == prints[i].sum && prints[j].count == prints[i].count && prints[j].xor == prints[i].xor) {
                met = 1;
                break;
            }
        }
    }
    PyMem_Free(table);
    PyMem_Free(prints);
    return met;
}

/* The wanted texts' exact keys (repeats_in's found) kept as last_exact, its block taken (found is
 * left without it); the memo a call made meanwhile is let go. Nothing kept when there is no room
 * (the memo only spares work: no error is left set). */
static void keep_exact(PyObject *texts, const unsigned char *want, Keys *found) {
    Py_ssize_t count = PyTuple_GET_SIZE(texts), wanted = 0;
    for (Py_ssize_t i = 0; i < count; i++) wanted += want[i];
    PyObject *kept = PyTuple_New(wanted);
    Keys keys = {found->keys, PyMem_Malloc((wanted ? 2 * wanted : 1) * sizeof(Py_ssize_t)), NULL, NULL};
    if (kept == NULL || keys.start == NULL) {
        PyErr_Clear();
        Py_XDECREF(kept);
        PyMem_Free(keys.start);
        return;
    }
    keys.size = keys.start + wanted;
    for (Py_ssize_t i = 0, k = 0; i < count; i++) {
        if (!want[i]) continue;
        PyTuple_SET_ITEM(kept, k, Py_NewRef(PyTuple_GET_ITEM(texts, i)));
        keys.start[k] = found->start[i];
        keys.size[k] = found->size[i];
        k++;
    }
    found->keys = NULL;
    Memo other = last_exact;
    last_exact = (Memo){kept, keys, NULL, 0, PY_SSIZE_T_MAX, PY_SSIZE_T_MAX, 0, NULL};
    memo_free(&other);
}

/* dedup._shared of a tuple of str: None when no two texts share a key of min_chars characters or
 * more (most documents: no Python object is made for them), else each text's _exact_key when two
 * texts or more share it and it is min_chars long (None for the others), and the keys of min_chars
 * or more that two texts or more share, each with the indices of its texts, in the order of each
 * key's first text (as a dict filled in text order and then filtered keeps them). only: NULL, or
 * the texts that alone can share a key (head_screen's), screened and keyed alone. */
static PyObject *repeats_in(PyObject *texts, Py_ssize_t min_chars, const unsigned char *only, int again) {
    int met = prints_meet(texts, min_chars, only);
    if (met <= 0) return met < 0 ? NULL : Py_NewRef(Py_None);
    Py_ssize_t count = PyTuple_GET_SIZE(texts);
    PyObject *keys = NULL, *groups = NULL, *shared = NULL, *result = NULL;
    Keys found = {NULL, NULL, NULL, NULL};
    /* Keys are made for the texts that can share one (only's, or those whose key can be min_chars
     * long): the others' are None in what is given, as no other text has them. */
    unsigned char *want = PyMem_Malloc(count ? count : 1);
    if (want == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++)
        want[i] = (unsigned char)(only != NULL ? only[i] : can_reach(PyTuple_GET_ITEM(texts, i), min_chars));
    /* (the exact keys the last such call made, looked in on a later round: see last_exact) */
    Memo then = last_exact;
    last_exact = NO_MEMO;
    if (!again) memo_free(&then);
    int made = all_keys(texts, PY_SSIZE_T_MAX, 0, PY_SSIZE_T_MAX, want, 0, then.texts != NULL ? &then : NULL, &found);
    memo_free(&then);
    if (made < 0) goto done;
    int any = any_shared(&found, count, min_chars, want);
    if (any <= 0) {
        if (any == 0) result = Py_NewRef(Py_None);
        goto done;
    }
    keys = PyList_New(count);
    groups = PyDict_New();
    if (keys == NULL || groups == NULL) goto done;
    for (Py_ssize_t i = 0; i < count; i++) PyList_SET_ITEM(keys, i, Py_NewRef(Py_None));
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t size = found.size[i];
        if (!want[i] || size < min_chars) continue;
        PyObject *key = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, found.keys + found.start[i], size);
        if (key == NULL) goto done;
        PyObject *where = PyDict_GetItemWithError(groups, key), *index;
        if (where == NULL) {
            if (PyErr_Occurred()) {
                Py_DECREF(key);
                goto done;
            }
            where = PyList_New(0);
            int stored = where == NULL ? -1 : PyDict_SetItem(groups, key, where);
            Py_XDECREF(where);
            if (stored < 0) {
                Py_DECREF(key);
                goto done;
            }
        }
        Py_DECREF(key); /* (the dict holds the first of each) */
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
    while (PyDict_Next(groups, &pos, &key, &where)) {
        if (PyList_GET_SIZE(where) < 2) continue;
        if (PyDict_SetItem(shared, key, where) < 0) goto done;
        /* (each text of a shared key given it; the indices are the list's own ints, below count) */
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(where); k++) {
            Py_ssize_t i = PyLong_AsSsize_t(PyList_GET_ITEM(where, k));
            if (i < 0 || i >= count) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_SystemError, "a group's index out of range");
                goto done;
            }
            if (PyList_SetItem(keys, i, Py_NewRef(key)) < 0) goto done;
        }
    }
    result = PyTuple_Pack(2, keys, shared);
done:
    if (found.keys != NULL && result != NULL) keep_exact(texts, want, &found); /* (on success: no error set) */
    PyMem_Free(want);
    free_keys(&found);
    Py_XDECREF(keys);
    Py_XDECREF(groups);
    Py_XDECREF(shared);
    return result;
}

static PyObject *screen(PyObject *self, PyObject *args) {
    PyObject *list;
    Py_ssize_t min_chars;
    if (!PyArg_ParseTuple(args, "O!n", &PyList_Type, &list, &min_chars)) return NULL;
    PyObject *texts = held_texts(list);
    if (texts == NULL) return NULL;
    int met = prints_meet(texts, min_chars, NULL);
    Py_DECREF(texts);
    return met < 0 ? NULL : PyBool_FromLong(met);
}

static PyObject *repeats(PyObject *self, PyObject *args) {
    PyObject *list;
    Py_ssize_t min_chars;
    if (!PyArg_ParseTuple(args, "O!n", &PyList_Type, &list, &min_chars)) return NULL;
    PyObject *texts = held_texts(list);
    if (texts == NULL) return NULL;
    PyObject *found = repeats_in(texts, min_chars, NULL, 0);
    Py_DECREF(texts);
    return found;
}

/* For each head, the index of the first text with the same head, or -1 for that first text itself,
 * into first (count of them): 0, or -1 with an error set. */
static int head_firsts(const Keys *heads, Py_ssize_t count, Py_ssize_t *first) {
    Py_ssize_t slots;
    Py_ssize_t *table = table_new(count, &slots);
    if (table == NULL) return -1;
    for (Py_ssize_t i = 0; i < count; i++) first[i] = seen_or_add(table, slots, heads, i);
    PyMem_Free(table);
    return 0;
}

/* Whether text i can be an echo (_prefixes: its head min_chars long, or the text longer than cut). */
static int can_echo(const Keys *heads, PyObject *texts, Py_ssize_t i, Py_ssize_t min_chars, Py_ssize_t cut) {
    return heads->size[i] >= min_chars || PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(texts, i)) > cut;
}

/* dedup._echoes: whether a text that can be an echo has the head of another text anywhere (every
 * head counts as a partner; a head met again counts when it or the first text of that head can be
 * an echo, as _echoes keeps the first of each). When none has, no text is dropped as an echo among
 * these texts or any of them in their order (the pairs _prefixes looks at are among these). */
static int echoes_of(const Keys *heads, const Py_ssize_t *first, PyObject *texts, Py_ssize_t min_chars,
                     Py_ssize_t cut) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(texts); i++)
        if (first[i] >= 0 && (can_echo(heads, texts, i, min_chars, cut) || can_echo(heads, texts, first[i], min_chars, cut)))
            return 1;
    return 0;
}

/* The screen that spares repeats_in most texts' prints, from the heads _prefixes makes anyway (the
 * words keys of text[:cut], up to limit code points). Two texts of one exact key have one words
 * key (dedup._words_key is the exact key with its punctuation made spaces and its words joined
 * again: a function of the exact key); and a text's head is its words key's first limit code
 * points when the text is no longer than cut, or when its head is limit long (the key of
 * text[:cut] starts the key of the text: folding, then splitting, goes character by character).
 * So two such texts ("sure" ones) that share their exact key share their head. Sets only[i] for
 * the texts whose key can be min_chars long (can_reach) that share their head with another such:
 * the only texts that can share a key of min_chars or more. Gives how many there are; -1 when a
 * text whose key can be min_chars long is not sure (only is then not filled: every text is to be
 * screened; rare: a long text with few words in its first cut characters). group: count bytes. */
static Py_ssize_t head_screen(const Keys *heads, const Py_ssize_t *first, PyObject *texts, Py_ssize_t min_chars,
                              Py_ssize_t cut, Py_ssize_t limit, unsigned char *only, unsigned char *group) {
    Py_ssize_t count = PyTuple_GET_SIZE(texts), met = 0;
    memset(group, 0, count);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *text = PyTuple_GET_ITEM(texts, i);
        only[i] = (unsigned char)can_reach(text, min_chars);
        if (!only[i]) continue;
        if (PyUnicode_GET_LENGTH(text) > cut && heads->size[i] != limit) return -1;
        /* (the texts of each head counted at its first text, up to 2) */
        Py_ssize_t root = first[i] < 0 ? i : first[i];
        if (group[root] < 2) group[root]++;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        only[i] = only[i] && group[first[i] < 0 ? i : first[i]] >= 2;
        met += only[i];
    }
    return met;
}

/* dedup._prefixes, given the heads (the keys of text[:cut] up to min_chars code points, as
 * round_search makes them) and their firsts (head_firsts': two texts have one head when they have
 * one first, so heads are compared without reading them): the indices of the texts to drop, in order. A text whose head is
 * min_chars long, or that is longer than cut, goes when a text at i+1, i-1, i+2 or i-2 (the first
 * such) has the same head and a full _words_key that is longer than its own and starts with it
 * (its own at least min_chars long). Full keys are folded only for such neighbours, once each. */
static PyObject *prefix_drops(PyObject *texts, const Keys *heads, const Py_ssize_t *first, Py_ssize_t min_chars,
                              Py_ssize_t cut) {
    Py_ssize_t count = PyTuple_GET_SIZE(texts);
    PyObject *out = PyList_New(0);
    Py_UCS4 **fulls = PyMem_Calloc(count ? count : 1, sizeof(Py_UCS4 *));
    Py_ssize_t *full_size = PyMem_Calloc(count ? count : 1, sizeof(Py_ssize_t));
    if (out == NULL || fulls == NULL || full_size == NULL) {
        if (out != NULL) PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < count; i++) full_size[i] = -1;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (heads->size[i] < min_chars && PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(texts, i)) <= cut) continue;
        Py_ssize_t near[4] = {i + 1, i - 1, i + 2, i - 2}, mine = first[i] < 0 ? i : first[i];
        for (int k = 0; k < 4; k++) {
            Py_ssize_t j = near[k];
            if (j < 0 || j >= count || (first[j] < 0 ? j : first[j]) != mine) continue;
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
    for (Py_ssize_t i = 0; i < count && fulls; i++)
        if (fulls[i] != NULL) PyMem_Free(fulls[i]); /* (most texts had none made: no call for them) */
    PyMem_Free(fulls);
    PyMem_Free(full_size);
    return out;
}

/* The search of a round (dedup_round's, prefixes()'s) over a tuple of str, after the checks of
 * prefix_search_checks: the heads made once, for the echoes and, when repeats is not NULL, for
 * the screen of the repeats too. *repeats (when asked): repeats_in(texts, min_chars), the prints
 * screened only among the texts head_screen leaves (none: None without a print). *drops:
 * prefix_drops when *repeats is None or not asked, else None. *echoes (when not NULL): echoes_of.
 * again: whether the texts can be the last search's (its memo is looked in: see Memo). 0, or -1
 * with an error set (nothing given). */
static int round_search(PyObject *texts, Py_ssize_t min_chars, Py_ssize_t prefix_min_chars, int again,
                        PyObject **repeats, PyObject **drops, int *echoes) {
    Py_ssize_t count = PyTuple_GET_SIZE(texts);
    /* (a cut past every text's length, as text[:cut] takes it, when 4 * min_chars is too big) */
    Py_ssize_t cut = prefix_min_chars > PY_SSIZE_T_MAX / 4 ? PY_SSIZE_T_MAX : 4 * prefix_min_chars;
    Keys heads;
    PyObject *found = NULL;
    Py_ssize_t *first = NULL;
    unsigned char *only = NULL;
    int status = -1;
    *drops = NULL;
    if (repeats != NULL) *repeats = NULL;
    /* The heads: the keys of text[:cut] up to prefix_min_chars code points (the rest is not looked
     * at), those of the last search's texts from its memo (taken: see Memo). */
    Memo then = last_search;
    unsigned long made_in = generation;
    last_search = NO_MEMO;
    if (!again || then.texts == NULL || then.cut != cut || then.limit != prefix_min_chars || then.generation != made_in)
        memo_free(&then); /* (before the heads are made: their blocks can be its own) */
    if (then.first != NULL && memo_same_texts(&then, texts)) {
        /* the very texts of the last search: its heads and their firsts are these texts' own */
        heads = then.heads;
        first = then.first;
        then.heads = NO_KEYS;
        then.first = NULL;
        memo_free(&then);
    } else {
        /* (texts all the last search's: its heads and firsts, taken; else the heads made, those of
         * its texts copied) */
        int made = then.first != NULL ? memo_take(&then, texts, &heads, &first) : 0;
        if (made == 0) made = all_keys(texts, cut, 1, prefix_min_chars, NULL, 1, then.texts != NULL ? &then : NULL, &heads);
        memo_free(&then);
        if (made < 0) return -1;
        if (first == NULL) {
            first = PyMem_Malloc((count ? count : 1) * sizeof(Py_ssize_t));
            if (first == NULL) {
                PyErr_NoMemory();
                goto done;
            }
            if (head_firsts(&heads, count, first) < 0) goto done;
        }
    }
    if (repeats != NULL) {
        only = PyMem_Malloc(count ? 2 * count : 1);
        if (only == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        Py_ssize_t left = head_screen(&heads, first, texts, min_chars, cut, prefix_min_chars, only, only + count);
        found = left == 0 ? Py_NewRef(Py_None) : repeats_in(texts, min_chars, left < 0 ? NULL : only, again);
        if (found == NULL) goto done;
        if (found != Py_None) {
            *repeats = found;
            *drops = Py_NewRef(Py_None);
            found = NULL;
            status = 0;
            goto done;
        }
    }
    if ((*drops = prefix_drops(texts, &heads, first, prefix_min_chars, cut)) == NULL) goto done;
    if (echoes != NULL) *echoes = echoes_of(&heads, first, texts, prefix_min_chars, cut);
    if (repeats != NULL) {
        *repeats = found;
        found = NULL;
    }
    status = 0;
done:
    Py_XDECREF(found);
    PyMem_Free(only);
    if (status == 0) { /* (the heads and firsts are the memo's from here; one a search made meanwhile is let go) */
        Memo other = last_search;
        last_search = (Memo){Py_NewRef(texts), heads, NULL, 0, cut, prefix_min_chars, made_in, first};
        heads = NO_KEYS;
        first = NULL;
        memo_free(&other);
    }
    PyMem_Free(first);
    free_keys(&heads);
    return status;
}

/* prefixes()'s and dedup_round's checks before they read their texts: -1 with an error set. */
static int prefix_search_checks(Py_ssize_t min_chars) {
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "configure() the punctuation first");
        return -1;
    }
    if (min_chars < 1) {
        PyErr_SetString(PyExc_ValueError, "min_chars must be positive");
        return -1;
    }
    return 0;
}

static PyObject *prefixes(PyObject *self, PyObject *args) {
    PyObject *list;
    Py_ssize_t min_chars;
    PyObject *texts, *drops;
    if (!PyArg_ParseTuple(args, "O!n", &PyList_Type, &list, &min_chars) || prefix_search_checks(min_chars) < 0 ||
        (texts = held_texts(list)) == NULL)
        return NULL;
    /* (after a round's repeats are dropped: its texts, less those) */
    int failed = round_search(texts, 0, min_chars, 1, NULL, &drops, NULL) < 0;
    Py_DECREF(texts);
    return failed ? NULL : drops;
}

/* ---- the rows of a call (dedup._rows) ---- */

enum { A_DROPPED, A_BLANK, A_TEXT, N_ATTRS };
static PyObject *attr_names[N_ATTRS];

/* dedup._rows: the lines whose dropped_by is None and whose blank is false into *rows, their
 * texts into *texts, and *same: whether each row, in order, is a row of then_rows (a later one
 * each time) with the very text then_texts holds for it (rows and texts of an earlier call, as
 * lists of one length). The lines are held as a tuple for the call (reading an attribute or a
 * truth can run Python code that changes the lists). 0, or -1 with an error set. */
static int collect_rows(PyObject *lines_list, PyObject *then_rows_list, PyObject *then_texts_list, PyObject **rows,
                        PyObject **texts, int *same) {
    *rows = *texts = NULL;
    if (PyList_GET_SIZE(then_rows_list) != PyList_GET_SIZE(then_texts_list)) {
        PyErr_SetString(PyExc_ValueError, "then_rows and then_texts must be of one length");
        return -1;
    }
    PyObject *lines = PyList_AsTuple(lines_list), *then_rows = PyList_AsTuple(then_rows_list),
             *then_texts = PyList_AsTuple(then_texts_list), *out_rows = NULL, *out_texts = NULL;
    int status = -1;
    /* The lists made as long as the lines, filled in order and cut to the rows at the end (not a
     * PyList_Append a row: its growth was most of what this loop cost). Their items past the rows
     * stay NULL, which a list's slice deletion and deallocation pass over. */
    Py_ssize_t used = 0;
    if (lines != NULL) {
        out_rows = PyList_New(PyTuple_GET_SIZE(lines));
        out_texts = PyList_New(PyTuple_GET_SIZE(lines));
    }
    Slots slots;
    slots_init(&slots, attr_names, N_ATTRS);
    if (lines == NULL || then_rows == NULL || then_texts == NULL || out_rows == NULL || out_texts == NULL) goto done;
    Py_ssize_t j = 0, n_then = PyTuple_GET_SIZE(then_rows);
    *same = 1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(lines); i++) {
        PyObject *line = PyTuple_GET_ITEM(lines, i), *text = NULL;
        PyObject *in_dropped, *in_blank, *in_text; /* (a line of the class met before: in place, else the generic way) */
        if (line_borrow(line, slots.type, slots.offsets, A_DROPPED, A_BLANK, A_TEXT, &in_dropped, &in_blank,
                        &in_text)) {
            if (in_dropped != Py_None || in_blank == Py_True) continue;
            text = Py_NewRef(in_text);
        }
        if (text == NULL) {
            PyObject *dropped = slot_read(&slots, line, A_DROPPED);
            if (dropped == NULL) goto done;
            Py_DECREF(dropped); /* (compared by address only) */
            if (dropped != Py_None) continue;
            PyObject *blank = slot_read(&slots, line, A_BLANK);
            if (blank == NULL) goto done;
            int truth = blank == Py_False ? 0 : blank == Py_True ? 1 : PyObject_IsTrue(blank);
            Py_DECREF(blank);
            if (truth < 0) goto done;
            if (truth) continue;
            text = slot_read(&slots, line, A_TEXT);
            if (text == NULL) goto done;
        }
        if (*same) {
            while (j < n_then && PyTuple_GET_ITEM(then_rows, j) != line) j++;
            if (j == n_then || PyTuple_GET_ITEM(then_texts, j) != text)
                *same = 0;
            else
                j++;
        }
        PyList_SET_ITEM(out_rows, used, Py_NewRef(line));
        PyList_SET_ITEM(out_texts, used, text); /* (the reference slot_read gave) */
        used++;
    }
    if (PyList_SetSlice(out_rows, used, PyList_GET_SIZE(out_rows), NULL) < 0 ||
        PyList_SetSlice(out_texts, used, PyList_GET_SIZE(out_texts), NULL) < 0)
        goto done;
    *rows = Py_NewRef(out_rows);
    *texts = Py_NewRef(out_texts);
    status = 0;
done:
    slots_done(&slots);
    Py_XDECREF(lines);
    Py_XDECREF(then_rows);
    Py_XDECREF(then_texts);
    Py_XDECREF(out_rows);
    Py_XDECREF(out_texts);
    return status;
}

/* dedup._rows: (rows, texts, same). */
static PyObject *rows(PyObject *self, PyObject *args) {
    PyObject *lines, *then_rows, *then_texts, *out_rows, *out_texts, *result;
    int same;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyList_Type, &lines, &PyList_Type, &then_rows, &PyList_Type, &then_texts) ||
        collect_rows(lines, then_rows, then_texts, &out_rows, &out_texts, &same) < 0)
        return NULL;
    result = Py_BuildValue("(OOO)", out_rows, out_texts, same ? Py_True : Py_False);
    Py_DECREF(out_rows);
    Py_DECREF(out_texts);
    return result;
}

/* One round of the step (dedup._dedup) in one call: (rows, texts, same, found, drops, echoes). The
 * rows as rows() gives them; when they are not the same as then, found is repeats(texts, min_chars);
 * when found is None (no key shared, or the same rows: nothing for the repeats to drop), drops is
 * prefixes(texts, prefix_min_chars), else None (the repeats are dropped first, in Python). echoes:
 * whether the heads of two texts meet (dedup._echoes), True when not looked at (found is not None).
 * Told that the heads of then met nowhere (then_echoes false), the same rows have no echo: drops
 * is [] without a look. again: a later round of the document the last call was of (the heads kept
 * by the last search are looked up: see Memo; a hint only, what is given is the same either way). */
/* (METH_FASTCALL: PyArg_ParseTuple's format cost a tenth of a round) */
static PyObject *dedup_round(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *lines, *then_rows, *then_texts, *out_rows, *out_texts, *texts, *found = NULL, *drops = NULL,
             *result = NULL;
    Py_ssize_t min_chars, prefix_min_chars;
    int same, then_echoes = 1, echoes = 1, again = 0;
    if (fast_args("dedup_round", args, nargs, "LLLnn|pp", &lines, &then_rows, &then_texts, &min_chars,
                  &prefix_min_chars, &then_echoes, &again) < 0)
        return NULL;
    /* (refused before the lines are read, as prefixes() would refuse it) */
    if (prefix_search_checks(prefix_min_chars) < 0) return NULL;
    if (collect_rows(lines, then_rows, then_texts, &out_rows, &out_texts, &same) < 0) return NULL;
    if (same && !then_echoes) {
        found = Py_NewRef(Py_None);
        drops = PyList_New(0);
        echoes = 0;
    } else {
        /* (the rows' texts as a tuple held for the call, each checked to be a str) */
        if ((texts = held_texts(out_texts)) == NULL) goto done;
        int failed;
        if (same) {
            found = Py_NewRef(Py_None);
            failed = round_search(texts, min_chars, prefix_min_chars, again, NULL, &drops, &echoes) < 0;
        } else {
            failed = round_search(texts, min_chars, prefix_min_chars, again, &found, &drops, &echoes) < 0;
        }
        Py_DECREF(texts);
        if (failed) goto done;
    }
    if (drops == NULL) goto done;
    /* (PyTuple_Pack: Py_BuildValue walked its format, some 800 instructions a document) */
    result = PyTuple_Pack(6, out_rows, out_texts, same ? Py_True : Py_False, found, drops, echoes ? Py_True : Py_False);
done:
    Py_DECREF(out_rows);
    Py_DECREF(out_texts);
    Py_XDECREF(found);
    Py_XDECREF(drops);
    return result;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS, "configure(punctuation): the characters _words_key makes spaces."},
    {"repeats", repeats, METH_VARARGS,
     "repeats(texts, min_chars) -> None (no key >= min_chars shared) or (exact keys, None where not shared; "
     "{key: [indices]} of keys >= min_chars shared by 2+ texts)."},
    {"prefixes", prefixes, METH_VARARGS, "prefixes(texts, min_chars) -> [i]: the texts dedup._prefixes drops."},
    {"rows", rows, METH_VARARGS,
     "rows(lines, then_rows, then_texts) -> (rows, texts, same): dedup._rows (the alive non-blank lines, their "
     "texts, and whether each is, in order, one of then_rows with its very text then)."},
    {"dedup_round", (PyCFunction)(void (*)(void))dedup_round, METH_FASTCALL,
     "dedup_round(lines, then_rows, then_texts, min_chars, prefix_min_chars, then_echoes=True, again=False) -> (rows, "
     "texts, same, found, drops, echoes): rows(), then repeats() of the texts unless same, then prefixes() of them when "
     "that found none (else None), unless the same rows' heads met nowhere then ([]); echoes: whether their heads "
     "meet. again: a later round of the last call's document (a hint: the heads of its texts are looked up)."},
    {"screen", screen, METH_VARARGS,
     "screen(texts, min_chars) -> bool: whether two texts whose keys can be min_chars long share a print "
     "(False: no two share a key of min_chars or more, and repeats() is None without a key made)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_dedup", "The dedup step's per-line keys in C.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__dedup(void) {
    fill_ascii_separators();
    if (attr_names[A_TEXT] == NULL && ((attr_names[A_DROPPED] = PyUnicode_InternFromString("dropped_by")) == NULL ||
                                       (attr_names[A_BLANK] = PyUnicode_InternFromString("blank")) == NULL ||
                                       (attr_names[A_TEXT] = PyUnicode_InternFromString("text")) == NULL))
        return NULL;
    return PyModule_Create(&module);
}

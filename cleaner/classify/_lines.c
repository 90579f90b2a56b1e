/* What a line's text alone gives the line classifier: features.py's _per_line, one pass or two
 * over each line in C instead of regular expressions, numpy passes and Python loops.
 *
 * Every definition is the Python one, to the bit (tests/test_native.py compares the two):
 * - character classes are the str methods' (Py_UNICODE_ISALPHA, ...), and the regular
 *   expressions' classes are sre's for str patterns: \w is Py_UNICODE_ISALNUM or '_', \d is
 *   Py_UNICODE_ISDECIMAL, \s is Py_UNICODE_ISSPACE;
 * - case folding is str.casefold's, which maps each character on its own;
 * - each pattern of features.py is matched by hand, as `re` would (noted at each function);
 * - the float columns are the same IEEE operations on the same integers (a count, or one count
 *   divided by another), so they round the same way;
 * - the n-grams are zlib's CRC-32 of the words' UTF-8 ("surrogatepass"), a pair's continued from
 *   its first word's CRC over " " and the second word, as ngrams.py computes them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

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
 * a dozen of them a character otherwise): 0 until first seen. */
enum { ALPHA = 1, UPPER = 2, DIGIT = 4, ALNUM = 8, SPACE = 16, DECIMAL = 32, WORD = 64, KNOWN = 128 };
static unsigned char classes[0x110000];

static unsigned char class_of(Py_UCS4 ch) {
    unsigned char c = classes[ch];
    if (c) return c;
    c = KNOWN | (Py_UNICODE_ISALPHA(ch) ? ALPHA : 0) | (Py_UNICODE_ISUPPER(ch) ? UPPER : 0) |
        (Py_UNICODE_ISDIGIT(ch) ? DIGIT : 0) | (Py_UNICODE_ISALNUM(ch) ? ALNUM | WORD : 0) |
        (Py_UNICODE_ISSPACE(ch) ? SPACE : 0) | (Py_UNICODE_ISDECIMAL(ch) ? DECIMAL : 0) | (ch == '_' ? WORD : 0);
    classes[ch] = c;
    return c;
}

static int is_word(Py_UCS4 ch) { return class_of(ch) & WORD; }
static int is_decimal(Py_UCS4 ch) { return class_of(ch) & DECIMAL; }
static int is_space(Py_UCS4 ch) { return class_of(ch) & SPACE; }

/* ---- CRC-32 and UTF-8 ---- */

static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

/* zlib.crc32 of one more byte, on the register as zlib keeps it (inverted). */
#define CRC_BYTE(reg, byte) ((reg) = crc_table[((reg) ^ (byte)) & 0xFF] ^ ((reg) >> 8))

/* The CRC of a word as ngrams.py hashes it, continued from ``crc``: "0" for a number
 * (ngrams.NUMBER, ^\d[\d.,:]*$; a word of \w+ holds no '.', ',', ':' or newline, so: all of it
 * \d), else its UTF-8, surrogates included (Python's "surrogatepass"). */
static uint32_t word_crc(const Py_UCS4 *w, Py_ssize_t size, uint32_t crc) {
    uint32_t reg = ~crc;
    Py_ssize_t i = 0;
    while (i < size && is_decimal(w[i])) i++;
    if (i == size) {
        CRC_BYTE(reg, '0');
        return ~reg;
    }
    for (i = 0; i < size; i++) {
        Py_UCS4 ch = w[i];
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
    }
    return ~reg;
}

/* ---- the stoplists: word -> bit mask of languages, as a table of code point strings ---- */

typedef struct {
    PyObject *source; /* the dict it was built from (a strong reference) */
    Py_ssize_t source_size;
    size_t mask; /* slots - 1 */
    Py_ssize_t *start, *length; /* per slot, into pool; length -1: empty */
    uint32_t *bits;
    Py_UCS4 *pool;
} Stoplists;

static Stoplists stops;

static uint64_t hash_word(const Py_UCS4 *w, Py_ssize_t size) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a over code points */
    for (Py_ssize_t i = 0; i < size; i++) h = (h ^ w[i]) * 1099511628211ull;
    return h;
}

static void stops_free(void) {
    Py_CLEAR(stops.source);
    PyMem_Free(stops.start);
    PyMem_Free(stops.length);
    PyMem_Free(stops.bits);
    PyMem_Free(stops.pool);
    stops.start = stops.length = NULL;
    stops.bits = NULL;
    stops.pool = NULL;
}

static int stops_build(PyObject *dict) {
    stops_free();
    Py_ssize_t entries = PyDict_GET_SIZE(dict), chars = 0, pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "stopwords must be str");
            return -1;
        }
        chars += PyUnicode_GET_LENGTH(key);
    }
    size_t slots = 16;
    while (slots < (size_t)entries * 2 + 1) slots <<= 1;
    stops.start = PyMem_Malloc(slots * sizeof(Py_ssize_t));
    stops.length = PyMem_Malloc(slots * sizeof(Py_ssize_t));
    stops.bits = PyMem_Malloc(slots * sizeof(uint32_t));
    stops.pool = PyMem_Malloc((chars + 1) * sizeof(Py_UCS4));
    if (!stops.start || !stops.length || !stops.bits || !stops.pool) {
        stops_free();
        PyErr_NoMemory();
        return -1;
    }
    for (size_t s = 0; s < slots; s++) stops.length[s] = -1;
    stops.mask = slots - 1;
    Py_ssize_t used = 0;
    pos = 0;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        Py_ssize_t size = PyUnicode_GET_LENGTH(key);
        unsigned long bits = PyLong_AsUnsignedLong(value);
        if (bits == (unsigned long)-1 && PyErr_Occurred()) {
            stops_free();
            return -1;
        }
        if (PyUnicode_AsUCS4(key, stops.pool + used, size + 1, 0) == NULL) {
            stops_free();
            return -1;
        }
        size_t slot = hash_word(stops.pool + used, size) & stops.mask;
        while (stops.length[slot] >= 0) slot = (slot + 1) & stops.mask;
        stops.start[slot] = used;
        stops.length[slot] = size;
        stops.bits[slot] = (uint32_t)bits;
        used += size;
    }
    Py_INCREF(dict);
    stops.source = dict;
    stops.source_size = entries;
    return 0;
}

static uint32_t stop_bits(const Py_UCS4 *w, Py_ssize_t size) {
    size_t slot = hash_word(w, size) & stops.mask;
    while (stops.length[slot] >= 0) {
        if (stops.length[slot] == size && memcmp(stops.pool + stops.start[slot], w, size * sizeof(Py_UCS4)) == 0)
            return stops.bits[slot];
        slot = (slot + 1) & stops.mask;
    }
    return 0;
}

/* ---- the patterns of features.py ---- */

static Py_ssize_t decimals(const Py_UCS4 *t, Py_ssize_t n, Py_ssize_t i) {
    Py_ssize_t j = i;
    while (j < n && is_decimal(t[j])) j++;
    return j - i;
}

static int is_date_separator(Py_UCS4 ch) { return ch == '.' || ch == '/' || ch == '-'; }

/* reference.DATE (`\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|\b(?:19|20)\d\d\b`) matches somewhere.
 * A \d is a \w, so the leading \b is "no \w before"; each \d{a,b} before a separator must take
 * the whole run of digits (a digit is no separator), so it holds when the run is a to b long; the
 * last \d{1,4}\b likewise needs its whole run (1 to 4) and no \w after it. */
static int has_date(const Py_UCS4 *t, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!is_decimal(t[i]) || (i > 0 && is_word(t[i - 1]))) continue;
        Py_ssize_t r1 = decimals(t, n, i);
        if (r1 == 4 && ((t[i] == '1' && t[i + 1] == '9') || (t[i] == '2' && t[i + 1] == '0')) &&
            (i + 4 == n || !is_word(t[i + 4])))
            return 1; /* (?:19|20)\d\d\b: exactly four digits (a fifth is a \w: no \b) */
        Py_ssize_t j = i + r1;
        i = j - 1; /* no match starts inside the run (a digit before it is a \w) */
        if (r1 > 4 || j >= n || !is_date_separator(t[j])) continue;
        j++;
        Py_ssize_t r2 = decimals(t, n, j);
        if (r2 < 1 || r2 > 2) continue;
        j += r2;
        if (j >= n || !is_date_separator(t[j])) continue;
        j++;
        Py_ssize_t r3 = decimals(t, n, j);
        if (r3 < 1 || r3 > 4) continue;
        j += r3;
        if (j == n || !is_word(t[j])) return 1;
    }
    return 0;
}

/* The text at i starts with the ASCII string s. */
static int at(const Py_UCS4 *t, Py_ssize_t n, Py_ssize_t i, const char *s) {
    for (; *s; s++, i++)
        if (i >= n || t[i] != (Py_UCS4)(unsigned char)*s) return 0;
    return 1;
}

/* features._LINK (`https?://|www\.|@\w|\.(?:com|org|net|de)\b`) matches somewhere. */
static int has_link(const Py_UCS4 *t, Py_ssize_t n) {
    static const char *tlds[] = {"com", "org", "net", "de"};
    static const Py_ssize_t sizes[] = {3, 3, 3, 2};
    for (Py_ssize_t i = 0; i < n; i++) {
        switch (t[i]) {
        case 'h':
            if (at(t, n, i, "http://") || at(t, n, i, "https://")) return 1;
            break;
        case 'w':
            if (at(t, n, i, "www.")) return 1;
            break;
        case '@':
            if (i + 1 < n && is_word(t[i + 1])) return 1;
            break;
        case '.':
            for (int k = 0; k < 4; k++) {
                Py_ssize_t end = i + 1 + sizes[k];
                if (at(t, n, i + 1, tlds[k]) && (end == n || !is_word(t[end]))) return 1;
            }
            break;
        }
    }
    return 0;
}

/* len(features._SEPARATORS.findall(text)), `\s[|›»/·•>]\s|->|\s-\s|\|`: from each position the
 * first alternative that matches, then on after the match (matches do not overlap). */
static Py_ssize_t separators(const Py_UCS4 *t, Py_ssize_t n) {
    Py_ssize_t count = 0, i = 0;
    while (i < n) {
        Py_UCS4 ch = t[i];
        if (i + 2 < n && is_space(ch) && is_space(t[i + 2])) {
            switch (t[i + 1]) {
            case '|': case 0x203A: case 0xBB: case '/': case 0xB7: case 0x2022: case '>': case '-':
                count++;
                i += 3;
                continue;
            }
        }
        if (ch == '-' && i + 1 < n && t[i + 1] == '>') {
            count++;
            i += 2;
            continue;
        }
        count += ch == '|';
        i++;
    }
    return count;
}

/* features' sentence end: less trailing \s, then closing quotes and brackets, the line ends in
 * one of .!?…:; */
static int sentence_end(const Py_UCS4 *t, Py_ssize_t n) {
    Py_ssize_t end = n;
    while (end > 0 && is_space(t[end - 1])) end--;
    for (; end > 0; end--) {
        Py_UCS4 ch = t[end - 1];
        if (!(ch == '"' || ch == '\'' || ch == 0x201D || ch == 0x2019 || ch == 0xBB || ch == ')' || ch == ']')) break;
    }
    if (end == 0) return 0;
    Py_UCS4 last = t[end - 1];
    return last == '.' || last == '!' || last == '?' || last == 0x2026 || last == ':' || last == ';';
}

static int starts_bullet(const Py_UCS4 *t, Py_ssize_t n) {
    if (n == 0) return 1; /* "" in "-•*·>»›|#" */
    switch (t[0]) {
    case '-': case 0x2022: case '*': case 0xB7: case '>': case 0xBB: case 0x203A: case '|': case '#':
        return 1;
    }
    return 0;
}

/* str.casefold of the text (``text``, read into t), into out (3 code points a character at
 * most); its length, or -1 on an error. CPython folds each character on its own; before 3.13 its
 * function for one character is in the headers, after, str's method is called on an exact str
 * (a subclass's own casefold would run the caller's code mid-call, and may return anything). */
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
    PyObject *exact = PyUnicode_Substring(text, 0, n); /* text itself when exact, else an exact copy */
    PyObject *folded = exact ? PyObject_CallMethod(exact, "casefold", NULL) : NULL;
    Py_XDECREF(exact);
    if (folded == NULL) return -1;
    Py_ssize_t size = PyUnicode_GET_LENGTH(folded);
    Py_UCS4 *done = size <= 3 * n ? PyUnicode_AsUCS4(folded, out, 3 * n, 0) : NULL;
    if (done == NULL && !PyErr_Occurred()) PyErr_SetString(PyExc_SystemError, "casefold: more than 3 a character");
    Py_DECREF(folded);
    return done == NULL ? -1 : size;
#endif
}

/* ---- one line ---- */

/* One line's (grams, row bytes, its words joined by spaces); t is its text, n long, and
 * scratch has room for 7n code points. */
static PyObject *line_info(PyObject *text, const Py_UCS4 *t, Py_ssize_t n, Py_UCS4 *scratch, const Layout *layout) {
    PyObject *grams = NULL, *row = NULL, *joined = NULL, *result = NULL;
    Py_UCS4 *folded = scratch, *words = scratch + 3 * n; /* the words joined, 4n at most */

    /* Character counts of the text as it is (str.isalpha, ...) and its words of str.split(). */
    Py_ssize_t alpha = 0, upper = 0, digit = 0, alnum = 0, spaces = 0, split = 0, capitalised = 0, commas = 0;
    int copyright = 0, after_space = 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = t[i];
        unsigned char c = class_of(ch);
        int space = (c & SPACE) != 0;
        alpha += (c & ALPHA) != 0;
        upper += (c & UPPER) != 0;
        digit += (c & DIGIT) != 0;
        alnum += (c & ALNUM) != 0;
        spaces += space;
        if (!space && after_space) {
            split++;
            capitalised += (c & UPPER) != 0;
        }
        after_space = space;
        commas += ch == ',';
        copyright |= ch == 0xA9;
    }

    /* The words: runs of \w in the case-folded text; their stoplists, and their CRCs kept in the
     * grams list's second half until the pairs are hashed. */
    Py_ssize_t fn = casefold(text, t, n, folded);
    if (fn < 0) return NULL;
    Py_ssize_t count = 0, letters = 0, used = 0;
    double hits[MAX_LANGUAGES] = {0};
    uint32_t languages = layout->languages == 32 ? 0xFFFFFFFFu : (1u << layout->languages) - 1;
    for (Py_ssize_t i = 0; i + 2 < fn && !copyright; i++)
        copyright = folded[i] == '(' && folded[i + 1] == 'c' && folded[i + 2] == ')';
    for (Py_ssize_t i = 0; i < fn;) {
        if (!is_word(folded[i])) {
            i++;
            continue;
        }
        Py_ssize_t j = i + 1;
        while (j < fn && is_word(folded[j])) j++;
        uint32_t bits = stop_bits(folded + i, j - i) & languages;
        for (; bits; bits &= bits - 1) hits[__builtin_ctz(bits)] += 1; /* each language that lists it */
        if (count) words[used++] = ' ';
        memcpy(words + used, folded + i, (j - i) * sizeof(Py_UCS4));
        used += j - i;
        letters += j - i;
        count++;
        i = j;
    }

    /* Hashed 1-grams, then 2-grams: a pair is the CRC of "a b", continued from a's CRC. */
    grams = PyList_New(count ? 2 * count - 1 : 1);
    if (grams == NULL) goto done;
    if (count == 0) PyList_SET_ITEM(grams, 0, PyLong_FromLong(0));
    uint32_t previous = 0;
    Py_ssize_t w = 0;
    for (Py_ssize_t i = 0; i < used; w++) {
        Py_ssize_t j = i;
        while (j < used && words[j] != ' ') j++;
        uint32_t crc = word_crc(words + i, j - i, 0);
        PyObject *gram = PyLong_FromUnsignedLong(crc & layout->buckets_mask);
        if (gram == NULL) goto done;
        PyList_SET_ITEM(grams, w, gram);
        if (w > 0) {
            uint32_t reg = ~previous;
            CRC_BYTE(reg, ' ');
            uint32_t pair = word_crc(words + i, j - i, ~reg);
            gram = PyLong_FromUnsignedLong(pair & layout->buckets_mask);
            if (gram == NULL) goto done;
            PyList_SET_ITEM(grams, count + w - 1, gram);
        }
        previous = crc;
        i = j + 1;
    }

    /* The row. */
    row = PyBytes_FromStringAndSize(NULL, layout->size * (Py_ssize_t)sizeof(double));
    if (row == NULL) goto done;
    double *values = (double *)PyBytes_AS_STRING(row);
    memset(values, 0, layout->size * sizeof(double));
    double statics[N_STATIC] = {
        (double)sentence_end(t, n),
        (double)(n > 0 && t[n - 1] == ':'),
        (double)separators(t, n),
        (double)capitalised / (double)(split ? split : 1),
        count ? (double)letters / (double)count : 0.0,
        (double)commas,
        (double)(digit > 0 && has_date(t, n)),
        (double)has_link(t, n),
        (double)copyright,
        (double)starts_bullet(t, n),
    };
    values[layout->words] = (double)count;
    for (int s = 0; s < N_STATIC; s++) values[layout->statics[s]] = statics[s];
    values[layout->upper_share] = (double)upper / (alpha > 0 ? (double)alpha : 1.0);
    values[layout->digits] = (double)digit;
    values[layout->punct] = (double)(n - alnum - spaces);
    for (Py_ssize_t b = 0; b < layout->languages; b++) values[layout->hits + b] = hits[b];

    joined = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, words, used);
    if (joined == NULL) goto done;
    result = PyTuple_Pack(3, grams, row, joined);

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

static PyObject *infos(PyObject *self, PyObject *args) {
    PyObject *texts, *masks, *spec;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyList_Type, &texts, &PyDict_Type, &masks, &PyTuple_Type, &spec))
        return NULL;
    Layout layout;
    if (parse_layout(spec, &layout) < 0) return NULL;
    if ((masks != stops.source || PyDict_GET_SIZE(masks) != stops.source_size) && stops_build(masks) < 0)
        return NULL;
    /* The texts held for the call (an allocation may run a finalizer that changes the caller's list). */
    PyObject *held = PyList_AsTuple(texts);
    if (held == NULL) return NULL;
    Py_ssize_t k = PyTuple_GET_SIZE(held);
    PyObject *out = PyList_New(k);
    Py_UCS4 *buffer = NULL;
    Py_ssize_t room = 0;
    if (out == NULL) {
        Py_DECREF(held);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *text = PyTuple_GET_ITEM(held, i);
        if (!PyUnicode_Check(text)) {
            PyErr_SetString(PyExc_TypeError, "texts must be str");
            goto fail;
        }
        Py_ssize_t n = PyUnicode_GET_LENGTH(text);
        if (n > (PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(Py_UCS4) - 1) / 8) {
            PyErr_NoMemory();
            goto fail;
        }
        if (8 * n + 1 > room) { /* the text, then 7n of scratch */
            PyMem_Free(buffer);
            room = 8 * n + 1 > 4096 ? 8 * n + 1 : 4096;
            buffer = PyMem_Malloc(room * sizeof(Py_UCS4));
            if (buffer == NULL) {
                PyErr_NoMemory();
                goto fail;
            }
        }
        if (PyUnicode_AsUCS4(text, buffer, n + 1, 1) == NULL) goto fail;
        PyObject *info = line_info(text, buffer, n, buffer + n + 1, &layout);
        if (info == NULL) goto fail;
        PyList_SET_ITEM(out, i, info);
    }
    PyMem_Free(buffer);
    Py_DECREF(held);
    return out;
fail:
    PyMem_Free(buffer);
    Py_DECREF(held);
    Py_DECREF(out);
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

/* document(infos, sizes, log1p_sizes, positions, log_lines, matrix, spec) -> (language bit, coverage):
 * the feature matrix of a document from its lines' infos (features._line_infos), exactly as
 * features.extract computes it with numpy (the same operations in the same order; the log1p
 * values come from numpy, whose log1p need not be the C library's). */
static PyObject *document(PyObject *self, PyObject *args) {
    PyObject *infos, *sizes_obj, *logs_obj, *positions_obj, *matrix_obj, *spec, *columns_obj;
    double log_lines;
    Py_ssize_t row_size, r_words, r_digits, r_hits, languages, width, long_words, short_words;
    if (!PyArg_ParseTuple(args, "O!OOOdOO!", &PyList_Type, &infos, &sizes_obj, &logs_obj, &positions_obj, &log_lines,
                          &matrix_obj, &PyTuple_Type, &spec))
        return NULL;
    if (!PyArg_ParseTuple(spec, "nnnnnnnnO!", &row_size, &r_words, &r_digits, &r_hits, &languages, &width,
                          &long_words, &short_words, &PyTuple_Type, &columns_obj))
        return NULL;
    Py_ssize_t col[N_COLUMNS];
    if (PyTuple_GET_SIZE(columns_obj) != N_COLUMNS || languages < 1 || languages > MAX_LANGUAGES || r_words < 0 ||
        r_digits < 0 || r_hits < 0 || r_hits + languages > row_size || r_digits + 2 > row_size || r_digits > width ||
        r_words >= row_size)
        goto bad_spec;
    for (int c = 0; c < N_COLUMNS; c++) {
        col[c] = PyLong_AsSsize_t(PyTuple_GET_ITEM(columns_obj, c));
        if (col[c] == -1 && PyErr_Occurred()) return NULL;
        /* rel_pos and win2_words start runs of 3 and 6 columns */
        Py_ssize_t span = c == C_REL_POS ? 3 : c == C_WIN2_WORDS ? 6 : 1;
        if (col[c] < 0 || col[c] + span > width) goto bad_spec;
    }
    if (width > PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(double) / (PyList_GET_SIZE(infos) ? PyList_GET_SIZE(infos) : 1))
        goto bad_spec;
    /* The lines' infos held for the call: a str subclass's __hash__ or __eq__ (the words as dict keys
     * below) may empty the caller's list, and rows[] points into the infos' bytes. */
    PyObject *held = PyList_AsTuple(infos);
    if (held == NULL) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(held);
    const double **rows = PyMem_New(const double *, n ? n : 1);
    double *scratch = PyMem_New(double, 4 * n + 4);
    Py_ssize_t *group = PyMem_New(Py_ssize_t, 2 * n + 1); /* each line's first copy, then each copy's count */
    Py_buffer sizes = {0}, logs = {0}, positions = {0}, matrix = {0};
    PyObject *seen = NULL, *result = NULL;
    if (rows == NULL || scratch == NULL || group == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (get_doubles(sizes_obj, &sizes, n, 0) < 0) goto done;
    if (get_doubles(logs_obj, &logs, n, 0) < 0) goto done;
    if (get_doubles(positions_obj, &positions, 3 * n, 0) < 0) goto done;
    if (get_doubles(matrix_obj, &matrix, width * n, 1) < 0) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *info = PyTuple_GET_ITEM(held, i);
        PyObject *row = PyTuple_Check(info) && PyTuple_GET_SIZE(info) == 3 ? PyTuple_GET_ITEM(info, 1) : NULL;
        if (row == NULL || !PyBytes_Check(row) || PyBytes_GET_SIZE(row) != row_size * (Py_ssize_t)sizeof(double)) {
            PyErr_SetString(PyExc_ValueError, "a line's info is not (grams, row, words)");
            goto done;
        }
        rows[i] = (const double *)PyBytes_AS_STRING(row);
    }
    const double *size = sizes.buf, *log_size = logs.buf, *position = positions.buf;
    double *m = matrix.buf;

    /* detect_language: the stoplist with most hits in the lines up to the one that reaches
     * 3,000 words (whole numbers: exact in any order), the first of the best. */
    int bit = 0;
    double coverage = 0.0;
    if (n) {
        double words = 0, hits[MAX_LANGUAGES] = {0};
        Py_ssize_t upto = 0;
        while (upto < n) {
            words += rows[upto][r_words];
            for (Py_ssize_t b = 0; b < languages; b++) hits[b] += rows[upto][r_hits + b];
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
    memset(m, 0, n * width * sizeof(double));
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
            Py_ssize_t radius = w ? 5 : 2;
            for (Py_ssize_t i = 0; i < n; i++) {
                Py_ssize_t lo = i - radius > 0 ? i - radius : 0, hi = i + radius + 1 < n ? i + radius + 1 : n;
                Py_ssize_t count = hi - lo - 1;
                double total = padded[hi] - padded[lo] - column_of[c][i];
                m[i * width + col[C_WIN2_WORDS] + 2 * c + w] = count > 0 ? total / (double)count : 0.0;
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
     * one pass, each line's words mapped to the first line with them, whose count grows (no second
     * look-up: the words may be a str subclass whose hash changes, or raises). */
    Py_ssize_t *copies = group + n;
    seen = PyDict_New();
    if (seen == NULL) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
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
    }
    result = Py_BuildValue("id", bit, coverage);

done:
    Py_XDECREF(seen);
    if (sizes.obj) PyBuffer_Release(&sizes);
    if (logs.obj) PyBuffer_Release(&logs);
    if (positions.obj) PyBuffer_Release(&positions);
    if (matrix.obj) PyBuffer_Release(&matrix);
    PyMem_Free(rows);
    PyMem_Free(scratch);
    PyMem_Free(group);
    Py_DECREF(held);
    return result;
bad_spec:
    PyErr_SetString(PyExc_ValueError, "a bad matrix layout");
    return NULL;
}

static PyMethodDef methods[] = {
    {"infos", infos, METH_VARARGS,
     "infos(texts, stopword_masks, layout) -> [(grams, row bytes, words joined)]: features._per_line."},
    {"document", document, METH_VARARGS,
     "document(infos, sizes, log1p_sizes, positions, log_lines, matrix, spec) -> (bit, coverage): features.extract."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_lines", "The classifier's per-line features in C.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__lines(void) {
    crc_init();
    return PyModule_Create(&module);
}

/* The hunks of a document's unified diff: diff.py's ops_for, _hunks and render in one pass over
 * the lines and the layout, without an Op object per line.
 *
 * Every byte is the Python one's (tests/test_diff_native.py compares the two on invented
 * documents): the same ops in the same order, the same hunk ranges, the same "@@" spans and
 * the same tags. Python objects are only read: each line's orig, no, dropped_by and changed_by,
 * each layout entry's (line, text). The lists are copied first and every object read is held
 * until the text is built, so code run by a Line subclass's attributes cannot free them under us.
 *
 * The layout lists the kept lines in input order, each once (whitespace.layout); the Python
 * code finds a line's place with a dict by id(), this walks the two lists side by side. When
 * the layout is not in that order, hunks() returns None and diff.py does it the Python way.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <string.h>

#include "../steps/_held.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define CONTEXT 3

typedef struct {
    char kind;       /* ' ', '-', '+' */
    PyObject *text;  /* new reference */
    PyObject *tag;   /* new reference or NULL */
    Py_ssize_t old, new;
    int eof;
} Op;

static PyObject *s_orig, *s_no, *s_dropped_by, *s_changed_by, *s_plus, *s_newline, *s_empty;

static PyObject *s_text, *s_blank;

/* ---- a Line's attributes, read (and set) straight from its slots (steps/_held.h) ---- */
enum { A_NO, A_ORIG, A_TEXT, A_DROPPED, A_CHANGED, A_BLANK, N_ATTRS };
static PyObject *attr_names[N_ATTRS];

typedef Slots Reader;
#define READER_INIT {NULL, N_ATTRS, attr_names, {-1, -1, -1, -1, -1, -1, -1, -1}}
#define reader_done slots_done
#define read_attr slot_read

/* line.<attribute k>, which must be a str. */
static PyObject *read_str(Reader *reader, PyObject *line, int k) {
    PyObject *value = read_attr(reader, line, k);
    if (value != NULL && !PyUnicode_Check(value)) {
        PyErr_Format(PyExc_TypeError, "a line's %U must be str", attr_names[k]);
        Py_CLEAR(value);
    }
    return value;
}

/* The walks over a document's lines (build_ops, walk_lines, layout) start each line with loads
 * that miss: the Line (its refcount, type and slots) and then the str a slot holds (its refcount
 * and type), made long before and scattered by the steps that replaced texts. Sampled, 60% of
 * read_str's time sat on the instructions after the str's refcount and type. So each line asks
 * for the Line LINES_AHEAD lines on, and for the str of the line half as far on (its Line asked
 * for already): the misses of several lines in flight together, not one after the other. Timed
 * on the pipeline's own arguments as it left them (the first of the two builds called), the
 * median call: hunks -8.4% bench, -12% real pages; layout -4%, -4.5%; line_counts -5%, -2%. 16
 * lines ahead, or without the Line's second cache line, was worse. On arguments unpickled for a
 * replay (fresh, in order: what the hardware prefetcher finds by itself) it costs 1-5%.
 * ``k``: the slot read, or -1: the text when the line is not dropped, else orig. Only loads of
 * what the list holds now, and prefetches (which cannot fault); nothing is held. */
#define LINES_AHEAD 8
static inline void prefetch_lines(const Reader *reader, PyObject *lines, Py_ssize_t i, int k) {
#if defined(__GNUC__) || defined(__clang__)
    Py_ssize_t n = PyList_GET_SIZE(lines);
    if (i + LINES_AHEAD < n) {
        const uintptr_t far = (uintptr_t)PyList_GET_ITEM(lines, i + LINES_AHEAD);
        __builtin_prefetch((const void *)far, 1);
        /* (its last slot: a Line's may lie across two cache lines; an address, not a pointer: the item may be a
         * smaller object than a Line, and a pointer past an object's end is not C's) */
        __builtin_prefetch((const void *)(far + 56), 1);
    }
    if (i + LINES_AHEAD / 2 < n && reader->type != NULL) {
        PyObject *near = PyList_GET_ITEM(lines, i + LINES_AHEAD / 2);
        if (Py_TYPE(near) != reader->type) return;
        if (k < 0) {
            Py_ssize_t at = reader->offsets[A_DROPPED];
            if (at < 0) return;
            k = slot_borrow(near, at) == Py_None ? A_TEXT : A_ORIG;
        }
        if (reader->offsets[k] < 0) return;
        PyObject *value = slot_borrow(near, reader->offsets[k]);
        if (value != NULL) __builtin_prefetch(value, 1);
    }
#else
    (void)reader, (void)lines, (void)i, (void)k;
#endif
}

static void free_ops(Op *ops, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_XDECREF(ops[i].text);
        Py_XDECREF(ops[i].tag);
    }
    PyMem_Free(ops);
}

static int push(Op *ops, Py_ssize_t *n, char kind, PyObject *text, PyObject *tag, Py_ssize_t old, Py_ssize_t new,
                int eof) {
    Op *op = &ops[(*n)++];
    op->kind = kind;
    Py_INCREF(text);
    op->text = text;
    Py_XINCREF(tag);
    op->tag = tag;
    op->old = old;
    op->new = new;
    op->eof = eof;
    return 0;
}

/* The layout entry k: (line or None, text), both borrowed from the tuple (held by the list: hunks' copy, or text_json's while no code runs). */
static int entry(PyObject *out, Py_ssize_t k, PyObject **src, PyObject **text) {
    PyObject *item = PyList_GET_ITEM(out, k);
    if (!PyTuple_CheckExact(item) || PyTuple_GET_SIZE(item) != 2) {
        PyErr_SetString(PyExc_TypeError, "layout entries must be (line, text) tuples");
        return -1;
    }
    *src = PyTuple_GET_ITEM(item, 0);
    *text = PyTuple_GET_ITEM(item, 1);
    if (!PyUnicode_Check(*text)) {
        PyErr_SetString(PyExc_TypeError, "layout texts must be str");
        return -1;
    }
    return 0;
}

/* a == b for two str (both checked): their lengths, kinds and data, as str's own == compares
 * them (a str is stored at its narrowest kind, so equal texts have the same one), without
 * PyUnicode_Compare's ordering walk, character by character for a two-byte text. */
static int same_str(PyObject *a, PyObject *b) {
    if (a == b) return 1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(a);
    int kind = PyUnicode_KIND(a);
    return n == PyUnicode_GET_LENGTH(b) && kind == PyUnicode_KIND(b) &&
           memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)n * (size_t)kind) == 0;
}

/* The next layout entry at or after k that comes from an input line (len(out) when none). */
static Py_ssize_t next_src(PyObject *out, Py_ssize_t k) {
    Py_ssize_t n = PyList_GET_SIZE(out);
    while (k < n && PyTuple_GET_ITEM(PyList_GET_ITEM(out, k), 0) == Py_None) k++;
    return k;
}

/* The ops of ops_for into ops (room for 2 * lines + layout); -1 on error, -2 when the layout is not in line order. */
static int build_ops(Reader *reader, PyObject *lines, PyObject *out, int trailing_newline, PyObject *layout_label,
                     Op *ops, Py_ssize_t *count) {
    Py_ssize_t n_lines = PyList_GET_SIZE(lines), n_out = PyList_GET_SIZE(out);
    Py_ssize_t n = 0, j = 0, last_no = n_lines;
    for (Py_ssize_t k = 0; k < n_out; k++) {  /* every entry checked once, so next_src may look inside */
        PyObject *src, *text;
        if (entry(out, k, &src, &text) < 0) return -1;
    }
    Py_ssize_t p = next_src(out, 0);
    int status = 0;
    for (Py_ssize_t i = 0; i < n_lines && status == 0; i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        PyObject *orig = NULL, *no_obj = NULL, *dropped = NULL, *changed = NULL, *label = NULL;
        status = -1;
        prefetch_lines(reader, lines, i, A_ORIG);
        orig = read_str(reader, line, A_ORIG);
        if (orig == NULL) goto done;
        no_obj = read_attr(reader, line, A_NO);
        if (no_obj == NULL) goto done;
        Py_ssize_t no = PyLong_AsSsize_t(no_obj);
        if (no == -1 && PyErr_Occurred()) goto done;
        int missing_newline = no == last_no && !trailing_newline;
        if (p < n_out && PyTuple_GET_ITEM(PyList_GET_ITEM(out, p), 0) == line) {
            Py_ssize_t k = p;
            p = next_src(out, p + 1);
            PyObject *new_text = PyTuple_GET_ITEM(PyList_GET_ITEM(out, k), 1);
            int equal = same_str(new_text, orig);
            int same = equal && !missing_newline;
            if (!same) {
                changed = read_attr(reader, line, A_CHANGED);
                if (changed == NULL) goto done;
                label = PyUnicode_Join(s_plus, changed);
                if (label == NULL) goto done;
                if (PyUnicode_GET_LENGTH(label) == 0) {
                    Py_SETREF(label, Py_NewRef(equal ? s_newline : layout_label));
                }
                push(ops, &n, '-', orig, label, no, j, missing_newline);
            }
            for (; j < k; j++) {  /* blank lines the layout inserted before this one */
                push(ops, &n, '+', PyTuple_GET_ITEM(PyList_GET_ITEM(out, j), 1), NULL, no - (same ? 1 : 0), j + 1, 0);
            }
            if (same) {
                push(ops, &n, ' ', new_text, NULL, no, k + 1, 0);
            } else {
                push(ops, &n, '+', new_text, label, no, k + 1, 0);
            }
            j = k + 1;
        } else {
            dropped = read_attr(reader, line, A_DROPPED);
            if (dropped == NULL) goto done;
            if (dropped == Py_None) {
                /* a line the layout let go is blank: untagged as read, tagged with the repair
                 * that made it blank (a line of zero-width spaces), as diff.py's ops_for */
                changed = read_attr(reader, line, A_CHANGED);
                if (changed == NULL) goto done;
                label = PyUnicode_Join(s_plus, changed);
                if (label == NULL) goto done;
            }
            push(ops, &n, '-', orig, dropped != Py_None ? dropped : PyUnicode_GET_LENGTH(label) ? label : NULL, no, j,
                 missing_newline);
        }
        status = 0;
    done:
        Py_XDECREF(orig);
        Py_XDECREF(no_obj);
        Py_XDECREF(dropped);
        Py_XDECREF(changed);
        Py_XDECREF(label);
    }
    *count = n;
    if (status < 0) return -1;
    if (p != n_out) return -2;  /* a layout line not met in input order */
    for (Py_ssize_t k = j; k < n_out; k++) {
        push(ops, &n, '+', PyTuple_GET_ITEM(PyList_GET_ITEM(out, k), 1), NULL, last_no, k + 1, 0);
    }
    *count = n;
    return 0;
}

/* The decimal digits of a signed 64-bit value into out (room for 21): their count. snprintf's
 * "%lld" without its format parsing, which cost more than the rest of an E line. */
static int decimal(long long value, char *out) {
    char digits[24];
    int n = 0, at = 0;
    unsigned long long magnitude = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    do {
        digits[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (value < 0) out[at++] = '-';
    while (n) out[at++] = digits[--n];
    return at;
}

/* Bytes put together piece by piece. With in_bytes set, they are kept in a bytes object (``bytes``,
 * whose buffer ``data`` is), handed out at the end without copying them again (buffer_bytes):
 * a diff is most of a document's bytes. Otherwise in PyMem memory, freed by the caller. */
typedef struct {
    char *data;
    Py_ssize_t size, room;
    int in_bytes;
    PyObject *bytes;
    int fixed; /* set while something reads through a pointer into data: growing it (moving it) is refused */
} Buffer;

static int grow(Buffer *b, Py_ssize_t more) {
    if (b->size + more <= b->room) return 0;
    if (b->fixed) { /* (a bound made short by a bug: an error, not a read of freed memory) */
        PyErr_SetString(PyExc_SystemError, "_diff: a buffer outgrew the room made for it");
        return -1;
    }
    Py_ssize_t room = b->room ? b->room : 256;
    while (room < b->size + more) room *= 2;
    if (b->in_bytes) {
        if (b->bytes == NULL ? (b->bytes = PyBytes_FromStringAndSize(NULL, room)) == NULL
                             : _PyBytes_Resize(&b->bytes, room) < 0)
            return -1; /* (_PyBytes_Resize has let go of the old object and set it to NULL) */
        b->data = PyBytes_AS_STRING(b->bytes);
        b->room = room;
        return 0;
    }
    char *data = PyMem_Realloc(b->data, room);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->room = room;
    return 0;
}

/* Bytes s[0:n] as they are: inlined where it is called (a diff or an E line is put together from
 * a few hundred pieces, most of a byte or a few). */
static inline int put_raw(Buffer *b, const char *s, Py_ssize_t n) {
    if (b->size + n > b->room && grow(b, n) < 0) return -1;
    memcpy(b->data + b->size, s, (size_t)n);
    b->size += n;
    return 0;
}

static inline int put_byte(Buffer *b, char c) {
    if (b->size + 1 > b->room && grow(b, 1) < 0) return -1;
    b->data[b->size++] = c;
    return 0;
}

/* Bytes s[from:to] with every "<" written as "\\u003c" (pagedata.js). */
static int put_escaped(Buffer *b, const char *s, Py_ssize_t from, Py_ssize_t to) {
    while (from < to) {
        const char *lt = memchr(s + from, '<', (size_t)(to - from));
        Py_ssize_t stop = lt == NULL ? to : lt - s;
        if (grow(b, stop - from + 6) < 0) return -1;
        memcpy(b->data + b->size, s + from, (size_t)(stop - from));
        b->size += stop - from;
        if (lt != NULL) {
            memcpy(b->data + b->size, "\\u003c", 6);
            b->size += 6;
            stop++;
        }
        from = stop;
    }
    return 0;
}

/* Bytes s[from:to], with "<" written as "\\u003c" (pagedata.js) when escape is set: inlined where
 * it is called (an entry is put together from a few dozen pieces, most not escaped). */
static inline int put(Buffer *b, const char *s, Py_ssize_t from, Py_ssize_t to, int escape) {
    if (!escape) return from < to ? put_raw(b, s + from, to - from) : 0;
    return put_escaped(b, s, from, to);
}

/* An in_bytes buffer's bytes, cut to their size (the buffer lets go of them). */
static PyObject *buffer_bytes(Buffer *b) {
    if (b->bytes == NULL) return PyBytes_FromStringAndSize(NULL, 0);
    if (_PyBytes_Resize(&b->bytes, b->size) < 0) return NULL;
    PyObject *result = b->bytes;
    b->bytes = NULL;
    b->data = NULL;
    return result;
}

/* (inlined: strlen of a literal is a constant) */
static inline int put_text(Buffer *b, const char *text) { return put_raw(b, text, (Py_ssize_t)strlen(text)); }

/* The JSON escape of a byte c below 0x20, '"' or '\\' into out, as orjson escapes it: '"' and
 * '\\' with a backslash, the control characters as \b \t \n \f \r or \u00xx. Its size; *newline
 * is set for a "\n". */
static int json_escape(unsigned char c, char *out, int *newline) {
    static const char hex[] = "0123456789abcdef";
    out[0] = '\\';
    switch (c) {
    case '"': out[1] = '"'; return 2;
    case '\\': out[1] = '\\'; return 2;
    case '\b': out[1] = 'b'; return 2;
    case '\t': out[1] = 't'; return 2;
    case '\n': out[1] = 'n'; *newline = 1; return 2;
    case '\f': out[1] = 'f'; return 2;
    case '\r': out[1] = 'r'; return 2;
    default:
        memcpy(out + 1, "u00", 3);
        out[4] = hex[c >> 4];
        out[5] = hex[c & 15];
        return 6;
    }
}

#define BYTES(c) (0x0101010101010101ULL * (uint64_t)(c))
#define ANY_ZERO(v) (((v) - BYTES(1)) & ~(v) & BYTES(0x80))

#ifdef __SSE2__
/* The bytes of v that JSON escapes (below 0x20, '"', '\\'), as bits. */
static inline int json_stops(__m128i v) {
    __m128i hits = _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f)),
                                _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
    return _mm_movemask_epi8(hits);
}
#endif

/* UTF-8 bytes s[0:n] as the inside of a JSON string, escaped as orjson escapes them: '"' and
 * '\\' with a backslash, the control characters as \b \t \n \f \r or \u00xx; nothing else.
 * *newline is set when a "\n" was among them. */
static int put_json(Buffer *b, const char *s, Py_ssize_t n, int *newline) {
    Py_ssize_t from = 0, i = 0;
#ifdef __SSE2__
    if (n >= 16) {
        /* Its plain blocks stored as they are read (room made for them once), not read again by
         * memcpy; a text with nothing to escape (most) ends with its last 16 bytes, read where
         * they end (again, in part), not with a byte at a time. From the first block holding an
         * escape on, the loop below, with what is stored counted as put. */
        if (b->size + n > b->room && grow(b, n) < 0) return -1;
        char *out = b->data + b->size;
        for (; i + 16 <= n; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            if (json_stops(v) != 0) break;
            _mm_storeu_si128((__m128i *)(out + i), v);
        }
        if (i + 16 > n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + n - 16));
            if (json_stops(v) == 0) {
                _mm_storeu_si128((__m128i *)(out + n - 16), v);
                b->size += n;
                return 0;
            }
        }
        b->size += i;
        from = i;
    }
#endif
    while (i < n) {
#ifdef __SSE2__
        /* 16 bytes at a time where every x86-64 can (none below 0x20, none '"' or '\\': most of a text) */
        if (i + 16 <= n && json_stops(_mm_loadu_si128((const __m128i *)(s + i))) == 0) {
            i += 16;
            continue;
        }
#endif
        if (i + 8 <= n) { /* 8 bytes at a time: none below 0x20, none '"' or '\\', most of a text */
            uint64_t v;
            memcpy(&v, s + i, 8);
            uint64_t below = (v - BYTES(0x20)) & ~v & BYTES(0x80), quote = v ^ BYTES('"'), slash = v ^ BYTES('\\');
            if ((below | ANY_ZERO(quote) | ANY_ZERO(slash)) == 0) {
                i += 8;
                continue;
            }
        }
        Py_ssize_t stop = i + 8 < n ? i + 8 : n;
        for (; i < stop; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            char escape[6];
            int size = json_escape(c, escape, newline);
            if (put(b, s, from, i, 0) < 0 || put(b, escape, 0, size, 0) < 0) return -1;
            from = i + 1;
        }
    }
    return put(b, s, from, n, 0);
}

/* ---- a str's UTF-8, made where it is written (the diff, the record's text, the review rows' JSON) ----
 *
 * CPython's PyUnicode_AsUTF8AndSize encodes a str that is not ASCII a character at a time, into
 * a buffer of three bytes a character, then copies that into the UTF-8 it keeps on the str: a
 * line with one curly quote is two bytes a character, and those lines' encoding was about a
 * fifth of the instructions a document spends outside the steps. The diff, the record's text
 * and the review rows' JSON each want the bytes once, in their own buffer: they are written
 * there, 8 or 16 characters at a time while they are ASCII (most of a line), and escaped on the
 * way where they are a JSON string's. A str whose UTF-8 is at hand (an ASCII str's characters,
 * or what CPython keeps once something asked it) is copied from there. */

/* Room from out on for 6 bytes and `per` a character after the one at i (an escape is up to 6). */
#define ROOM_FOR_ESCAPE()                                \
    do {                                                 \
        b->size = out - b->data;                         \
        if (grow(b, 6 + (n - i) * per) < 0) return -1;   \
        out = b->data + b->size;                         \
    } while (0)

/* The character c (of text[i]) as UTF-8 at out (escaped with json); a lone surrogate goes to
 * `surrogate`, which leaves it to CPython to refuse. */
#define PUT_CHAR(c)                                                      \
    do {                                                                 \
        if ((c) < 0x80) {                                                \
            if (json && ((c) < 0x20 || (c) == '"' || (c) == '\\')) {     \
                ROOM_FOR_ESCAPE();                                       \
                out += json_escape((unsigned char)(c), out, newline);    \
            } else {                                                     \
                *out++ = (char)(c);                                      \
            }                                                            \
        } else if ((c) < 0x800) {                                        \
            *out++ = (char)(0xC0 | ((c) >> 6));                          \
            *out++ = (char)(0x80 | ((c) & 0x3F));                        \
        } else if ((c) < 0x10000) {                                      \
            if (Py_UNICODE_IS_SURROGATE(c)) goto surrogate;              \
            *out++ = (char)(0xE0 | ((c) >> 12));                         \
            *out++ = (char)(0x80 | (((c) >> 6) & 0x3F));                 \
            *out++ = (char)(0x80 | ((c) & 0x3F));                        \
        } else {                                                         \
            *out++ = (char)(0xF0 | ((c) >> 18));                         \
            *out++ = (char)(0x80 | (((c) >> 12) & 0x3F));                \
            *out++ = (char)(0x80 | (((c) >> 6) & 0x3F));                 \
            *out++ = (char)(0x80 | ((c) & 0x3F));                        \
        }                                                                \
    } while (0)

#ifdef __SSE2__
/* The bytes of v that are not ASCII, or that JSON escapes (below 0x20, '"', '\\') with json, as
 * bits: compared as signed bytes, one from 0x80 is below 0x20 too. */
static inline unsigned stops(__m128i v, int json) {
    if (!json) return (unsigned)_mm_movemask_epi8(v);
    __m128i odd = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                               _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
    return (unsigned)_mm_movemask_epi8(odd);
}

/* Of the next block of a text from data[i] on (16 characters, or 8 of a two-byte text with fewer
 * left), the ASCII characters before the first that is not ASCII (or that JSON escapes, with json):
 * stored at out as their bytes (the whole block's 16 bytes are written: put_utf8 has room for at
 * least 2 bytes a character from i on), and how many. *all is set when they are the whole block;
 * 0 when no block is left, or the text is four bytes a character (each is written on its own). */
static inline Py_ssize_t plain_block(const void *data, int kind, Py_ssize_t i, Py_ssize_t n, int json, char *out,
                                     int *all) {
    __m128i packed;
    Py_ssize_t size = 16;
    *all = 0;
    if (kind == PyUnicode_1BYTE_KIND && i + 16 <= n) {
        packed = _mm_loadu_si128((const __m128i *)((const Py_UCS1 *)data + i));
    } else if (kind == PyUnicode_2BYTE_KIND && i + 8 <= n) {
        /* Packed as unsigned, a character from 0x80 to 0x7FFF has its top bit set, but one from
         * 0x8000 (read as signed) becomes 0; packed as signed, that one is 0x80: the two or'ed
         * keep an ASCII character as it is, and set the top bit of every other. */
        const Py_UCS2 *p = (const Py_UCS2 *)data + i;
        if (i + 16 > n) size = 8;
        __m128i v = _mm_loadu_si128((const __m128i *)p), w = size == 16 ? _mm_loadu_si128((const __m128i *)(p + 8)) : v;
        packed = _mm_or_si128(_mm_packus_epi16(v, w), _mm_packs_epi16(v, w));
    } else {
        return 0;
    }
    unsigned stop = stops(packed, json) & (size == 16 ? 0xFFFFu : 0xFFu);
    _mm_storeu_si128((__m128i *)out, packed);
    *all = stop == 0;
    return stop == 0 ? size : (Py_ssize_t)__builtin_ctz(stop);
}
#endif

/* put_utf8's loop over a text of TP characters (its kind KIND): each block of plain ASCII
 * characters stored at once, each other character written on its own. */
#ifdef __SSE2__
#define PLAIN_BLOCK(KIND)                                                        \
    {                                                                            \
        int all;                                                                 \
        Py_ssize_t plain = plain_block(data, KIND, i, n, json, out, &all);       \
        out += plain;                                                            \
        i += plain;                                                              \
        if (all) continue;                                                       \
    }
#else
#define PLAIN_BLOCK(KIND)
#endif
#define ENCODE(TP, KIND)                                                         \
    while (i < n) {                                                              \
        PLAIN_BLOCK(KIND)                                                        \
        Py_UCS4 c = ((const TP *)data)[i];                                       \
        PUT_CHAR(c);                                                             \
        i++;                                                                     \
    }

/* The UTF-8 of the str text into b, with json as the inside of a JSON string (put_json's escapes;
 * *newline set when a "\n" was among them, newline may be NULL without json). The same bytes as
 * PyUnicode_AsUTF8AndSize's; -1 with its UnicodeEncodeError for a lone surrogate (CPython is asked
 * then, and says so its way), or with MemoryError. */
static int put_utf8(Buffer *b, PyObject *text, int json, int *newline) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (PyUnicode_IS_COMPACT_ASCII(text)) {
        const char *ascii = (const char *)PyUnicode_DATA(text);
        return json ? put_json(b, ascii, n, newline) : put(b, ascii, 0, n, 0);
    }
    if (!PyUnicode_IS_COMPACT(text) || ((PyCompactUnicodeObject *)text)->utf8 != NULL) {
        Py_ssize_t size;
        const char *utf8 = PyUnicode_AsUTF8AndSize(text, &size);
        if (utf8 == NULL) return -1;
        return json ? put_json(b, utf8, size, newline) : put(b, utf8, 0, size, 0);
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    /* UTF-8 bytes a character at most: what utf8_bound counts */
    Py_ssize_t per = kind == PyUnicode_1BYTE_KIND ? 2 : kind == PyUnicode_2BYTE_KIND ? 3 : 4, start = b->size, i = 0;
    if (grow(b, n * per) < 0) return -1;
    char *out = b->data + b->size;
    /* (one loop for each width, so that the compiler makes each its own) */
    switch (kind) {
    case PyUnicode_1BYTE_KIND: ENCODE(Py_UCS1, PyUnicode_1BYTE_KIND); break;
    case PyUnicode_2BYTE_KIND: ENCODE(Py_UCS2, PyUnicode_2BYTE_KIND); break;
    default: ENCODE(Py_UCS4, PyUnicode_4BYTE_KIND);
    }
    b->size = out - b->data;
    return 0;
surrogate:
    b->size = start;
    {
        Py_ssize_t size;
        const char *utf8 = PyUnicode_AsUTF8AndSize(text, &size);
        if (utf8 == NULL) return -1;
        return json ? put_json(b, utf8, size, newline) : put(b, utf8, 0, size, 0);
    }
}

#undef ENCODE
#undef PLAIN_BLOCK
#undef PUT_CHAR
#undef ROOM_FOR_ESCAPE

/* A str's UTF-8 (put_utf8). */
static inline int put_str(Buffer *b, PyObject *text) { return put_utf8(b, text, 0, NULL); }

/* ---- the last record's text, escaped: what the review rows' JSON reuses ----
 *
 * A kept or changed line's text is JSON-escaped for the record (text_json) and again for the
 * review page's D line (put_rows): the same str, the same bytes. text_json keeps what it made (its
 * bytes, and where each layout text's escape is in them) until the next text_json or page_add,
 * and put_rows copies a row's text from there when the row's str is one of them. Matched by
 * identity: each str is held here (an exact str: letting it go runs no code), so none can be freed and another made
 * at its address, and a str does not change, so its escape is the one made for it. No Python code runs while they are
 * read. Rows and layout are both in line order: a row's text is looked for a few entries after
 * the last one met (a row that is not there, a dropped line's, costs those compares). The diff's
 * (render_range) knows its texts' entries: a text that is not ASCII is copied from there when its
 * escape has none (no backslash: its UTF-8, as it is). */
typedef struct {
    PyObject *bytes;    /* text_json's result (held), or NULL: nothing kept */
    PyObject **texts;   /* the layout's texts (held), in its order: text k is entry k's */
    Py_ssize_t *spans;  /* text k's escape: bytes[spans[2k]:spans[2k + 1]] */
    Py_ssize_t count, room;
} Escapes;

static Escapes escapes;

#define ESCAPES_AHEAD 4 /* entries looked at past the last one met: a paragraph's gap is one */
#define ESCAPES_KEPT 4096 /* the arrays let go of, past that many texts (a long document's) */

static void escapes_clear(void) {
    for (Py_ssize_t k = 0; k < escapes.count; k++) Py_DECREF(escapes.texts[k]);
    escapes.count = 0;
    Py_CLEAR(escapes.bytes);
    if (escapes.room > ESCAPES_KEPT) {
        PyMem_Free(escapes.texts);
        PyMem_Free(escapes.spans);
        escapes.texts = NULL;
        escapes.spans = NULL;
        escapes.room = 0;
    }
}

/* Room for n texts (escapes_clear'ed first): 0, or -1 (nothing kept then; no error set: the
 * record is made all the same, the rows escape their texts themselves). */
static int escapes_room(Py_ssize_t n) {
    if (n <= escapes.room) return 0;
    PyObject **texts = PyMem_Realloc(escapes.texts, (size_t)n * sizeof(PyObject *));
    if (texts != NULL) escapes.texts = texts;
    Py_ssize_t *spans = texts == NULL ? NULL : PyMem_Realloc(escapes.spans, (size_t)n * 2 * sizeof(Py_ssize_t));
    if (spans != NULL) escapes.spans = spans;
    if (texts == NULL || spans == NULL) return -1;
    escapes.room = n;
    return 0;
}

/* Entry k's escape: its bytes and size. */
static inline const char *kept_escape(Py_ssize_t k, Py_ssize_t *size) {
    *size = escapes.spans[2 * k + 1] - escapes.spans[2 * k];
    return PyBytes_AS_STRING(escapes.bytes) + escapes.spans[2 * k];
}

/* The escape kept for text, looked for from entry *next on (*next moved past it): its bytes and
 * size, or NULL. */
static inline const char *escaped(PyObject *text, Py_ssize_t *next, Py_ssize_t *size) {
    Py_ssize_t stop = *next + ESCAPES_AHEAD < escapes.count ? *next + ESCAPES_AHEAD : escapes.count;
    for (Py_ssize_t k = *next; k < stop; k++) {
        if (escapes.texts[k] != text) continue;
        *next = k + 1;
        return kept_escape(k, size);
    }
    return NULL;
}

/* The escape kept for text, as entry k: its bytes and size when they are text's UTF-8 as it is
 * (nothing escaped in it), or NULL. */
static inline const char *plain_escape(PyObject *text, Py_ssize_t k, Py_ssize_t *size) {
    if (escapes.bytes == NULL || k < 0 || k >= escapes.count || escapes.texts[k] != text) return NULL;
    const char *kept = kept_escape(k, size);
    return memchr(kept, '\\', (size_t)*size) == NULL ? kept : NULL;
}

static int append_span(Buffer *b, Py_ssize_t old_first, Py_ssize_t olds, Py_ssize_t new_first, Py_ssize_t news) {
    char buffer[128]; /* "@@ -" 4 numbers of at most 20 digits, 3 separators " @@\n" */
    int at = 0;
    memcpy(buffer, "@@ -", 4);
    at = 4 + decimal((long long)old_first, buffer + 4);
    if (olds != 1) {
        buffer[at++] = ',';
        at += decimal((long long)olds, buffer + at);
    }
    memcpy(buffer + at, " +", 2);
    at += 2;
    at += decimal((long long)new_first, buffer + at);
    if (news != 1) {
        buffer[at++] = ',';
        at += decimal((long long)news, buffer + at);
    }
    memcpy(buffer + at, " @@\n", 4);
    return put(b, buffer, 0, at + 4, 0);
}

static int render_range(Buffer *b, Op *ops, Py_ssize_t start, Py_ssize_t stop) {
    Py_ssize_t olds = 0, news = 0, old_first = -1, new_first = -1;
    for (Py_ssize_t i = start; i < stop; i++) {
        if (ops[i].kind != '+') {
            if (olds++ == 0) old_first = ops[i].old;
        }
        if (ops[i].kind != '-') {
            if (news++ == 0) new_first = ops[i].new;
        }
    }
    /* An empty side names the line before the hunk, as unified diffs do. */
    if (append_span(b, olds ? old_first : ops[start].old, olds, news ? new_first : ops[start].new, news) < 0)
        return -1;
    for (Py_ssize_t i = start; i < stop; i++) {
        Op *op = &ops[i];
        char kind = op->kind;
        Py_ssize_t size;
        /* (an ASCII text is copied as it is already; a '+' or ' ' op's new is its entry's place + 1) */
        const char *kept = kind == '-' || PyUnicode_IS_COMPACT_ASCII(op->text) ? NULL
                                                                              : plain_escape(op->text, op->new - 1, &size);
        if (put_byte(b, kind) < 0 || (kept != NULL ? put_raw(b, kept, size) : put_str(b, op->text)) < 0) return -1;
        if (op->tag != NULL) {
            if (put_text(b, "\t\xe2\x9f\xa8") < 0 || put_str(b, op->tag) < 0 || put_text(b, "\xe2\x9f\xa9") < 0)
                return -1;
        }
        if (put_byte(b, '\n') < 0) return -1;
        if (op->eof && put_text(b, "\\ No newline at end of file\n") < 0) return -1;
    }
    return 0;
}

/* At most the UTF-8 bytes of a str, from its length and kind alone: an ASCII str's are its
 * characters, a wider one's at most 2, 3 or 4 bytes a character (1-byte kind: up to U+00FF, two
 * bytes; 2-byte kind: up to U+FFFF, three; 4-byte kind: four). No UTF-8 is asked for here
 * (render_range asks, once), and no call made per op. */
static inline Py_ssize_t utf8_bound(PyObject *text) {
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (PyUnicode_IS_ASCII(text)) return length;
    return length * (PyUnicode_KIND(text) == PyUnicode_1BYTE_KIND ? 2 : PyUnicode_KIND(text) == PyUnicode_2BYTE_KIND ? 3 : 4);
}

/* At most the bytes render_range puts for ops[start:stop], added to *size: the buffer is made
 * once, then cut to what was put (buffer_bytes). */
static int range_size(Op *ops, Py_ssize_t start, Py_ssize_t stop, Py_ssize_t *size) {
    Py_ssize_t total = 128; /* the "@@" line: 4 numbers of at most 20 digits */
    for (Py_ssize_t i = start; i < stop; i++) {
        /* (a tag is a line's dropped_by as it is: not a str, it fails as render_range would) */
        if (!PyUnicode_Check(ops[i].text) || (ops[i].tag != NULL && !PyUnicode_Check(ops[i].tag))) {
            Py_ssize_t ignored;
            PyUnicode_AsUTF8AndSize(PyUnicode_Check(ops[i].text) ? ops[i].tag : ops[i].text, &ignored);
            return -1;
        }
        total += utf8_bound(ops[i].text) + 2;
        if (ops[i].tag != NULL) total += utf8_bound(ops[i].tag) + 7;
        if (ops[i].eof) total += (Py_ssize_t)strlen("\\ No newline at end of file\n");
    }
    *size += total;
    return 0;
}

/* _hunks: every change with up to CONTEXT ops around it, overlapping or touching ranges merged;
 * each rendered into b, or with size given, only measured (added to *size). */
static int hunk_ranges(Buffer *b, Op *ops, Py_ssize_t n, Py_ssize_t *size) {
    Py_ssize_t start = -1, stop = -1;
    for (Py_ssize_t i = 0; i <= n; i++) {
        if (i < n && ops[i].kind == ' ') continue;
        Py_ssize_t lo = i - CONTEXT > 0 ? i - CONTEXT : 0, hi = i + CONTEXT + 1 < n ? i + CONTEXT + 1 : n;
        if (i < n && start >= 0 && lo <= stop) {
            stop = hi;
            continue;
        }
        if (start >= 0 && (size != NULL ? range_size(ops, start, stop, size) : render_range(b, ops, start, stop)) < 0)
            return -1;
        start = lo;
        stop = hi;
    }
    return 0;
}

/* hunks(lines, layout, trailing_newline, layout_label[, as_bytes[, head]]) -> str | bytes | None: the
 * text, or with as_bytes its UTF-8 (what the shard's .diff file is written in: no str is built, and the
 * lines' UTF-8 is written in place, put_utf8), after the bytes ``head`` (the diff's header: not joined on
 * with another copy of the whole). None when the layout is not in line order, or a text
 * has no UTF-8 (a lone surrogate: diff.py does it the Python way, and says so its way). */
static PyObject *hunks(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *lines_arg, *out_arg, *layout_label;
    int trailing_newline, as_bytes = 0;
    Py_buffer head = {NULL, NULL};
    if (fast_args("hunks", args, nargs, "LLpU|py", &lines_arg, &out_arg, &trailing_newline, &layout_label, &as_bytes,
                  &head) < 0)
        return NULL;
    PyObject *lines = PyList_GetSlice(lines_arg, 0, PyList_GET_SIZE(lines_arg));
    PyObject *out = PyList_GetSlice(out_arg, 0, PyList_GET_SIZE(out_arg));
    PyObject *result = NULL;
    Buffer b = {NULL, 0, 0, as_bytes, NULL, 0};
    Op *ops = NULL;
    Py_ssize_t n = 0;
    if (lines == NULL || out == NULL) goto finally;
    Py_ssize_t room = 2 * PyList_GET_SIZE(lines) + PyList_GET_SIZE(out) + 1;
    ops = PyMem_New(Op, room);
    if (ops == NULL) {
        PyErr_NoMemory();
        goto finally;
    }
    Reader reader = READER_INIT;
    int status = build_ops(&reader, lines, out, trailing_newline, layout_label, ops, &n);
    reader_done(&reader);
    if (status == -1) goto finally;
    if (status == -2) {
        result = Py_NewRef(Py_None);
        goto finally;
    }
    /* A bound of the size first (from the texts' lengths and kinds), so the buffer is made once:
     * grown by doubling from a few hundred bytes, a diff of a few KB was moved by several
     * reallocations. Measuring it exactly asked every op for its UTF-8 once more. */
    Py_ssize_t size = head.buf != NULL ? head.len : 0;
    if (hunk_ranges(&b, ops, n, &size) < 0 || grow(&b, size) < 0) goto failed;
    /* (an empty head of an empty diff: no buffer was made, and memcpy is not given a null one) */
    if (head.buf != NULL && head.len > 0 && put_raw(&b, head.buf, head.len) < 0) goto finally;
    if (hunk_ranges(&b, ops, n, NULL) < 0) goto failed;
    result = as_bytes ? buffer_bytes(&b) : PyUnicode_DecodeUTF8(b.data, b.size, "strict");
    goto finally;
failed:
    if (PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
        PyErr_Clear();
        result = Py_NewRef(Py_None);
    }
finally:
    if (ops != NULL) free_ops(ops, n);
    if (as_bytes)
        Py_XDECREF(b.bytes);
    else
        PyMem_Free(b.data);
    if (head.buf != NULL) PyBuffer_Release(&head);
    Py_XDECREF(lines);
    Py_XDECREF(out);
    return result;
}

/* ---- the review page's entries (pagedata.ShardPage._entries) ---- */

/* Where each item of a row lies in the JSON of the rows (orjson's: no spaces). */
typedef struct {
    Py_ssize_t start, end;      /* the row, "[" to "]" inclusive */
    Py_ssize_t item[5], stop[5]; /* each item's bytes */
    int items;
    char fate; /* ' ', '-', '~' */
} Span;

/* The end of the JSON string starting at s[at] == '"' (just past its closing quote), or -1: the
 * first quote after it not escaped (an even number of backslashes before it). */
/* The first '"' in s[at:n], or NULL: the next 16 bytes looked at with SSE2 first, where every
 * x86-64 can (most of a row's strings are its fate, its tag or a short text: a call of memchr
 * each cost more than the compare), memchr past them. */
static inline const char *next_quote(const char *s, Py_ssize_t at, Py_ssize_t n) {
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
    if (at + 16 <= n) {
        int hits = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + at)), _mm_set1_epi8('"')));
        if (hits != 0) return s + at + __builtin_ctz((unsigned)hits);
        at += 16;
    }
#endif
    return memchr(s + at, '"', (size_t)(n - at));
}

static Py_ssize_t skip_string(const char *s, Py_ssize_t at, Py_ssize_t n) {
    for (at++; at < n;) {
        const char *quote = next_quote(s, at, n);
        if (quote == NULL) return -1;
        Py_ssize_t end = quote - s, back = end;
        while (back > at && s[back - 1] == '\\') back--;
        if ((end - back) % 2 == 0) return end + 1;
        at = end + 1;
    }
    return -1;
}

/* The rows of orjson.dumps(rows), each a list of 4 or 5 strings, ints or nulls; 0, or -1 when not that shape. */
static int split_rows(const char *s, Py_ssize_t n, Span *spans, Py_ssize_t count) {
    Py_ssize_t at = 0;
    if (n < 2 || s[0] != '[' || s[n - 1] != ']') return -1;
    at = 1;
    for (Py_ssize_t r = 0; r < count; r++) {
        Span *span = &spans[r];
        if (r > 0) {
            if (at >= n || s[at] != ',') return -1;
            at++;
        }
        if (at >= n || s[at] != '[') return -1;
        span->start = at++;
        span->items = 0;
        for (;;) {
            if (span->items == 5 || at >= n) return -1;
            Py_ssize_t begin = at;
            if (s[at] == '"') {
                at = skip_string(s, at, n);
                if (at < 0) return -1;
            } else {
                while (at < n && s[at] != ',' && s[at] != ']') {
                    if (s[at] == '[' || s[at] == '{' || s[at] == '"') return -1;
                    at++;
                }
                if (at == begin) return -1;
            }
            span->item[span->items] = begin;
            span->stop[span->items] = at;
            span->items++;
            if (at >= n) return -1;
            if (s[at] == ']') break;
            if (s[at] != ',') return -1;
            at++;
        }
        span->end = ++at;
        if (span->items < 4 || span->stop[1] - span->item[1] != 3 || s[span->item[1]] != '"') return -1;
        span->fate = s[span->item[1] + 1];
        if (!(span->fate == ' ' && span->items == 4) && !(span->fate == '-' && span->items == 4) &&
            !(span->fate == '~' && span->items == 5))
            return -1;
    }
    return at == n - 1 ? 0 : -1;
}


/* r[:4] of row r: its JSON up to its fourth item, closed. */
static int put_short(Buffer *b, const char *s, const Span *span, int escape) {
    if (put(b, s, span->start, span->stop[3], escape) < 0) return -1;
    return put_text(b, "]");
}

/* The length of the character (code point) of a JSON string's text at s[at]: an escape ("\\"
 * and one character, or "\\u" and four hex digits: orjson writes no surrogate pair, its UTF-8
 * being as it is) or a character's UTF-8. */
static inline Py_ssize_t char_size(const char *s, Py_ssize_t at) {
    unsigned char c = (unsigned char)s[at];
    if (c == '\\') return s[at + 1] == 'u' ? 6 : 2;
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Eight bytes at a time where the compiler gives the bit scans and the machine is little-endian
 * (the first byte of a word its lowest): a repaired line is a few hundred bytes compared and
 * counted from each end, which a byte at a time made a few percent of a document's instructions. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WORDS 1
static inline uint64_t word_at(const char *s) {
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
}
#else
#define WORDS 0
#endif

/* The number of characters in UTF-8 bytes s[0:n]: the bytes that are not continuation bytes
 * (10xxxxxx: the high bit set, the next one clear). */
static inline Py_ssize_t utf8_chars(const char *s, Py_ssize_t n) {
    Py_ssize_t k = 0, continuations = 0;
#if WORDS
    for (; k + 8 <= n; k += 8) {
        uint64_t w = word_at(s + k);
        /* one bit a byte, moved to each byte's lowest and summed into the top byte by a multiply
         * (a popcount is a call to libgcc without -mpopcnt) */
        continuations += (Py_ssize_t)(((((w & ~(w << 1)) >> 7) & 0x0101010101010101ULL) * 0x0101010101010101ULL) >> 56);
    }
#endif
    for (; k < n; k++) continuations += ((unsigned char)s[k] & 0xC0) == 0x80;
    return n - continuations;
}

/* How many of the first bytes of a and b (n at most) are the same. */
static inline Py_ssize_t same_head(const char *a, const char *b, Py_ssize_t n) {
    Py_ssize_t k = 0;
#if WORDS
    for (; k + 8 <= n; k += 8) {
        uint64_t diff = word_at(a + k) ^ word_at(b + k);
        if (diff) return k + (__builtin_ctzll(diff) >> 3);
    }
#endif
    while (k < n && a[k] == b[k]) k++;
    return k;
}

/* How many of the last bytes before a_end and b_end (n at most) are the same. */
static inline Py_ssize_t same_tail(const char *a_end, const char *b_end, Py_ssize_t n) {
    Py_ssize_t k = 0;
#if WORDS
    for (; k + 8 <= n; k += 8) {
        uint64_t diff = word_at(a_end - k - 8) ^ word_at(b_end - k - 8);
        if (diff) return k + (__builtin_clzll(diff) >> 3);
    }
#endif
    while (k < n && a_end[-1 - k] == b_end[-1 - k]) k++;
    return k;
}

/* put_edit (below) of texts with an escape in either: character by character. */
static int put_edit_escaped(Buffer *b, const char *s, Py_ssize_t o_from, Py_ssize_t o_to, Py_ssize_t n_from,
                            Py_ssize_t n_to, int escape) {
    Py_ssize_t o = o_from, n = n_from, prefix = 0;
    while (o < o_to && n < n_to) {
        Py_ssize_t size = char_size(s, o);
        if (size != char_size(s, n) || memcmp(s + o, s + n, (size_t)size) != 0) break;
        o += size, n += size, prefix++;
    }
    /* The suffix, compared from the ends by the starts of each text's characters after the
     * prefix, found going forward (from the end an escape's last byte is not told from a
     * character's without reading back to the string's start) */
    Py_ssize_t o_chars = 0, n_chars = 0;
    for (Py_ssize_t k = o; k < o_to; k += char_size(s, k)) o_chars++;
    for (Py_ssize_t k = n; k < n_to; k += char_size(s, k)) n_chars++;
    Py_ssize_t *o_at = PyMem_New(Py_ssize_t, o_chars + 1), *n_at = PyMem_New(Py_ssize_t, n_chars + 1);
    int status = -1;
    if (o_at == NULL || n_at == NULL) {
        PyErr_NoMemory();
        goto finally;
    }
    Py_ssize_t k = o, c = 0;
    for (; c < o_chars; k += char_size(s, k)) o_at[c++] = k;
    o_at[c] = o_to;
    for (k = n, c = 0; c < n_chars; k += char_size(s, k)) n_at[c++] = k;
    n_at[c] = n_to;
    Py_ssize_t suffix = 0;
    while (suffix < o_chars && suffix < n_chars) {
        Py_ssize_t oa = o_at[o_chars - suffix - 1], ob = o_at[o_chars - suffix];
        Py_ssize_t na = n_at[n_chars - suffix - 1], nb = n_at[n_chars - suffix];
        if (ob - oa != nb - na || memcmp(s + oa, s + na, (size_t)(ob - oa)) != 0) break;
        suffix++;
    }
    char digits[24];
    if (put_byte(b, '[') < 0 || put_raw(b, digits, decimal(prefix, digits)) < 0 || put_byte(b, ',') < 0 ||
        put_raw(b, digits, decimal(suffix, digits)) < 0 || put_text(b, ",\"") < 0 ||
        put(b, s, o, o_at[o_chars - suffix], escape) < 0 || put_text(b, "\"]") < 0)
        goto finally;
    status = 0;
finally:
    PyMem_Free(o_at);
    PyMem_Free(n_at);
    return status;
}

/* A changed row's original text as an edit of its changed text (review.edit's [prefix, suffix,
 * middle]: the characters both share at the start and at the end, and the original's between):
 * most repairs touch a space or two of a long line, which the entry held twice whole. Read from
 * the JSON strings' text (s[from:to] each); the counts are of code points, as Python's. */
static int put_edit(Buffer *b, const char *s, Py_ssize_t o_from, Py_ssize_t o_to, Py_ssize_t n_from, Py_ssize_t n_to,
                    int escape) {
    const char *o = s + o_from, *t = s + n_from;
    Py_ssize_t o_len = o_to - o_from, n_len = n_to - n_from;
    if (memchr(o, '\\', (size_t)o_len) != NULL || memchr(t, '\\', (size_t)n_len) != NULL)
        return put_edit_escaped(b, s, o_from, o_to, n_from, n_to, escape);
    /* No escape in either (most texts): a character is its UTF-8, which the bytes tell; the
     * common bytes at each end, cut back to where a character begins (the same place in both:
     * the bytes up to it are the same), are the common characters. (o[d] at d == o_len is the
     * closing quote: no continuation byte.) */
    Py_ssize_t most = o_len < n_len ? o_len : n_len, d = same_head(o, t, most);
    while (d > 0 && ((unsigned char)o[d] & 0xC0) == 0x80) d--;
    Py_ssize_t e = same_tail(o + o_len, t + n_len, most - d);
    while (e > 0 && ((unsigned char)o[o_len - e] & 0xC0) == 0x80) e--;
    char digits[24];
    if (put_byte(b, '[') < 0 || put_raw(b, digits, decimal(utf8_chars(o, d), digits)) < 0 || put_byte(b, ',') < 0 ||
        put_raw(b, digits, decimal(utf8_chars(o + o_len - e, e), digits)) < 0 || put_text(b, ",\"") < 0 ||
        put(b, o, d, o_len - e, escape) < 0 || put_text(b, "\"]") < 0)
        return -1;
    return 0;
}

/* Each acted row's entry as js(entry)[1:] (pagedata: [line, text (a changed row's original as
 * review.edit gives it, put_edit), before, after (none for a changed row), changed text],
 * the "[" left out), given to ``each`` (its index, its bytes; 0 to go on, anything else stops the
 * walk and is returned), and the JSON of the rows with_context(rows, context) keeps, joined by
 * ",", into kept after its first kept_from bytes: the walk of entries(), page_entries() and
 * page_add() over the spans of split_rows. With bare set, no entry is made: ``each`` is given
 * NULL and 0 (page_add's offers for a document the page does not keep whole, which need none). */
typedef int (*EachEntry)(void *ctx, Py_ssize_t i, const char *rest, Py_ssize_t size);

static int walk_entries(const char *s, Py_ssize_t n, const Span *spans, Py_ssize_t count, Py_ssize_t context,
                        Buffer *kept, Py_ssize_t kept_from, EachEntry each, void *ctx, int bare) {
    Buffer rest = {NULL, 0, 0};
    int status = -1;
    /* "<" escaped only in rows that hold one: most hold none, and looking for it piece by piece
     * (a memchr per item of every context row of every entry) was a call a few bytes each */
    int escape = memchr(s, '<', (size_t)n) != NULL;
    if (grow(&rest, 1024) < 0) goto finally;
    Py_ssize_t taken = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        const Span *span = &spans[i];
        if (span->fate == ' ') continue;
        /* (context may be near PY_SSIZE_T_MAX: i + context would overflow) */
        Py_ssize_t lo = context < i ? i - context : 0, hi = context < count - i - 1 ? i + context + 1 : count;
        for (Py_ssize_t k = lo > taken ? lo : taken; k < hi; k++) {
            if ((kept->size > kept_from && put_text(kept, ",") < 0) || put(kept, s, spans[k].start, spans[k].end, 0) < 0)
                goto finally;
        }
        if (hi > taken) taken = hi;
        if (bare) {
            int got = each(ctx, i, NULL, 0);
            if (got != 0) {
                status = got;
                goto finally;
            }
            continue;
        }
        rest.size = 0;
        int text = span->fate == '-' ? 3 : 4;
        /* a changed row's entry is judged on its own text, before and after: no context (the
         * most repaired rows, whitespace, made most of the r files' bytes with it) */
        Py_ssize_t elo = span->fate == '~' ? i : lo, ehi = span->fate == '~' ? i + 1 : hi;
        if (put(&rest, s, span->item[0], span->stop[0], escape) < 0 || put_text(&rest, ",") < 0 ||
            (span->fate == '-' || s[span->item[3]] != '"' || s[span->item[4]] != '"'
                 ? put(&rest, s, span->item[text], span->stop[text], escape) /* (a text that is not a string: as it is) */
                 : put_edit(&rest, s, span->item[4] + 1, span->stop[4] - 1, span->item[3] + 1,
                                          span->stop[3] - 1, escape)) < 0 ||
            put_text(&rest, ",[") < 0)
            goto finally;
        for (Py_ssize_t k = elo; k < i; k++) {
            if ((k > elo && put_text(&rest, ",") < 0) || put_short(&rest, s, &spans[k], escape) < 0) goto finally;
        }
        if (put_text(&rest, "],[") < 0) goto finally;
        for (Py_ssize_t k = i + 1; k < ehi; k++) {
            if ((k > i + 1 && put_text(&rest, ",") < 0) || put_short(&rest, s, &spans[k], escape) < 0) goto finally;
        }
        if (put_text(&rest, "],") < 0) goto finally;
        if (span->fate == '-' ? put_text(&rest, "null") : put(&rest, s, span->item[3], span->stop[3], escape))
            goto finally;
        if (put_text(&rest, "]") < 0) goto finally;
        int got = each(ctx, i, rest.data, rest.size);
        if (got != 0) {
            status = got;
            goto finally;
        }
    }
    status = 0;
finally:
    PyMem_Free(rest.data);
    return status;
}

/* The spans of the rows of rows_json (count of them): NULL with an error set, or with none when
 * the JSON is not rows of a record's shape (*mismatch set). */
static Span *row_spans(const char *s, Py_ssize_t n, Py_ssize_t count, int *mismatch) {
    *mismatch = 0;
    if (count > n) { /* a row takes more than a byte */
        *mismatch = 1;
        return NULL;
    }
    Span *spans = PyMem_New(Span, count + 1);
    if (spans == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    if (split_rows(s, n, spans, count) < 0) {
        PyMem_Free(spans);
        *mismatch = 1;
        return NULL;
    }
    return spans;
}

typedef struct {
    PyObject *acted, *rests;
} Listed;

static int list_entry(void *ctx, Py_ssize_t i, const char *rest, Py_ssize_t size) {
    Listed *listed = ctx;
    PyObject *index = PyLong_FromSsize_t(i);
    if (index == NULL) return -1;
    int failed = PyList_Append(listed->acted, index);
    Py_DECREF(index);
    if (failed) return -1;
    PyObject *bytes = PyBytes_FromStringAndSize(rest, size);
    if (bytes == NULL) return -1;
    failed = PyList_Append(listed->rests, bytes);
    Py_DECREF(bytes);
    return failed ? -1 : 0;
}

/* entries(rows_json, count, context) -> (acted, rests, near) | None: for orjson.dumps(rows) of a
 * review record's ``count`` rows, the indices of the rows something acted on, each one's entry as
 * js(entry)[1:] (pagedata: [line, text, before, after, changed text], the "[" left out), and the
 * JSON of the rows with_context(rows, context) keeps, joined by ","; None when the JSON is not
 * rows of that shape. */
static PyObject *entries(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t count, context;
    if (!PyArg_ParseTuple(args, "y*nn", &view, &count, &context)) return NULL;
    PyObject *near = NULL, *result = NULL;
    Listed listed = {NULL, NULL};
    /* near in a bytes object made once, at its most (all the rows), and handed out cut to size */
    Buffer kept = {NULL, 0, 0, 1, NULL, 0};
    Span *spans = NULL;
    int mismatch;
    if (count < 0 || context < 0) {
        PyErr_SetString(PyExc_ValueError, "count and context must be >= 0");
        goto finally;
    }
    spans = row_spans(view.buf, view.len, count, &mismatch);
    if (spans == NULL) {
        if (mismatch) result = Py_NewRef(Py_None);
        goto finally;
    }
    listed.acted = PyList_New(0);
    listed.rests = PyList_New(0);
    if (listed.acted == NULL || listed.rests == NULL || grow(&kept, view.len) < 0) goto finally;
    if (walk_entries(view.buf, view.len, spans, count, context, &kept, 0, list_entry, &listed, 0) < 0) goto finally;
    near = buffer_bytes(&kept);
    if (near == NULL) goto finally;
    result = PyTuple_Pack(3, listed.acted, listed.rests, near);
finally:
    PyBuffer_Release(&view);
    PyMem_Free(spans);
    Py_XDECREF(kept.bytes);
    Py_XDECREF(listed.acted);
    Py_XDECREF(listed.rests);
    Py_XDECREF(near);
    return result;
}

/* ---- the sample keys and offers (pagedata.sort_key, ShardPage._entries' samples) ---- */

/* BLAKE2b (RFC 7693) with an 8-byte digest and no key: hashlib.blake2b(data, digest_size=8). */
static const uint64_t blake2b_iv[8] = {
    0x6A09E667F3BCC908ULL, 0xBB67AE8584CAA73BULL, 0x3C6EF372FE94F82BULL, 0xA54FF53A5F1D36F1ULL,
    0x510E527FADE682D1ULL, 0x9B05688C2B3E6C1FULL, 0x1F83D9ABFB41BD6BULL, 0x5BE0CD19137E2179ULL};

static const uint8_t blake2b_sigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4}, {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13}, {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11}, {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5}, {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}};

#define ROTR64(x, y) (((x) >> (y)) | ((x) << (64 - (y))))
#define MIX(a, b, c, d, x, y)          \
    do {                               \
        v[a] = v[a] + v[b] + (x);      \
        v[d] = ROTR64(v[d] ^ v[a], 32); \
        v[c] = v[c] + v[d];            \
        v[b] = ROTR64(v[b] ^ v[c], 24); \
        v[a] = v[a] + v[b] + (y);      \
        v[d] = ROTR64(v[d] ^ v[a], 16); \
        v[c] = v[c] + v[d];            \
        v[b] = ROTR64(v[b] ^ v[c], 63); \
    } while (0)

static void blake2b_compress(uint64_t h[8], const uint8_t block[128], uint64_t t, int last) {
    uint64_t v[16], m[16];
    for (int i = 0; i < 8; i++) {
        v[i] = h[i];
        v[i + 8] = blake2b_iv[i];
    }
    v[12] ^= t;
    if (last) v[14] = ~v[14];
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(m, block, sizeof m); /* the words are little-endian: as they lie, on such a machine */
#else
    for (int i = 0; i < 16; i++) {
        uint64_t word = 0;
        for (int k = 7; k >= 0; k--) word = (word << 8) | block[8 * i + k];
        m[i] = word;
    }
#endif
    /* The rounds written out (as RFC 7693's reference code does): each one's message schedule is
     * then constants, the words picked at compile time, not read through the table every MIX
     * (a key per acted row of every document: most of page_entries' own work). */
#define ROUND(r)                                                                 \
    do {                                                                         \
        MIX(0, 4, 8, 12, m[blake2b_sigma[r][0]], m[blake2b_sigma[r][1]]);       \
        MIX(1, 5, 9, 13, m[blake2b_sigma[r][2]], m[blake2b_sigma[r][3]]);       \
        MIX(2, 6, 10, 14, m[blake2b_sigma[r][4]], m[blake2b_sigma[r][5]]);      \
        MIX(3, 7, 11, 15, m[blake2b_sigma[r][6]], m[blake2b_sigma[r][7]]);      \
        MIX(0, 5, 10, 15, m[blake2b_sigma[r][8]], m[blake2b_sigma[r][9]]);      \
        MIX(1, 6, 11, 12, m[blake2b_sigma[r][10]], m[blake2b_sigma[r][11]]);    \
        MIX(2, 7, 8, 13, m[blake2b_sigma[r][12]], m[blake2b_sigma[r][13]]);     \
        MIX(3, 4, 9, 14, m[blake2b_sigma[r][14]], m[blake2b_sigma[r][15]]);     \
    } while (0)
    ROUND(0);
    ROUND(1);
    ROUND(2);
    ROUND(3);
    ROUND(4);
    ROUND(5);
    ROUND(6);
    ROUND(7);
    ROUND(8);
    ROUND(9);
    ROUND(10);
    ROUND(11);
#undef ROUND
    for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

/* int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big") */
static uint64_t sort_key(const uint8_t *data, size_t size) {
    uint64_t h[8];
    memcpy(h, blake2b_iv, sizeof h);
    h[0] ^= 0x01010000ULL ^ 8; /* fanout 1, depth 1, no key, 8-byte digest */
    uint64_t t = 0;
    while (size > 128) {
        t += 128;
        blake2b_compress(h, data, t, 0);
        data += 128;
        size -= 128;
    }
    uint8_t block[128] = {0};
    memcpy(block, data, size);
    t += size;
    blake2b_compress(h, block, t, 1);
    uint64_t key = 0; /* the digest is h[0] little-endian; read big-endian */
    for (int k = 0; k < 8; k++) key = (key << 8) | ((h[0] >> (8 * k)) & 0xFF);
    return key;
}

/* sort_key(data) -> int: pagedata.sort_key's hash, of bytes already joined (for the tests). */
static PyObject *py_sort_key(PyObject *self, PyObject *args) {
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "y*", &view)) return NULL;
    uint64_t key = sort_key(view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLongLong(key);
}

/* ---- four keys at once: a document's acted rows hashed together (page_add) ----
 *
 * A key is a BLAKE2b of the document's id and the row's number (pagedata.sort_key), needed for
 * every acted row: to offer it, or to compare it with a full heap's least (no cheaper bound
 * exists for a hash). Its twelve rounds, one word at a time, were most of offer_row's work (1,800
 * instructions a key); AVX2 runs four messages' rounds side by side, a lane each, in about as
 * many instructions as one. Only for messages of one block (an id of up to WIDE_PREFIX bytes,
 * which every id of the corpora is), on a CPU that has AVX2 (asked once, at import); anything
 * else goes through sort_key. The keys are the same either way
 * (tests/test_diff_native.py compares both with hashlib's). */
#define WIDE_PREFIX (128 - 24) /* the prefix and a number's digits (at most 20) in one block, with room to spare */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define WIDE_KEYS 1
static int wide_keys; /* whether this CPU has AVX2 */

#define WIDE_ROT32(x) _mm256_shuffle_epi32((x), _MM_SHUFFLE(2, 3, 0, 1))
#define WIDE_ROT63(x) _mm256_xor_si256(_mm256_srli_epi64((x), 63), _mm256_add_epi64((x), (x)))
#define WIDE_G(a, b, c, d, x, y)                                                  \
    do {                                                                          \
        v[a] = _mm256_add_epi64(_mm256_add_epi64(v[a], v[b]), (x));               \
        v[d] = WIDE_ROT32(_mm256_xor_si256(v[d], v[a]));                          \
        v[c] = _mm256_add_epi64(v[c], v[d]);                                      \
        v[b] = _mm256_shuffle_epi8(_mm256_xor_si256(v[b], v[c]), rot24);          \
        v[a] = _mm256_add_epi64(_mm256_add_epi64(v[a], v[b]), (y));               \
        v[d] = _mm256_shuffle_epi8(_mm256_xor_si256(v[d], v[a]), rot16);          \
        v[c] = _mm256_add_epi64(v[c], v[d]);                                      \
        v[b] = WIDE_ROT63(_mm256_xor_si256(v[b], v[c]));                          \
    } while (0)

/* keys[k] = sort_key(blocks[k]'s first sizes[k] bytes) for the four blocks (of 128 bytes each,
 * zero past their messages: the last block of each). */
__attribute__((target("avx2"))) static void sort_keys4(const uint8_t blocks[4][128], const uint64_t sizes[4],
                                                       uint64_t keys[4]) {
    __m256i m[16], v[16];
    /* m[j]: word j of each message, a lane each (4x4 blocks of words turned, by unpack and permute) */
    for (int j = 0; j < 16; j += 4) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(blocks[0] + 8 * j));
        __m256i b = _mm256_loadu_si256((const __m256i *)(blocks[1] + 8 * j));
        __m256i c = _mm256_loadu_si256((const __m256i *)(blocks[2] + 8 * j));
        __m256i d = _mm256_loadu_si256((const __m256i *)(blocks[3] + 8 * j));
        __m256i ab0 = _mm256_unpacklo_epi64(a, b), ab1 = _mm256_unpackhi_epi64(a, b);
        __m256i cd0 = _mm256_unpacklo_epi64(c, d), cd1 = _mm256_unpackhi_epi64(c, d);
        m[j] = _mm256_permute2x128_si256(ab0, cd0, 0x20);
        m[j + 1] = _mm256_permute2x128_si256(ab1, cd1, 0x20);
        m[j + 2] = _mm256_permute2x128_si256(ab0, cd0, 0x31);
        m[j + 3] = _mm256_permute2x128_si256(ab1, cd1, 0x31);
    }
    const __m256i rot24 = _mm256_setr_epi8(3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10, 3, 4, 5, 6, 7, 0, 1,
                                           2, 11, 12, 13, 14, 15, 8, 9, 10);
    const __m256i rot16 = _mm256_setr_epi8(2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9, 2, 3, 4, 5, 6, 7, 0,
                                           1, 10, 11, 12, 13, 14, 15, 8, 9);
    uint64_t h0 = blake2b_iv[0] ^ 0x01010000ULL ^ 8; /* as sort_key's parameter block */
    v[0] = _mm256_set1_epi64x((long long)h0);
    for (int i = 1; i < 8; i++) v[i] = _mm256_set1_epi64x((long long)blake2b_iv[i]);
    for (int i = 0; i < 8; i++) v[i + 8] = _mm256_set1_epi64x((long long)blake2b_iv[i]);
    v[12] = _mm256_xor_si256(v[12], _mm256_loadu_si256((const __m256i *)sizes)); /* t: one block, the message's size */
    v[14] = _mm256_xor_si256(v[14], _mm256_set1_epi64x(-1));                     /* the last block */
    /* The rounds in a loop, each one's words picked through sigma: unrolled, the twelve rounds'
     * code (6 KB) missed the instruction cache at each document's call. */
    for (int r = 0; r < 12; r++) {
        const uint8_t *pick = blake2b_sigma[r];
        WIDE_G(0, 4, 8, 12, m[pick[0]], m[pick[1]]);
        WIDE_G(1, 5, 9, 13, m[pick[2]], m[pick[3]]);
        WIDE_G(2, 6, 10, 14, m[pick[4]], m[pick[5]]);
        WIDE_G(3, 7, 11, 15, m[pick[6]], m[pick[7]]);
        WIDE_G(0, 5, 10, 15, m[pick[8]], m[pick[9]]);
        WIDE_G(1, 6, 11, 12, m[pick[10]], m[pick[11]]);
        WIDE_G(2, 7, 8, 13, m[pick[12]], m[pick[13]]);
        WIDE_G(3, 4, 9, 14, m[pick[14]], m[pick[15]]);
    }
    /* the digest is h[0] ^ v[0] ^ v[8], little-endian; the key reads it big-endian */
    uint64_t words[4];
    _mm256_storeu_si256((__m256i *)words,
                        _mm256_xor_si256(_mm256_set1_epi64x((long long)h0), _mm256_xor_si256(v[0], v[8])));
    for (int k = 0; k < 4; k++) keys[k] = __builtin_bswap64(words[k]);
}
#endif

/* keys[k] = sort_key(prefix + b"%d" % nos[k]) for k < count: four at a time where the CPU and
 * the prefix allow (wide set), else one by one. 0, or -1 with MemoryError. */
static int sort_keys(const char *prefix, Py_ssize_t prefix_len, const long long *nos, Py_ssize_t count,
                     uint64_t *keys, int wide) {
    Py_ssize_t k = 0;
#ifdef WIDE_KEYS
    if (wide && wide_keys && prefix_len <= WIDE_PREFIX) {
        uint8_t blocks[4][128];
        uint64_t sizes[4];
        for (int lane = 0; lane < 4; lane++) {
            memcpy(blocks[lane], prefix, (size_t)prefix_len);
            memset(blocks[lane] + prefix_len, 0, (size_t)(128 - prefix_len));
        }
        /* (a lone key four-wide costs about sort_key's, whose code is then not run at all: it
         * missed the instruction cache at each call) */
        for (; k < count; k += 4) {
            int lanes = count - k < 4 ? (int)(count - k) : 4;
            for (int lane = 0; lane < 4; lane++) {
                char digits[24];
                int size = decimal(nos[k + (lane < lanes ? lane : 0)], digits);
                memset(blocks[lane] + prefix_len, 0, 24); /* the last number's digits gone */
                memcpy(blocks[lane] + prefix_len, digits, (size_t)size);
                sizes[lane] = (uint64_t)(prefix_len + size);
            }
            uint64_t got[4];
            sort_keys4((const uint8_t(*)[128])blocks, sizes, got);
            for (int lane = 0; lane < lanes; lane++) keys[k + lane] = got[lane];
        }
    }
#else
    (void)wide;
#endif
    if (k >= count) return 0;
    uint8_t *data = PyMem_Malloc((size_t)prefix_len + 24);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(data, prefix, (size_t)prefix_len);
    for (; k < count; k++) {
        int size = decimal(nos[k], (char *)data + prefix_len);
        keys[k] = sort_key(data, (size_t)prefix_len + (size_t)size);
    }
    PyMem_Free(data);
    return 0;
}

/* sort_keys(prefix, nos, wide) -> list of int: sort_keys' keys of prefix + b"%d" % no for each no
 * (each within a long long), four at a time when wide is set and the CPU has AVX2 (for the tests). */
static PyObject *py_sort_keys(PyObject *self, PyObject *args) {
    Py_buffer prefix;
    PyObject *list, *result = NULL;
    int wide;
    if (!PyArg_ParseTuple(args, "y*O!p", &prefix, &PyList_Type, &list, &wide)) return NULL;
    Py_ssize_t count = PyList_GET_SIZE(list);
    long long *nos = PyMem_New(long long, count + 1);
    uint64_t *keys = PyMem_New(uint64_t, count + 1);
    if (nos == NULL || keys == NULL) {
        PyErr_NoMemory();
        goto finally;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *no = PyList_GET_ITEM(list, k);
        if (!PyLong_Check(no)) { /* (no __index__ run: it could shrink the list under us) */
            PyErr_SetString(PyExc_TypeError, "sort_keys: the numbers must be ints");
            goto finally;
        }
        nos[k] = PyLong_AsLongLong(no);
        if (nos[k] == -1 && PyErr_Occurred()) goto finally;
    }
    if (sort_keys(prefix.buf, prefix.len, nos, count, keys, wide) < 0 || (result = PyList_New(count)) == NULL)
        goto finally;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *key = PyLong_FromUnsignedLongLong(keys[k]);
        if (key == NULL) {
            Py_CLEAR(result);
            goto finally;
        }
        PyList_SET_ITEM(result, k, key);
    }
finally:
    PyBuffer_Release(&prefix);
    PyMem_Free(nos);
    PyMem_Free(keys);
    return result;
}

/* Whether (-key, -n, -no) > heap[0][:3]: 1, 0, or -1 on error. */
static int beats(PyObject *top, PyObject *key, PyObject *doc, PyObject *no) {
    if (!PyTuple_Check(top) || PyTuple_GET_SIZE(top) < 3) {
        PyErr_SetString(PyExc_TypeError, "a sample candidate must be a tuple (key, document, line, entry)");
        return -1;
    }
    PyObject *mine[3] = {key, doc, no};
    for (int k = 0; k < 3; k++) {
        PyObject *theirs = PyTuple_GET_ITEM(top, k);
        int equal = PyObject_RichCompareBool(mine[k], theirs, Py_EQ);
        if (equal < 0) return -1;
        if (!equal) return PyObject_RichCompareBool(mine[k], theirs, Py_GT);
    }
    return 0;
}

/* Whether (-hashed, -n, -no) > top[:3], when the keys settle it: 1 or 0; 2 when they do not (a
 * tie, or a top that is not a tuple led by an int in a long long's range: beats decides). The
 * row's key objects are made only for a row a heap takes, or for beats: a full heap refuses
 * most rows, each of which made three ints and compared them as objects. */
static int key_beats(PyObject *top, uint64_t hashed) {
    if (!PyTuple_Check(top) || PyTuple_GET_SIZE(top) < 3 || !PyLong_CheckExact(PyTuple_GET_ITEM(top, 0))) return 2;
    int overflow = 0;
    long long theirs = PyLong_AsLongLongAndOverflow(PyTuple_GET_ITEM(top, 0), &overflow);
    if (theirs == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return 2;
    }
    if (overflow) return overflow > 0 ? 0 : 2; /* past LLONG_MAX: above every -hashed */
    if (hashed >= (uint64_t)1 << 63) {         /* -hashed <= LLONG_MIN <= theirs */
        return hashed == (uint64_t)1 << 63 && theirs == LLONG_MIN ? 2 : 0;
    }
    long long mine = -(long long)hashed;
    return mine == theirs ? 2 : mine > theirs;
}

/* *key = -hashed and *neg_no = -no, as ints; -1 on error. */
static int row_keys(PyObject **key, PyObject **neg_no, uint64_t hashed, PyObject *no) {
    if (*key != NULL) return 0;
    PyObject *positive = PyLong_FromUnsignedLongLong(hashed);
    *key = positive == NULL ? NULL : PyNumber_Negative(positive);
    Py_XDECREF(positive);
    *neg_no = *key == NULL ? NULL : PyNumber_Negative(no);
    return *neg_no == NULL ? -1 : 0;
}

/* Whether a row's fate (a str) is "-": PyUnicode_CompareWithASCIIString's answer, without its call. */
static inline int is_dropped(PyObject *fate) {
    return PyUnicode_GET_LENGTH(fate) == 1 && PyUnicode_READ_CHAR(fate, 0) == '-';
}

/* The "+"s of a str tag (a changed row's joins its labels with them): str.count("+") read in
 * place for an ASCII one (most: PyUnicode_Count's search set up for a tag of a dozen
 * characters, for every acted row, cost about 100 instructions); -1 with an error set. */
static Py_ssize_t pluses(PyObject *tag) {
    if (!PyUnicode_IS_COMPACT_ASCII(tag)) return PyUnicode_Count(tag, s_plus, 0, PY_SSIZE_T_MAX);
    const char *s = (const char *)PyUnicode_DATA(tag), *end = s + PyUnicode_GET_LENGTH(tag);
    Py_ssize_t count = 0;
    for (; s < end; s++) count += *s == '+';
    return count;
}

/* A new list of the n given objects (new references to them): Py_BuildValue("[O...]") without
 * parsing its format, once a sample entry. */
static PyObject *list_of(Py_ssize_t n, PyObject *const *items) {
    PyObject *list = PyList_New(n);
    if (list == NULL) return NULL;
    for (Py_ssize_t k = 0; k < n; k++) PyList_SET_ITEM(list, k, Py_NewRef(items[k]));
    return list;
}

/* A sample's entry of rows[i] (pagedata.ShardPage._sample): [doc, line, text, the rows before
 * and after it (context each side, their first 4 items), the changed text or None]. */
static PyObject *first_four(PyObject *rows, Py_ssize_t lo, Py_ssize_t hi) {
    PyObject *out = PyList_New(hi - lo);
    if (out == NULL) return NULL;
    for (Py_ssize_t k = lo; k < hi; k++) {
        PyObject *row = PyList_GET_ITEM(rows, k);
        PyObject *cut = PyList_Check(row)         ? PyList_GetSlice(row, 0, 4)
                        : PyTuple_CheckExact(row) ? PyTuple_GetSlice(row, 0, 4)
                                                  : PySequence_GetSlice(row, 0, 4);
        if (cut == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, k - lo, cut);
    }
    return out;
}

/* review.edit(original, text): [prefix, suffix, middle] of two str (put_edit's, from the objects);
 * the original as it is when either is not a str. */
static PyObject *edit_of(PyObject *original, PyObject *text) {
    if (!PyUnicode_Check(original) || !PyUnicode_Check(text)) return Py_NewRef(original);
    Py_ssize_t o_len = PyUnicode_GET_LENGTH(original), n_len = PyUnicode_GET_LENGTH(text), prefix = 0, suffix = 0;
    int o_kind = PyUnicode_KIND(original), n_kind = PyUnicode_KIND(text);
    const void *o_data = PyUnicode_DATA(original), *n_data = PyUnicode_DATA(text);
    while (prefix < o_len && prefix < n_len &&
           PyUnicode_READ(o_kind, o_data, prefix) == PyUnicode_READ(n_kind, n_data, prefix))
        prefix++;
    while (suffix < o_len - prefix && suffix < n_len - prefix &&
           PyUnicode_READ(o_kind, o_data, o_len - suffix - 1) == PyUnicode_READ(n_kind, n_data, n_len - suffix - 1))
        suffix++;
    PyObject *middle = PyUnicode_Substring(original, prefix, o_len - suffix);
    if (middle == NULL) return NULL;
    return Py_BuildValue("[nnN]", prefix, suffix, middle);
}

static PyObject *sample_entry(PyObject *rows, Py_ssize_t i, Py_ssize_t context, PyObject *doc) {
    Py_ssize_t size = PyList_GET_SIZE(rows);
    Py_ssize_t lo = i - context > 0 ? i - context : 0, hi = context < size - i - 1 ? i + context + 1 : size;
    /* A list or tuple of 4 or 5 items, as the caller checked it: checked again, as a list may
     * have been changed since by code a comparison ran (beats, a label's hash): its items are
     * read here, not where they were before. */
    PyObject *row = PyList_GET_ITEM(rows, i);
    if ((!PyList_Check(row) && !PyTuple_Check(row)) || PySequence_Fast_GET_SIZE(row) < 4 ||
        !PyUnicode_Check(PySequence_Fast_GET_ITEM(row, 1))) {
        PyErr_SetString(PyExc_TypeError, "rows must be lists or tuples of 4 or 5 items, a row's fate a str");
        return NULL;
    }
    int dropped = is_dropped(PySequence_Fast_GET_ITEM(row, 1));
    if (!dropped && PySequence_Fast_GET_SIZE(row) < 5) {
        PyErr_SetString(PyExc_TypeError, "a changed row must have 5 items");
        return NULL;
    }
    /* the row's items held first: a context row that is not a list runs code when sliced */
    PyObject *no = Py_NewRef(PySequence_Fast_GET_ITEM(row, 0));
    PyObject *text = dropped ? Py_NewRef(PySequence_Fast_GET_ITEM(row, 3))
                             : edit_of(PySequence_Fast_GET_ITEM(row, 4), PySequence_Fast_GET_ITEM(row, 3));
    if (text == NULL) {
        Py_DECREF(no);
        return NULL;
    }
    PyObject *changed = Py_NewRef(dropped ? Py_None : PySequence_Fast_GET_ITEM(row, 3));
    if (!dropped) lo = i, hi = i + 1; /* a changed row's entry: no context (walk_entries) */
    PyObject *before = first_four(rows, lo, i), *after = before == NULL ? NULL : first_four(rows, i + 1, hi);
    PyObject *items[6] = {doc, no, text, before, after, changed};
    PyObject *entry = after == NULL ? NULL : list_of(6, items);
    Py_DECREF(no);
    Py_DECREF(text);
    Py_DECREF(changed);
    Py_XDECREF(before);
    Py_XDECREF(after);
    return entry;
}

/* offers(rows, acted, rests, prefix, n, index, samples, sample) -> (lines, candidates) | None
 *
 * For each acted row (its index in rows, its entry rest from entries()) and each of its labels
 * (a removed row's rule, a changed row's labels split at "+"): its E line (b"E<label number>\t"
 * rest b"\n", all joined), and, when the label's sample heap may take it, (label number, row
 * index, -sort_key) as a candidate. The heaps are only read, as they stand before this
 * document, so every candidate the sequential offers would take is there (a heap's smallest
 * only grows once it is full); the caller offers the candidates in order. With a context (>= 0),
 * each candidate carries its entry too: (label number, row index, -sort_key, entry). None when
 * a label has no number yet (the caller numbers it, the Python way). */
/* What offers() and page_entries() share: the rows and samples held as given (code run by a
 * comparison cannot shrink them under us), and what is made for the document's E lines. */
typedef struct {
    PyObject *rows, *index, *samples, *doc, *neg_doc, *candidates;
    Py_ssize_t sample, context, prefix_len;
    Buffer lines, data; /* the E lines (handed out as they are); the key's bytes, prefix first */
    const uint64_t *keys; /* row i's key at keys[i], made beforehand (page_add); NULL: made by offer_row */
    int unlisted; /* offers only, no E lines (a document the page does not keep whole: page_add) */
    /* The label offer_row last looked up in index (an exact str) and its number, held (neither
     * freed and another made at its address): a run of rows removed by one rule looks its one
     * str up once. Only while no code has run since the lookup (dropped before a comparison,
     * replaced or dropped at the next lookup, whose key comparisons may run some). */
    PyObject *memo_label, *memo_number;
} Offers;

/* heapq.heappush and heapq.heapreplace, imported when first wanted (held for good). */
static PyObject *heap_push, *heap_replace;

/* ShardPage._offer_all of a document's candidates (offer_row's, each with its entry), once its
 * walk is done: in order, each checked again against its heap as the ones before it left it
 * (offer_row compared it with the heap as it stood before the document), and put there as
 * ShardPage._offer puts (-key, -n, -no, entry), by the same heapq calls (a Python loop, a tuple
 * and a comparison of three ints each saved). ``keys``: each row's sort key (page_add's). 0, or
 * -1 with an exception set. */
static int offer_all(Offers *o, const uint64_t *keys) {
    if (heap_push == NULL) {
        PyObject *heapq = PyImport_ImportModule("heapq");
        if (heapq == NULL) return -1;
        PyObject *push = PyObject_GetAttrString(heapq, "heappush"), *replace = PyObject_GetAttrString(heapq, "heapreplace");
        Py_DECREF(heapq);
        if (push == NULL || replace == NULL) {
            Py_XDECREF(push);
            Py_XDECREF(replace);
            return -1;
        }
        heap_replace = replace;
        heap_push = push;
    }
    PyObject *candidates = o->candidates; /* (ours: of offer_row's tuples (label number, row, key, entry)) */
    for (Py_ssize_t c = 0; c < PyList_GET_SIZE(candidates); c++) {
        PyObject *candidate = PyList_GET_ITEM(candidates, c);
        PyObject *key = PyTuple_GET_ITEM(candidate, 2), *entry = PyTuple_GET_ITEM(candidate, 3);
        Py_ssize_t label = PyLong_AsSsize_t(PyTuple_GET_ITEM(candidate, 0));
        Py_ssize_t row = PyLong_AsSsize_t(PyTuple_GET_ITEM(candidate, 1));
        if ((label == -1 || row == -1) && PyErr_Occurred()) return -1;
        /* (the entry is sample_entry's list [doc, line, ...]: its line the row's, as offer_row read it) */
        PyObject *neg_no = PyNumber_Negative(PyList_GET_ITEM(entry, 1));
        if (neg_no == NULL) return -1;
        PyObject *heap = PyList_GET_ITEM(o->samples, label); /* (offer_row checked it is a list) */
        int take = PyList_GET_SIZE(heap) < o->sample, status = -1;
        if (!take) {
            PyObject *top = Py_NewRef(PyList_GET_ITEM(heap, 0));
            take = key_beats(top, keys[row]);
            if (take == 2) take = beats(top, key, o->neg_doc, neg_no);
            Py_DECREF(top);
        }
        if (take > 0) {
            PyObject *offered = PyTuple_Pack(4, key, o->neg_doc, neg_no, entry);
            if (offered != NULL) {
                PyObject *call_args[2] = {heap, offered};
                /* (the heap's length asked again: the comparisons above may have run code) */
                PyObject *got = PyObject_Vectorcall(PyList_GET_SIZE(heap) < o->sample ? heap_push : heap_replace,
                                                    call_args, 2, NULL);
                Py_DECREF(offered);
                status = got == NULL ? -1 : 0;
                Py_XDECREF(got);
            }
        } else {
            status = take;
        }
        Py_DECREF(neg_no);
        if (status < 0) return -1;
    }
    return 0;
}

static int offers_begin(Offers *o, PyObject *rows, PyObject *index, PyObject *samples, PyObject *doc,
                        Py_buffer *prefix, Py_ssize_t sample, Py_ssize_t context, Py_ssize_t room) {
    o->index = index;
    o->doc = doc;
    o->sample = sample;
    o->context = context;
    o->prefix_len = prefix->len;
    o->rows = PyList_GetSlice(rows, 0, PyList_GET_SIZE(rows));
    o->samples = PyList_GetSlice(samples, 0, PyList_GET_SIZE(samples));
    o->candidates = PyList_New(0);
    o->neg_doc = PyNumber_Negative(doc);
    if (o->rows == NULL || o->samples == NULL || o->candidates == NULL || o->neg_doc == NULL)
        return -1;
    if (sample < 1) {
        PyErr_SetString(PyExc_ValueError, "sample must be >= 1");
        return -1;
    }
    if (put(&o->data, prefix->buf, 0, prefix->len, 0) < 0 || grow(&o->lines, room) < 0) return -1;
    return 0;
}

static void offers_end(Offers *o) {
    PyMem_Free(o->data.data);
    Py_XDECREF(o->lines.bytes);
    Py_XDECREF(o->memo_label);
    Py_XDECREF(o->memo_number);
    Py_XDECREF(o->rows);
    Py_XDECREF(o->samples);
    Py_XDECREF(o->candidates);
    Py_XDECREF(o->neg_doc);
}

/* Forget offer_row's last label (Offers.memo_label): code may run next that changes the index. */
static inline void memo_drop(Offers *o) {
    Py_CLEAR(o->memo_label);
    Py_CLEAR(o->memo_number);
}

/* Row i's E lines and candidates (row_index: i as an int); 0, -1 on error, 2 when a label has no number yet. */
static int offer_row(Offers *o, Py_ssize_t i, PyObject *row_index, const char *rest, Py_ssize_t rest_size) {
    PyObject *labels = NULL, *key = NULL, *neg_no = NULL, *held = NULL, *held_no = NULL;
    int failed = 1;
    if (i < 0 || i >= PyList_GET_SIZE(o->rows)) {
        PyErr_SetString(PyExc_IndexError, "an acted row out of range");
        goto next;
    }
    PyObject *row = PyList_GET_ITEM(o->rows, i);
    /* (review_rows makes tuples, a page file's JSON lists) */
    if ((!PyList_Check(row) && !PyTuple_Check(row)) || PySequence_Fast_GET_SIZE(row) < 4) {
        PyErr_SetString(PyExc_TypeError, "rows must be lists or tuples of 4 or 5 items, rests bytes");
        goto next;
    }
    PyObject *fate = PySequence_Fast_GET_ITEM(row, 1), *tag = PySequence_Fast_GET_ITEM(row, 2);
    PyObject *no = PySequence_Fast_GET_ITEM(row, 0);
    if (!PyUnicode_Check(fate) || !PyUnicode_Check(tag) || !PyLong_CheckExact(no)) {
        PyErr_SetString(PyExc_TypeError, "a row's line must be an int, its fate and tag str");
        goto next;
    }
    /* The row's labels: its tag alone for a removed row, or a changed row's tag without a "+"
     * (most: one repair), held (a row that is a list may be changed by code a comparison runs);
     * else the tag split at "+" (a list made and split for every row cost more than the rest of
     * a row refused by a full heap). */
    int split = !is_dropped(fate);
    if (split && PyUnicode_CheckExact(tag)) { /* (a str subclass split as Python would: exact str labels) */
        Py_ssize_t plus = pluses(tag);
        if (plus < 0) goto next;
        split = plus > 0;
    }
    labels = split ? PyUnicode_Split(tag, s_plus, -1) : Py_NewRef(tag);
    if (labels == NULL) goto next;
    int one_label = !split;
    Py_ssize_t n_labels = one_label ? 1 : PyList_GET_SIZE(labels);
    uint64_t hashed;
    if (o->keys != NULL) {
        hashed = o->keys[i];
    } else {
        /* b"%d" % no: any int (one past a long long by str(), which would otherwise be refused) */
        int overflow = 0;
        long long small = PyLong_AsLongLongAndOverflow(no, &overflow);
        if (small == -1 && PyErr_Occurred()) goto next;
        o->data.size = o->prefix_len;
        if (!overflow) {
            char digits[24];
            if (put(&o->data, digits, 0, decimal(small, digits), 0) < 0) goto next;
        } else {
            PyObject *text = PyObject_Str(no);
            if (text == NULL) goto next;
            Py_ssize_t length;
            const char *digits = PyUnicode_AsUTF8AndSize(text, &length);
            int put_failed = digits == NULL || put(&o->data, digits, 0, length, 0) < 0;
            Py_DECREF(text);
            if (put_failed) goto next;
        }
        hashed = sort_key((const uint8_t *)o->data.data, (size_t)o->data.size);
    }
    held_no = Py_NewRef(no); /* (read after comparisons, which may run code that changes a row that is a list) */
    for (Py_ssize_t k = 0; k < n_labels; k++) {
        PyObject *name = one_label ? labels : PyList_GET_ITEM(labels, k), *number = o->memo_number;
        if (name != o->memo_label) {
            memo_drop(o);
            number = PyDict_GetItemWithError(o->index, name);
            if (number == NULL) {
                if (!PyErr_Occurred()) { /* a label with no number yet: the Python way */
                    failed = 2;
                }
                goto next;
            }
            if (PyUnicode_CheckExact(name)) {
                o->memo_label = Py_NewRef(name);
                o->memo_number = Py_NewRef(number);
            }
        }
        Py_INCREF(number); /* held while comparisons may run code that changes the index */
        Py_XSETREF(held, number);
        Py_ssize_t label = PyLong_AsSsize_t(number);
        if (label == -1 && PyErr_Occurred()) goto next;
        if (label < 0 || label >= PyList_GET_SIZE(o->samples) || !PyList_Check(PyList_GET_ITEM(o->samples, label))) {
            PyErr_SetString(PyExc_IndexError, "a label's sample out of range");
            goto next;
        }
        PyObject *heap = PyList_GET_ITEM(o->samples, label);
        int take = PyList_GET_SIZE(heap) < o->sample;
        if (!take) {
            PyObject *top = Py_NewRef(PyList_GET_ITEM(heap, 0));
            take = key_beats(top, hashed);
            if (take == 2) {
                memo_drop(o); /* (the comparisons may run code that changes the index) */
                take = row_keys(&key, &neg_no, hashed, held_no) < 0 ? -1 : beats(top, key, o->neg_doc, neg_no);
            }
            Py_DECREF(top);
            if (take < 0) goto next;
        }
        if (take) {
            memo_drop(o); /* (the row's keys and its entry's slices may run code too) */
            if (key == NULL && row_keys(&key, &neg_no, hashed, held_no) < 0) goto next;
            PyObject *entry = NULL;
            if (o->context >= 0 && (entry = sample_entry(o->rows, i, o->context, o->doc)) == NULL) goto next;
            PyObject *candidate = entry == NULL ? PyTuple_Pack(3, number, row_index, key)
                                                : PyTuple_Pack(4, number, row_index, key, entry);
            Py_XDECREF(entry);
            if (candidate == NULL || PyList_Append(o->candidates, candidate) < 0) {
                Py_XDECREF(candidate);
                goto next;
            }
            Py_DECREF(candidate);
        }
        if (o->unlisted) continue;
        char head[32];
        head[0] = 'E';
        int size = 1 + decimal((long long)label, head + 1);
        head[size++] = '\t';
        if (put(&o->lines, head, 0, size, 0) < 0 || put(&o->lines, rest, 0, rest_size, 0) < 0 ||
            put_text(&o->lines, "\n") < 0)
            goto next;
    }
    failed = 0;
next:
    Py_XDECREF(labels);
    Py_XDECREF(key);
    Py_XDECREF(neg_no);
    Py_XDECREF(held);
    Py_XDECREF(held_no);
    return failed == 1 ? -1 : failed;
}

/* (lines, candidates) of what was offered; NULL on error. */
static PyObject *offers_result(Offers *o) {
    PyObject *joined = buffer_bytes(&o->lines);
    if (joined == NULL) return NULL;
    PyObject *result = PyTuple_Pack(2, joined, o->candidates);
    Py_DECREF(joined);
    return result;
}

static PyObject *offers(PyObject *self, PyObject *args) {
    PyObject *rows, *acted, *rests, *index, *samples, *doc;
    Py_buffer prefix;
    Py_ssize_t sample, context = -1;
    if (!PyArg_ParseTuple(args, "O!O!O!y*OO!O!n|n", &PyList_Type, &rows, &PyList_Type, &acted, &PyList_Type, &rests,
                          &prefix, &doc, &PyDict_Type, &index, &PyList_Type, &samples, &sample, &context))
        return NULL;
    PyObject *result = NULL;
    Offers o = {NULL};
    o.lines.in_bytes = 1;
    /* Held as given (code run by a comparison cannot shrink them under us). */
    acted = PyList_GetSlice(acted, 0, PyList_GET_SIZE(acted));
    rests = PyList_GetSlice(rests, 0, PyList_GET_SIZE(rests));
    if (acted == NULL || rests == NULL) goto finally;
    if (PyList_GET_SIZE(acted) != PyList_GET_SIZE(rests)) {
        PyErr_SetString(PyExc_ValueError, "acted and rests differ in length");
        goto finally;
    }
    /* The E lines' bytes made once (one label a row, most often; more grow them), handed out as they are */
    Py_ssize_t room = 0;
    for (Py_ssize_t a = 0; a < PyList_GET_SIZE(rests); a++) {
        PyObject *rest = PyList_GET_ITEM(rests, a);
        room += (PyBytes_Check(rest) ? PyBytes_GET_SIZE(rest) : 0) + 24;
    }
    if (offers_begin(&o, rows, index, samples, doc, &prefix, sample, context, room) < 0) goto finally;
    for (Py_ssize_t a = 0; a < PyList_GET_SIZE(acted); a++) {
        PyObject *row_index = PyList_GET_ITEM(acted, a), *rest = PyList_GET_ITEM(rests, a);
        Py_ssize_t i = PyLong_AsSsize_t(row_index);
        if (i == -1 && PyErr_Occurred()) goto finally;
        if (!PyBytes_Check(rest)) {
            PyErr_SetString(PyExc_TypeError, "rows must be lists or tuples of 4 or 5 items, rests bytes");
            goto finally;
        }
        int got = offer_row(&o, i, row_index, PyBytes_AS_STRING(rest), PyBytes_GET_SIZE(rest));
        if (got == 2) {
            result = Py_NewRef(Py_None);
            goto finally;
        }
        if (got < 0) goto finally;
    }
    result = offers_result(&o);
finally:
    PyBuffer_Release(&prefix);
    offers_end(&o);
    Py_XDECREF(acted);
    Py_XDECREF(rests);
    return result;
}

static int offer_entry(void *ctx, Py_ssize_t i, const char *rest, Py_ssize_t size) {
    PyObject *row_index = PyLong_FromSsize_t(i);
    if (row_index == NULL) return -1;
    int got = offer_row(ctx, i, row_index, rest, size);
    Py_DECREF(row_index);
    return got;
}

/* page_entries(rows_json, rows, prefix, n, index, samples, sample, context) -> (lines, near, candidates) | None:
 * entries() and offers() in one walk, each acted row's entry put straight into its E lines (no
 * list of them, no bytes object each): offers' (lines, candidates, each with its entry) and
 * entries' near. None when entries or offers would give None (the caller does it their way). */
static PyObject *page_entries(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *rows, *index, *samples, *doc;
    Py_buffer view, prefix;
    Py_ssize_t sample, context;
    if (fast_args("page_entries", args, nargs, "yLyODLnn", &view, &rows, &prefix, &doc, &index, &samples, &sample,
                  &context) < 0)
        return NULL;
    PyObject *result = NULL, *near = NULL, *pair = NULL;
    Offers o = {NULL};
    o.lines.in_bytes = 1;
    Buffer kept = {NULL, 0, 0, 1, NULL, 0};
    int mismatch = 0;
    Span *spans = NULL;
    if (context < 0) {
        PyErr_SetString(PyExc_ValueError, "context must be >= 0");
        goto finally;
    }
    /* (the E lines' room made below, when the rows' spans say how much) */
    if (offers_begin(&o, rows, index, samples, doc, &prefix, sample, context, 0) < 0) goto finally;
    Py_ssize_t count = PyList_GET_SIZE(o.rows);
    spans = row_spans(view.buf, view.len, count, &mismatch);
    if (spans == NULL) {
        if (mismatch) result = Py_NewRef(Py_None);
        goto finally;
    }
    /* Room for the E lines: each acted row's entry holds at most the JSON of its rows and their
     * context, and a few brackets; its E line adds its label's number. One label a row (most
     * often), no "<" escaped: more grow them. A guess of twice the rows' JSON was short for a
     * document of many removals, and growing it moved the lines made so far. */
    Py_ssize_t room = 256;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (spans[i].fate == ' ') continue;
        Py_ssize_t lo = context < i ? i - context : 0, hi = context < count - i - 1 ? i + context + 1 : count;
        room += spans[hi - 1].end - spans[lo].start + 48;
    }
    if (grow(&o.lines, room) < 0) goto finally;
    if (grow(&kept, view.len) < 0) goto finally;
    int got = walk_entries(view.buf, view.len, spans, count, context, &kept, 0, offer_entry, &o, 0);
    if (got == 2) {
        result = Py_NewRef(Py_None);
        goto finally;
    }
    if (got < 0 || (near = buffer_bytes(&kept)) == NULL || (pair = offers_result(&o)) == NULL) goto finally;
    result = PyTuple_Pack(3, PyTuple_GET_ITEM(pair, 0), near, PyTuple_GET_ITEM(pair, 1));
finally:
    PyBuffer_Release(&view);
    PyBuffer_Release(&prefix);
    PyMem_Free(spans);
    Py_XDECREF(kept.bytes);
    offers_end(&o);
    Py_XDECREF(near);
    Py_XDECREF(pair);
    return result;
}

/* ---- a document's review rows and counts (review.record_data, document.DocStats.of) ---- */

static PyObject *s_fate_kept, *s_fate_dropped, *s_fate_changed;

/* not text.strip(): every character whitespace (str.isspace's), or none. */
static int is_blank(PyObject *text) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) return 0;
    }
    return 1;
}

/* A row's tuple holds only what cannot make a cycle (exact str and int, None, the fates): no
 * collection need ever look at it, and a document makes dozens. */
static PyObject *untracked(PyObject *row) {
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(row); k++) {
        PyObject *item = PyTuple_GET_ITEM(row, k);
        if (item != Py_None && !PyUnicode_CheckExact(item) && !PyLong_CheckExact(item)) return row;
    }
    PyObject_GC_UnTrack(row);
    return row;
}

/* (no, fate, tag, text[, orig]): one review row, untracked when it can be. */
static PyObject *new_row(PyObject *no, PyObject *fate, PyObject *tag, PyObject *text, PyObject *orig) {
    PyObject *row = PyTuple_New(orig == NULL ? 4 : 5);
    if (row == NULL) return NULL;
    PyTuple_SET_ITEM(row, 0, Py_NewRef(no));
    PyTuple_SET_ITEM(row, 1, Py_NewRef(fate));
    PyTuple_SET_ITEM(row, 2, Py_NewRef(tag));
    PyTuple_SET_ITEM(row, 3, Py_NewRef(text));
    if (orig != NULL) PyTuple_SET_ITEM(row, 4, Py_NewRef(orig));
    return untracked(row);
}

/* A count per key (a rule's lines or characters, a label's lines), keys in order of first
 * appearance, summed as C numbers: the dict is made once, at the end (tally_dict). Adding an int
 * object to the dict's and setting it back, for every line, cost a few hundred instructions a
 * line. Keys equal but not the same object count together, as in a dict (which keeps the first):
 * while there are at most TALLY_SCAN keys, all exact str (a rule id, a label), a key is looked
 * for by its address, then compared as a str with each; else in ``places`` (key -> its place),
 * made then with every key so far, as a dict finds it. */
#define TALLY_SCAN 32
typedef struct {
    PyObject *places;   /* dict: key -> its place (an int), holding every key; NULL while not needed */
    PyObject **keys;    /* held, in order of first appearance */
    Py_ssize_t *counts; /* counts[k]: keys[k]'s */
    Py_ssize_t n, room;
} Tally;

static int same_str(PyObject *a, PyObject *b);

/* keys[k]'s place in a new ``places``, for every key so far; -1 with an exception set. */
static int tally_places(Tally *t) {
    if ((t->places = PyDict_New()) == NULL) return -1;
    for (Py_ssize_t k = 0; k < t->n; k++) {
        PyObject *number = PyLong_FromSsize_t(k);
        int failed = number == NULL || PyDict_SetItem(t->places, t->keys[k], number) < 0;
        Py_XDECREF(number);
        if (failed) return -1;
    }
    return 0;
}

/* counts[key] += by (by >= 0); 0, or -1 with an exception set. */
static int tally_add(Tally *t, PyObject *key, Py_ssize_t by) {
    Py_ssize_t k = 0, n = t->n, scan = n < TALLY_SCAN ? n : TALLY_SCAN;
    while (k < scan && t->keys[k] != key) k++;
    if (k == scan) {
        if (t->places == NULL && PyUnicode_CheckExact(key) && n < TALLY_SCAN) {
            /* (every key so far an exact str: equal keys are equal texts) */
            for (k = 0; k < n && !same_str(t->keys[k], key); k++) {
            }
        } else {
            if (t->places == NULL && tally_places(t) < 0) return -1;
            PyObject *place = PyDict_GetItemWithError(t->places, key);
            if (place == NULL && PyErr_Occurred()) return -1;
            k = place == NULL ? n : PyLong_AsSsize_t(place); /* (an int of ours, below n) */
        }
        if (k == n) { /* a new key */
            if (n == t->room) {
                Py_ssize_t room = t->room ? 2 * t->room : 8;
                /* (PyMem_Realloc, not PyMem_Resize, which sets the pointer to NULL when it fails:
                 * the keys held would be lost, and tally_done would read through it) */
                if ((size_t)room > PY_SSIZE_T_MAX / sizeof(PyObject *)) goto no_memory;
                PyObject **keys = PyMem_Realloc(t->keys, (size_t)room * sizeof(PyObject *));
                if (keys == NULL) goto no_memory;
                t->keys = keys;
                Py_ssize_t *counts = PyMem_Realloc(t->counts, (size_t)room * sizeof(Py_ssize_t));
                if (counts == NULL) goto no_memory;
                t->counts = counts;
                t->room = room;
            }
            if (t->places != NULL) {
                PyObject *number = PyLong_FromSsize_t(n);
                int failed = number == NULL || PyDict_SetItem(t->places, key, number) < 0;
                Py_XDECREF(number);
                if (failed) return -1;
            }
            t->keys[n] = Py_NewRef(key);
            t->counts[n] = 0;
            t->n = n + 1;
        }
    }
    if (t->counts[k] > PY_SSIZE_T_MAX - by) {
        PyErr_SetString(PyExc_OverflowError, "a count past the largest Py_ssize_t");
        return -1;
    }
    t->counts[k] += by;
    return 0;
no_memory:
    PyErr_NoMemory();
    return -1;
}

/* The counts as a new dict, keys in order of first appearance; NULL with an exception set. */
static PyObject *tally_dict(const Tally *t) {
    PyObject *counts = PyDict_New();
    if (counts == NULL) return NULL;
    for (Py_ssize_t k = 0; k < t->n; k++) {
        PyObject *value = PyLong_FromSsize_t(t->counts[k]);
        int failed = value == NULL || PyDict_SetItem(counts, t->keys[k], value) < 0;
        Py_XDECREF(value);
        if (failed) {
            Py_DECREF(counts);
            return NULL;
        }
    }
    return counts;
}

static void tally_done(Tally *t) {
    for (Py_ssize_t k = 0; k < t->n; k++) Py_DECREF(t->keys[k]);
    PyMem_Free(t->keys);
    PyMem_Free(t->counts);
    Py_XDECREF(t->places);
}

/* bool(changed_by): a tuple's (Line's own) from its size, without a call; anything else asked. */
static inline int changes(PyObject *changed) {
    return PyTuple_CheckExact(changed) ? PyTuple_GET_SIZE(changed) > 0 : PyObject_IsTrue(changed);
}

/* One walk over a document's lines for its counts (counts[3]: removed, chars, repaired, when not
 * NULL) and its review rows (rows, when not NULL; *too_long set, and the rows left, when a text
 * is longer than most). 0, or -1 with an exception set. */
static int walk_lines(PyObject *lines, Tally *counts, PyObject *rows, Py_ssize_t most, int *too_long) {
    Reader reader = READER_INIT;
    int status = -1;
    *too_long = 0;
    /* The list read as a for loop reads it (its length asked at each line), each line held while
     * it is read: code a read runs may change the list, not free a line under us. No copy of the
     * list (an allocation, a write and a decref a line, for a list no code changes most often). */
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lines); i++) {
        int want_row = rows != NULL && !*too_long;
        if (counts == NULL && !want_row) break;
        prefetch_lines(&reader, lines, i, -1);
        PyObject *line = Py_NewRef(PyList_GET_ITEM(lines, i));
        PyObject *dropped = NULL, *orig = NULL, *text = NULL, *changed = NULL, *labels = NULL, *tag = NULL;
        PyObject *no = NULL, *row = NULL;
        int failed = 1, truth = 0;
        dropped = read_attr(&reader, line, A_DROPPED);
        if (dropped == NULL) goto next;
        if (dropped != Py_None) {
            orig = read_str(&reader, line, A_ORIG);
            if (orig == NULL) goto next;
            int blank = is_blank(orig);
            if (counts != NULL && (tally_add(&counts[1], dropped, PyUnicode_GET_LENGTH(orig)) < 0 ||
                                   (!blank && tally_add(&counts[0], dropped, 1) < 0)))
                goto next;
            if (want_row && !blank) {
                if (PyUnicode_GET_LENGTH(orig) > most) {
                    *too_long = 1;
                } else {
                    if ((no = read_attr(&reader, line, A_NO)) == NULL) goto next;
                    if ((row = new_row(no, s_fate_dropped, dropped, orig, NULL)) == NULL) goto next;
                }
            }
        }
        if (counts != NULL && dropped == Py_None) { /* a repair counts on the lines that stay */
            if ((changed = read_attr(&reader, line, A_CHANGED)) == NULL) goto next;
            if ((truth = changes(changed)) < 0) goto next;
            if (truth) {
                /* a tuple (Line's own) as it is, held: no code can change it; anything else a
                 * list copy, as hashing a label may run code that changes it */
                labels = PyTuple_CheckExact(changed) ? Py_NewRef(changed) : PySequence_List(changed);
                if (labels == NULL) goto next;
                for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(labels); k++) {
                    if (tally_add(&counts[2], PySequence_Fast_GET_ITEM(labels, k), 1) < 0) goto next;
                }
            }
        }
        if (want_row && dropped == Py_None) {
            if ((text = read_str(&reader, line, A_TEXT)) == NULL) goto next;
            int blank_text = is_blank(text);
            if (blank_text) {
                /* no row, unless a repair made the line blank (review.python_rows) */
                if (changed == NULL) {
                    if ((changed = read_attr(&reader, line, A_CHANGED)) == NULL) goto next;
                    if ((truth = changes(changed)) < 0) goto next;
                }
                if (truth) {
                    if ((orig = read_str(&reader, line, A_ORIG)) == NULL) goto next;
                    blank_text = is_blank(orig);
                }
            }
            if (!blank_text) {
                if (changed == NULL) {
                    if ((changed = read_attr(&reader, line, A_CHANGED)) == NULL) goto next;
                    if ((truth = changes(changed)) < 0) goto next;
                }
                if (truth && orig == NULL && (orig = read_str(&reader, line, A_ORIG)) == NULL) goto next;
                if (PyUnicode_GET_LENGTH(text) > most || (orig != NULL && PyUnicode_GET_LENGTH(orig) > most)) {
                    *too_long = 1;
                } else {
                    if ((no = read_attr(&reader, line, A_NO)) == NULL) goto next;
                    if (truth && (tag = PyUnicode_Join(s_plus, changed)) == NULL) goto next;
                    row = new_row(no, truth ? s_fate_changed : s_fate_kept, truth ? tag : Py_None, text, orig);
                    if (row == NULL) goto next;
                }
            }
        }
        if (row != NULL && PyList_Append(rows, row) < 0) goto next;
        failed = 0;
    next:
        Py_XDECREF(dropped);
        Py_XDECREF(orig);
        Py_XDECREF(text);
        Py_XDECREF(changed);
        Py_XDECREF(labels);
        Py_XDECREF(tag);
        Py_XDECREF(no);
        Py_XDECREF(row);
        Py_DECREF(line);
        if (failed) goto finally;
    }
    status = 0;
finally:
    reader_done(&reader);
    return status;
}

/* review_rows(lines, max_chars) -> list | None: review.record_data's rows (before MAX_ROWS), each a tuple
 * (one allocation, and untracked: a document has dozens of rows),
 * None when a text is longer than max_chars (record_data cuts it, the Python way). */
static PyObject *review_rows(PyObject *self, PyObject *args) {
    PyObject *lines;
    Py_ssize_t most;
    int too_long;
    if (!PyArg_ParseTuple(args, "O!n", &PyList_Type, &lines, &most)) return NULL;
    PyObject *rows = PyList_New(0);
    if (rows == NULL) return NULL;
    if (walk_lines(lines, NULL, rows, most, &too_long) < 0) {
        Py_DECREF(rows);
        return NULL;
    }
    if (too_long) Py_SETREF(rows, Py_NewRef(Py_None));
    return rows;
}

/* line_counts(lines[, max_chars]) -> (removed, chars, repaired): DocStats.of's per-rule counts, keys
 * in order of first appearance; with max_chars, review_rows(lines, max_chars) as a fourth item,
 * made in the same walk. */
static PyObject *line_counts(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *lines;
    Py_ssize_t most = -1;
    int too_long;
    if (fast_args("line_counts", args, nargs, "L|n", &lines, &most) < 0) return NULL;
    Tally counts[3] = {{NULL, NULL, NULL, 0, 0}, {NULL, NULL, NULL, 0, 0}, {NULL, NULL, NULL, 0, 0}};
    PyObject *made[3] = {NULL, NULL, NULL};
    PyObject *rows = most >= 0 ? PyList_New(0) : NULL;
    PyObject *result = NULL;
    if (most >= 0 && rows == NULL) goto finally;
    if (walk_lines(lines, counts, rows, most, &too_long) < 0) goto finally;
    for (int k = 0; k < 3; k++)
        if ((made[k] = tally_dict(&counts[k])) == NULL) goto finally;
    if (rows == NULL)
        result = PyTuple_Pack(3, made[0], made[1], made[2]);
    else
        result = PyTuple_Pack(4, made[0], made[1], made[2], too_long ? Py_None : rows);
finally:
    for (int k = 0; k < 3; k++) {
        tally_done(&counts[k]);
        Py_XDECREF(made[k]);
    }
    Py_XDECREF(rows);
    return result;
}

/* ---- a shard's tallies (pagedata.Tallies.add) ---- */

/* counts[key] += value (a Counter: a missing key counts 0). */
static int bump_by(PyObject *counts, PyObject *key, PyObject *value) {
    PyObject *now = PyDict_GetItemWithError(counts, key);
    if (now == NULL && PyErr_Occurred()) return -1;
    PyObject *sum = now == NULL ? Py_NewRef(value) : PyNumber_Add(now, value);
    if (sum == NULL) return -1;
    int status = PyDict_SetItem(counts, key, sum);
    Py_DECREF(sum);
    return status;
}

static int ints_only(PyObject *counts) {
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(counts, &pos, &key, &value))
        if (!PyLong_CheckExact(value)) return 0;
    return 1;
}

/* counts[key] += n for each (key, n) of add, and docs[key] += 1 when docs is not NULL. */
static int add_counts(PyObject *counts, PyObject *add, PyObject *docs, PyObject *one) {
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(add, &pos, &key, &value)) {
        Py_INCREF(key); /* held: hashing a key may run code that changes add */
        Py_INCREF(value);
        int status = bump_by(counts, key, value);
        if (status == 0 && docs != NULL) status = bump_by(docs, key, one);
        Py_DECREF(key);
        Py_DECREF(value);
        if (status < 0) return -1;
    }
    return 0;
}

/* tally(lines, chars, docs, repaired, removed, removed_chars, repaired_by) -> bool | None: a review
 * record's counts added to a shard's Counters, as pagedata.Tallies.add adds them (keys met in the
 * same order); None, with nothing added, when a count is not an int (Tallies.add does it). */
static PyObject *tally(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *lines, *chars, *docs, *repaired, *removed, *removed_chars, *repaired_by;
    if (fast_args("tally", args, nargs, "DDDDDDD", &lines, &chars, &docs, &repaired, &removed, &removed_chars,
                  &repaired_by) < 0)
        return NULL;
    if (!ints_only(removed) || !ints_only(removed_chars) || !ints_only(repaired_by)) Py_RETURN_NONE;
    PyObject *one = PyLong_FromLong(1);
    if (one == NULL) return NULL;
    int status = add_counts(lines, removed, docs, one);
    if (status == 0) status = add_counts(chars, removed_chars, NULL, one);
    if (status == 0) status = add_counts(repaired, repaired_by, docs, one);
    Py_DECREF(one);
    if (status < 0) return NULL;
    Py_RETURN_TRUE;
}

/* totals_add(removed, removed_chars, repaired, by_removed, by_chars, by_repaired) -> True | None: a
 * document's counts added to its file's Counters, as summary._count adds them (keys met in the
 * same order); None, with nothing added, when a count is not an int (_count does it). Counter's
 * own item assignment goes through Python (it defines __delitem__, so the type's slot looks up
 * and calls __setitem__ with an argument tuple made per key): 400 instructions a key, 5,000 a
 * bench document, where this sets the dict's item as dict.__setitem__ would. */
static PyObject *totals_add(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *into[3], *add[3];
    if (fast_args("totals_add", args, nargs, "DDDDDD", &into[0], &into[1], &into[2], &add[0], &add[1], &add[2]) < 0)
        return NULL;
    for (int k = 0; k < 3; k++)
        if (!ints_only(add[k])) Py_RETURN_NONE;
    for (int k = 0; k < 3; k++)
        if (add_counts(into[k], add[k], NULL, NULL) < 0) return NULL;
    Py_RETURN_TRUE;
}

/* ---- a document's lines and their layout (pipeline.split_lines, State.alive, whitespace.layout) ---- */

static PyObject *s_empty_tuple;

static int set_attr(PyObject *line, Py_ssize_t offset, PyObject *name, PyObject *value) {
    if (offset < 0) return PyObject_SetAttr(line, name, value);
    PyObject **slot = (PyObject **)((char *)line + offset);
    PyObject *old = *slot;
    *slot = Py_NewRef(value);
    Py_XDECREF(old);
    return 0;
}

/* One Line as Line(no, part) makes it, without running its __init__: made by the class's
 * __new__, then each attribute set as __init__ sets it (straight into its slot when it is one). */
static PyObject *new_line(PyTypeObject *cls, const Py_ssize_t *offsets, PyObject *const *names, Py_ssize_t no,
                          PyObject *part) {
    /* A class without a __new__ of its own (Line) is allocated as object.__new__ would (which,
     * given no arguments, only refuses an abstract class): its checks and call saved per line. */
    PyObject *line = cls->tp_new == PyBaseObject_Type.tp_new && cls->tp_alloc != NULL &&
                             !(cls->tp_flags & Py_TPFLAGS_IS_ABSTRACT)
                         ? cls->tp_alloc(cls, 0)
                         : cls->tp_new(cls, s_empty_tuple, NULL);
    if (line == NULL) return NULL;
    PyObject *number = PyLong_FromSsize_t(no), *changed = s_empty_tuple; /* (Line's shared empty changed_by) */
    int failed = number == NULL || set_attr(line, offsets[A_NO], names[A_NO], number) < 0 ||
                 set_attr(line, offsets[A_ORIG], names[A_ORIG], part) < 0 ||
                 set_attr(line, offsets[A_TEXT], names[A_TEXT], part) < 0 ||
                 set_attr(line, offsets[A_DROPPED], names[A_DROPPED], Py_None) < 0 ||
                 set_attr(line, offsets[A_CHANGED], names[A_CHANGED], changed) < 0 ||
                 set_attr(line, offsets[A_BLANK], names[A_BLANK], is_blank(part) ? Py_True : Py_False) < 0;
    Py_XDECREF(number);
    if (failed) Py_CLEAR(line);
    return line;
}

/* The end of the line of a two-byte text p[0:n] from start: its next "\n" (n when none), and in
 * *bits every bit set in its characters (what kind its str is: all below 0x80, 0x100, or not). */
static Py_ssize_t ucs2_line_end(const Py_UCS2 *p, Py_ssize_t start, Py_ssize_t n, unsigned *bits) {
    Py_ssize_t i = start;
    unsigned seen = 0;
#ifdef __SSE2__
    /* 8 characters at a time where every x86-64 can: CPython's substring looked for the line's
     * end, then read it again for its widest character, then narrowed it a character at a time */
    __m128i newline = _mm_set1_epi16('\n'), all = _mm_setzero_si128();
    for (; i + 8 <= n; i += 8) {
        __m128i chars = _mm_loadu_si128((const __m128i *)(p + i));
        if (_mm_movemask_epi8(_mm_cmpeq_epi16(chars, newline)) != 0) break;
        all = _mm_or_si128(all, chars);
    }
    all = _mm_or_si128(all, _mm_srli_si128(all, 8));
    all = _mm_or_si128(all, _mm_srli_si128(all, 4));
    all = _mm_or_si128(all, _mm_srli_si128(all, 2));
    seen = (unsigned)_mm_cvtsi128_si32(all) & 0xFFFF;
#endif
    for (; i < n && p[i] != '\n'; i++) seen |= p[i];
    *bits = seen;
    return i;
}

/* p[0:size] (two-byte characters, every bit of them in bits) as a str of its narrowest kind, as
 * PyUnicode_Substring makes it (size > 1: a single character may be a shared one). */
static PyObject *ucs2_part(const Py_UCS2 *p, Py_ssize_t size, unsigned bits) {
    PyObject *part = PyUnicode_New(size, bits < 0x80 ? 0x7F : bits < 0x100 ? 0xFF : 0xFFFF);
    if (part == NULL) return NULL;
    if (bits >= 0x100) {
        memcpy(PyUnicode_DATA(part), p, (size_t)size * 2);
        return part;
    }
    Py_UCS1 *to = PyUnicode_1BYTE_DATA(part);
    Py_ssize_t i = 0;
#ifdef __SSE2__
    for (; i + 8 <= size; i += 8) { /* (every character below 0x100: packed as it is) */
        __m128i chars = _mm_loadu_si128((const __m128i *)(p + i));
        _mm_storel_epi64((__m128i *)(to + i), _mm_packus_epi16(chars, chars));
    }
#endif
    for (; i < size; i++) to[i] = (Py_UCS1)p[i];
    return part;
}

/* split_lines(text, cls) -> (lines, trailing): pipeline.split_lines, the lines made as cls(no, part). */
static PyObject *split_lines(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *text, *cls;
    if (fast_args("split_lines", args, nargs, "UT", &text, &cls) < 0) return NULL;
    PyTypeObject *type = (PyTypeObject *)cls;
    if (type->tp_new == NULL) {
        PyErr_SetString(PyExc_TypeError, "split_lines: the line class cannot be instantiated");
        return NULL;
    }
    PyObject *const *names = attr_names;
    Py_ssize_t offsets[N_ATTRS];
    slot_offsets_of(type, attr_names, N_ATTRS, 1, offsets);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t has_cr = PyUnicode_FindChar(text, '\r', 0, n, 1);
    if (has_cr == -2) return NULL;
    PyObject *lines = PyList_New(0);
    if (lines == NULL) return NULL;
    Py_ssize_t start = 0, no = 0;
    int trailing = 0;
    while (1) {
        /* the end of this line: the next \n (or \r, when there is one), or the end of the text */
        Py_ssize_t i;
        unsigned bits = 0;
        if (has_cr < 0 && kind == PyUnicode_2BYTE_KIND) {
            i = ucs2_line_end(data, start, n, &bits);
        } else if (has_cr < 0) {
            i = PyUnicode_FindChar(text, '\n', start, n, 1);
            if (i == -2) goto error;
            if (i < 0) i = n;
        } else {
            i = start;
            while (i < n) {
                Py_UCS4 c = PyUnicode_READ(kind, data, i);
                if (c == '\n' || c == '\r') break;
                i++;
            }
        }
        if (i == n && start == n && no > 0) { /* a final break ends the last line */
            trailing = 1;
            break;
        }
        /* (a line of one character may be a shared str, and the whole text is itself: PyUnicode_Substring's) */
        PyObject *part = has_cr < 0 && kind == PyUnicode_2BYTE_KIND && i - start > 1 && i - start < n
                             ? ucs2_part((const Py_UCS2 *)data + start, i - start, bits)
                             : PyUnicode_Substring(text, start, i);
        if (part == NULL) goto error;
        PyObject *line = new_line(type, offsets, names, ++no, part);
        Py_DECREF(part);
        if (line == NULL) goto error;
        int status = PyList_Append(lines, line);
        Py_DECREF(line);
        if (status < 0) goto error;
        if (i == n) break;
        if (PyUnicode_READ(kind, data, i) == '\r' && i + 1 < n && PyUnicode_READ(kind, data, i + 1) == '\n') i++;
        start = i + 1;
    }
    PyObject *pair = PyTuple_Pack(2, lines, trailing ? Py_True : Py_False); /* (no format parsed) */
    Py_DECREF(lines);
    return pair;
error:
    Py_DECREF(lines);
    return NULL;
}

static PyObject *alive(PyObject *self, PyObject *arg); /* (at the end of the file) */

/* (line, text): a new pair (no format parsed, no argument list walked), or NULL. */
static PyObject *pair_of(PyObject *first, PyObject *second) {
    PyObject *pair = PyTuple_New(2);
    if (pair == NULL) return NULL;
    PyTuple_SET_ITEM(pair, 0, Py_NewRef(first));
    PyTuple_SET_ITEM(pair, 1, Py_NewRef(second));
    return pair;
}

/* whitespace.render's text of the layout out: "\n".join(texts) + "\n", written straight from
 * its entries (no list of the texts made for PyUnicode_Join), "" for none. The result's kind is
 * the widest of the texts' (each a canonical str: a wider kind holds a character the narrower
 * cannot), as PyUnicode_Join makes it. */
static PyObject *rendered_text(PyObject *out) {
    Py_ssize_t n = PyList_GET_SIZE(out), length = 0;
    if (n == 0) return Py_NewRef(s_empty);
    Py_UCS4 most = 127; /* (the "\n") */
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *text = PyTuple_GET_ITEM(PyList_GET_ITEM(out, k), 1);
        Py_ssize_t size = PyUnicode_GET_LENGTH(text);
        if (size > PY_SSIZE_T_MAX - 1 - length) {
            PyErr_SetString(PyExc_OverflowError, "join() result is too long for a Python string");
            return NULL;
        }
        length += size + 1;
        Py_UCS4 bound = PyUnicode_MAX_CHAR_VALUE(text);
        if (bound > most) most = bound;
    }
    PyObject *rendered = PyUnicode_New(length, most);
    if (rendered == NULL) return NULL;
    int kind = PyUnicode_KIND(rendered);
    char *data = PyUnicode_DATA(rendered);
    Py_ssize_t at = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *text = PyTuple_GET_ITEM(PyList_GET_ITEM(out, k), 1);
        Py_ssize_t size = PyUnicode_GET_LENGTH(text);
        int from = PyUnicode_KIND(text);
        const void *src = PyUnicode_DATA(text);
        if (from == kind) {
            memcpy(data + at * kind, src, (size_t)size * (size_t)kind);
        } else if (from == PyUnicode_1BYTE_KIND && kind == PyUnicode_2BYTE_KIND) {
            /* (the common case: a text with a curly quote, a line without) */
            Py_UCS2 *to = (Py_UCS2 *)data + at;
            const Py_UCS1 *narrow = src;
            Py_ssize_t i = 0;
#ifdef __SSE2__
            /* 16 characters at a time where every x86-64 can: each byte unpacked with a zero byte */
            const __m128i zero = _mm_setzero_si128();
            for (; i + 16 <= size; i += 16) {
                __m128i chars = _mm_loadu_si128((const __m128i *)(narrow + i));
                _mm_storeu_si128((__m128i *)(to + i), _mm_unpacklo_epi8(chars, zero));
                _mm_storeu_si128((__m128i *)(to + i + 8), _mm_unpackhi_epi8(chars, zero));
            }
#endif
            for (; i < size; i++) to[i] = narrow[i];
        } else if (from == PyUnicode_1BYTE_KIND) {
            Py_UCS4 *to = (Py_UCS4 *)data + at;
            for (Py_ssize_t i = 0; i < size; i++) to[i] = ((const Py_UCS1 *)src)[i];
        } else {
            Py_UCS4 *to = (Py_UCS4 *)data + at;
            for (Py_ssize_t i = 0; i < size; i++) to[i] = ((const Py_UCS2 *)src)[i];
        }
        at += size;
        PyUnicode_WRITE(kind, data, at, '\n');
        at++;
    }
    return rendered;
}

/* layout(lines, paragraphs) -> (out, text): whitespace.layout's output lines and render's text of them. */
static PyObject *layout(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *lines_arg;
    int paragraphs;
    if (fast_args("layout", args, nargs, "Lp", &lines_arg, &paragraphs) < 0) return NULL;
    PyObject *out = PyList_New(0);
    PyObject *result = NULL;
    Reader reader = READER_INIT;
    if (out == NULL) goto finally;
    PyObject *gap = Py_NewRef(Py_None); /* held: the list may lose it meanwhile */
    int gap_seen = 0, failed = 0;
    /* The list read as whitespace.layout's for loop reads it (its length asked at each line),
     * each line held while it is read (walk_lines' way: no copy of the list). */
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lines_arg); i++) {
        prefetch_lines(&reader, lines_arg, i, A_TEXT);
        PyObject *line = Py_NewRef(PyList_GET_ITEM(lines_arg, i));
        PyObject *dropped = NULL, *blank = NULL, *text = NULL, *pair = NULL;
        failed = 1;
        dropped = read_attr(&reader, line, A_DROPPED);
        if (dropped == NULL) goto next;
        blank = read_attr(&reader, line, A_BLANK);
        if (blank == NULL) goto next;
        /* (Line's own blank is a bool: its truth read without a call) */
        int is_blank_line = blank == Py_True ? 1 : blank == Py_False ? 0 : PyObject_IsTrue(blank);
        if (is_blank_line < 0) goto next;
        int is_alive = dropped == Py_None;
        if (is_alive && !is_blank_line) {
            text = read_str(&reader, line, A_TEXT);
            if (text == NULL) goto next;
            if (PyList_GET_SIZE(out) > 0 && (paragraphs || gap_seen)) {
                pair = pair_of(gap, s_empty);
                if (pair == NULL || PyList_Append(out, pair) < 0) goto next;
                Py_CLEAR(pair);
            }
            pair = pair_of(line, text);
            if (pair == NULL || PyList_Append(out, pair) < 0) goto next;
            Py_SETREF(gap, Py_NewRef(Py_None));
            gap_seen = 0;
        } else {
            gap_seen = gap_seen || is_blank_line;
            if (is_alive && is_blank_line) Py_SETREF(gap, Py_NewRef(line));
        }
        failed = 0;
    next:
        Py_XDECREF(dropped);
        Py_XDECREF(blank);
        Py_XDECREF(text);
        Py_XDECREF(pair);
        Py_DECREF(line);
        if (failed) break;
    }
    Py_DECREF(gap);
    if (failed) goto finally;
    /* (out is ours: only pairs of a str each, its texts held by them) */
    PyObject *rendered = rendered_text(out);
    if (rendered == NULL) goto finally;
    result = pair_of(out, rendered);
    Py_DECREF(rendered);
finally:
    reader_done(&reader);
    Py_XDECREF(out);
    return result;
}

/* lines_out(text) -> int: text.count("\n") - text.count("\n\n") (DocStats' non-blank output
 * lines) in one pass: a run of k line breaks holds k // 2 of the pairs count() finds. */
/* Wider texts are read 8 bytes at a time (4 UCS2 or 2 UCS4 characters): a block without a line
 * break, most of a text, costs a few instructions instead of a branch per character. LOW holds a
 * 1 in each character's place and HIGH each character's top bit: with v the block xor '\n' in
 * every character, (v - LOW) & ~v & HIGH is nonzero exactly when a character of v is 0. */
#define COUNT_BREAKS(T, LOW, HIGH)                                   \
    {                                                                \
        const T *p = (const T *)data;                                \
        const Py_ssize_t per = (Py_ssize_t)(8 / sizeof(T));          \
        Py_ssize_t i = 0;                                            \
        while (i < n) {                                              \
            if (i + per <= n) {                                      \
                uint64_t block;                                      \
                memcpy(&block, p + i, 8);                            \
                block ^= (LOW) * '\n';                               \
                if (((block - (LOW)) & ~block & (HIGH)) == 0) {      \
                    if (run) {                                       \
                        breaks += run - run / 2;                     \
                        run = 0;                                     \
                    }                                                \
                    i += per;                                        \
                    continue;                                        \
                }                                                    \
            }                                                        \
            Py_ssize_t stop = i + per < n ? i + per : n;             \
            for (; i < stop; i++) {                                  \
                if (p[i] == '\n') {                                  \
                    run++;                                           \
                } else if (run) {                                    \
                    breaks += run - run / 2;                         \
                    run = 0;                                         \
                }                                                    \
            }                                                        \
        }                                                            \
    }

static PyObject *lines_out(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "lines_out: text must be str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), breaks = 0, run = 0;
    const void *data = PyUnicode_DATA(text);
    switch (PyUnicode_KIND(text)) {
    case PyUnicode_1BYTE_KIND: {
        const char *at = (const char *)data, *end = at + n;
        while ((at = memchr(at, '\n', (size_t)(end - at))) != NULL) {
            run = 1;
            while (++at < end && *at == '\n') run++;
            breaks += run - run / 2;
            if (at == end) break;
        }
        run = 0;
        break;
    }
    case PyUnicode_2BYTE_KIND:
        COUNT_BREAKS(Py_UCS2, 0x0001000100010001ULL, 0x8000800080008000ULL)
        break;
    default:
        COUNT_BREAKS(Py_UCS4, 0x0000000100000001ULL, 0x8000000080000000ULL)
        break;
    }
    breaks += run - run / 2;
    return PyLong_FromSsize_t(breaks);
}

/* ---- the record's text as JSON (document.Cleaned.record_line) ----
 *
 * orjson.dumps(text) of a clean text, from its layout's lines: orjson encodes the whole text to
 * UTF-8 again, and a text with one character past Latin-1 is two or four bytes a character
 * wide, so every line was encoded at that width, while each line's own str is mostly ASCII (its
 * UTF-8 is its data) or is written here from its own characters (put_utf8). */

/* Whether part == text[at:at + len(part)] (the caller checked that text is that long). The
 * narrower side is widened; every character is compared, without an early exit, so the
 * compiler makes it a few instructions per block of characters. */
#define SAME_CHARS(TP, TT)                                                 \
    {                                                                      \
        const TP *a = (const TP *)PyUnicode_DATA(part);                    \
        const TT *b = (const TT *)PyUnicode_DATA(text) + at;               \
        TT differ = 0;                                                     \
        for (Py_ssize_t i = 0; i < n; i++) differ |= (TT)(a[i] ^ b[i]);    \
        return differ == 0;                                                \
    }

static int same_chars(PyObject *part, PyObject *text, Py_ssize_t at) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(part);
    int kp = PyUnicode_KIND(part), kt = PyUnicode_KIND(text);
    if (kp == kt) return memcmp(PyUnicode_DATA(part), (const char *)PyUnicode_DATA(text) + at * kt, (size_t)(n * kt)) == 0;
    if (kp == PyUnicode_1BYTE_KIND && kt == PyUnicode_2BYTE_KIND) {
        /* the common case (a text with a curly quote, a line without): 4 characters at a time,
         * the part's 4 bytes spread to the text's 8 */
        const Py_UCS1 *a = (const Py_UCS1 *)PyUnicode_DATA(part);
        const Py_UCS2 *b = (const Py_UCS2 *)PyUnicode_DATA(text) + at;
        uint64_t differ = 0;
        Py_ssize_t i = 0;
#ifdef __SSE2__
        /* 8 characters at a time where every x86-64 can: the part's 8 bytes widened to the
         * text's 16 by one unpack (the loop below spreads 4 with shifts and masks) */
        __m128i zero = _mm_setzero_si128(), differ16 = zero;
        for (; i + 8 <= n; i += 8) {
            __m128i wide = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(a + i)), zero);
            differ16 = _mm_or_si128(differ16, _mm_xor_si128(wide, _mm_loadu_si128((const __m128i *)(b + i))));
        }
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(differ16, zero)) != 0xFFFF) return 0;
#endif
        for (; i + 4 <= n; i += 4) {
            uint32_t narrow;
            uint64_t wide, theirs;
            memcpy(&narrow, a + i, 4);
            memcpy(&theirs, b + i, 8);
            wide = narrow;
            wide = (wide | wide << 16) & 0x0000FFFF0000FFFFULL;
            wide = (wide | wide << 8) & 0x00FF00FF00FF00FFULL;
            differ |= wide ^ theirs;
        }
        for (; i < n; i++) differ |= (uint64_t)(a[i] ^ b[i]);
        return differ == 0;
    }
    if (kp == PyUnicode_1BYTE_KIND && kt == PyUnicode_4BYTE_KIND) SAME_CHARS(Py_UCS1, Py_UCS4)
    if (kp == PyUnicode_2BYTE_KIND && kt == PyUnicode_4BYTE_KIND) SAME_CHARS(Py_UCS2, Py_UCS4)
    return 0; /* a part wider than the text holds a character the text does not */
}

/* text_json(layout, text) -> bytes | None: orjson.dumps(text), made from the layout's texts
 * (entries (line, text)), when text is their rendering, whitespace.render's "\n".join(texts)
 * + "\n" ("" for none): checked character by character. None when it is not, or when a text
 * has no UTF-8 (a lone surrogate: the caller leaves it to orjson, which says so its way)..
 * With count set: (that, lines_out(text)), the count made in the same walk (each "\n" of the text
 * is a text's separator, when no text holds one: a run of m of them is an empty text's, m - m / 2
 * non-blank lines as lines_out counts them), or -1 when it is not known (None, or a text holding
 * a "\n"): lines_out did another pass over the whole text, at its widest. */
static PyObject *text_json(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *out, *text;
    int count = 0, newline = 0;
    if (fast_args("text_json", args, nargs, "LU|p", &out, &text, &count) < 0) return NULL;
    /* The list read in place, its items borrowed (not a copy of it, holding each): no Python code
     * runs while it is read (exact tuples' str, written by put_utf8 or CPython's UTF-8, into a
     * bytes object; an error ends the walk), so nothing can change it or free what it holds. */
    PyObject *result = NULL;
    Buffer b = {NULL, 0, 0, 1, NULL, 0}; /* handed out as it is, cut to size */
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), at = 0, breaks = 0, run = 0;
    escapes_clear();
    int keep = escapes_room(PyList_GET_SIZE(out)) == 0; /* (the list's size does not change meanwhile) */
    if (grow(&b, 2 * length + 2) < 0 || put_text(&b, "\"") < 0) goto finally;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(out); k++) {
        PyObject *src, *part;
        if (entry(out, k, &src, &part) < 0) goto finally;
        Py_ssize_t n = PyUnicode_GET_LENGTH(part), from = b.size;
        if (n >= length - at || PyUnicode_READ_CHAR(text, at + n) != '\n' || !same_chars(part, text, at)) {
            result = Py_NewRef(Py_None);
            goto finally;
        }
        if (keep) {
            /* (A str subclass is not held: letting it go could run its code, a finalizer calling in while the
             * texts are let go. None in its place is no row's text.) */
            escapes.texts[escapes.count] = Py_NewRef(PyUnicode_CheckExact(part) ? part : Py_None);
            escapes.spans[2 * escapes.count] = from;
            escapes.spans[2 * escapes.count + 1] = -1; /* (set below, once written) */
            escapes.count++;
        }
        if (put_utf8(&b, part, 1, &newline) < 0) {
            if (PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
                PyErr_Clear();
                result = Py_NewRef(Py_None);
            }
            goto finally;
        }
        if (keep) escapes.spans[2 * escapes.count - 1] = b.size;
        if (put(&b, "\\n", 0, 2, 0) < 0) goto finally;
        if (n > 0) { /* a run of separators ends: lines_out's share of it */
            breaks += run - run / 2;
            run = 0;
        }
        run++; /* its separator */
        at += n + 1;
    }
    breaks += run - run / 2;
    if (at != length) {
        result = Py_NewRef(Py_None);
        goto finally;
    }
    if (put_text(&b, "\"") < 0) goto finally;
    result = buffer_bytes(&b);
    if (keep && result != NULL) escapes.bytes = Py_NewRef(result); /* (cut to size: the spans are within it) */
finally:
    if (escapes.bytes == NULL) escapes_clear(); /* (the texts kept so far: no bytes for them) */
    Py_XDECREF(b.bytes);
    if (count && result != NULL) { /* (result None: the text is not the layout's, its count unknown) */
        PyObject *known = PyLong_FromSsize_t(result == Py_None || newline ? (Py_ssize_t)-1 : breaks);
        PyObject *pair = known == NULL ? NULL : PyTuple_Pack(2, result, known); /* (no format parsed) */
        Py_XDECREF(known);
        Py_DECREF(result);
        result = pair;
    }
    return result;
}

/* ---- the review rows' JSON (pagedata.ShardPage.add) ----
 *
 * rows_json(rows) -> bytes | None: orjson.dumps(rows) of a review record's rows (review.Row: the
 * tuples (no, fate, tag or None, text[, orig]) _diff.c's rows and review.python_rows make), the
 * texts' UTF-8 made here (put_utf8) rather than by CPython for orjson. None, for orjson to write
 * them (or say why it cannot), when a row is not such a tuple of an exact int, str and None, a
 * number does not fit 64 bits, or a text has no UTF-8 (a lone surrogate). No Python code runs
 * while the list is read (nothing is called that could change it). */
/* The bytes of rows_json(rows) as a texts' UTF-8 takes them (more where JSON escapes a character:
 * put grows the buffer then), or -1 when a row is not of the shape it writes; with sums, sums[k]
 * is that of the rows before row k (count + 1 of them). */
static Py_ssize_t rows_room(PyObject *rows, Py_ssize_t *sums) {
    Py_ssize_t count = PyList_GET_SIZE(rows), room = 2;
    for (Py_ssize_t k = 0; k < count; k++) {
        if (sums != NULL) sums[k] = room - 2;
        PyObject *row = PyList_GET_ITEM(rows, k);
        if (!PyTuple_CheckExact(row) || (PyTuple_GET_SIZE(row) != 4 && PyTuple_GET_SIZE(row) != 5) ||
            !PyLong_CheckExact(PyTuple_GET_ITEM(row, 0)))
            return -1;
        room += 24; /* the number, the brackets and commas */
        for (Py_ssize_t j = 1; j < PyTuple_GET_SIZE(row); j++) {
            PyObject *item = PyTuple_GET_ITEM(row, j);
            if (item == Py_None && j == 2) {
                room += 4;
                continue;
            }
            if (!PyUnicode_CheckExact(item)) return -1;
            room += utf8_bound(item) + 3;
        }
    }
    if (sums != NULL) sums[count] = room - 2;
    return room;
}

/* The JSON of rows (of rows_room's shape) into b: 0; 1 when it is left to orjson (a number past
 * 64 bits, a text with no UTF-8: b is left as it was); -1 with an exception set. With spans (one
 * a row), each row's as split_rows reads them from the JSON, noted where it is written, and 1
 * where split_rows refuses it (a fate not one of its three, with the items it has): the JSON is
 * not read again for them. */
static int put_rows(Buffer *b, PyObject *rows, Span *spans) {
    Py_ssize_t count = PyList_GET_SIZE(rows), start = b->size, next = 0; /* (the escapes looked for from there) */
    int newline = 0; /* (not asked) */
    if (put_byte(b, '[') < 0) goto failed;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *row = PyList_GET_ITEM(rows, k);
        Span *span = spans != NULL ? &spans[k] : NULL;
        int overflow;
        long long no = PyLong_AsLongLongAndOverflow(PyTuple_GET_ITEM(row, 0), &overflow);
        if (overflow) {
            b->size = start;
            return 1;
        }
        char digits[24];
        if (k > 0 && put_byte(b, ',') < 0) goto failed;
        if (span != NULL) {
            span->start = b->size - start;
            span->item[0] = span->start + 1;
        }
        if (put_byte(b, '[') < 0 || put(b, digits, 0, decimal(no, digits), 0) < 0) goto failed;
        for (Py_ssize_t j = 1; j < PyTuple_GET_SIZE(row); j++) {
            PyObject *item = PyTuple_GET_ITEM(row, j);
            if (span != NULL) span->stop[j - 1] = b->size - start;
            if (put_byte(b, ',') < 0) goto failed;
            if (span != NULL) span->item[j] = b->size - start;
            if (item == Py_None) {
                if (put_text(b, "null") < 0) goto failed;
            } else if (PyUnicode_IS_COMPACT_ASCII(item) && PyUnicode_GET_LENGTH(item) == 1 &&
                       PyUnicode_1BYTE_DATA(item)[0] >= 0x20 && PyUnicode_1BYTE_DATA(item)[0] != '"' &&
                       PyUnicode_1BYTE_DATA(item)[0] != '\\') { /* a fate: written as it is, without a call */
                char fate[3] = {'"', (char)PyUnicode_1BYTE_DATA(item)[0], '"'};
                if (put_raw(b, fate, 3) < 0) goto failed;
            } else if (put_byte(b, '"') < 0) {
                goto failed;
            } else {
                Py_ssize_t size;
                const char *kept = j == 3 && escapes.bytes != NULL ? escaped(item, &next, &size) : NULL;
                int put_it = kept != NULL ? put_raw(b, kept, size) : put_utf8(b, item, 1, &newline);
                if (put_it < 0 || put_byte(b, '"') < 0) goto failed;
            }
        }
        if (span != NULL) {
            Py_ssize_t items = PyTuple_GET_SIZE(row);
            span->stop[items - 1] = b->size - start;
            span->end = span->stop[items - 1] + 1;
            span->items = (int)items;
            const char *at = b->data + start + span->item[1]; /* (split_rows' checks of a row, in its order) */
            if (span->stop[1] - span->item[1] != 3 || at[0] != '"') goto refused;
            span->fate = at[1];
            if (!(span->fate == ' ' && items == 4) && !(span->fate == '-' && items == 4) &&
                !(span->fate == '~' && items == 5))
                goto refused;
        }
        if (put_byte(b, ']') < 0) goto failed;
    }
    if (put_byte(b, ']') < 0) goto failed;
    return 0;
refused:
    b->size = start;
    return 1;
failed:
    b->size = start;
    if (PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
        PyErr_Clear();
        return 1;
    }
    return -1;
}

static PyObject *rows_json(PyObject *self, PyObject *rows) {
    if (!PyList_CheckExact(rows)) Py_RETURN_NONE;
    Py_ssize_t room = rows_room(rows, NULL);
    if (room < 0) Py_RETURN_NONE;
    Buffer b = {NULL, 0, 0, 1, NULL, 0};
    int got = grow(&b, room) < 0 ? -1 : put_rows(&b, rows, NULL);
    if (got != 0) {
        Py_XDECREF(b.bytes);
        if (got < 0) return NULL;
        Py_RETURN_NONE;
    }
    return buffer_bytes(&b);
}

/* ---- a record's share of its shard's page file and removals file (pagedata.ShardPage.add) ----
 *
 * page_add(head, rows, tail, acted, prefix, n, index, samples, sample, context[, offer[, whole]]) -> (page, removals, candidates) | None
 *
 * For a review record of record_data's keys whose rows are tuples (review_rows'), the bytes add
 * writes, each made in one buffer, where they were made as pieces written one by one (the rows'
 * JSON and the E lines each a bytes object, copied again by the writer, with a write call each):
 * page: head (the document's R lines, its L line and the D line up to its rows), the rows' JSON
 * with "<" escaped, "}\n", and with acted set page_entries' E lines; removals: tail (the record's
 * JSON without its empty rows' "[]}"), the rows with_context keeps, "]}\n". With whole false (a
 * document the page does not keep whole) the page's bytes end at the D line's "null}\n", no rows
 * and no E lines; the removals line and the offers are the same. candidates:
 * page_entries' (None without acted), for the caller to offer (with offer set, offered here, after the
 * walk, by offer_all: an empty list). None, with nothing offered, when
 * rows_json or page_entries would give None (the caller goes their way). The rows' JSON is
 * written where the D line holds it and its spans read there (no "<" in it, most often): the E
 * lines' room is made first, from a bound (each label's line at most its rows' and context's
 * JSON and 48 bytes), and the buffer is not let grow while the walk reads it. */
/* *room += labels * (span + 48), or -1 with MemoryError where that is past a Py_ssize_t (no signed
 * overflow: a tag of a million "+" over a long document's rows is no more than memory can hold). */
static int add_room(Py_ssize_t *room, Py_ssize_t labels, Py_ssize_t span) {
    Py_ssize_t more = 0;
    span += 48;
#if defined(__GNUC__) || defined(__clang__)
    /* (the compiler's checked arithmetic: no division a row) */
    int over = __builtin_mul_overflow(labels, span, &more) || __builtin_add_overflow(*room, more, &more);
#else
    int over = labels > 0 && span > 0 && (labels > PY_SSIZE_T_MAX / span || *room > PY_SSIZE_T_MAX - labels * span);
    if (!over) more = *room + labels * span;
#endif
    if (over) {
        PyErr_NoMemory();
        return -1;
    }
    *room = more;
    return 0;
}

/* The D line's rows (out's bytes start to end, as read from s, the same rows unescaped, through
 * spans) as d<chunk>.js keeps them: a changed row without its original text, which the page's
 * document view does not show (its r entry and removals.jsonl have it): about a quarter of a bench
 * document's D line, most of it whitespace repairs, was text written twice and never read. The
 * shorter rows are put where the rows were and what follows them moved up. */
static int shorten_changed(Buffer *out, Py_ssize_t start, Py_ssize_t end, const char *s, const Span *spans,
                           Py_ssize_t count, int escape) {
    Py_ssize_t k = 0;
    while (k < count && spans[k].fate != '~') k++;
    if (k == count) return 0;
    Buffer rows = {NULL, 0, 0, 0, NULL, 0};
    int status = -1;
    if (put_byte(&rows, '[') < 0) goto finally;
    for (k = 0; k < count; k++) {
        if (k > 0 && put_byte(&rows, ',') < 0) goto finally;
        if (spans[k].fate == '~' ? put_short(&rows, s, &spans[k], escape) < 0
                                 : put(&rows, s, spans[k].start, spans[k].end, escape) < 0)
            goto finally;
    }
    if (put_byte(&rows, ']') < 0) goto finally;
    if (rows.size > end - start) { /* (a row cut short is never longer) */
        PyErr_SetString(PyExc_SystemError, "_diff: a changed row grew when its original text was left out");
        goto finally;
    }
    memcpy(out->data + start, rows.data, (size_t)rows.size);
    memmove(out->data + start + rows.size, out->data + end, (size_t)(out->size - end));
    out->size -= end - start - rows.size;
    status = 0;
finally:
    PyMem_Free(rows.data);
    return status;
}

/* A byte string page_add_bytes reads (not held: the caller's, for the call). */
typedef struct {
    const char *buf;
    Py_ssize_t len;
} Bytes;

/* page_add's work, its byte arguments as given (page_record's made in C, page_add's Python's). */
static PyObject *page_add_bytes(Bytes head, PyObject *rows_arg, Bytes tail, int acted, Bytes prefix_bytes,
                                PyObject *doc, PyObject *index, PyObject *samples, Py_ssize_t sample,
                                Py_ssize_t context, int offer, int whole) {
    Py_buffer prefix = {0}; /* (offers_begin reads buf and len: not a buffer to release) */
    prefix.buf = (void *)prefix_bytes.buf;
    prefix.len = prefix_bytes.len;
    PyObject *result = NULL, *rows = NULL, *page = NULL, *removals = NULL;
    Offers o = {NULL};
    Buffer *out = &o.lines; /* the page's bytes: the E lines are put there by offer_row */
    out->in_bytes = 1;
    Buffer kept = {NULL, 0, 0, 1, NULL, 0};
    Span *spans = NULL;
    Py_ssize_t *sums = NULL;
    uint64_t *keys = NULL; /* the acted rows' keys, by row */
    long long *nos = NULL;
    char *unescaped = NULL; /* the rows' JSON as it was, when "<" was escaped in the page's */
    if (context < 0) {
        PyErr_SetString(PyExc_ValueError, "context must be >= 0");
        goto finally;
    }
    if (acted) {
        if (offers_begin(&o, rows_arg, index, samples, doc, &prefix, sample, context, 0) < 0) goto finally;
        o.unlisted = !whole;
        rows = Py_NewRef(o.rows);
    } else if ((rows = PyList_GetSlice(rows_arg, 0, PyList_GET_SIZE(rows_arg))) == NULL) {
        goto finally;
    }
    Py_ssize_t count = PyList_GET_SIZE(rows);
    if ((sums = PyMem_New(Py_ssize_t, count + 1)) == NULL) {
        PyErr_NoMemory();
        goto finally;
    }
    Py_ssize_t room = rows_room(rows, sums);
    if (room < 0) {
        result = Py_NewRef(Py_None);
        goto finally;
    }
    /* The E lines' room too, from the rows' sizes as their texts' UTF-8 takes them (per label of
     * each acted row, its rows' and context's and 48 bytes; counted exactly from the JSON below):
     * the buffer is made once, not moved with the JSON in it (realloc's copy of it was most of
     * what writing it cost). */
    for (Py_ssize_t i = 0; acted && whole && i < count; i++) { /* (no E lines for a document not kept whole) */
        PyObject *row = PyList_GET_ITEM(rows, i), *fate = PyTuple_GET_ITEM(row, 1), *tag = PyTuple_GET_ITEM(row, 2);
        if (PyUnicode_GET_LENGTH(fate) == 1 && PyUnicode_READ_CHAR(fate, 0) == ' ') continue;
        /* (a removed row's tag is its one label, as it is: a "+" in a rule's id is not counted) */
        Py_ssize_t labels = tag == Py_None || is_dropped(fate) ? 1 : pluses(tag) + 1;
        if (labels < 1) goto finally;
        Py_ssize_t lo = context < i ? i - context : 0, hi = context < count - i - 1 ? i + context + 1 : count;
        if (add_room(&room, labels, sums[hi] - sums[lo]) < 0) goto finally;
    }
    if (add_room(&room, 1, head.len) < 0 || grow(out, room) < 0 || put(out, head.buf, 0, head.len, 0) < 0)
        goto finally;
    Py_ssize_t start = out->size;
    if (acted && (spans = PyMem_New(Span, count + 1)) == NULL) {
        PyErr_NoMemory();
        goto finally;
    }
    int got = put_rows(out, rows, spans);
    if (got != 0) {
        if (got > 0) result = Py_NewRef(Py_None);
        goto finally;
    }
    Py_ssize_t size = out->size - start;
    const char *s = out->data + start;
    if (memchr(s, '<', (size_t)size) != NULL) { /* the D line's "<" escaped; the walk reads them as they were */
        if ((unescaped = PyMem_Malloc((size_t)size)) == NULL) {
            PyErr_NoMemory();
            goto finally;
        }
        memcpy(unescaped, s, (size_t)size);
        out->size = start;
        if (put_escaped(out, unescaped, 0, size) < 0) goto finally;
        s = unescaped;
    }
    Py_ssize_t rows_end = out->size; /* (the D line's rows end there, "<" escaped) */
    if (put_text(out, "}\n") < 0) goto finally;
    if (grow(&kept, tail.len + (acted ? size : 0) + 3) < 0 || put(&kept, tail.buf, 0, tail.len, 0) < 0) goto finally;
    if (acted) {
        Py_ssize_t lines = 0; /* the E lines' room: per label of each acted row (a changed row's tag split at "+") */
        for (Py_ssize_t i = 0; whole && i < count; i++) {
            const Span *span = &spans[i];
            if (span->fate == ' ') continue;
            Py_ssize_t labels = 1;
            for (Py_ssize_t k = span->item[2]; span->fate == '~' && k < span->stop[2]; k++) labels += s[k] == '+';
            Py_ssize_t lo = context < i ? i - context : 0, hi = context < count - i - 1 ? i + context + 1 : count;
            if (add_room(&lines, labels, spans[hi - 1].end - spans[lo].start) < 0) goto finally;
        }
        if (grow(out, lines) < 0) goto finally; /* (made above, most often: then not moved) */
        /* The acted rows' keys made together, four at a time (sort_keys), before the walk offers
         * each: the numbers of rows_room's exact tuples (within a long long, or put_rows would
         * have refused them) cannot change meanwhile. In order of the acted rows first, then
         * each moved to its row's place (from the last: a row's place is at or after its own). */
        keys = PyMem_New(uint64_t, count + 1);
        nos = PyMem_New(long long, count + 1);
        if (keys == NULL || nos == NULL) {
            PyErr_NoMemory();
            goto finally;
        }
        Py_ssize_t n_acted = 0;
        for (Py_ssize_t i = 0; i < count; i++) {
            if (spans[i].fate == ' ') continue;
            nos[n_acted] = PyLong_AsLongLong(PyTuple_GET_ITEM(PyList_GET_ITEM(rows, i), 0));
            if (nos[n_acted] == -1 && PyErr_Occurred()) goto finally;
            sums[n_acted++] = i; /* (sums is done with: the acted rows' places) */
        }
        if (sort_keys(prefix.buf, prefix.len, nos, n_acted, keys, 1) < 0) goto finally;
        for (Py_ssize_t a = n_acted; a-- > 0;) keys[sums[a]] = keys[a];
        o.keys = keys;
        s = unescaped != NULL ? unescaped : out->data + start;
        out->fixed = unescaped == NULL; /* s is in it */
        got = walk_entries(s, size, spans, count, context, &kept, tail.len, offer_entry, &o, !whole);
        out->fixed = 0;
        if (got == 2) {
            result = Py_NewRef(Py_None);
            goto finally;
        }
        if (got < 0) goto finally;
        if (offer) { /* offered here: none handed back */
            if (offer_all(&o, keys) < 0) goto finally;
            Py_SETREF(o.candidates, PyList_New(0));
            if (o.candidates == NULL) goto finally;
        }
        s = unescaped != NULL ? unescaped : out->data + start; /* (out may have moved since the walk) */
        if (whole && shorten_changed(out, start, rows_end, s, spans, count, unescaped != NULL) < 0) goto finally;
    }
    /* A document the page does not keep whole (pagedata.ShardPage.keep): its D line without its
     * rows, and no E lines; its removals line and its sample offers are made as for any other. */
    if (!whole) {
        out->size = start;
        if (put_text(out, "null}\n") < 0) goto finally;
    }
    if (put_text(&kept, "]}\n") < 0 || (page = buffer_bytes(out)) == NULL || (removals = buffer_bytes(&kept)) == NULL)
        goto finally;
    result = PyTuple_Pack(3, page, removals, acted ? o.candidates : Py_None);
finally:
    PyMem_Free(spans);
    PyMem_Free(sums);
    PyMem_Free(keys);
    PyMem_Free(nos);
    PyMem_Free(unescaped);
    Py_XDECREF(kept.bytes);
    escapes_clear(); /* the record's texts used (while they are at hand: not at the next record's) */
    offers_end(&o);
    Py_XDECREF(rows);
    Py_XDECREF(page);
    Py_XDECREF(removals);
    return result;
}

static PyObject *page_add(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *rows_arg, *index, *samples, *doc;
    Py_buffer head, tail, prefix;
    Py_ssize_t sample, context;
    int acted, offer = 0, whole = 1;
    if (fast_args("page_add", args, nargs, "yLypyODLnn|pp", &head, &rows_arg, &tail, &acted, &prefix, &doc, &index,
                  &samples, &sample, &context, &offer, &whole) < 0)
        return NULL;
    PyObject *result = page_add_bytes((Bytes){head.buf, head.len}, rows_arg, (Bytes){tail.buf, tail.len}, acted,
                                      (Bytes){prefix.buf, prefix.len}, doc, index, samples, sample, context, offer,
                                      whole);
    PyBuffer_Release(&head);
    PyBuffer_Release(&tail);
    PyBuffer_Release(&prefix);
    return result;
}

/* ---- a whole review record into its page bytes (pagedata.ShardPage.add) ----
 *
 * page_record(rec, n, index, samples, sample, context[, lines, chars, docs, repaired[, whole]]) -> (page, removals, candidates) | None
 *
 * ShardPage.add's page_add call with the bytes it gives page_add made here from the record itself:
 * the L line (the document's label numbers, sorted; its row; emptied), the D line's head and the
 * removals line's head, each the JSON orjson writes of the record's fields (no dict copied, no
 * JSON encoded and searched for a key, no set nor sort of its labels, no replace, no id encoded in
 * Python: most of add's own time). Offered as page_add offers with offer set (candidates: an empty
 * list; None for a document no label acted on). None, with nothing done, where add goes its way: a
 * record not of record_data's keys in its order, a value not of its types (an exact str, None, an
 * int within 64 bits, a dict of str to int), a label without a number yet, a text with no UTF-8,
 * or where page_add gives None. */
#define REC_KEYS 10
static PyObject *rec_keys[REC_KEYS]; /* record_data's keys in its order (pagedata._REC_KEYS) */
static const char *const rec_key_texts[REC_KEYS] = {"id",      "source",        "site",     "chars_in", "chars_out",
                                                    "emptied", "removed",       "removed_chars", "repaired", "lines"};
enum { R_ID, R_SOURCE, R_SITE, R_CHARS_IN, R_CHARS_OUT, R_EMPTIED, R_REMOVED, R_REMOVED_CHARS, R_REPAIRED, R_LINES };

/* A field's JSON as orjson writes it (None, an exact str, an exact int within a long long): 0; 1
 * for another value (or a str with no UTF-8: the error cleared); -1 with an exception set. */
static int put_value(Buffer *b, PyObject *value) {
    if (value == Py_None) return put_text(b, "null");
    if (PyLong_CheckExact(value)) {
        int overflow;
        long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (overflow) return 1;
        if (number == -1 && PyErr_Occurred()) return -1;
        char digits[24];
        return put_raw(b, digits, decimal(number, digits));
    }
    if (!PyUnicode_CheckExact(value)) return 1;
    int newline = 0;
    if (put_byte(b, '"') < 0) return -1;
    if (put_utf8(b, value, 1, &newline) < 0) {
        if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return -1;
        PyErr_Clear();
        return 1;
    }
    return put_byte(b, '"');
}

/* ``"<key>":`` (a key of ours: plain ASCII). */
static inline int put_key(Buffer *b, PyObject *key) {
    return put_byte(b, '"') < 0 || put_raw(b, (const char *)PyUnicode_1BYTE_DATA(key), PyUnicode_GET_LENGTH(key)) < 0 ||
                   put_text(b, "\":") < 0
               ? -1
               : 0;
}

/* A dict of exact str keys and exact int values as orjson writes it: 0, 1 for another, -1 on error. */
static int put_counts(Buffer *b, PyObject *counts) {
    if (!PyDict_CheckExact(counts)) return 1;
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    if (put_byte(b, '{') < 0) return -1;
    for (int first = 1; PyDict_Next(counts, &pos, &key, &value); first = 0) {
        /* (nothing here runs Python code: the dict cannot change while it is read) */
        if (!PyUnicode_CheckExact(key) || !PyLong_CheckExact(value)) return 1;
        if (!first && put_byte(b, ',') < 0) return -1;
        int got = put_value(b, key);
        if (got != 0) return got;
        if (put_byte(b, ':') < 0) return -1;
        if ((got = put_value(b, value)) != 0) return got;
    }
    return put_byte(b, '}');
}

/* The numbers index gives the labels of counts (exact str keys, exact int numbers, each >= 0) into
 * numbers from *n on (room for room of them): 0; 1 where one has none (or is not of those types,
 * or counts outgrew room); -1 on error. */
static int label_numbers(PyObject *counts, PyObject *index, Py_ssize_t *numbers, Py_ssize_t *n, Py_ssize_t room) {
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(counts, &pos, &key, &value)) {
        if (!PyUnicode_CheckExact(key)) return 1;
        /* (an exact str hashed and compared with the index's keys, ShardPage's exact strs: no code
         * runs. An index key of a str subclass's (a record the Python way put there) can run its
         * __eq__, which may change counts: the key is held for the lookup, and a counts grown
         * past the room made for it is left to add) */
        if (*n >= room) return 1;
        Py_INCREF(key);
        PyObject *number = PyDict_GetItemWithError(index, key);
        Py_DECREF(key);
        if (number == NULL) return PyErr_Occurred() ? -1 : 1;
        if (!PyLong_CheckExact(number)) return 1;
        Py_ssize_t at = PyLong_AsSsize_t(number);
        if (at < 0) {
            if (PyErr_Occurred()) PyErr_Clear();
            return 1;
        }
        numbers[(*n)++] = at;
    }
    return 0;
}

static int compare_ssize(const void *a, const void *b) {
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

static PyObject *page_record(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *rec, *doc, *index, *samples, *tallies[4] = {NULL, NULL, NULL, NULL};
    Py_ssize_t sample, context;
    int whole = 1;
    if (fast_args("page_record", args, nargs, "OODLnn|DDDDp", &rec, &doc, &index, &samples, &sample, &context,
                  &tallies[0], &tallies[1], &tallies[2], &tallies[3], &whole) < 0)
        return NULL;
    if (!PyDict_CheckExact(rec) || PyDict_GET_SIZE(rec) != REC_KEYS || !PyDict_CheckExact(index))
        Py_RETURN_NONE;
    PyObject *field[REC_KEYS];
    {
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        for (int k = 0; PyDict_Next(rec, &pos, &key, &value); k++) { /* (in its order: tuple(rec) == _REC_KEYS) */
            if (key != rec_keys[k] && !(PyUnicode_CheckExact(key) && same_str(key, rec_keys[k]))) Py_RETURN_NONE;
            field[k] = value;
        }
    }
    PyObject *removed_chars = field[R_REMOVED_CHARS], *repaired = field[R_REPAIRED];
    if (!PyDict_CheckExact(removed_chars) || !PyDict_CheckExact(repaired) || !PyList_CheckExact(field[R_LINES]) ||
        !PyUnicode_CheckExact(field[R_ID]))
        Py_RETURN_NONE;
    /* The record's fields held for the call (page_add_bytes' comparisons may run code that changes rec) */
    for (int k = 0; k < REC_KEYS; k++) Py_INCREF(field[k]);
    PyObject *result = NULL;
    Buffer head = {NULL, 0, 0, 0, NULL, 0}, tail = {NULL, 0, 0, 0, NULL, 0}, row = {NULL, 0, 0, 0, NULL, 0};
    Py_ssize_t labels = PyDict_GET_SIZE(removed_chars) + PyDict_GET_SIZE(repaired), mine = 0;
    Py_ssize_t *numbers = PyMem_New(Py_ssize_t, labels + 1);
    int got = 0;
    if (numbers == NULL) {
        PyErr_NoMemory();
        goto finally;
    }
    if ((got = label_numbers(removed_chars, index, numbers, &mine, labels)) != 0 ||
        (got = label_numbers(repaired, index, numbers, &mine, labels)) != 0)
        goto finally;
    qsort(numbers, (size_t)mine, sizeof *numbers, compare_ssize);
    /* The L line: "L" <numbers, each once> "\t" <js([id, source, site, chars_in, chars_out])[1:-1]> "\t" <emptied> */
    if (put_byte(&head, 'L') < 0) goto failed;
    for (Py_ssize_t i = 0; i < mine; i++) {
        if (i > 0 && numbers[i] == numbers[i - 1]) continue; /* (a label both removed and repaired: one number) */
        char digits[24];
        if ((i > 0 && put_byte(&head, ',') < 0) || put_raw(&head, digits, decimal(numbers[i], digits)) < 0)
            goto failed;
    }
    for (int k = R_ID; k <= R_CHARS_OUT; k++) {
        if (k > R_ID && put_byte(&row, ',') < 0) goto failed;
        if ((got = put_value(&row, field[k])) != 0) goto finally;
    }
    if (put_byte(&head, '\t') < 0 || put_escaped(&head, row.data, 0, row.size) < 0 || put_byte(&head, '\t') < 0)
        goto failed;
    row.size = 0;
    if ((got = put_value(&row, field[R_EMPTIED])) != 0) goto finally;
    if (put_escaped(&head, row.data, 0, row.size) < 0 || put_text(&head, "\nD") < 0) goto failed;
    /* The record's JSON up to "removed" (its D line's head, escaped, and the removals line's) */
    row.size = 0;
    if (put_byte(&row, '{') < 0) goto failed;
    for (int k = R_ID; k <= R_EMPTIED; k++) {
        if ((k > R_ID && put_byte(&row, ',') < 0) || put_key(&row, rec_keys[k]) < 0) goto failed;
        if ((got = put_value(&row, field[k])) != 0) goto finally;
    }
    if (put_escaped(&head, row.data, 0, row.size) < 0 || put_text(&head, ",\"lines\":") < 0 ||
        put_raw(&tail, row.data, row.size) < 0)
        goto failed;
    for (int k = R_REMOVED; k <= R_REPAIRED; k++) {
        if (put_byte(&tail, ',') < 0 || put_key(&tail, rec_keys[k]) < 0) goto failed;
        if ((got = put_counts(&tail, field[k])) != 0) goto finally;
    }
    /* the prefix of the rows' sort keys: the id's UTF-8 and a NUL (f"{doc_id}\0".encode()) */
    row.size = 0;
    if (put_text(&tail, ",\"lines\":[") < 0 || put_str(&row, field[R_ID]) < 0 || put_byte(&row, '\0') < 0) {
        if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) goto failed;
        PyErr_Clear();
        got = 1;
        goto finally;
    }
    result = page_add_bytes((Bytes){head.data, head.size}, field[R_LINES], (Bytes){tail.data, tail.size}, labels > 0,
                            (Bytes){row.data, row.size}, doc, index, samples, sample, context, 1, whole);
    if (result != NULL && result != Py_None && tallies[3] != NULL) {
        /* Tallies.add's (its tally's order: lines and docs, chars, repaired and docs), once the page's bytes are made
         * (a None above leaves the record to add, which counts it then): the counts are exact ints (put_counts) */
        PyObject *one = PyLong_FromLong(1);
        int status = one == NULL || add_counts(tallies[0], field[R_REMOVED], tallies[2], one) < 0 ||
                             add_counts(tallies[1], removed_chars, NULL, one) < 0 ||
                             add_counts(tallies[3], repaired, tallies[2], one) < 0
                         ? -1
                         : 0;
        Py_XDECREF(one);
        if (status < 0) Py_CLEAR(result);
    }
    goto finally;
failed:
    got = -1;
finally:
    PyMem_Free(numbers);
    PyMem_Free(head.data);
    PyMem_Free(tail.data);
    PyMem_Free(row.data);
    for (int k = 0; k < REC_KEYS; k++) Py_DECREF(field[k]);
    if (got > 0) Py_RETURN_NONE;
    return result;
}

/* ---- the page join: pagedata.Joiner's loop over a page file's lines ----
 *
 * join(block, pos, n, numbers, sinks, listing, whole, room_e, room_l, room_d)
 *   -> (pos, n, entries, listed, wholes)
 *
 * Adds the E, L and D lines of ``block`` from ``pos`` on as Joiner._line does: an E line's rest
 * as "[<n>,<rest>\n" to sinks[numbers[<rule>]], an L line's item as ",[<n>,<row>,[<rules>],<emptied>]"
 * to listing (its rules renumbered and sorted), a D line's as ",<doc>" to whole. It stops at the
 * first line it leaves to Python (another tag; a line without its newline; a number that is not
 * plain digits or not in the lists; a bytearray missing), returning where that line starts, or
 * after the line that makes entries, listed or wholes reach its room (Python writes the files
 * then). ``n`` is the document number, one more at each L line. No Python code runs while the
 * lists' items are read (exact ints and bytearrays only), so borrowed items cannot go away. */

/* ``array`` resized to hold ``more`` bytes more (the caller writes them): where they begin.
 * A bytearray that overflows its allocation grows it by an eighth, and realloc moves it: a rule's
 * sink, filled a line at a time up to megabytes, was copied about nine times over (realloc's
 * memcpy in the main process was nine times the join's own). So an overflow first resizes it to
 * half as large again as it is (PyByteArray_Resize allocates a large upsize exactly), then down to
 * the size wanted (a downsize to over half the allocation keeps it): about three copies. */
static char *extend(PyObject *array, Py_ssize_t more) {
    Py_ssize_t size = PyByteArray_GET_SIZE(array);
    if (more > PY_SSIZE_T_MAX - size) {
        PyErr_NoMemory();
        return NULL;
    }
    Py_ssize_t want = size + more;
    PyByteArrayObject *bytes = (PyByteArrayObject *)array;
    /* Room in its allocation (kept by empty() across a flush): the size set here, as
     * PyByteArray_Resize would not (an upsize to under half the allocation moves it down to fit). */
    Py_ssize_t offset = bytes->ob_start - bytes->ob_bytes;
    if (bytes->ob_exports == 0 && bytes->ob_bytes != NULL && want < bytes->ob_alloc - offset) {
        Py_SET_SIZE(array, want);
        bytes->ob_start[want] = '\0'; /* (a bytearray's trailing NUL) */
        return bytes->ob_start + size;
    }
    Py_ssize_t ahead = size <= PY_SSIZE_T_MAX / 2 ? size + size / 2 : want;  /* (no signed overflow) */
    if (want >= ((PyByteArrayObject *)array)->ob_alloc && want < ahead && PyByteArray_Resize(array, ahead) < 0)
        return NULL;
    if (PyByteArray_Resize(array, want) < 0) return NULL;
    return PyByteArray_AS_STRING(array) + size;
}

/* s[from:to] as a number of 1 to 18 ASCII digits (what int() reads the same), else -1. */
static long long plain_number(const char *s, Py_ssize_t from, Py_ssize_t to) {
    if (to - from < 1 || to - from > 18) return -1;
    long long value = 0;
    for (Py_ssize_t k = from; k < to; k++) {
        if (s[k] < '0' || s[k] > '9') return -1;
        value = value * 10 + (s[k] - '0');
    }
    return value;
}

/* numbers[s[from:to]] as a C number >= 0, else -1 (left to Python). */
static long long renumbered(PyObject *numbers, const char *s, Py_ssize_t from, Py_ssize_t to) {
    long long mine = plain_number(s, from, to);
    if (mine < 0 || mine >= PyList_GET_SIZE(numbers)) return -1;
    PyObject *item = PyList_GET_ITEM(numbers, (Py_ssize_t)mine);
    if (!PyLong_CheckExact(item)) return -1;
    long long value = PyLong_AsLongLong(item);
    if (value < 0) {
        PyErr_Clear(); /* an overflow: Python's way */
        return -1;
    }
    return value;
}

static int compare_ll(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* The L line's fields s[from:to] (no newline) as its item, appended to listing; 0 when done,
 * 1 when left to Python, -1 on error. */
static int join_listed(PyObject *listing, const char *s, Py_ssize_t from, Py_ssize_t to, long long n,
                       PyObject *numbers) {
    const char *t1 = memchr(s + from, '\t', (size_t)(to - from));
    if (t1 == NULL) return 1;
    const char *t2 = memchr(t1 + 1, '\t', (size_t)(s + to - t1 - 1));
    if (t2 == NULL || memchr(t2 + 1, '\t', (size_t)(s + to - t2 - 1)) != NULL) return 1;
    Py_ssize_t mine_end = t1 - s, row_start = mine_end + 1, row_end = t2 - s, emptied_start = row_end + 1;
    Py_ssize_t count = 0;
    long long *rules = NULL;
    if (mine_end > from) {
        count = 1;
        for (Py_ssize_t k = from; k < mine_end; k++) count += s[k] == ',';
        rules = PyMem_Malloc((size_t)count * sizeof *rules);
        if (rules == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        Py_ssize_t start = from, got = 0;
        for (Py_ssize_t k = from; k <= mine_end; k++) {
            if (k < mine_end && s[k] != ',') continue;
            long long rule = renumbered(numbers, s, start, k);
            if (rule < 0) {
                PyMem_Free(rules);
                return 1;
            }
            rules[got++] = rule;
            start = k + 1;
        }
        qsort(rules, (size_t)count, sizeof *rules, compare_ll);
    }
    /* ",[" n "," row ",[" rules "]," emptied "]": each rule at most 20 characters and a comma */
    Py_ssize_t most = 2 + 21 + 1 + (row_end - row_start) + 2 + count * 21 + 2 + (to - emptied_start) + 1;
    Py_ssize_t before = PyByteArray_GET_SIZE(listing);
    char *out = extend(listing, most);
    if (out == NULL) {
        PyMem_Free(rules);
        return -1;
    }
    char *at = out;
    memcpy(at, ",[", 2);
    at += 2 + decimal(n, at + 2);
    *at++ = ',';
    memcpy(at, s + row_start, (size_t)(row_end - row_start));
    at += row_end - row_start;
    memcpy(at, ",[", 2);
    at += 2;
    for (Py_ssize_t k = 0; k < count; k++) {
        if (k) *at++ = ',';
        at += decimal(rules[k], at);
    }
    memcpy(at, "],", 2);
    at += 2;
    memcpy(at, s + emptied_start, (size_t)(to - emptied_start));
    at += to - emptied_start;
    *at++ = ']';
    PyMem_Free(rules);
    /* Down to what was written, in the room extend() made (no exports: it took them into account,
     * and no Python code ran since): PyByteArray_Resize would move a listing emptied with its
     * room kept down to fit, to be grown again at the next line. */
    Py_SET_SIZE(listing, before + (at - out));
    ((PyByteArrayObject *)listing)->ob_start[before + (at - out)] = '\0';
    return 0;
}

static PyObject *join(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t pos, room_e, room_l, room_d;
    long long n;
    PyObject *numbers, *sinks, *listing, *whole;
    if (!PyArg_ParseTuple(args, "y*nLO!O!O!O!nnn", &view, &pos, &n, &PyList_Type, &numbers, &PyList_Type, &sinks,
                          &PyByteArray_Type, &listing, &PyByteArray_Type, &whole, &room_e, &room_l, &room_d))
        return NULL;
    const char *s = view.buf;
    Py_ssize_t size = view.len, added = 0, listed = 0, wholes = 0;
    if (pos < 0 || pos > size) {
        PyBuffer_Release(&view);
        return PyErr_Format(PyExc_ValueError, "pos %zd is outside the block", pos);
    }
    while (pos < size) {
        const char *newline = memchr(s + pos, '\n', (size_t)(size - pos));
        if (newline == NULL) break;
        Py_ssize_t end = newline - s; /* the line is s[pos:end], its newline at end */
        char tag = s[pos];
        if (tag == 'E') {
            const char *tab = memchr(s + pos + 1, '\t', (size_t)(end - pos - 1));
            if (tab == NULL) break;
            long long rule = renumbered(numbers, s, pos + 1, tab - s);
            if (rule < 0 || rule >= PyList_GET_SIZE(sinks)) break;
            PyObject *sink = PyList_GET_ITEM(sinks, (Py_ssize_t)rule);
            if (!PyByteArray_CheckExact(sink)) break;
            char prefix[32];
            prefix[0] = '[';
            int width = 1 + decimal(n, prefix + 1);
            prefix[width++] = ',';
            Py_ssize_t rest = end - (tab - s) - 1;
            char *out = extend(sink, width + rest + 1);
            if (out == NULL) goto error;
            memcpy(out, prefix, (size_t)width);
            memcpy(out + width, tab + 1, (size_t)rest);
            out[width + rest] = '\n';
            pos = end + 1;
            if (++added >= room_e) break;
        } else if (tag == 'L') {
            if (n == LLONG_MAX) break;
            int done = join_listed(listing, s, pos + 1, end, n + 1, numbers);
            if (done < 0) goto error;
            if (done > 0) break;
            n++;
            pos = end + 1;
            if (++listed >= room_l) break;
        } else if (tag == 'D') {
            char *out = extend(whole, end - pos);
            if (out == NULL) goto error;
            out[0] = ',';
            memcpy(out + 1, s + pos + 1, (size_t)(end - pos - 1));
            pos = end + 1;
            if (++wholes >= room_d) break;
        } else {
            break;
        }
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("(nLnnn)", pos, n, added, listed, wholes);
error:
    PyBuffer_Release(&view);
    return NULL;
}

/* empty(array) -> None: the bytearray made empty, its allocation kept (bytearray.clear frees it):
 * the join's sinks are emptied at each flush and filled again to about the same size, and
 * memory handed back and taken again was a page fault per 4 KB written (extend() fills the room). */
static PyObject *empty(PyObject *self, PyObject *array) {
    if (!PyByteArray_CheckExact(array)) return PyErr_Format(PyExc_TypeError, "empty() takes a bytearray");
    PyByteArrayObject *bytes = (PyByteArrayObject *)array;
    if (bytes->ob_exports > 0) {
        PyErr_SetString(PyExc_BufferError, "Existing exports of data: object cannot be re-sized");
        return NULL;
    }
    if (bytes->ob_bytes != NULL) {
        bytes->ob_start = bytes->ob_bytes;
        bytes->ob_bytes[0] = '\0';
    }
    Py_SET_SIZE(array, 0);
    Py_RETURN_NONE;
}

/* cut(sink, start, count) -> (end, taken): pagedata._cut, up to ``count`` of the entries of
 * sink[start:] (each ends with a newline), the newlines between them made commas in place (the
 * flush writes sink[start:end - 1] as it is: no copy). */
static PyObject *cut(PyObject *self, PyObject *args) {
    PyObject *sink;
    Py_ssize_t start, count;
    if (!PyArg_ParseTuple(args, "O!nn", &PyByteArray_Type, &sink, &start, &count)) return NULL;
    char *s = PyByteArray_AS_STRING(sink);
    Py_ssize_t size = PyByteArray_GET_SIZE(sink), end = start, taken = 0;
    if (start < 0 || start > size) return PyErr_Format(PyExc_ValueError, "start %zd is outside the sink", start);
    while (taken < count && end < size) {
        char *newline = memchr(s + end, '\n', (size_t)(size - end));
        if (newline == NULL) break;
        if (taken) s[end - 1] = ','; /* the previous entry's newline, now that one follows it */
        end = newline - s + 1;
        taken++;
    }
    return Py_BuildValue("(nn)", end, taken);
}

static PyMethodDef methods[] = {
    {"hunks", (PyCFunction)(void (*)(void))hunks, METH_FASTCALL,
     "hunks(lines, layout, trailing_newline, layout_label[, as_bytes]) -> str | bytes | None: the diff's hunks "
     "(diff.py's render after its two header lines), or their UTF-8; None when the layout is not in line order "
     "or a text is not UTF-8."},
    {"entries", entries, METH_VARARGS,
     "entries(rows_json, count, context) -> (acted, rests, near) | None: the review page's entries of a "
     "record's rows (pagedata.ShardPage._entries); None when the JSON is not rows of the record's shape."},
    {"offers", offers, METH_VARARGS,
     "offers(rows, acted, rests, prefix, n, index, samples, sample[, context]) -> (lines, candidates) | None: the "
     "E lines of a record's acted rows and the sample candidates (pagedata.ShardPage._entries' samples); with a "
     "context, each candidate carries its entry (ShardPage._sample's)."},
    {"page_entries", (PyCFunction)(void (*)(void))page_entries, METH_FASTCALL,
     "page_entries(rows_json, rows, prefix, n, index, samples, sample, context) -> (lines, near, candidates) | None: "
     "entries() and offers() (with context) in one walk; None when either would give None."},
    {"review_rows", review_rows, METH_VARARGS,
     "review_rows(lines, max_chars) -> list | None: review.record_data's rows; None when a text is longer."},
    {"line_counts", (PyCFunction)(void (*)(void))line_counts, METH_FASTCALL,
     "line_counts(lines[, max_chars]) -> (removed, chars, repaired[, rows]): DocStats.of's counts per rule and label; "
     "with max_chars, review_rows(lines, max_chars) too, from the same walk."},
    {"tally", (PyCFunction)(void (*)(void))tally, METH_FASTCALL,
     "tally(lines, chars, docs, repaired, removed, removed_chars, repaired_by) -> True | None: pagedata.Tallies.add's "
     "sums; None, with nothing added, when a count is not an int."},
    {"totals_add", (PyCFunction)(void (*)(void))totals_add, METH_FASTCALL,
     "totals_add(removed, removed_chars, repaired, by_removed, by_chars, by_repaired) -> True | None: "
     "FileSummary.document's sums; None, with nothing added, when a count is not an int."},
    {"split_lines", (PyCFunction)(void (*)(void))split_lines, METH_FASTCALL,
     "split_lines(text, cls) -> (lines, trailing): pipeline.split_lines, each line made as cls(no, part)."},
    {"alive", alive, METH_O,
     "alive(lines) -> int: the lines whose dropped_by is None (State.alive), the Line class's slot kept from call "
     "to call."},
    {"layout", (PyCFunction)(void (*)(void))layout, METH_FASTCALL,
     "layout(lines, paragraphs) -> (out, text): whitespace.layout's output lines and their rendered text."},
    {"lines_out", lines_out, METH_O, "lines_out(text) -> int: text.count('\\n') - text.count('\\n\\n')."},
    {"text_json", (PyCFunction)(void (*)(void))text_json, METH_FASTCALL,
     "text_json(layout, text[, count]) -> bytes | None: orjson.dumps(text) from the layout's texts' UTF-8; None when "
     "text is not their rendering or a text has no UTF-8. With count: (that, lines_out(text) or -1 when not known)."},
    {"rows_json", rows_json, METH_O,
     "rows_json(rows) -> bytes | None: orjson.dumps(rows) of review rows, their texts' UTF-8 made here; None when "
     "a row is not of their shape or a text has no UTF-8."},
    {"page_add", (PyCFunction)(void (*)(void))page_add, METH_FASTCALL,
     "page_add(head, rows, tail, acted, prefix, n, index, samples, sample, context[, offer[, whole]]) -> (page, removals, "
     "candidates) | None: ShardPage.add's bytes of a record_data record, the page file's and the removals file's, and "
     "page_entries' candidates (None without acted; with offer, offered to the heaps as ShardPage._offer_all offers "
     "them, and none handed back; without whole, the D line's rows \"null\" and no E lines); None, with nothing "
     "offered, when rows_json or page_entries would give None."},
    {"page_record", (PyCFunction)(void (*)(void))page_record, METH_FASTCALL,
     "page_record(rec, n, index, samples, sample, context[, lines, chars, docs, repaired[, whole]]) -> (page, "
     "removals, candidates) | None: page_add's "
     "call of ShardPage.add (with offer), its bytes made from the record_data record rec; None, with nothing done, "
     "for a record of other keys or types, a label not numbered, or where page_add gives None."},
    {"join", join, METH_VARARGS,
     "join(block, pos, n, numbers, sinks, listing, whole, room_e, room_l, room_d) -> (pos, n, entries, listed, "
     "wholes): pagedata.Joiner._line over a block's E, L and D lines, up to a line left to Python or a full room."},
    {"empty", empty, METH_O, "empty(array) -> None: array made empty, its allocation kept (for the join's sinks)."},
    {"cut", cut, METH_VARARGS,
     "cut(sink, start, count) -> (end, taken): up to count newline-ended entries of a bytearray from start, "
     "joined by ',' in place (pagedata._cut)."},
    {"sort_key", py_sort_key, METH_VARARGS, "sort_key(data) -> int: blake2b(data, digest_size=8) read big-endian."},
    {"sort_keys", py_sort_keys, METH_VARARGS,
     "sort_keys(prefix, nos, wide) -> list: sort_key(prefix + b'%d' % no) of each no, four at a time with wide (AVX2)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_diff", NULL, -1, methods};

PyMODINIT_FUNC PyInit__diff(void) {
    struct {
        PyObject **slot;
        const char *text;
    } strings[] = {
        {&s_orig, "orig"},      {&s_no, "no"},          {&s_dropped_by, "dropped_by"}, {&s_changed_by, "changed_by"},
        {&s_plus, "+"},         {&s_newline, "newline"}, {&s_empty, ""},
        {&s_text, "text"},      {&s_fate_kept, " "},    {&s_fate_dropped, "-"},       {&s_fate_changed, "~"},
        {&s_blank, "blank"},
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        if (*strings[i].slot == NULL) {
            *strings[i].slot = PyUnicode_InternFromString(strings[i].text);
            if (*strings[i].slot == NULL) return NULL;
        }
    }
    if (s_empty_tuple == NULL && (s_empty_tuple = PyTuple_New(0)) == NULL) return NULL;
    for (int k = 0; k < REC_KEYS; k++)
        if (rec_keys[k] == NULL && (rec_keys[k] = PyUnicode_InternFromString(rec_key_texts[k])) == NULL) return NULL;
    attr_names[A_NO] = s_no;
    attr_names[A_ORIG] = s_orig;
    attr_names[A_TEXT] = s_text;
    attr_names[A_DROPPED] = s_dropped_by;
    attr_names[A_CHANGED] = s_changed_by;
    attr_names[A_BLANK] = s_blank;
#ifdef WIDE_KEYS
    __builtin_cpu_init();
    wide_keys = __builtin_cpu_supports("avx2") != 0;
#endif
    return PyModule_Create(&module);
}

/* alive(lines) -> int: how many lines no step dropped (State.alive), asked after every step of every
 * round (pipeline.clean). The slot offset of dropped_by is kept with the class it belongs to from
 * call to call: a Reader per call would look up every attribute of the class on each call, which on
 * a document of a few dozen lines costs more than the count. The class is held, so its address cannot be reused
 * by another; a line of another class, or one whose slot is empty, is read the generic way. */
static PyTypeObject *alive_type;     /* the class last met (held), or NULL */
static Py_ssize_t alive_offset = -1; /* its dropped_by slot's offset (-1: the generic way) */

/* Whether ``line`` (held by the caller) is alive, the slow way: the class's offset found first
 * when it is not the one kept; 1, 0, or -1 with an exception set. */
static int line_alive_slow(PyObject *line) {
    PyTypeObject *type = Py_TYPE(line);
    if (type != alive_type) {
        /* The pair is set whole before the old class is let go (its release can run code that
         * calls here again: that call must see an offset of the class it names). */
        Py_ssize_t offset;
        PyObject *name = attr_names[A_DROPPED];
        slot_offsets_of(type, &name, 1, 0, &offset);
        PyTypeObject *old = alive_type;
        alive_type = (PyTypeObject *)Py_NewRef((PyObject *)type);
        alive_offset = offset;
        Py_XDECREF(old);
    }
    if (alive_type == type && alive_offset >= 0) {
        PyObject *dropped = slot_borrow(line, alive_offset);
        if (dropped != NULL) return dropped == Py_None;
    }
    PyObject *dropped = PyObject_GetAttr(line, attr_names[A_DROPPED]);
    if (dropped == NULL) return -1;
    int alive = dropped == Py_None;
    Py_DECREF(dropped);
    return alive;
}

static PyObject *alive(PyObject *self, PyObject *arg) {
    if (!PyList_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "alive: lines must be a list");
        return NULL;
    }
    Py_ssize_t count = 0, n = PyList_GET_SIZE(arg);
    PyObject *const *items = ((PyListObject *)arg)->ob_item;
    /* The class whose slot is read in place (NULL, which no line's class is: none), and where. */
    PyTypeObject *type = alive_offset >= 0 ? alive_type : NULL;
    Py_ssize_t offset = alive_offset;
    PyObject *none = Py_None;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *line = items[i];
        if (Py_TYPE(line) == type) {
            /* The slot read in place: no code runs, the borrowed line, the list's items and
             * the class and offset kept stay what they were. */
            PyObject *dropped = slot_borrow(line, offset);
            if (dropped != NULL) {
                count += dropped == none;
                continue;
            }
        }
        Py_INCREF(line); /* the slow way can run code, which could let the list drop the line */
        int alive = line_alive_slow(line);
        Py_DECREF(line);
        if (alive < 0) return NULL;
        count += alive;
        /* Read again after code may have run: the list may have changed, and the class kept. */
        n = PyList_GET_SIZE(arg);
        items = ((PyListObject *)arg)->ob_item;
        type = alive_offset >= 0 ? alive_type : NULL;
        offset = alive_offset;
    }
    return PyLong_FromSsize_t(count);
}

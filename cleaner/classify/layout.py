"""The line classifier's feature matrix as the compiled code lays it out: the columns, a line's
cached row, and what _lines.c is told of them. No numpy here: the compiled shortcut
(cleaner/classify/compiled.py) needs these names, and a run whose documents it decides alone
never imports numpy."""

from __future__ import annotations

from cleaner.classify.stoplists import LANGUAGES

BUCKETS = 1 << 18  # the hashed n-grams' buckets (cleaner/classify/ngrams.py)
LONG_WORDS = 10  # a line of this many words with a sentence end is "sentence-like"
SHORT_WORDS = 4  # a line of fewer words is "short" (a menu item, a label)
MAX_LINE_CHARS = 2000  # features look at a line's first 2,000 characters (its length is the real one)

NAMES = (
    "log_chars",
    "words",
    "stopwords",
    "stop_density",
    "sentence_end",
    "ends_colon",
    "upper_share",
    "digit_share",
    "punct_share",
    "separators",
    "capitalised_share",
    "mean_word_len",
    "commas",
    "has_date",
    "has_link",
    "has_copyright",
    "starts_bullet",
    "rel_pos",
    "log_from_start",
    "log_from_end",
    "win2_words",
    "win5_words",
    "win2_stop",
    "win5_stop",
    "win2_long",
    "win5_long",
    "dist_long",
    "before_first_long",
    "after_last_long",
    "short_run",
    "doc_long_share",
    "log_doc_lines",
    "prev_words",
    "next_words",
    "repeats_in_doc",
    "lang_coverage",
    "ngram_score",
)
INDEX = {name: i for i, name in enumerate(NAMES)}
# The columns a line's text alone gives (features._per_line fills them), in its order.
STATIC = [
    INDEX[name]
    for name in (
        "sentence_end",
        "ends_colon",
        "separators",
        "capitalised_share",
        "mean_word_len",
        "commas",
        "has_date",
        "has_link",
        "has_copyright",
        "starts_bullet",
    )
]

# A line's cached row: the columns of the feature matrix its text alone gives (words, the STATIC
# ones, upper_share; the others 0 here), then its digits and punctuation, then how many of its
# words each language's stoplist holds.
R_WORDS = INDEX["words"]
R_UPPER_SHARE = INDEX["upper_share"]
R_DIGITS = INDEX["starts_bullet"] + 1
R_PUNCT = R_DIGITS + 1
R_HITS = R_PUNCT + 1
ROW = R_HITS + len(LANGUAGES)

# What _lines.infos and _lines.features need to know of a row.
LAYOUT = (ROW, R_WORDS, R_UPPER_SHARE, R_DIGITS, R_PUNCT, R_HITS, len(LANGUAGES), BUCKETS, tuple(STATIC))
# What _lines.document needs to know of the layouts: the row's, the matrix's width, the long
# and short line limits, and the columns it fills (in the order of _lines.c's enum).
DOC_SPEC = (
    ROW,
    R_WORDS,
    R_DIGITS,
    R_HITS,
    len(LANGUAGES),
    len(NAMES),
    LONG_WORDS,
    SHORT_WORDS,
    tuple(
        INDEX[name]
        for name in (
            "log_chars",
            "stopwords",
            "stop_density",
            "sentence_end",
            "digit_share",
            "punct_share",
            "rel_pos",
            "win2_words",
            "dist_long",
            "before_first_long",
            "after_last_long",
            "short_run",
            "doc_long_share",
            "log_doc_lines",
            "prev_words",
            "next_words",
            "repeats_in_doc",
            "lang_coverage",
        )
    ),
)

"""The generic line classifier as a pipeline step: every live line of a document gets P(content)
from what its text and its neighbours show (cleaner.classify); a line under the profile's
threshold goes, with a rule id saying what kind of line it was.

It acts on the live non-blank lines only, so the pipeline can run it in every round until
nothing more goes: the output is then a fixed point, and cleaning it again changes nothing. The
document's first line, a crawled page's title, is never its to drop (a rule may take it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from cleaner.classify.config import ClassifyConfig, Profile
from cleaner.classify.lists import kept_lists
from cleaner.document import Line
from cleaner.rules.compiled import ALIVE
from cleaner.rules.engine import RuleSet
from cleaner.rules.model import RuleFile
from cleaner.steps.base import State

# numpy and the numpy model (a tenth of a second to import) only for a document the compiled shortcut
# cannot decide (cleaner/classify/compiled.py: a line within a hair of the threshold) or where the C
# is not built; the shortcut itself only once a document is long enough to be judged.
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import numpy as np

    from cleaner.classify.compiled import Compiled
    from cleaner.classify.model import Model

NAV_RUN = "classify.nav-run"  # one of a run of short lines: a menu, a tag list, a footer column
SHORT = "classify.short"  # a short line on its own: a label, a button, a date
BOILERPLATE = "classify.boilerplate"  # a longer line that reads like chrome (a pitch, a notice)
LABELS = (NAV_RUN, SHORT, BOILERPLATE)  # (compiled.py's kinds: its labels, in its order)
# Why a line went, for `cleaner explain` (cleaner/steps/reasons.py adds the profile and threshold).
DESCRIPTIONS = {
    NAV_RUN: "One of a run of short lines (a menu, a tag list, a footer column) the line classifier "
    "scored unlikely to be content.",
    SHORT: "A short line on its own (a label, a button, a date) the line classifier scored unlikely to be content.",
    BOILERPLATE: "A longer line the line classifier scored unlikely to be content: it reads like chrome "
    "(a pitch, a notice).",
}
DEFAULT_SHORT_WORDS = 4
DEFAULT_NAV_RUN = 3
# A document of more lines than this is no web page (a log, a word list, a dump): left alone,
# which bounds the step's time and memory per document.
MAX_ROWS = 20_000
DEFAULT_MIN_LINES = 5  # fewer live lines: no context to judge by (rows only shrink: idempotent)
DEFAULT_LIST_RUN = 4  # lines of one template the classifier keeps whole once it keeps some (classify/lists.py)
DEFAULT_THRESHOLDS: dict[Profile, float] = {"precision": 0.01, "balanced": 0.02, "recall": 0.04}
_UNSET: object = object()


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the classifier made of one line: its features, P(content) and the rule id, if it goes."""

    line: Line
    features: dict[str, float]
    score: float
    rule_id: str | None


def _not_above(odds: Any, cut: float, floor: float) -> list[int] | None:
    """compiled.py's NOT_ABOVE, for a Classify whose shortcut is not resolved yet."""
    from cleaner.classify.compiled import NOT_ABOVE

    return NOT_ABOVE(odds, cut, floor)


def _kinds_of(
    words: Sequence[float], below: list[int], limit: float, nav_run: float, labels: tuple[str, str, str]
) -> list[str] | None:
    """compiled.py's KINDS, for a Classify whose shortcut is not resolved yet."""
    from cleaner.classify.compiled import KINDS

    return KINDS(words, below, limit, nav_run, labels)


class Classify:
    # _below's C call (compiled.py's NOT_ABOVE, or its twin where the C is off), set with _compiled (the
    # shortcut's log-odds are read only after it is resolved); until then, looked up at each call.
    _not_above: Callable[[Any, float, float], list[int] | None] = staticmethod(_not_above)
    # _kinds' C call (compiled.py's KINDS, or its twin), set with _compiled as _not_above is.
    _kinds_of: Callable[[Sequence[float], list[int], float, float, tuple[str, str, str]], list[str] | None] = (
        staticmethod(_kinds_of)
    )

    def __init__(self, config: ClassifyConfig, profile: Profile = "balanced", model: Model | None = None):
        self.profile = config.profile or profile
        self.threshold = config.thresholds.get(self.profile, DEFAULT_THRESHOLDS[self.profile])
        self.short_words = config.short_words or DEFAULT_SHORT_WORDS
        self.nav_run = config.nav_run or DEFAULT_NAV_RUN
        self.min_lines = config.min_lines or DEFAULT_MIN_LINES
        self.list_run = DEFAULT_LIST_RUN if config.list_run is None else config.list_run
        self._model = model
        self._compiled: Compiled | Model | object = _UNSET
        self._cut = _log_odds_cut(self.threshold)
        self._floor = _log_odds_floor(self.threshold)
        # ``cleaner explain`` sets a dict here: each line's last verdict, by line number.
        self.trace: dict[int, Verdict] | None = None
        # The rows (and their texts) of the last call, when it dropped none of them.
        self._kept: tuple[list[Line], list[str]] | None = None

    def __getstate__(self) -> dict[str, Any]:
        # The compiled half (C objects: the Forest, the Features' buffers) does not pickle, and the
        # last call's rows are of no use elsewhere: an unpickled copy (a Ray task, a spawned
        # worker, a user's own pool) loads the model again on its first document.
        state = dict(self.__dict__)
        del state["_compiled"]
        state.pop("_not_above", None)  # (set with _compiled, and a C function where the C is built)
        state.pop("_kinds_of", None)
        state["_kept"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _compiled=_UNSET)  # (the sentinel itself: a pickled one would be a copy)

    @property
    def model(self) -> Model:
        if self._model is None:
            from cleaner.classify.model import default_model

            self._model = default_model()
        return self._model

    @property
    def shortcut(self) -> Compiled | Model:
        """What ``shortcut(texts, cut, floor)`` is asked first: the given model, else the shipped model's
        compiled half (no numpy), else (the C not built) the model, whose shortcut says None."""
        if self._compiled is _UNSET:
            from cleaner.classify.compiled import KINDS, NOT_ABOVE, default_compiled

            self._compiled = self._model if self._model is not None else default_compiled() or self.model
            self._not_above = NOT_ABOVE
            self._kinds_of = KINDS
        return self._compiled  # type: ignore[return-value]

    def _decide(
        self, rows: list[Line], texts: list[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
        """Features, P(content) and the rule id (None: kept) of each row."""
        from cleaner.classify.features import INDEX, extract

        if texts is None:
            texts = [line.text for line in rows]
        found = extract(texts)
        scores = self.model.score(found)
        threshold = self.threshold  # float64 compared as Python floats: the same answers
        words = found.matrix[:, INDEX["words"]].tolist()
        below = [i for i, score in enumerate(scores.tolist()) if score < threshold]
        below = self._droppable(rows, texts, words, below)
        return found.matrix, scores, self._rules(words, below)

    def _droppable(self, rows: list[Line], texts: list[str], words: list[Any], below: list[int]) -> list[int]:
        """Of the rows scored ``below`` the threshold, those that go. A list the classifier keeps
        in part is kept whole (classify/lists.py). The document's first line, a page's <title>,
        stays: most often the article's headline, short and beside the menu, it reads as one of
        the menu's run (a rule may take it)."""
        below = kept_lists(texts, words, below, self.list_run, self.short_words)
        if below and below[0] == 0 and rows[0].no == 1:
            below = below[1:]
        return below

    def _below(self, odds: Any) -> list[int]:
        """The rows whose P(content) is under the threshold, from their log-odds: surely not under it
        above the cut, surely under it below the floor; P computed (numpy's, as Model.probability)
        only when one is in between, or NaN."""
        # (The rows not above the cut, all below the floor, in one C call (compiled.py's NOT_ABOVE): a
        # list of every row's log-odds, walked in Python, was a third of the step's Python on a real page.)
        below = self._not_above(odds, self._cut, self._floor)
        if below is not None:
            return below
        from cleaner.classify.model import Model

        threshold = self.threshold
        scores = Model.probability(_array(odds.tolist())).tolist()
        return [i for i, score in enumerate(scores) if score < threshold]

    def _rules(self, words: list[float], below: list[int]) -> list[str | None]:
        """The rule id (None: kept) of each row, from its words and whether it is ``below`` the
        threshold (_kinds)."""
        rules: list[str | None] = [None] * len(words)
        for i, kind in zip(below, self._kinds(words, below), strict=True):
            rules[i] = kind
        return rules

    def _kinds(self, words: Sequence[float], below: list[int]) -> list[str]:
        """The rule id of each row of ``below``, from the rows' words: a line of ``short_words`` or
        more is boilerplate; a shorter one is of a nav run when it lies in a run of ``nav_run`` or
        more consecutive short rows (this step's own notion of "short"), else short (compiled.py's
        kinds, the twin of the C call __call__ makes on the shortcut's words column)."""
        from cleaner.classify.compiled import kinds

        return kinds(words, below, self.short_words, self.nav_run, LABELS)

    def judge(self, lines: list[Line]) -> list[Verdict]:
        """Each live line's features, score and fate, for ``cleaner explain``."""
        rows = [line for line in lines if line.alive and not line.blank]
        if not self.min_lines <= len(rows) <= MAX_ROWS:
            return []
        return self._verdicts(rows, *self._decide(rows))

    @staticmethod
    def _verdicts(rows: list[Line], matrix: np.ndarray, scores: np.ndarray, rules: list[str | None]) -> list[Verdict]:
        from cleaner.classify.features import NAMES

        return [
            Verdict(line, dict(zip(NAMES, matrix[i].tolist(), strict=True)), float(scores[i]), rules[i])
            for i, line in enumerate(rows)
        ]

    def __call__(self, lines: list[Line]) -> None:
        """Mark every line the model finds too unlikely to be content as dropped."""
        # The live non-blank lines and their texts in one C call (_scan.c's alive): this runs over every line
        # of every document in every round.
        rows, texts = ALIVE(lines, True)
        if not self.min_lines <= len(rows) <= MAX_ROWS:
            return
        # The verdicts depend on the rows' texts alone: the same rows with the same texts as the
        # last call, which dropped none of them, would again drop none (a later round of the
        # pipeline after other steps found nothing more, or after they dropped only blank lines).
        # Lines compare by identity (Line has no __eq__): ``==`` on the row lists is an ``is``
        # on each pair, in C.
        last = self._kept
        if last is not None and last[1] == texts and last[0] == rows:
            return
        fast = self.shortcut.shortcut(texts, self._cut, self._floor) if self.trace is None else None
        if fast is not None:
            # The features and log-odds in C: when the lowest log-odds is clearly above the
            # threshold's, no score is under the threshold, and nothing goes (the lowest NaN: no cut).
            # A line surely above the cut has log-odds +inf (P 1): not under the threshold either; one
            # surely below the floor -inf (P 0): under it, as its exact log-odds below the floor are.
            matrix, odds, lowest = fast
            if lowest > self._cut:
                self._kept = (rows, texts)
                return
            below = self._below(odds)
            words = _words(matrix)
            below = self._droppable(rows, texts, words, below)
            # Only the rows below are visited, each dropped by its kind (a loop over every row,
            # asking each for a rule, cost more than the rest of the step's Python on a real page;
            # Line.drop inline: a call a row dropped).
            dropped = bool(below)
            if dropped:
                # (The kinds in one C call (compiled.py's KINDS): each word count read in Python made a float, and
                # was compared there, for every row below and every row of its run; None: bounds the C cannot
                # compare exactly, the twin's way.)
                kinds = self._kinds_of(words, below, self.short_words, self.nav_run, LABELS)
                for i, kind in zip(below, kinds if kinds is not None else self._kinds(words, below), strict=True):
                    row = rows[i]
                    if row.dropped_by is None:
                        row.dropped_by = kind
        else:
            matrix, scores, rules = self._decide(rows, texts)
            if self.trace is not None:
                for verdict in self._verdicts(rows, matrix, scores, rules):
                    self.trace[verdict.line.no] = verdict
            dropped = False
            for line, rule in zip(rows, rules, strict=True):
                if rule is not None:
                    line.drop(rule)
                    dropped = True
        self._kept = None if dropped else (rows, texts)


def _words(matrix: Any) -> Sequence[float]:
    """The words column of the shortcut's matrix, a 2-d buffer (compiled.py's) or a numpy array, as a strided view
    (both hold the buffer protocol KINDS reads), not a list: only the rows below and their runs' are read (the
    column of a page's every row made a list of floats each round)."""
    from cleaner.classify.layout import INDEX, NAMES

    if isinstance(matrix, memoryview):
        return matrix.cast("B").cast("d")[INDEX["words"] :: len(NAMES)]
    return matrix[:, INDEX["words"]]  # type: ignore[no-any-return]


def _array(values: list[float]) -> np.ndarray:
    import numpy as np

    return np.array(values, dtype=np.float64)


def _log_odds_floor(threshold: float) -> float:
    """Log-odds below which P(content) is surely under ``threshold``: _log_odds_cut's margin on the
    other side; -inf where no floor is safe (a threshold of 0 or less, of 1 or more, or NaN)."""
    if not 0 < threshold < 1:
        return -math.inf
    logit = math.log(threshold) - math.log1p(-threshold)
    return logit - 1e-6 * max(1.0, abs(logit))


def _log_odds_cut(threshold: float) -> float:
    """Log-odds above which P(content), 1 / (1 + exp(-log_odds)) in float64, is surely not under
    ``threshold``: the threshold's log-odds plus a margin far wider than the few roundings of
    P's computation (a relative error of some 1e-16, in log-odds about as much); +inf where no cut
    is safe (a threshold of 1 or more: every line is under it, or NaN)."""
    if not threshold < 1:
        return math.inf
    if threshold <= 0:
        return -math.inf  # P is never under it (P >= 0; a NaN log-odds is no number: the long way)
    logit = math.log(threshold) - math.log1p(-threshold)
    return logit + 1e-6 * max(1.0, abs(logit))


class LineClassifier:
    """The classifier as a pipeline step: which classifier (if any) a document gets is decided
    in the first round, from the generic files' ``classify`` settings under its site file's;
    it then judges the lines left in every round, since its verdicts depend on the neighbours."""

    name: ClassVar[str] = "classify"

    def __init__(self, files: list[tuple[str, RuleFile]], enabled: bool, profile: Profile):
        self.files = files
        self.enabled = enabled
        self.profile = profile
        self.trace = False  # `cleaner explain --features`: keep each line's verdict
        self.last: Classify | None = None  # the classifier of the last document cleaned
        self._chosen: dict[tuple[int, bool], Classify | None] = {}

    def choose(self, site: RuleSet | None, html: bool) -> Classify | None:
        """The generic files' classify settings, under the site file's; None when it is off."""
        cache_key = (id(site), html)
        if cache_key not in self._chosen:
            config = ClassifyConfig()  # no thresholds: off unless a rule file gives some
            for _, model in self.files:
                if model.generic and model.classify is not None:
                    config = model.classify.over(config)
            for model in site.models if site is not None else []:
                if model.classify is not None:
                    config = model.classify.over(config)
            profile = config.profile or self.profile
            on = (
                self.enabled
                and config.enabled is not False
                and profile in config.thresholds
                and (not html or config.html is True)
            )
            self._chosen[cache_key] = Classify(config, self.profile) if on else None
        return self._chosen[cache_key]

    def __call__(self, state: State) -> None:
        if state.round == 0:
            self.last = self.choose(state.first_site, state.from_html)
            if self.last is not None and self.trace:
                self.last.trace = {}
        if self.last is not None:
            self.last.__call__(state.lines)  # (as Pipeline.clean calls a step: inline, no call slot)

    def again(self, state: State) -> bool:
        return True

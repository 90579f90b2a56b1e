"""What a rule will cost on every page, told before a run: `cleaner rules validate`'s warnings.

A rule can be correct and still slow every run down: a pattern RE2 compiles to a large program
(each bounded repeat of a Unicode class is that many copies of it), compiled again in every
process that needs it; or a pattern the prefilter (prefilter.py) can name no rows for, so that
RE2 tests it on nearly every line of every page. Neither changes what is removed, so they are
warnings, not errors: the shipped rules are held to both by tests (tests/test_regex_fast.py,
tests/test_prefilter.py), and a user's rule file is told here, at its rule's line.
"""

from __future__ import annotations

from pathlib import Path

from cleaner.errors import Problem
from cleaner.rules.load import case_lines
from cleaner.rules.model import RuleFile
from cleaner.rules.prefilter import scans_every_row
from cleaner.rules.regex import Regex, alternatives, program_size

# RE2 instructions past which a pattern's compile is worth a warning (the shipped rules' cap).
LARGE_PROGRAM = 70_000
# The keys whose pattern picks the lines a rule looks at (the prefilter scans for these); the
# others are tested only on the lines after one of them.
PICKS_LINES = ("pattern", "start", "marker")
OTHERS = ("end", "while")


def warnings(files: list[tuple[str, RuleFile]]) -> list[Problem]:
    """Each rule's costly patterns, at the rule's line in its file."""
    found: list[Problem] = []
    for shown, model in files:
        lines = case_lines(Path(shown))
        for rule in model.rules:
            line = lines.get((rule.id, None))
            for key in (*PICKS_LINES, *OTHERS):
                pattern = getattr(rule, key, None)
                if not isinstance(pattern, str) or Regex(pattern).engine != "re2":
                    continue
                size = program_size(pattern)
                if size > LARGE_PROGRAM:
                    found.append(
                        Problem(
                            shown,
                            line,
                            f"rule {rule.id}: its {key} compiles to {size:,} RE2 instructions (more than "
                            f"{LARGE_PROGRAM:,}), in every process that needs it; a bounded repeat of a "
                            "Unicode class is that many copies of it: bound words with + or *, spans with "
                            "a negated class such as [^.!?]{1,60}",
                        )
                    )
                if key in PICKS_LINES:
                    for branch in alternatives(pattern) or [pattern]:
                        if scans_every_row(branch):
                            found.append(
                                Problem(
                                    shown,
                                    line,
                                    f"rule {rule.id}: its {key} has a branch with no word the prefilter can "
                                    f"look for, and no bound on the line's length ({_short(branch)}): RE2 "
                                    "tests it on nearly every line of every page; give it a word of its own",
                                )
                            )
    return found


def _short(pattern: str, most: int = 60) -> str:
    return pattern if len(pattern) <= most else pattern[: most - 3] + "..."

"""Text from the input (file names, ids, document lines, failure messages) made safe to show:
control characters become visible escapes, so a crawled file name cannot move the cursor,
rewrite the terminal's title or forge a line of output."""

from __future__ import annotations

import os
import re
import sys
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

# C0 and C1 controls, DEL, and the bidirectional controls that reorder what a reader sees.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, keep: str = "") -> str:
    """``text`` with every control character except those in ``keep`` as ``\\xNN``/``\\uNNNN``."""
    if not keep:
        return _CONTROL.sub(_escape, text)
    return _CONTROL.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)


def safe_console(**options: Any) -> Console:
    """A rich Console that shows every string it renders (printed text, table cells, titles)
    through ``printable``, keeping line breaks and tabs; rich's own styling is untouched.
    (rich is imported here, not with this module: the report's summary needs ``printable`` only.)"""
    return _safe_console()(**options)


@cache
def _safe_console() -> type[Console]:
    from rich.console import Console
    from rich.text import Text

    class SafeConsole(Console):
        def render_str(self, text: str, *args: Any, **kwargs: Any) -> Text:
            return super().render_str(printable(text, "\n\t"), *args, **kwargs)

        def on_broken_pipe(self) -> None:
            # A reader that stopped early (``| head -1``) is no error: rich's own ends the process
            # with exit code 1, the code of a run that failed documents. Here the rest of the
            # output goes nowhere (rich's way: stdout onto /dev/null, the console quiet) and the
            # command ends with its own code.
            self.quiet = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)

    return SafeConsole

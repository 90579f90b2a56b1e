"""Named fault-injection points, for the crash tests only.

``CLEANER_FAULT=<point>`` makes the process SIGKILL itself when it reaches ``point`` (the way the
OOM killer or a scheduler would stop it), so a test can kill a run at every phase instead of
guessing at timings. ``<point>:<n>`` kills at the n-th time the point is reached (``shard:3``:
after the third finished input file). ``worker:<text>`` kills the worker process that is given a
document containing ``<text>``; ``worker-once:<text>`` does so only the first time (a flag file
named by ``CLEANER_FAULT_FLAG`` records it), as a transient out-of-memory kill would.
``CLEANER_FAULT_SIGNAL=stop`` makes the process SIGSTOP itself there instead, so a test can send it a
signal of its choice at exactly that point (an interrupt at the 20th file, however fast the run is).
Unset, every check is one dictionary lookup.
"""

from __future__ import annotations

import multiprocessing
import os
import signal

ENV = "CLEANER_FAULT"
FLAG = "CLEANER_FAULT_FLAG"
SIGNAL = "CLEANER_FAULT_SIGNAL"

_seen: dict[str, int] = {}


def _die() -> None:
    os.kill(os.getpid(), signal.SIGSTOP if os.environ.get(SIGNAL) == "stop" else signal.SIGKILL)


def point(name: str) -> None:
    """SIGKILL (or SIGSTOP) this process if CLEANER_FAULT names this point (and this is its n-th passage)."""
    wanted = os.environ.get(ENV)
    if not wanted or not wanted.startswith(name):
        return
    target, _, count = wanted.partition(":")
    if target != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if not count or _seen[name] == int(count):
        _die()


def document(text: str) -> None:
    """In a worker process: SIGKILL it if CLEANER_FAULT marks this document's text."""
    wanted = os.environ.get(ENV)
    if not wanted or multiprocessing.parent_process() is None:
        return
    kind, _, marker = wanted.partition(":")
    if kind not in ("worker", "worker-once") or not marker or marker not in text:
        return
    if kind == "worker-once":
        try:
            os.close(os.open(os.environ[FLAG], os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return  # killed once already: this time the document goes through
    _die()

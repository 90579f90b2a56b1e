"""Typed errors. Library code raises these; only the CLI turns them into messages and exit codes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_DOCUMENTS_FAILED = 1
EXIT_USAGE = 2


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem: ``file:line: message``."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class CleanerError(Exception):
    """Base of every error cleaner reports to the user."""

    exit_code = EXIT_USAGE


class UsageError(CleanerError):
    """Bad arguments, missing inputs, an output that may not be written."""


class OutputError(CleanerError):
    """The outputs could not be written (disk full, a quota, a vanished directory): the
    finished input files are kept for --resume. ``cause``: what failed, without that advice (a
    run on stdin or stdout has nothing to resume: its scratch directory goes with it)."""

    def __init__(self, message: str, cause: str | None = None, published: tuple[Path, ...] = ()):
        self.cause = cause if cause is not None else message
        self.published = published  # what the run had published (see Interrupted)
        super().__init__(message)


class RuleError(CleanerError):
    """One or more rule files are invalid; nothing may be written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Interrupted(CleanerError):
    """Ctrl-C (or SIGTERM): finished input files are kept for --resume. ``published``: the
    outputs the run had put in place already (its report, then its output), in that order."""

    exit_code = 130

    def __init__(self, message: str, published: tuple[Path, ...] = ()):
        self.published = published
        super().__init__(message)


class InterruptedAfterPublishing(KeyboardInterrupt):
    """A KeyboardInterrupt (Ctrl-C, SIGTERM) that came once a run had put some of its outputs
    in place: ``published``, in order (the report, then the output)."""

    def __init__(self, published: tuple[Path, ...]):
        self.published = published
        super().__init__()


class RecordError(CleanerError):
    """A record JSON cannot carry as cleaner reads and writes it (nested too deeply): that
    document's failure, not the run's."""

    exit_code = EXIT_DOCUMENTS_FAILED


class DocumentError(CleanerError):
    """A document (or a whole input file) could not be read or cleaned."""

    exit_code = EXIT_DOCUMENTS_FAILED

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


class InputError(CleanerError):
    """A text or record handed to the Python API that cannot be cleaned (not a string, not a
    record, no text field); ``field`` names the argument or record field at fault."""

    exit_code = EXIT_DOCUMENTS_FAILED

    def __init__(self, message: str, field: str | None = None):
        self.field = field
        super().__init__(message)

    def __reduce__(self) -> tuple[type, tuple[str, str | None]]:  # picklable: a worker's error reaches its pool
        return (InputError, (str(self), self.field))


class RecordFailed(CleanerError):
    """One record of ``Cleaner.clean_records`` could not be cleaned: ``index`` is its 0-based
    position in the input, ``error`` (also the ``__cause__``) what went wrong: an InputError,
    the pipeline's own (rules over their time budget) or, with ``errors="skip"``/``"keep"``,
    any exception (a bug, named by its type)."""

    exit_code = EXIT_DOCUMENTS_FAILED

    def __init__(self, index: int, error: BaseException):
        self.index = index
        self.error = error
        what = str(error) if isinstance(error, CleanerError) else f"{type(error).__name__}: {error}"
        super().__init__(f"record {index}: {what}")

    def __reduce__(self) -> tuple[type, tuple[int, BaseException]]:
        return (RecordFailed, (self.index, self.error))

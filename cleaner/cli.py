"""The command line: a thin layer over the library. Results go to stdout, diagnostics to stderr,
and ``main`` is the one place that turns errors into messages and exit codes."""

from __future__ import annotations

import gc
import json
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

# Start-up makes hundreds of thousands of objects (modules, typer's and pydantic's validators,
# the rule models) and next to no garbage, and the cyclic collector's passes over them were a
# tenth of a one-document run. So it is off while this module's imports run (and back as it
# was after them), and ``main`` keeps it off until the rules are loaded: then what start-up
# made is frozen (``gc.freeze``: never scanned again, nor written to by a forked worker's
# collections) and it collects from there on (``_started``).
_COLLECTING = gc.isenabled()
gc.disable()

import typer

from cleaner.classify.profiles import Profile
from cleaner.document import Cleaned
from cleaner.errors import (
    EXIT_DOCUMENTS_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CleanerError,
    Interrupted,
    OutputError,
    Problem,
    RuleError,
    UsageError,
)
from cleaner.io import stdio
from cleaner.io.readers import Fields, InputFile, Limits, discover, read
from cleaner.io.writers import output_format
from cleaner.repeated.boilerplate import Thresholds
from cleaner.report.outcome import REVIEW_BUDGET, Reports
from cleaner.steps.extract import MAX_PAGE_BYTES, ExtractOptions, Favor

try:  # The base of the errors typer's parsing raises (click's, vendored into typer since 0.26).
    from typer import TyperException as ParseError
except ImportError:  # typer before 0.27.2 exports it by no name: click's ClickException, whichever click raises it
    ParseError = next(cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException")

if _COLLECTING:
    gc.enable()
_starting = False  # main() turned the collector off for start-up

# Start-up time: `cleaner --help` and a small text run should not pay for what they do not use.
# The pipeline and rule models (pydantic), the engines and the rule tools are imported by the
# commands that need them; trafilatura, bs4 and warcio only when a page is read, Ray only for
# --engine ray, numpy only when mining or classifying a document of five lines or more, the report
# modules only for compare and --baseline (tests/test_startup.py checks `import cleaner.cli` stays lean).
if TYPE_CHECKING:
    from rich.console import Console

    from cleaner.pipeline import Pipeline, Settings
    from cleaner.pipeline.ray_engine import RayEngine
    from cleaner.pipeline.run import RunResult, Target
    from cleaner.rules.book import RuleBook
    from cleaner.steps.classify import Classify
    from cleaner.steps.reasons import Reasons

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Strip boilerplate from crawled text, reviewably.")
rules_app = typer.Typer(no_args_is_help=True, help="List, validate and test rule files.")
app.add_typer(rules_app, name="rules")


class _Console:
    """A SafeConsole, made when first used: rich's console is a tenth of a second to import,
    and a quiet run that meets no failure prints nothing. ``console()`` is the console itself."""

    def __init__(self, **options: Any):
        self._options = options
        self._made: Console | None = None

    def __call__(self) -> Console:
        if self._made is None:
            from cleaner.printable import safe_console

            self._made = safe_console(**self._options)
        return self._made

    def __getattr__(self, name: str) -> Any:
        return getattr(self(), name)

    def print(self, *objects: Any, **options: Any) -> None:
        """rich's print; a stdout that cannot be written (a disk full: not a reader that stopped
        early, printable.SafeConsole) is an OutputError, one line and exit 2, not a traceback."""
        try:
            self().print(*objects, **options)
        except BrokenPipeError:
            raise
        except OSError as exc:
            if self._options.get("stderr") or exc.filename is not None:
                raise
            raise stdio.stdout_failed(exc) from None


# Input-borne text is shown without its control characters. Not a terminal (a pipe, a file,
# CI's log): tables keep whole cells instead of folding at 80 columns.
out = _Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 10_000)
err = _Console(stderr=True, highlight=False, soft_wrap=True)

Engine = Literal["local", "ray"]
RulesOption = Annotated[
    list[Path] | None,
    typer.Option("--rules", "-r", help="Rule file or directory, on top of the shipped rules (repeatable)."),
]
NoDefaultRules = Annotated[
    bool, typer.Option("--no-default-rules", help="Leave out the rules shipped with cleaner; only --rules apply.")
]
StdinFormat = Annotated[
    stdio.StdinFormat, typer.Option(help="What - (stdin) holds: JSONL records, or one text document.")
]
MinDocs = Annotated[
    int, typer.Option(min=2, help="Repeated lines: a line must occur in at least this many of a site's documents.")
]
MinShare = Annotated[
    float, typer.Option(min=0.0, max=1.0, help="Repeated lines: ... and in at least this share of them.")
]
ClassifyOption = Annotated[bool, typer.Option(help="Run the generic line classifier (text input; see classify.yaml).")]
ProfileOption = Annotated[
    Profile, typer.Option(help="The classifier's operating point: precision, balanced or recall.")
]
MinSites = Annotated[
    int, typer.Option(min=2, help="Repeated lines: a line on this many distinct sites is template chrome.")
]
# A default that is not a value is shown with show_default: a "[default: ...]" written into the
# help text is taken for rich markup and vanishes ("Worker processes .").
Workers = Annotated[
    int | None, typer.Option("--workers", "-j", min=1, help="Worker processes.", show_default="all cores")
]
# Where a JSONL record keeps its parts: the same options for every command that reads input.
TextField = Annotated[str, typer.Option(help="JSONL field holding the text.")]
IdField = Annotated[str, typer.Option(help="JSONL field holding the id (else <file>:<line>).")]
UrlField = Annotated[str, typer.Option(help="JSONL field holding the URL.")]
HtmlField = Annotated[
    str | None,
    typer.Option(
        help="JSONL field holding HTML: its main text is extracted and cleaned, written to --text-field"
        " (to cleaner_<text field> when the record has a text of its own there)."
    ),
]
INPUT_TYPES = ".txt, .jsonl, .jsonl.gz, .jsonl.zst, .parquet, .html, .html.gz, .warc, .warc.gz"
DEFAULT_THRESHOLDS = Thresholds()
DEFAULT_FIELDS = Fields()
DEFAULT_EXTRACTION = ExtractOptions()
DEFAULT_LIMITS = Limits()
DEFAULT_EXTRACT_TIMEOUT = 30.0
# The options that change what cleaning does to a document: `clean` and `explain` take the same
# ones (defined once here, turned into Settings by one function, ``_settings``), so that
# `explain` shows what `clean` with the same options does, not what its defaults would do.
FavorOption = Annotated[
    Favor, typer.Option(help="HTML: balanced, or favor precision or recall (trafilatura and the vote).")
]
TablesOption = Annotated[bool, typer.Option(help="trafilatura: keep tables.")]
CommentsOption = Annotated[bool, typer.Option(help="trafilatura: keep comment sections.")]
FallbackOption = Annotated[
    bool | None,
    typer.Option(help="trafilatura: try its fallback extractors.", show_default="on, off with --fast"),
]
FastOption = Annotated[
    bool,
    typer.Option(
        help="HTML: trafilatura alone, without the extraction ensemble's vote, and the author only from the "
        "page's markup (faster)."
    ),
]
ExtractTimeout = Annotated[float, typer.Option(min=0, help="Seconds an HTML page may take (0 or inf: no limit).")]
MaxPageBytes = Annotated[
    int,
    typer.Option(
        min=0,
        help="Refuse (and report) an HTML page larger than this many bytes, not extracted (0: no limit).",
    ),
]
RepairOption = Annotated[bool, typer.Option(help="Repair mojibake with ftfy (encoding fixes only).")]
UnescapeOption = Annotated[bool, typer.Option(help="Let ftfy decode HTML entities such as &amp;.")]
DedupOption = Annotated[bool, typer.Option(help="Drop paragraphs repeated within a document.")]
LineBreaksOption = Annotated[
    bool, typer.Option(help="Keep single line breaks instead of making every line a paragraph.")
]
MaxDocBytes = Annotated[int, typer.Option(min=1, help="Refuse (and report) a document larger than this many bytes.")]
MaxDocLines = Annotated[
    int, typer.Option(min=1, help="Refuse (and report) a document of more lines than this (bounds memory).")
]


def _version(value: bool) -> None:
    if value:
        from cleaner import __version__

        out.print(f"cleaner {__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Strip boilerplate from crawled text, reviewably."""


def _workers(requested: int | None) -> int:
    """All cores by default; more processes than cores only run slower, so cap with a warning."""
    from cleaner.pipeline.parallel import default_workers

    cores = default_workers()
    if requested is not None and requested > cores:
        err.print(
            f"warning: --workers {requested} is more than the {cores} cores available; using {cores}", markup=False
        )
        return cores
    return requested or cores


def _book(paths: list[Path] | None, no_default_rules: bool = False) -> RuleBook:
    from cleaner.rules.book import RuleBook
    from cleaner.rules.load import rule_roots

    book = RuleBook.load(rule_roots(paths or [], shipped=not no_default_rules))
    _started()
    return book


def _reports(given: Reports | None, out_path: Path, report: Path | None) -> Reports:
    """The reports a run writes: as given, else full, but for records sent to stdout with no
    --report (their report goes with the scratch directory: only its counts are worth making)."""
    if given is not None:
        return given
    return "summary" if str(out_path) == stdio.STDIN and report is None else "full"


def _settings(
    repair: bool,
    unescape_html: bool,
    dedup: bool,
    keep_line_breaks: bool,
    extraction: ExtractOptions,
    extract_timeout: float,
    max_page_bytes: int,
    classify: bool,
    profile: Profile,
    **reporting: Any,
) -> Settings:
    """The pipeline's Settings from the cleaning options `clean` and `explain` share (and, for
    `clean`, those of its reports)."""
    from cleaner.pipeline import Settings

    return Settings(
        repair=repair,
        unescape_html=unescape_html,
        dedup=dedup,
        layout="lines" if keep_line_breaks else "paragraphs",
        extraction=extraction,
        extract_timeout=extract_timeout if 0 < extract_timeout < math.inf else None,  # (0 or inf: no limit)
        max_page_bytes=max_page_bytes or None,  # (0: no limit)
        classify=classify,
        profile=profile,
        **reporting,
    )


def _started() -> None:
    """The end of start-up (the rules loaded): the collector back on, if main() turned it off."""
    global _starting
    if _starting:
        _starting = False
        gc.freeze()
        gc.enable()


@app.command()
def clean(
    inputs: Annotated[list[Path], typer.Argument(help=f"Files or directories ({INPUT_TYPES}); - reads stdin.")],
    rules: RulesOption = None,
    no_default_rules: NoDefaultRules = False,
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="The clean records: .jsonl, .jsonl.gz, .jsonl.zst or .parquet; - writes JSONL to stdout.",
        ),
    ] = Path("out/clean.jsonl"),
    stdin_format: StdinFormat = "jsonl",
    report: Annotated[Path | None, typer.Option(help="Report directory.", show_default="reports/ beside --out")] = None,
    text_field: TextField = DEFAULT_FIELDS.text,
    id_field: IdField = DEFAULT_FIELDS.id,
    url_field: UrlField = DEFAULT_FIELDS.url,
    html_field: HtmlField = DEFAULT_FIELDS.html,
    favor: FavorOption = DEFAULT_EXTRACTION.favor,
    tables: TablesOption = DEFAULT_EXTRACTION.tables,
    comments: CommentsOption = DEFAULT_EXTRACTION.comments,
    fallback: FallbackOption = DEFAULT_EXTRACTION.fallback,
    fast: FastOption = DEFAULT_EXTRACTION.fast,
    extract_timeout: ExtractTimeout = DEFAULT_EXTRACT_TIMEOUT,
    max_page_bytes: MaxPageBytes = MAX_PAGE_BYTES,
    overwrite: Annotated[
        bool, typer.Option(help="Replace an existing output file and a previous cleaner report directory.")
    ] = False,
    repair: RepairOption = True,
    unescape_html: UnescapeOption = True,
    dedup: DedupOption = True,
    classify: ClassifyOption = True,
    profile: ProfileOption = "balanced",
    keep_line_breaks: LineBreaksOption = False,
    drop_repeated: Annotated[
        bool, typer.Option(help="First mine lines repeated across a site's documents, then drop them too.")
    ] = False,
    min_docs: MinDocs = DEFAULT_THRESHOLDS.min_docs,
    min_share: MinShare = DEFAULT_THRESHOLDS.min_share,
    min_sites: MinSites = DEFAULT_THRESHOLDS.min_sites,
    workers: Workers = None,
    max_doc_bytes: MaxDocBytes = DEFAULT_LIMITS.max_doc_bytes,
    max_doc_lines: MaxDocLines = DEFAULT_LIMITS.max_doc_lines,
    engine: Annotated[Engine, typer.Option(help="local: processes on this machine; ray: a Ray cluster.")] = "local",
    address: Annotated[
        str | None, typer.Option(help="With --engine ray: the cluster (default: start one here).")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Finish an interrupted run: keep the input files it completed.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary table.")] = False,
    flag_share: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Flag for review a document that lost more than this share of its text."),
    ] = 0.5,
    baseline: Annotated[
        Path | None,
        typer.Option(help="A previous run's output: compare with it (compare.md/.json/.html in the report)."),
    ] = None,
    reports: Annotated[
        Reports | None,
        typer.Option(
            help="full: per-file diffs, removals.jsonl and the review page beside the summary; summary: "
            "summary.json and summary.md only (the same clean records, faster; the default for --out - "
            "without --report).",
            show_default="full",
        ),
    ] = None,
    review_budget: Annotated[
        int,
        typer.Option(
            min=0,
            metavar="MB",
            help="The review page keeps every changed document whole while the input is at most this many MB; "
            "past that, a share of them chosen by id, to keep the page about this size (removals.jsonl and "
            "the diffs hold every document). 0: every document, whatever the input.",
        ),
    ] = REVIEW_BUDGET >> 20,
) -> None:
    """Clean INPUT... into a JSONL file and a report directory."""
    from cleaner.pipeline import Pipeline
    from cleaner.pipeline.run import Target

    if baseline is not None and str(out_path) == stdio.STDIN and report is None:
        # (The comparison is written into the report, which --out - keeps only with --report.)
        raise UsageError("--baseline writes its comparison into the report: with --out -, give --report DIR")
    reports = _reports(reports, out_path, report)
    if baseline is not None:
        from cleaner.report import review

        if reports != "full":
            raise UsageError("--baseline compares this run's removals.jsonl with the baseline's: use --reports full")
        from cleaner.report.compare import check_id_fields, marked_id_field

        # A wrong baseline, or one whose ids are of another field, is a usage error before anything is written.
        check_id_fields(baseline, marked_id_field(review.removals_path(baseline)), "this run", id_field)
    # Options that act only with another: said, not ignored without a word.
    if address is not None and engine != "ray":
        err.print("warning: --address is for --engine ray; ignored", markup=False)
    if stdin_format != "jsonl" and not any(str(given) == stdio.STDIN for given in inputs):
        err.print("warning: --stdin-format is for - (stdin), which is not among the inputs; ignored", markup=False)
    settings = _settings(
        repair,
        unescape_html,
        dedup,
        keep_line_breaks,
        ExtractOptions(favor, tables, comments, fallback, fast),
        extract_timeout,
        max_page_bytes,
        classify,
        profile,
        flag_share=flag_share,
        reports=reports,
        review_budget=review_budget << 20 if review_budget else None,
    )
    pipeline = Pipeline(_book(rules, no_default_rules), settings)
    output_format(out_path)  # a name of no known format: exit 2 before stdin is read
    fields = Fields(text=text_field, id=id_field, url=url_field, html=html_field)
    with ExitStack() as scratch:
        # stdin and stdout (cleaner/io/stdio.py): through a scratch directory cleaner removes.
        to_stdout, report_given = str(out_path) == stdio.STDIN, report is not None
        root = scratch.enter_context(stdio.scratch()) if to_stdout else None
        given = _spooled(scratch, inputs, stdin_format, root)
        scratch_run = to_stdout or any(isinstance(p, InputFile) for p in given)  # (stdin spooled)
        if root is not None and to_stdout:
            out_path, report = root / "clean.jsonl", report or root / "reports"
        target = Target(out_path, report or out_path.parent / "reports", overwrite)
        try:
            result = _clean_run(
                given,
                pipeline,
                target,
                fields,
                quiet,
                workers,
                Limits(max_doc_bytes, max_doc_lines),
                resume,
                _ray(address) if engine == "ray" else None,
                Thresholds(min_docs, min_share, min_sites=min_sites) if drop_repeated else None,
                drop_repeated,
            )
        except (Interrupted, OutputError) as exc:
            if not scratch_run:
                raise
            # A run on stdin or stdout has nothing to resume: its scratch directory, the shards
            # with it, is removed as this block ends (and stdin was read). Not "--resume".
            said = "interrupted" if isinstance(exc, Interrupted) else exc.cause
            raise type(exc)(f"{said}; {_scratch_written(exc.published, target, root)}") from None
        if to_stdout:
            stdio.emit(out_path)
    if not quiet:
        kept = not to_stdout or report_given  # the scratch directory's report is gone by now
        _print_totals(result, "-" if to_stdout else str(result.out), kept, err if to_stdout else out)
    if baseline is not None:
        from cleaner.report import compare_render
        from cleaner.report.compare import compare as compare_runs

        compare_render.write_all(compare_runs(baseline, result.report), result.report)
    if result.failed:
        raise typer.Exit(EXIT_DOCUMENTS_FAILED)


def _ray(address: str | None) -> RayEngine:
    """The Ray engine, imported only for --engine ray (its module imports the parallel engine's)."""
    from cleaner.pipeline.ray_engine import RayEngine

    return RayEngine(address)


def _clean_run(
    inputs: list[Path | InputFile],
    pipeline: Pipeline,
    target: Target,
    fields: Fields,
    quiet: bool,
    workers: int | None,
    limits: Limits,
    resume: bool,
    ray: RayEngine | None,
    repeated: Thresholds | None,
    drop_repeated: bool,
) -> RunResult:
    """The run behind `cleaner clean`, with its progress bar and failures on stderr."""
    from cleaner.pipeline.run import run

    total = sum(item.size for item in discover(inputs)) * (2 if drop_repeated else 1)  # mining reads it all too
    with _progress("cleaning", total, quiet) as (say, progress):
        hinted = False

        def failure(problem: Problem) -> None:
            nonlocal hinted
            say(f"error: {problem}")
            if not hinted and problem.file == stdio.STDIN and problem.message.startswith("not valid JSON"):
                hinted = True  # (plain text piped in: every line would be an error, and none say why)
                say("hint: - (stdin) is read as JSONL records; give --stdin-format txt for a text document")

        try:
            return run(
                inputs,
                pipeline,
                target,
                fields,
                progress,
                _workers(workers),
                failure,
                limits,
                resume,
                ray,
                repeated,
                None if quiet else _before_totals,
            )
        except KeyboardInterrupt as exc:
            published: tuple[Path, ...] = getattr(exc, "published", ())  # (InterruptedAfterPublishing)
            raise Interrupted(_interrupted(published, target), published) from None


def _interrupted(published: tuple[Path, ...], target: Target) -> str:
    """What an interrupted run says, by what it had put in place (the report, then the output)."""
    if not published:
        return (
            "interrupted: nothing was written under the final output names; "
            "run the same command with --resume to finish"
        )
    if len(published) == 1:
        return (
            f"interrupted: the report {target.report} was written, {target.out} not yet; "
            "run the same command with --resume to finish"
        )
    from cleaner.pipeline.workdir import work_root

    return (
        f"interrupted: {target.out} and its report {target.report} were written, and only the work "
        f"directory {work_root(target.out)} is left: run the same command with --resume to remove it"
    )


def _scratch_written(published: tuple[Path, ...], target: Target, root: Path | None) -> str:
    """What a run on stdin or stdout that failed or was interrupted had written, of what stays
    (its scratch directory ``root`` goes), and what to do: it cannot be resumed."""
    kept = [path for path in published if root is None or not path.is_relative_to(root)]
    if not kept:
        return "nothing was written (a run on stdin or stdout cannot be resumed: run it again)"
    if len(kept) == 1 and root is not None:  # --out -: the records were never sent
        return (
            f"only the report {kept[0]} was written, nothing to stdout "
            "(a run on stdin or stdout cannot be resumed: run it again)"
        )
    if len(kept) == 1:
        return (
            f"only the report {target.report} was written, {target.out} not "
            "(a run on stdin cannot be resumed: run it again)"
        )
    from cleaner.pipeline.workdir import work_root

    return (
        f"{target.out} and its report {target.report} were written, and only the work directory "
        f"{work_root(target.out)} is left (a run on stdin cannot be resumed: remove it)"
    )


def _before_totals() -> None:
    """What the totals table needs (rich: a few hundredths of a second to import), imported
    while the workers clean instead of after them."""
    import rich.console
    import rich.table  # noqa: F401


@contextmanager
def _progress(
    label: str, total: int, quiet: bool
) -> Iterator[tuple[Callable[[str], None], Callable[[int, int], None] | None]]:
    """A progress bar on stderr over input bytes, with a document count; off when not a terminal.
    Yields how to print a line to stderr (above the bar) and what reports progress (None: no bar)."""
    if quiet or not err.is_terminal:
        yield lambda line: err.print(line, markup=False, highlight=False), None
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn(label),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[docs]} docs"),
        TimeRemainingColumn(),
        console=err(),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total or None, docs=0)
        done = 0

        def progress(docs: int, size: int) -> None:
            nonlocal done
            done += docs
            bar.update(task, advance=size, docs=done)

        yield lambda line: bar.console.print(line, markup=False, highlight=False), progress


def _print_totals(result: RunResult, name: str, report: bool, console: _Console) -> None:
    """The totals table and the top rules (on stderr when the records go to stdout)."""
    from rich.table import Table

    t = result.totals
    title = f"cleaner: {name}" + (f", report in {result.report}/" if report else "")
    table = Table(title=title, title_justify="left")
    for column in ("documents in", "out", "emptied", "failed", "characters in", "removed"):
        table.add_column(column, justify="right")
    removed = t.chars_removed
    share = f" ({removed / t.chars_in:.1%})" if t.chars_in else ""
    table.add_row(
        str(t.docs_in), str(t.docs_out), str(t.docs_empty), str(t.docs_failed), str(t.chars_in), f"{removed}{share}"
    )
    console.print(table)
    if t.removed:
        rules = Table(title="top rules", title_justify="left")
        rules.add_column("rule")
        rules.add_column("lines", justify="right")
        rules.add_column("characters", justify="right")
        for rule in sorted(t.removed_chars, key=lambda r: (-t.removed_chars[r], r))[:10]:
            rules.add_row(rule, str(t.removed[rule]), str(t.removed_chars[rule]))
        console.print(rules)


@app.command()
def compare(
    base: Annotated[Path, typer.Argument(help="The base run: its report directory, output directory or clean JSONL.")],
    new: Annotated[Path, typer.Argument(help="The new run, likewise.")],
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="Write compare.md, .json and .html here.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace compare.md, .json and .html already in --out.")] = False,
    output_format: Annotated[Literal["markdown", "json"], typer.Option("--output-format")] = "markdown",
    fail_on_change: Annotated[
        bool,
        typer.Option(
            help="Exit 1 when a rule changed what it does to a document both runs had (documents only "
            "added or removed do not fail it)."
        ),
    ] = False,
    flag_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="A document losing more than this share is flagged.")
    ] = 0.5,
) -> None:
    """What changed between two runs, per rule: lines newly removed or kept, documents emptied or flagged."""
    from cleaner.io.atomic import check_new_files
    from cleaner.report import compare_render
    from cleaner.report.compare import compare as compare_runs

    _started()  # loads no rules: start-up ends here
    if out_dir is not None:  # (before the comparison, which reads both runs' removals)
        _out_dir(out_dir)
        check_new_files(compare_render.paths(out_dir), overwrite)
    result = compare_runs(base, new, flag_share)
    if out_dir is not None:
        compare_render.write_all(result, out_dir)
    text = compare_render.json_bytes(result).decode() if output_format == "json" else compare_render.markdown(result)
    out.print(text, markup=False, end="")
    if fail_on_change and result.changed:
        raise typer.Exit(1)


@app.command()
def suggest(
    inputs: Annotated[list[Path], typer.Argument(help="Files or directories, as for `clean`; - reads stdin.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Where the rule files go.")] = Path("rules/suggested"),
    rules: RulesOption = None,
    no_default_rules: NoDefaultRules = False,
    min_docs: MinDocs = DEFAULT_THRESHOLDS.min_docs,
    min_share: MinShare = DEFAULT_THRESHOLDS.min_share,
    min_sites: MinSites = DEFAULT_THRESHOLDS.min_sites,
    generic: Annotated[
        bool, typer.Option(help="Also write generic-suggested.yaml: lines found on many unrelated sites.")
    ] = False,
    text_field: TextField = DEFAULT_FIELDS.text,
    url_field: UrlField = DEFAULT_FIELDS.url,
    html_field: HtmlField = DEFAULT_FIELDS.html,
    workers: Workers = None,
    stdin_format: StdinFormat = "jsonl",
    overwrite: Annotated[bool, typer.Option(help="Replace existing rule files.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Write rule files for the lines repeated across each site's documents, with test cases
    from real documents, for review; print a table of what was found."""
    from cleaner.pipeline import Pipeline
    from cleaner.pipeline.mine import mine
    from cleaner.suggest.rules import suggest as suggest_rules

    _out_dir(out_dir)  # before the mining pass, not after it
    with ExitStack() as stack:  # (stdin spooled into a scratch directory, removed at the end)
        items = discover(_spooled(stack, inputs, stdin_format))
        if not items:
            raise UsageError("no input files in " + ", ".join(map(str, inputs)))
        pipeline = Pipeline(_book(rules, no_default_rules))
        fields = Fields(text=text_field, url=url_field, html=html_field)
        n = _workers(workers)
        with _progress("mining", 2 * sum(item.size for item in items), quiet) as (say, progress):
            failures = _Failures(say)
            thresholds = Thresholds(min_docs, min_share, min_sites=min_sites)
            found = mine(items, pipeline, thresholds, fields, Limits(), n, progress=progress, on_problem=failures)
            report = suggest_rules(
                items, pipeline, found, out_dir, fields, Limits(), n, overwrite, progress, generic, failures
            )
    if not report:
        out.print(
            f"no site has lines repeated enough for a rule (--min-docs {min_docs}, --min-share {min_share}); "
            "nothing written",
            markup=False,
        )
        if failures:  # (nothing to suggest is no reason to hide that documents failed: exit 1 all the same)
            raise typer.Exit(EXIT_DOCUMENTS_FAILED)
        return
    from rich.table import Table

    table = Table(box=None)
    for column, justify in (
        ("site", "left"),
        ("documents", "right"),
        ("candidate lines", "right"),
        ("share", "right"),
        ("rules", "right"),
        ("file", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for s in report:
        table.add_row(s.key, str(s.docs), str(s.candidates), f"{s.share:.1%}", str(s.rules), str(s.path or "-"))
    out.print(table)
    if failures:
        raise typer.Exit(EXIT_DOCUMENTS_FAILED)


class _Failures:
    """The problems of a command that reads input itself (no cleaning run to report them): each
    said on stderr as ``error: file:line: reason`` when met, once (suggest reads its input twice,
    and meets a broken record in both passes), and counted for the exit code."""

    def __init__(self, say: Callable[[str], None]):
        self._say = say
        self._seen: set[Problem] = set()

    def __call__(self, problem: Problem) -> None:
        if problem not in self._seen:
            self._seen.add(problem)
            self._say(f"error: {problem}")

    def __len__(self) -> int:
        return len(self._seen)


OutputFormat = Literal["text", "github", "json"]
FormatOption = Annotated[
    OutputFormat,
    typer.Option("--output-format", help="Problems as text, GitHub annotations (::error file=..,line=..::) or JSON."),
]


def _annotation(value: str, prop: bool = False) -> str:
    """GitHub's workflow-command escaping; properties also escape ':' and ','."""
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def _emit_problems(problems: list[Problem], fmt: OutputFormat, title: str) -> None:
    """Problems on stdout in the asked format (they are the command's result), else stderr."""
    if fmt == "json":
        rows = [{"file": p.file, "line": p.line, "message": p.message} for p in problems]
        out.print(json.dumps(rows, ensure_ascii=False, indent=1), markup=False)
    elif fmt == "github":
        for p in problems:
            where = f"file={_annotation(p.file, True)}" + (f",line={p.line}" if p.line else "")
            out.print(f"::error {where},title={_annotation(title, True)}::{_annotation(p.message)}", markup=False)
    else:
        for p in problems:
            err.print(str(p), markup=False)


@rules_app.command("list")
def rules_list(
    rules: RulesOption = None,
    no_default_rules: NoDefaultRules = False,
    markdown: Annotated[bool, typer.Option(help="A Markdown table (docs/rules.md is made with it).")] = False,
) -> None:
    """Every rule: its id, site, kind, regex engine, file and description."""
    from cleaner.rules.regex import engine_of

    book = _book(rules, no_default_rules)
    rows = [
        (
            placed.rule.id,
            "(generic)" if placed.site is None else placed.site.name,
            placed.rule.kind,  # type: ignore[attr-defined]
            engine_of(placed.rule),
            placed.path,
            " ".join(placed.rule.description.split()),
        )
        for placed in book.rules()
    ]
    header = ("rule", "site", "kind", "engine", "file", "description")
    if markdown:
        out.print("# Rules\n\nMade by `cleaner rules list --markdown` (`make docs`); do not edit.\n", markup=False)
        out.print("| " + " | ".join(header) + " |\n|" + "---|" * len(header), markup=False)
        for row in rows:
            out.print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |", markup=False)
        return
    if not sys.stdout.isatty():
        # Piped (to grep, cut, a file): a row a line, its cells between tabs. The table is laid
        # out for a terminal; at the pipe's width every row was padded to the longest (750 columns).
        from cleaner.printable import printable

        lines = ["\t".join(printable(" ".join(cell.split())) for cell in row) + "\n" for row in (header, *rows)]
        try:  # (written as they are: rich's print turns tabs into spaces)
            out.file.write("".join(lines))
            out.file.flush()
        except BrokenPipeError:
            out.on_broken_pipe()
        return
    from rich.table import Table

    table = Table(box=None)
    for column in header:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    out.print(table)


@rules_app.command("validate")
def rules_validate(
    paths: Annotated[list[Path] | None, typer.Argument()] = None,
    no_default_rules: Annotated[
        bool,
        typer.Option("--no-default-rules", help="Check the files alone, not against the rules shipped with cleaner."),
    ] = False,
    output_format: FormatOption = "text",
) -> None:
    """Check rule files: schema, regexes, unique ids (also against the shipped rules, as clean
    loads them beside). Errors as file:line: message. A rule that will cost every run (a pattern
    RE2 compiles large, or one the prefilter can name no lines for) is a warning on stderr."""
    from cleaner.rules.book import RuleBook
    from cleaner.rules.cost import warnings

    try:
        loaded = RuleBook.load_given(paths or [], shipped=not no_default_rules).files
        _started()
    except RuleError as exc:
        _emit_problems(exc.problems, output_format, "invalid rule file")
        raise typer.Exit(EXIT_USAGE) from None
    for problem in warnings([(str(shown), model) for shown, model in loaded]):
        err.print(f"warning: {problem}", markup=False, soft_wrap=True)
    count = sum(len(model.rules) for _, model in loaded)
    if output_format == "text":
        out.print(f"{len(loaded)} rule file{'s' * (len(loaded) != 1)}, {count} rule{'s' * (count != 1)}: valid")
    elif output_format == "json":
        out.print("[]")


@rules_app.command("test")
def rules_test(
    paths: Annotated[list[Path] | None, typer.Argument()] = None,
    rules: Annotated[list[Path] | None, typer.Option("--rules", "-r", help="Same as the paths.")] = None,
    keyword: Annotated[str | None, typer.Option("-k", help="Only rules whose id contains this.")] = None,
    no_default_rules: NoDefaultRules = False,
    output_format: FormatOption = "text",
) -> None:
    """Run the test cases inside the rule files (checked against the shipped rules first, as clean
    loads them beside)."""
    from cleaner.pipeline import Pipeline
    from cleaner.pipeline.cases import CaseResult, run_all
    from cleaner.rules.book import RuleBook
    from cleaner.rules.load import case_lines

    try:
        book = RuleBook.load_given([*(paths or []), *(rules or [])], shipped=not no_default_rules)
        _started()
    except RuleError as exc:
        _emit_problems(exc.problems, output_format, "invalid rule file")
        raise typer.Exit(EXIT_USAGE) from None
    if keyword is not None and not any(keyword in placed.rule.id for placed in book.rules()):
        # A typo in -k would otherwise run nothing and pass: a CI hook that always succeeds.
        err.print(f"error: -k {keyword!r}: no rule id contains it; nothing tested", markup=False)
        raise typer.Exit(EXIT_USAGE)
    passed = 0
    problems: list[tuple[Problem, tuple[str, ...]]] = []  # each failure with its details
    lines: dict[str, dict[tuple[str, int | None], int]] = {}

    def line_of(path: str, rule_id: str, index: int | None) -> int | None:
        if path not in lines:
            lines[path] = case_lines(Path(path))
        return lines[path].get((rule_id, index))

    for result in run_all(Pipeline(book)):
        if isinstance(result, CaseResult):
            if keyword and keyword not in result.ref.rule.id:
                continue
            if result.passed:
                passed += 1
                continue
            path = result.ref.placed.path
            line = line_of(path, result.ref.rule.id, result.ref.index)
            problems.append((Problem(path, line, f"FAIL {result.ref.name}"), result.failures))
        else:
            rule, message = result
            if keyword and keyword not in rule.id:
                continue
            path = _path_of(book, rule.id)
            problems.append((Problem(path, line_of(path, rule.id, None), f"FAIL {rule.id}: {message}"), ()))
    if not passed and not problems:
        # An empty or mistyped rule folder (or --no-default-rules and nothing given) ran no case:
        # a CI hook that always succeeds. (pytest exits 5 when it collects nothing.)
        err.print("error: no rule test cases found; nothing tested", markup=False)
        raise typer.Exit(EXIT_USAGE)
    if output_format == "text":
        for problem, details in problems:
            out.print(str(problem), markup=False)
            for detail in details:
                out.print("  " + detail.replace("\n", "\n  "), markup=False)
        out.print(f"{passed} passed, {len(problems)} failed")
    else:
        joined = [Problem(p.file, p.line, ": ".join([p.message, *details])) for p, details in problems]
        _emit_problems(joined, output_format, "rule test failed")
    if problems:
        raise typer.Exit(1)


@rules_app.command("schema")
def rules_schema(
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write it here (rules/schema.json).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace the --out file if it exists.")] = False,
) -> None:
    """The JSON Schema of a rule file, for editors (rule files point at rules/schema.json)."""
    from cleaner.io.atomic import check_new_files, write_atomic
    from cleaner.rules.schema import schema_text

    text = schema_text()
    if out_file is None or str(out_file) == stdio.STDIN:
        out.print(text, markup=False, end="")
    else:
        check_new_files([out_file], overwrite)
        write_atomic(out_file, text.encode("utf-8"))


def _spooled(
    stack: ExitStack, inputs: list[Path], fmt: stdio.StdinFormat, root: Path | None = None
) -> list[Path | InputFile]:
    """The inputs with ``-`` read from stdin into a scratch directory (``root``, else one the
    stack removes; cleaner/io/stdio.py), in its place among them."""
    if sum(str(given) == stdio.STDIN for given in inputs) > 1:
        raise UsageError("'-' (stdin) can be given once")
    if root is None and any(str(given) == stdio.STDIN for given in inputs):
        root = stack.enter_context(stdio.scratch())
    return [stdio.spool_stdin(root, fmt) if root is not None and str(p) == stdio.STDIN else p for p in inputs]


def _out_dir(path: Path) -> None:
    """An output directory a command will create or write into: refused before any work when it
    cannot be (a file there, a parent that is a file or not writable, ``-``: these write files)."""
    if str(path) == stdio.STDIN:
        raise UsageError(f"--out {path}: a directory is written here (its files), not stdout")
    if path.exists():
        if not path.is_dir():
            raise UsageError(f"--out {path}: not a directory")
        return
    parent = next(p for p in path.absolute().parents if p.exists())  # (the root always exists)
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--out {path}: cannot be created ({parent} is not a writable directory)")


def _path_of(book: RuleBook, rule_id: str) -> str:
    return next((placed.path for placed in book.rules() if placed.rule.id == rule_id), "?")


@app.command()
def explain(
    file: Annotated[
        Path,
        typer.Argument(
            help="A file as clean reads it (.txt, .jsonl, .jsonl.gz, .jsonl.zst, .parquet, .html, .html.gz, .warc, .warc.gz: each record explained), or a directory of them; - reads stdin."
        ),
    ],
    rules: RulesOption = None,
    no_default_rules: NoDefaultRules = False,
    url: Annotated[str | None, typer.Option(help="Treat the document as coming from this URL.")] = None,
    profile: ProfileOption = "balanced",
    classify: ClassifyOption = True,
    repair: RepairOption = True,
    unescape_html: UnescapeOption = True,
    dedup: DedupOption = True,
    keep_line_breaks: LineBreaksOption = False,
    favor: FavorOption = DEFAULT_EXTRACTION.favor,
    tables: TablesOption = DEFAULT_EXTRACTION.tables,
    comments: CommentsOption = DEFAULT_EXTRACTION.comments,
    fallback: FallbackOption = DEFAULT_EXTRACTION.fallback,
    fast: FastOption = DEFAULT_EXTRACTION.fast,
    extract_timeout: ExtractTimeout = DEFAULT_EXTRACT_TIMEOUT,
    max_page_bytes: MaxPageBytes = MAX_PAGE_BYTES,
    max_doc_bytes: MaxDocBytes = DEFAULT_LIMITS.max_doc_bytes,
    max_doc_lines: MaxDocLines = DEFAULT_LIMITS.max_doc_lines,
    stdin_format: StdinFormat = "jsonl",
    drop_repeated: Annotated[
        bool,
        typer.Option(
            help="Mine the lines repeated across each site's documents in FILE first, as `clean "
            "--drop-repeated` over it does, and show those that go."
        ),
    ] = False,
    min_docs: MinDocs = DEFAULT_THRESHOLDS.min_docs,
    min_share: MinShare = DEFAULT_THRESHOLDS.min_share,
    min_sites: MinSites = DEFAULT_THRESHOLDS.min_sites,
    features: Annotated[
        bool, typer.Option(help="Show the classifier's P(content) and the features of each line.")
    ] = False,
    text_field: TextField = DEFAULT_FIELDS.text,
    id_field: IdField = DEFAULT_FIELDS.id,
    url_field: UrlField = DEFAULT_FIELDS.url,
    html_field: HtmlField = DEFAULT_FIELDS.html,
) -> None:
    """Dry run: the site that matched and, line by line, what would be removed and by which rule,
    then why: each rule's description."""
    from cleaner.pipeline import Pipeline
    from cleaner.pipeline.outcome import cleaned_or_problem
    from cleaner.steps.reasons import Reasons

    with ExitStack() as stack:  # (stdin spooled into a scratch directory, removed at the end)
        items: list[InputFile] = discover(_spooled(stack, [file], stdin_format))
        if not items:
            raise UsageError(f"no input files in {file}")
        if drop_repeated and url:
            # One document's URL would key it apart from the counts, which are of the file's own URLs.
            raise UsageError("--url and --drop-repeated: the lines are mined under each record's own URL; give one")
        book = _book(rules, no_default_rules)
        # (The cleaning options as `clean` takes them: --no-classify, the rules alone.)
        extraction = ExtractOptions(favor, tables, comments, fallback, fast)
        settings = _settings(
            repair,
            unescape_html,
            dedup,
            keep_line_breaks,
            extraction,
            extract_timeout,
            max_page_bytes,
            classify,
            profile,
        )
        pipeline = Pipeline(book, settings)
        limits = Limits(max_doc_bytes, max_doc_lines)
        fields = Fields(text=text_field, id=id_field, url=url_field, html=html_field)
        if drop_repeated:
            from cleaner.pipeline.mine import mine

            thresholds = Thresholds(min_docs, min_share, min_sites=min_sites)
            # No problems handed over: the pass below reads the same documents and reports them.
            pipeline = pipeline.with_repeated(mine(items, pipeline, thresholds, fields, limits))
        pipeline.trace_classifier = features
        reasons = Reasons(book)
        # A broken record, an unreadable file or a page with no text is that document's problem:
        # reported, and the other documents explained (as `clean` goes on); exit 1 at the end.
        failures = _Failures(lambda line: err.print(line, markup=False))
        for item in items:
            for doc in read(item, fields, limits):
                if isinstance(doc, Problem):
                    failures(doc)
                    continue
                if url:
                    doc.url = url
                cleaned = cleaned_or_problem(pipeline, doc)
                if isinstance(cleaned, Problem):
                    failures(cleaned)
                    continue
                _explain(pipeline, cleaned, reasons)
        if failures:
            raise typer.Exit(EXIT_DOCUMENTS_FAILED)


def _explain(pipeline: Pipeline, cleaned: Cleaned, reasons: Reasons) -> None:
    doc = cleaned.doc
    classifier = pipeline.last_classifier
    trace = classifier.trace if classifier is not None and classifier.trace is not None else {}
    if pipeline.trace_classifier:
        state = f"profile {classifier.profile}, threshold {classifier.threshold}" if classifier else "off"
        out.print(f"# classifier: {state}", markup=False)
    out.print(f"# {doc.id}  site: {cleaned.site or '(none)'}  url: {cleaned.url or '(none)'}", markup=False)
    if cleaned.meta:
        out.print("# meta: " + ", ".join(f"{k}={v!r}" for k, v in cleaned.meta.items()), markup=False)
    width = len(str(len(cleaned.lines)))
    for line in cleaned.lines:
        if line.dropped_by is not None:
            mark, note = "-", line.dropped_by
        elif line.changed_by:
            mark, note = "~", "+".join(line.changed_by)
        else:
            mark, note = " ", ""
        text = line.orig if len(line.orig) <= 100 else line.orig[:97] + "..."
        suffix = f"    <- {note}" if note else ""
        out.print(f"{line.no:>{width}} {mark} {text}{suffix}", markup=False)
        verdict = trace.get(line.no)
        if verdict is not None:
            shown = " ".join(f"{name}={value:.3g}" for name, value in verdict.features.items())
            # Under the threshold and kept, by the classifier and every step after it: the title (the
            # document's first line, never the classifier's), or one of a list the classifier keeps in
            # part (classify/lists.py).
            listed = line.dropped_by is None and verdict.rule_id is None and verdict.score < classifier.threshold
            note = ("  (kept: the title)" if line.no == 1 else "  (kept: one of a list)") if listed else ""
            out.print(f"{'':>{width}}   p(content)={verdict.score:.4f}{note}  {shown}", markup=False)
    if trace:
        trace.clear()
    _why(cleaned, reasons, classifier)


def _why(cleaned: Cleaned, reasons: Reasons, classifier: Classify | None) -> None:
    """The legend: each label that acted on the document, once, with its source and reason."""
    from cleaner.steps.reasons import acted

    found = [reasons.of(label, classifier) for label in acted(cleaned.lines)]
    if not found:
        return
    labels = max(len(reason.label) for reason in found)
    sources = max(len(reason.source) for reason in found) + 2
    out.print("# why:", markup=False)
    for reason in found:
        source = f"({reason.source})"
        out.print(f"#   {reason.label:<{labels}}  {source:<{sources}}  {reason.text}", markup=False)


def _terminate(signum: int, frame: object) -> None:
    """SIGINT and SIGTERM (a scheduler's stops the run as Ctrl-C does: resumable). The first
    raises KeyboardInterrupt; both are ignored from then on, so a second Ctrl-C, or `timeout`
    signalling the process and then its group, cannot break off the stop the first began (a
    stop broken off in the worker pool's shutdown left the process hanging at its exit, its
    workers holding the work directory's lock)."""
    if os.getpid() != _main_pid:  # a worker not yet past parallel.worker_started, which sets its own
        if signum == signal.SIGTERM:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


_main_pid = 0


def main() -> None:
    global _starting, _main_pid
    _main_pid = os.getpid()
    signal.signal(signal.SIGTERM, _terminate)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # (not if started ignoring it: nohup)
        signal.signal(signal.SIGINT, _terminate)
    _starting = gc.isenabled()
    gc.disable()
    try:
        # Not standalone: typer's own usage errors (an unknown option, a missing argument, a bad
        # value) come here to be said as cleaner's are, not printed by typer in a box of usage,
        # hint and message that rich wraps at the terminal's width. The name is cleaner's, also
        # run as `python -m cleaner`: the hint and the help's usage line name the command to type.
        code = app(prog_name="cleaner", standalone_mode=False)
    except ParseError as exc:
        sys.exit(_parse_error(exc))
    except typer.Abort:  # (typer's for an EOFError no command caught: cleaner's readers catch theirs)
        err.print("aborted", markup=False)
        sys.exit(1)  # (click's code for it, as before)
    except RuleError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False)
        sys.exit(EXIT_USAGE)
    except CleanerError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        raise
    except OSError as exc:  # a path no command checked before (an --out on a file, on /proc): one line
        where = f"{exc.filename}: " if exc.filename is not None else ""
        err.print(f"error: {where}{exc.strerror or exc}", markup=False)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(Interrupted.exit_code)
    finally:
        if _starting:  # a command that loads no rules
            gc.enable()
        # The command is over, its outputs written or left resumable: a SIGTERM from here on (during
        # the interpreter's exit, where Ray's atexit shutdown waits on its processes) ends the
        # process as SIGTERM does, rather than raise in that code and print its stack. (Once a
        # signal stopped the run, both stay ignored: it exits 130.)
        if signal.getsignal(signal.SIGTERM) is _terminate:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A command's typer.Exit, --help and --version: their code (not standalone, typer returns it).
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _parse_error(exc: ParseError) -> int:
    """A usage error typer met parsing the command line: one line, as cleaner's own errors, and
    a hint naming the command's --help (the usage line and the box typer would print are left
    out); its exit code (2 for a usage error)."""
    message = exc.format_message()
    if type(exc).__name__ == "NoArgsIsHelpError":  # `cleaner`, `cleaner rules` (the class is not exported)
        # The help is the message: typer's rich help is printed already (the message is empty).
        if message:
            err.print(message, markup=False)
        return exc.exit_code
    err.print("error: " + " ".join(message.splitlines()), markup=False)
    ctx = getattr(exc, "ctx", None)
    if ctx is not None and ctx.command.get_help_option(ctx) is not None:
        err.print(f"Try '{ctx.command_path} {ctx.help_option_names[0]}' for help.", markup=False)
    return exc.exit_code

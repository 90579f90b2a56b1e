"""The command line: a thin layer over the library. Results go to stdout, diagnostics to stderr,
and ``main`` is the one place that turns errors into messages and exit codes."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from cleaner.document import Document
from cleaner.errors import (
    EXIT_DOCUMENTS_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CleanerError,
    Interrupted,
    Problem,
    RuleError,
    UsageError,
)
from cleaner.parallel import default_workers
from cleaner.pipeline import Pipeline, Settings
from cleaner.ray_engine import RayEngine
from cleaner.readers import Fields, InputFile, Limits, discover, read
from cleaner.repeated.boilerplate import Thresholds
from cleaner.repeated.mine import mine
from cleaner.repeated.suggest import suggest as suggest_rules
from cleaner.rules.book import RuleBook
from cleaner.rules.cases import CaseResult, run_all
from cleaner.rules.load import load_rule_files
from cleaner.run import Target, run
from cleaner.steps.extract import ExtractOptions, Favor

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Strip boilerplate from crawled text, reviewably.")
rules_app = typer.Typer(no_args_is_help=True, help="List, validate and test rule files.")
app.add_typer(rules_app, name="rules")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

Engine = Literal["local", "ray"]
RulesOption = Annotated[list[Path], typer.Option("--rules", "-r", help="Rule file or directory (repeatable).")]
MinDocs = Annotated[
    int, typer.Option(min=2, help="Repeated lines: a line must occur in at least this many of a site's documents.")
]
MinShare = Annotated[
    float, typer.Option(min=0.0, max=1.0, help="Repeated lines: ... and in at least this share of them.")
]
Workers = Annotated[int | None, typer.Option("--workers", "-j", min=1, help="Worker processes [default: all cores].")]
DEFAULT_RULES = [Path("rules")]
DEFAULT_THRESHOLDS = Thresholds()


def _book(paths: list[Path]) -> RuleBook:
    return RuleBook.load(paths)


@app.command()
def clean(
    inputs: Annotated[list[Path], typer.Argument(help="Files or directories (.txt, .jsonl, .jsonl.gz, .jsonl.zst).")],
    rules: RulesOption = DEFAULT_RULES,
    out_path: Annotated[Path, typer.Option("--out", "-o", help="The clean JSONL.")] = Path("out/clean.jsonl"),
    report: Annotated[Path | None, typer.Option(help="Report directory [default: reports/ beside --out].")] = None,
    text_field: Annotated[str, typer.Option(help="JSONL field holding the text.")] = "text",
    id_field: Annotated[str, typer.Option(help="JSONL field holding the id (else <file>:<line>).")] = "id",
    url_field: Annotated[str, typer.Option(help="JSONL field holding the URL.")] = "url",
    html_field: Annotated[
        str | None, typer.Option(help="JSONL field holding HTML: its main text is extracted and cleaned.")
    ] = None,
    favor: Annotated[
        Favor, typer.Option(help="HTML: balanced, or favor precision or recall (trafilatura and the vote).")
    ] = "balanced",
    tables: Annotated[bool, typer.Option(help="trafilatura: keep tables.")] = True,
    comments: Annotated[bool, typer.Option(help="trafilatura: keep comment sections.")] = False,
    fallback: Annotated[
        bool | None, typer.Option(help="trafilatura: try its fallback extractors [default: on, off with --fast].")
    ] = None,
    fast: Annotated[
        bool, typer.Option(help="HTML: trafilatura alone, without the extraction ensemble's vote (faster).")
    ] = False,
    extract_timeout: Annotated[float, typer.Option(min=0, help="Seconds an HTML page may take (0: no limit).")] = 30.0,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output file.")] = False,
    repair: Annotated[bool, typer.Option(help="Repair mojibake with ftfy (encoding fixes only).")] = True,
    unescape_html: Annotated[bool, typer.Option(help="Let ftfy decode HTML entities such as &amp;.")] = True,
    dedup: Annotated[bool, typer.Option(help="Drop paragraphs repeated within a document.")] = True,
    keep_line_breaks: Annotated[
        bool, typer.Option(help="Keep single line breaks instead of making every line a paragraph.")
    ] = False,
    drop_repeated: Annotated[
        bool, typer.Option(help="First mine lines repeated across a site's documents, then drop them too.")
    ] = False,
    min_docs: MinDocs = DEFAULT_THRESHOLDS.min_docs,
    min_share: MinShare = DEFAULT_THRESHOLDS.min_share,
    workers: Workers = None,
    max_doc_bytes: Annotated[
        int, typer.Option(min=1, help="Refuse (and report) a document larger than this many bytes.")
    ] = Limits().max_doc_bytes,
    engine: Annotated[Engine, typer.Option(help="local: processes on this machine; ray: a Ray cluster.")] = "local",
    address: Annotated[
        str | None, typer.Option(help="With --engine ray: the cluster (default: start one here).")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Finish an interrupted run: keep the input files it completed.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary table.")] = False,
) -> None:
    """Clean INPUT... into a JSONL file and a report directory."""
    settings = Settings(
        repair=repair,
        unescape_html=unescape_html,
        dedup=dedup,
        layout="lines" if keep_line_breaks else "paragraphs",
        extraction=ExtractOptions(favor, tables, comments, fallback, fast),
        extract_timeout=extract_timeout or None,
    )
    pipeline = Pipeline(_book(rules), settings)
    target = Target(out_path, report or out_path.parent / "reports", overwrite)
    fields = Fields(text=text_field, id=id_field, url=url_field, html=html_field)
    total = sum(item.size for item in discover(inputs)) * (2 if drop_repeated else 1)  # mining reads it all too
    with _progress("cleaning", total, quiet) as (bar, progress):

        def failure(problem: Problem) -> None:
            bar.console.print(f"error: {problem}", markup=False, highlight=False)

        try:
            result = run(
                inputs,
                pipeline,
                target,
                fields,
                progress,
                workers or default_workers(),
                failure,
                Limits(max_doc_bytes),
                resume,
                RayEngine(address) if engine == "ray" else None,
                Thresholds(min_docs, min_share) if drop_repeated else None,
            )
        except KeyboardInterrupt:
            raise Interrupted(
                "interrupted: nothing was written under the final output names; "
                "run the same command with --resume to finish"
            ) from None
    if not quiet:
        _print_totals(result)
    if result.failed:
        raise typer.Exit(EXIT_DOCUMENTS_FAILED)


@contextmanager
def _progress(label: str, total: int, quiet: bool) -> Iterator[tuple[Progress, Callable[[int, int], None]]]:
    """A progress bar on stderr over input bytes, with a document count; off when not a terminal."""
    with Progress(
        TextColumn(label),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[docs]} docs"),
        TimeRemainingColumn(),
        console=err,
        disable=quiet or not err.is_terminal,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total or None, docs=0)
        done = 0

        def progress(docs: int, size: int) -> None:
            nonlocal done
            done += docs
            bar.update(task, advance=size, docs=done)

        yield bar, progress


def _print_totals(result) -> None:
    t = result.totals
    table = Table(title=f"cleaner: {result.out}, report in {result.report}/", title_justify="left")
    for column in ("documents in", "out", "emptied", "failed", "characters in", "removed"):
        table.add_column(column, justify="right")
    removed = t.chars_in - t.chars_out
    share = f" ({removed / t.chars_in:.1%})" if t.chars_in else ""
    table.add_row(
        str(t.docs_in), str(t.docs_out), str(t.docs_empty), str(t.docs_failed), str(t.chars_in), f"{removed}{share}"
    )
    out.print(table)
    if t.removed:
        rules = Table(title="top rules", title_justify="left")
        rules.add_column("rule")
        rules.add_column("lines", justify="right")
        rules.add_column("characters", justify="right")
        for rule in sorted(t.removed_chars, key=lambda r: (-t.removed_chars[r], r))[:10]:
            rules.add_row(rule, str(t.removed[rule]), str(t.removed_chars[rule]))
        out.print(rules)


@app.command()
def suggest(
    inputs: Annotated[list[Path], typer.Argument(help="Files or directories, as for `clean`.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Where the rule files go.")] = Path("rules/suggested"),
    rules: RulesOption = DEFAULT_RULES,
    min_docs: MinDocs = DEFAULT_THRESHOLDS.min_docs,
    min_share: MinShare = DEFAULT_THRESHOLDS.min_share,
    text_field: Annotated[str, typer.Option(help="JSONL field holding the text.")] = "text",
    url_field: Annotated[str, typer.Option(help="JSONL field holding the URL.")] = "url",
    html_field: Annotated[str | None, typer.Option(help="JSONL field holding HTML.")] = None,
    workers: Workers = None,
    overwrite: Annotated[bool, typer.Option(help="Replace existing rule files.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Write rule files for the lines repeated across each site's documents, with test cases
    from real documents, for review; print a table of what was found."""
    items = discover(inputs)
    if not items:
        raise UsageError("no input files in " + ", ".join(map(str, inputs)))
    pipeline = Pipeline(_book(rules))
    fields = Fields(text=text_field, url=url_field, html=html_field)
    n = workers or default_workers()
    with _progress("mining", 2 * sum(item.size for item in items), quiet) as (_, progress):
        found = mine(items, pipeline, Thresholds(min_docs, min_share), fields, Limits(), n, progress=progress)
        report = suggest_rules(items, pipeline, found, out_dir, fields, Limits(), n, overwrite, progress)
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


@rules_app.command("list")
def rules_list(rules: RulesOption = DEFAULT_RULES) -> None:
    """Every rule: its id, site, kind and description."""
    book = _book(rules)
    table = Table(box=None)
    for column in ("rule", "site", "kind", "description"):
        table.add_column(column, overflow="fold")
    for placed in book.rules():
        site = "(generic)" if placed.site is None else placed.site.name
        table.add_row(placed.rule.id, site, placed.rule.kind, placed.rule.description)  # type: ignore[attr-defined]
    out.print(table)


@rules_app.command("validate")
def rules_validate(paths: Annotated[list[Path] | None, typer.Argument()] = None) -> None:
    """Check rule files: schema, regexes, unique ids. Errors as file:line: message."""
    loaded = load_rule_files(paths or DEFAULT_RULES)
    count = sum(len(model.rules) for _, model in loaded)
    out.print(f"{len(loaded)} rule files, {count} rules: valid")


@rules_app.command("test")
def rules_test(
    paths: Annotated[list[Path] | None, typer.Argument()] = None,
    keyword: Annotated[str | None, typer.Option("-k", help="Only rules whose id contains this.")] = None,
) -> None:
    """Run the test cases inside the rule files."""
    book = _book(paths or DEFAULT_RULES)
    passed = failed = 0
    for result in run_all(Pipeline(book)):
        if isinstance(result, CaseResult):
            if keyword and keyword not in result.ref.rule.id:
                continue
            if result.passed:
                passed += 1
                continue
            failed += 1
            out.print(f"FAIL {result.ref.name} ({result.ref.placed.path})", markup=False)
            for failure in result.failures:
                out.print("  " + failure.replace("\n", "\n  "), markup=False)
        else:
            rule, message = result
            if keyword and keyword not in rule.id:
                continue
            failed += 1
            out.print(f"FAIL {rule.id}: {message}", markup=False)
    out.print(f"{passed} passed, {failed} failed")
    if failed:
        raise typer.Exit(1)


@app.command()
def explain(
    file: Annotated[Path, typer.Argument(help="A .txt file, or a JSONL file (each record explained).")],
    rules: RulesOption = DEFAULT_RULES,
    url: Annotated[str | None, typer.Option(help="Treat the document as coming from this URL.")] = None,
) -> None:
    """Dry run: the site that matched and, line by line, what would be removed and by which rule."""
    pipeline = Pipeline(_book(rules))
    items: list[InputFile] = discover([file])
    for item in items:
        for doc in read(item, Fields()):
            if not isinstance(doc, Document):
                err.print(f"error: {doc}", markup=False)
                continue
            if url:
                doc.url = url
            _explain(pipeline, doc)


def _explain(pipeline: Pipeline, doc: Document) -> None:
    cleaned = pipeline.clean(doc)
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


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # a scheduler's SIGTERM stops the run as Ctrl-C does: resumable


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except RuleError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False)
        sys.exit(EXIT_USAGE)
    except CleanerError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(Interrupted.exit_code)
    sys.exit(EXIT_OK)

"""A comparison (compare.py) as Markdown for a pull request comment, JSON, and one HTML page."""

from __future__ import annotations

from html import escape
from pathlib import Path

import orjson

from cleaner.io.atomic import write_atomic
from cleaner.report.compare import Comparison, RuleChange, Sample

MD_RULES = 30  # rules with a section of their own in the Markdown
MD_SAMPLES = 3  # sample lines per rule in the Markdown
MD_LIMIT = 60_000  # GitHub refuses comments over 65,536 characters
MD_DOCS = 20


def _fate(label: str | None) -> str:
    if label is None:
        return "kept"
    return ("removed by " if label[0] == "-" else "kept, rewritten by ") + label[1:]


def _cell(text: str, width: int = 160) -> str:
    """Text safe in a Markdown table cell: one line, no pipes, no HTML, not too long."""
    text = " ".join(text.split())
    if len(text) > width:
        text = text[: width - 1] + "…"
    return escape(text, quote=False).replace("|", "\\|").replace("`", "'")


def _fence(lines: list[str]) -> list[str]:
    longest = max((len(run) for line in lines for run in line.split("`") if not run), default=0)
    ticks = "`" * max(3, longest + 4)
    return [ticks + "diff", *lines, ticks]


def _sample_md(sample: Sample) -> list[str]:
    rows = []
    for line in sample.context:
        mark = " "
        if line.no == sample.no:
            mark = "-" if sample.after is not None and sample.after[0] == "-" else "+"
        text = line.text.replace("\t", " ").replace("\r", " ")[:200]  # spacing kept: a rule may hang on it
        note = "" if line.before == line.after else f"   [{_fate(line.before)} → {_fate(line.after)}]"
        if line.no != sample.no and line.after is not None:
            note = f"   [{_fate(line.after)}]"
        rows.append(f"{mark}{line.no:>5}  {text}{note}")
    return [f"`{_cell(sample.id, 80)}` line {sample.no}:", "", *_fence(rows), ""]


def _summary_row(r: RuleChange) -> str:
    return (
        f"| `{_cell(r.rule, 80)}` | {r.newly_removed} | {r.no_longer_removed} | {r.prose_newly_removed} "
        f"| {r.docs_newly_emptied} | {r.docs_newly_flagged} | +{r.chars_newly_removed} −{r.chars_no_longer_removed} "
        f"| {r.newly_rewritten + r.no_longer_rewritten} | {r.docs} |"
    )


def membership(c: Comparison) -> str:
    """The documents only one run had (added to or removed from the corpus, not a rule's doing),
    or why that is not known; "" when both runs had the same documents."""
    if c.docs_only_base is None or c.docs_only_new is None:
        return (
            "Document sets not compared (a run's output, or the ids of its records, could not be read): "
            "a document only one run had shows as a change."
        )
    if not c.docs_only_base and not c.docs_only_new:
        return ""
    return (
        f"{c.docs_only_base} document{'s' if c.docs_only_base != 1 else ''} only in BASE, "
        f"{c.docs_only_new} only in NEW: not compared, not counted as rule changes."
    )


def markdown(c: Comparison) -> str:
    """A summary sized for a pull request comment: riskiest rules first, a few lines in context."""
    extra = membership(c)
    if not c.changed:
        return (
            f"## cleaner compare: no change\n\n{c.docs_compared} changed documents compared; "
            "every line has the same fate in both runs.\n" + (f"\n{extra}\n" if extra else "")
        )
    out = [
        f"## cleaner compare: {len(c.rules)} rule{'s' if len(c.rules) != 1 else ''} changed what {'they do' if len(c.rules) != 1 else 'it does'}",
        "",
        f"{c.docs_differing} documents differ: {c.lines_newly_removed} lines newly removed, "
        f"{c.lines_no_longer_removed} no longer removed, {c.lines_moved} removed by another rule. "
        f"Riskiest first: lines that look like prose newly removed, then documents newly emptied or that "
        f"lost more than {c.flag_share:.0%} of their text.",
        "",
        *([extra, ""] if extra else []),
        "| rule | newly removed | no longer removed | prose-like newly removed | docs newly emptied "
        "| docs newly flagged | characters | lines rewritten otherwise | documents |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(_summary_row(r) for r in c.rules),
        "",
    ]
    if c.documents:
        out += ["### Documents emptied or flagged, before → after", ""]
        for d in c.documents[:MD_DOCS]:
            out.append(
                f"- `{_cell(d.id, 80)}` ({_cell(d.source, 80)}): {d.before} ({d.lost_before:.0%} lost) → "
                f"{d.after} ({d.lost_after:.0%} lost)" + (f", mostly `{_cell(d.rule, 80)}`" if d.rule else "")
            )
        more = len(c.documents) - MD_DOCS + c.more_documents
        if more > 0:
            out.append(f"- ... {more} more in compare.json")
        out.append("")
    for r in c.rules[:MD_RULES]:
        section = [
            f"<details><summary><code>{escape(r.rule)}</code>: +{r.newly_removed} −{r.no_longer_removed} lines"
            + (f", {r.prose_newly_removed} prose-like" if r.prose_newly_removed else "")
            + "</summary>",
            "",
        ]
        for sample in r.samples[:MD_SAMPLES]:
            section += _sample_md(sample)
        if len(r.samples) > MD_SAMPLES:
            section.append(f"{len(r.samples) - MD_SAMPLES} more sample lines in the page and compare.json.")
            section.append("")
        section += ["</details>", ""]
        if sum(map(len, out)) + sum(map(len, section)) + len(out) + len(section) > MD_LIMIT:
            out.append("... the other rules are in the page and compare.json (comment size limit).")
            break
        out += section
    else:
        if len(c.rules) > MD_RULES:
            out.append(f"... {len(c.rules) - MD_RULES} more rules in the page and compare.json.")
    return "\n".join(out).rstrip("\n") + "\n"


def json_bytes(c: Comparison) -> bytes:
    return orjson.dumps(c.as_dict(), option=orjson.OPT_INDENT_2) + b"\n"


_CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:1em;color:#1d1d1f}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}
td.n{text-align:right}.s{border:1px solid #ddd;border-radius:6px;margin:.5em 0;padding:.3em .8em}
.l{white-space:pre-wrap;margin:0;font-family:ui-monospace,monospace;font-size:12.5px;padding:1px 4px}
.l.this{background:#fff1f1;border-left:3px solid #d33}.l.back{background:#f1fff1;border-left:3px solid #3a3}
.f{color:#666;font-size:11px;margin-left:1em}h3{font-family:ui-monospace,monospace}"""


def html_page(c: Comparison) -> str:
    """One self-contained page: the table, then every rule's sample lines in context."""
    e = escape
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>cleaner compare</title>',
        f"<style>{_CSS}</style></head><body><h1>cleaner compare</h1>",
        f"<p>base {e(c.base)} · new {e(c.new)} · {c.docs_differing} documents differ · "
        f"{c.lines_newly_removed} lines newly removed · {c.lines_no_longer_removed} no longer removed</p>",
        f"<p>{e(membership(c))}</p>" if membership(c) else "",
        "<table><tr><th>rule</th><th>newly removed</th><th>no longer removed</th><th>prose-like newly removed</th>"
        "<th>docs newly emptied</th><th>docs newly flagged</th><th>chars +</th><th>chars −</th><th>documents</th></tr>",
    ]
    for r in c.rules:
        cells = (
            r.newly_removed,
            r.no_longer_removed,
            r.prose_newly_removed,
            r.docs_newly_emptied,
            r.docs_newly_flagged,
            r.chars_newly_removed,
            r.chars_no_longer_removed,
            r.docs,
        )
        parts.append(
            f'<tr><td><a href="#r-{e(r.rule)}">{e(r.rule)}</a></td>' + "".join(f'<td class="n">{n}</td>' for n in cells)
        )
    parts.append("</table>")
    if c.documents:
        parts.append("<h2>Documents emptied or flagged, before → after</h2><ul>")
        for d in c.documents:
            parts.append(
                f"<li>{e(d.id)} ({e(d.source)}): {e(d.before)} ({d.lost_before:.0%}) → {e(d.after)} "
                f"({d.lost_after:.0%}){' · ' + e(d.rule) if d.rule else ''}</li>"
            )
        parts.append("</ul>")
    for r in c.rules:
        parts.append(f'<h3 id="r-{e(r.rule)}">{e(r.rule)}</h3>')
        for s in r.samples:
            parts.append(f'<div class="s"><div>{e(s.id)} · {e(s.source)} · line {s.no}</div>')
            for line in s.context:
                cls = ""
                if line.no == s.no:
                    cls = " this" if s.after is not None and s.after[0] == "-" else " back"
                fate = f"{_fate(line.before)} → {_fate(line.after)}" if line.before != line.after else _fate(line.after)
                parts.append(f'<p class="l{cls}">{line.no:>5}  {e(line.text)}<span class="f">{e(fate)}</span></p>')
            parts.append("</div>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def paths(directory: Path) -> tuple[Path, Path, Path]:
    """The files write_all writes: compare.md, compare.json and compare.html in ``directory``."""
    return directory / "compare.md", directory / "compare.json", directory / "compare.html"


def write_all(c: Comparison, directory: Path) -> None:
    """compare.md, compare.json and compare.html in ``directory``."""
    md, data, page = paths(directory)
    directory.mkdir(parents=True, exist_ok=True)
    write_atomic(md, markdown(c).encode("utf-8"))
    write_atomic(data, json_bytes(c))
    write_atomic(page, html_page(c).encode("utf-8"))

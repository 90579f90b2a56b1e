"""`cleaner suggest`: mined boilerplate written as rule files a reviewer can edit and adopt.

Mining says which lines repeat; a second pass meets them again to learn their text (a few
variants each), which of them form runs (a forum user block becomes one block rule) and
real documents to take test cases from. Each file is checked before it is written: its cases
are computed by running it, and a case that does not pass both alone and beside the existing
rules is left out, so ``cleaner rules validate`` and ``cleaner rules test`` pass as written.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cleaner.document import Document
from cleaner.errors import Problem
from cleaner.io.atomic import check_new_files, write_atomic
from cleaner.io.readers import Fields, InputFile, Limits
from cleaner.pipeline import Pipeline, Settings
from cleaner.pipeline.cases import run_all
from cleaner.pipeline.outcome import cleaned_or_problem
from cleaner.pipeline.parallel import Task, clean_events, events, tick
from cleaner.repeated.boilerplate import GENERIC_RULE, RULE_PREFIX, Boilerplate
from cleaner.repeated.keys import GENERIC_PREFIX, SIGNATURE_PREFIX, line_hash, site_prefix
from cleaner.rules.book import RuleBook
from cleaner.rules.model import RuleFile
from cleaner.suggest.patterns import line_pattern, slug
from cleaner.urls import domain_problem

MAX_VARIANTS = 8  # texts kept per repeated line, to write one pattern for all
CONTEXT = 2  # non-blank lines kept around a rule's lines in its test case
Row = tuple[str, int | None]  # a line the existing rules keep, and its hash if it is boilerplate
GENERIC_KEY = "(generic)"  # the findings of lines repeated across sites (no site key looks like this)


@dataclass(frozen=True, slots=True)
class Collected:
    key: str | None
    site: str | None
    first: str  # the first non-blank line, for a signature
    rows: list[Row]
    generic: list[Row] = field(default_factory=list)  # rows again, hashed for lines found across sites


def collect_one(pipeline: Pipeline, task: Task) -> Collected | Problem:
    cleaned = cleaned_or_problem(pipeline, task.doc)
    if isinstance(cleaned, Problem):
        return cleaned
    key = cleaned.key
    if key is None:
        return Collected(None, None, "", [])
    rule_id, prefix = RULE_PREFIX + key, site_prefix(key)
    rows: list[Row] = []
    generic: list[Row] = []
    for line in cleaned.lines:
        if line.dropped_by == rule_id:
            rows.append((line.text.strip(), line_hash(prefix, line.text)))
            generic.append((line.text.strip(), None))
        elif line.dropped_by == GENERIC_RULE:
            generic.append((line.text.strip(), line_hash(GENERIC_PREFIX, line.text)))
            rows.append((line.text.strip(), None))
        elif line.alive:
            rows.append((line.text.strip(), None))
            generic.append((line.text.strip(), None))
    first = next((line.text.strip() for line in cleaned.lines if not line.blank), "")
    if not any(h is not None for _, h in generic):
        generic = []
    return Collected(key, cleaned.site, first, rows, generic)


STRONG = 0.8  # two lines are one block when this share of each one's documents has them adjacent


@dataclass(slots=True)
class SiteFindings:
    """What the second pass learnt of one site key."""

    key: str
    site: str | None = None
    first_lines: list[str] = field(default_factory=list)
    variants: dict[int, list[str]] = field(default_factory=dict)  # hash -> texts, first seen first
    docs: Counter[int] = field(default_factory=Counter)  # hash -> documents
    follows: Counter[tuple[int, int]] = field(default_factory=Counter)  # (a, b) adjacent -> documents
    examples: list[list[Row]] = field(default_factory=list)
    lines: int = 0  # non-blank lines the existing rules keep
    dropped: int = 0  # of which repeated

    def add(self, found: Collected) -> None:
        if found.first and len(self.first_lines) < MAX_VARIANTS and found.first not in self.first_lines:
            self.first_lines.append(found.first)
        self.site = self.site or found.site
        new = False
        seen: set[int] = set()
        pairs: set[tuple[int, int]] = set()
        previous: int | None = None
        for text, h in found.rows:
            if not text:  # blank lines do not separate the lines of a block
                continue
            self.lines += 1
            if h is not None:
                self.dropped += 1
                texts = self.variants.setdefault(h, [])
                new = new or not texts
                if len(texts) < MAX_VARIANTS and text not in texts:
                    texts.append(text)
                seen.add(h)
                if previous is not None:
                    pairs.add((previous, h))
            previous = h
        self.docs.update(seen)
        self.follows.update(pairs)
        if new:  # bounded: a document is kept only when it shows a line first
            self.examples.append(found.rows)

    def chains(self) -> list[list[int]]:
        """Runs of lines that nearly always come together, in order: the blocks."""
        succ: dict[int, list[int]] = {}
        has_pred: set[int] = set()
        for (a, b), n in sorted(self.follows.items()):
            if a != b and n >= STRONG * self.docs[a] and n >= STRONG * self.docs[b]:
                succ.setdefault(a, []).append(b)
                has_pred.add(b)
        chains: list[list[int]] = []
        used: set[int] = set()
        for h in self.variants:
            if h in has_pred or h in used or h not in succ:
                continue
            chain = [h]
            used.add(h)
            while len(succ.get(chain[-1], [])) == 1:
                chain.append(succ[chain[-1]][0])
                if chain[-1] in used:  # a line seen again closes the block ("- 27" after "- Reaction score")
                    break
                used.add(chain[-1])
            chains.append(chain)
        return chains


def collect(
    items: list[InputFile],
    pipeline: Pipeline,
    fields: Fields,
    limits: Limits,
    workers: int,
    progress: Callable[[int, int], None] | None = None,
    on_problem: Callable[[Problem], None] | None = None,
) -> dict[str, SiteFindings]:
    """What the second pass learns of each site key; each document that cannot be read or
    cleaned goes to ``on_problem``."""
    todo = list(enumerate(items))
    sites: dict[str, SiteFindings] = {}
    for result in clean_events(events(todo, fields, limits), pipeline, workers, collect_one):
        if isinstance(result, Collected):
            if result.key is not None and result.rows:
                sites.setdefault(result.key, SiteFindings(result.key)).add(result)
                if result.generic:
                    across = Collected(GENERIC_KEY, None, "", result.generic)
                    sites.setdefault(GENERIC_KEY, SiteFindings(GENERIC_KEY)).add(across)
        elif isinstance(result, Problem) and on_problem is not None:
            on_problem(result)
        tick(result, progress)
    return sites


def site_name(findings: SiteFindings) -> str:
    if findings.key == GENERIC_KEY:
        return "generic-suggested"
    if findings.site is not None:
        return f"{findings.site}-suggested"
    if findings.key.startswith(SIGNATURE_PREFIX):
        return findings.key
    return re.sub(r"[^a-z0-9_-]+", "-", findings.key.casefold()).strip("-") or "site"


def _match(findings: SiteFindings, book: RuleBook) -> dict[str, Any] | None:
    if findings.key == GENERIC_KEY:
        return None  # a generic file: it applies to every document
    if findings.site is not None:
        _, model = _site_file(findings.site, book)
        assert model.match is not None
        match = model.match.model_dump(exclude_defaults=True)
        # The loader refuses a domain that two files claim, so the site's domains become the URL
        # globs that hold the same hosts (the domain, any subdomain), which two files may share;
        # its signature and globs are kept as they are (neither is refused twice either).
        domains = [d.lower().lstrip(".") for d in match.pop("domains", [])]
        globs = [glob for d in domains for glob in (f"*://{d}/*", f"*://*.{d}/*")]
        if globs:
            match["urls"] = [*match.get("urls", []), *globs]
        return match
    if findings.key.startswith(SIGNATURE_PREFIX):
        return {"signature": line_pattern(findings.first_lines), "signature_lines": 1}
    return {"domains": [findings.key]}


def _site_file(site: str, book: RuleBook) -> tuple[str, RuleFile]:
    """The path and model of the rule file of the site named ``site``."""
    return next((path, model) for path, model in book.files if model.name == site)


def _description(findings: SiteFindings, book: RuleBook) -> str:
    across = "many sites'" if findings.key == GENERIC_KEY else findings.key
    said = f"Suggested by `cleaner suggest` from lines repeated across {across} documents; review before use."
    if findings.key == GENERIC_KEY or findings.site is None:
        return said
    # A site a rule file covers already: beside that file, this one is never a page's site (the
    # first file in order whose domains or globs claim a URL is its site), so its rules act only
    # once moved into that file.
    path, _ = _site_file(findings.site, book)
    return (
        f"{said} {path} covers this site already: add the rules you keep to it (beside it, this file is never chosen)."
    )


@dataclass(slots=True)
class Draft:
    rule: dict[str, Any]
    first: int  # the hash of the line it starts at
    span: int  # how many lines it covers


def _body(pattern: str) -> str:
    """An anchored line pattern (from line_pattern) as a branch of an alternation."""
    flags, _, rest = pattern.partition("^")
    return f"(?i:{rest[:-1]})" if flags else rest[:-1]


def _drafts(findings: SiteFindings, name: str) -> list[Draft]:
    taken: set[str] = set()
    drafts: list[Draft] = []
    covered: set[int] = set()
    for chain in findings.chains():
        covered.update(chain)
        first = findings.variants[chain[0]]
        others = list(dict.fromkeys(_body(line_pattern(findings.variants[h])) for h in chain[1:]))
        rule = {
            "id": f"{name}.{slug(first[0], taken)}",
            "kind": "block",
            "description": f"Repeated block of {len(chain)} lines starting {first[0]!r}.",
            "start": line_pattern(first),
            "while": "^(?:" + "|".join(others) + ")$",
            "max_lines": len(chain),
        }
        drafts.append(Draft(rule, chain[0], len(chain)))
    for h, texts in findings.variants.items():
        if h in covered:
            continue
        rule = {
            "id": f"{name}.{slug(texts[0], taken)}",
            "kind": "line",
            "description": f"Repeated line {texts[0]!r}.",
            "pattern": line_pattern(texts),
        }
        drafts.append(Draft(rule, h, 1))
    return drafts


def _excerpt(rows: list[Row], first: int, span: int) -> str | None:
    """The lines around the first place where ``first`` starts ``span`` repeated lines."""
    solid = [i for i, (text, _) in enumerate(rows) if text]
    for n, i in enumerate(solid):
        if rows[i][1] != first or not all(rows[j][1] is not None for j in solid[n : n + span]):
            continue
        lo, hi = solid[max(n - CONTEXT, 0)], solid[min(n + span - 1 + CONTEXT, len(solid) - 1)]
        return "\n".join(text for text, _ in rows[lo : hi + 1]) + "\n"
    return None


def _passing(model: RuleFile, books: list[RuleBook]) -> set[tuple[str, int]]:
    """(rule id, case index) of the cases that pass in every one of ``books``."""
    failing: set[tuple[str, int]] = set()
    for book in books:
        for result in run_all(Pipeline(book, Settings())):
            if isinstance(result, tuple):
                continue
            if not result.passed or not result.acted:
                failing.add((result.ref.rule.id, result.ref.index))
    return {(rule.id, n) for rule in model.rules for n in range(len(rule.tests))} - failing


def rule_file(findings: SiteFindings, book: RuleBook) -> dict[str, Any] | None:
    """The rule file for one site, with only rules whose cases pass; None if none is left."""
    name = site_name(findings)
    drafts = []
    for draft in _drafts(findings, name):
        inputs = [e for e in (_excerpt(rows, draft.first, draft.span) for rows in findings.examples) if e][:1]
        if inputs:
            draft.rule["tests"] = [{"input": text, "output": ""} for text in inputs]
            drafts.append(draft)
    match = _match(findings, book)
    if not drafts or any(domain_problem(domain) for domain in (match or {}).get("domains", [])):
        return None  # (a host no domain entry can name, of broken URLs ('a b', 'a..b'): no file claims it)
    data = {
        "name": name,
        "description": _description(findings, book),
        "match": match,
        "rules": [d.rule for d in drafts],
    }
    if data["match"] is None:
        del data["match"]
    model = RuleFile.model_validate(data)
    alone = RuleBook([(f"{name}.yaml", model)])
    # The expected outputs are what the file does: the reviewer reads them as its behaviour.
    pipeline = Pipeline(alone, Settings())
    for rule, placed in zip(data["rules"], alone.rules(), strict=True):
        for case in rule["tests"]:
            doc = Document(id=rule["id"], text=case["input"], source=name)
            case["output"] = pipeline.for_site(placed.site).clean(doc).text
    model = RuleFile.model_validate(data)
    keep = _passing(model, [RuleBook([(f"{name}.yaml", model)]), RuleBook([*book.files, (f"{name}.yaml", model)])])
    rules = []
    for rule in data["rules"]:
        rule["tests"] = [case for n, case in enumerate(rule["tests"]) if (rule["id"], n) in keep]
        if rule["tests"]:
            rules.append(rule)
    if not rules:
        return None
    data["rules"] = rules
    RuleFile.model_validate(data)
    return data


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)


@dataclass(frozen=True, slots=True)
class Suggestion:
    key: str
    docs: int
    candidates: int
    share: float  # of the site's kept lines, the share that is repeated
    path: Path | None  # the file written, None when no rule survived its checks
    rules: int


def suggest(
    items: list[InputFile],
    pipeline: Pipeline,
    boilerplate: Boilerplate,
    out: Path,
    fields: Fields,
    limits: Limits,
    workers: int = 1,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
    generic: bool = False,
    on_problem: Callable[[Problem], None] | None = None,
) -> list[Suggestion]:
    """One rule file per site key with repeated lines, and one row each (a site without any is
    left out); with ``generic``, also one generic file of the lines found on many unrelated
    sites. Each document the second pass cannot read or clean goes to ``on_problem`` (mostly
    the problems mining met already: the same input)."""
    findings = collect(items, pipeline.with_repeated(boilerplate), fields, limits, workers, progress, on_problem)
    if not generic:
        findings.pop(GENERIC_KEY, None)
    files: list[tuple[SiteFindings, dict[str, Any] | None]] = []
    for key in sorted(findings):
        # A site none of whose lines repeat has nothing to suggest (and no count from mining,
        # which keeps only the sites of such lines): left out, not listed with 0 documents.
        if findings[key].variants:
            files.append((findings[key], rule_file(findings[key], pipeline.book)))
    paths = {f.key: out / f"{data['name']}.yaml" for f, data in files if data is not None}
    check_new_files(paths.values(), overwrite)  # (each one, before any is written)
    report = []
    for f, data in files:
        path = paths.get(f.key)
        if data is not None and path is not None:
            write_atomic(path, dump(data))
        report.append(
            Suggestion(
                f.key,
                len(f.examples) if f.key == GENERIC_KEY else boilerplate.docs_of(f.key),
                len(f.variants),
                f.dropped / f.lines if f.lines else 0.0,
                path,
                len(data["rules"]) if data else 0,
            )
        )
    return report

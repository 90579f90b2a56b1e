"""All loaded rules: the site rule sets, the generic ones, and which site a document belongs to."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from cleaner.rules import stored
from cleaner.rules.engine import RuleSet
from cleaner.rules.load import load_rule_files, rule_files, rule_paths, rule_roots
from cleaner.rules.model import RuleBase, RuleFile
from cleaner.rules.prefilter import fold
from cleaner.rules.regex import Regex
from cleaner.rules.sites import SiteMatcher, fold_lines
from cleaner.urls import host_of


@dataclass(frozen=True, slots=True)
class Placed:
    """A rule with the file it comes from and, for a site rule, the site's rule set."""

    path: str
    file: RuleFile
    rule: RuleBase
    site: RuleSet | None


class _Site:
    """A site file, its rules compiled the first time a document belongs to it.

    Compiling a site's patterns on RE2 costs up to a few tenths of a second (counted repeats
    of Unicode classes), and most runs meet few of the sites, so a run pays only for those
    it meets. Every pattern already compiled once when the file was validated (rules/base.py),
    so a pattern that does not compile still stops the run before it starts."""

    __slots__ = ("_compiled", "matcher", "model", "path")

    def __init__(self, path: str, model: RuleFile):
        assert model.match is not None
        self.path = path
        self.model = model
        self.matcher = SiteMatcher(model.match)
        self._compiled: RuleSet | None = None

    @property
    def rules(self) -> RuleSet:
        """The site's RuleSet: one object for the whole run (steps tell sets apart by identity)."""
        if self._compiled is None:
            self._compiled = RuleSet.site(self.model, self.path)
        return self._compiled


_HOSTS = 4096  # hosts whose site RuleBook.site_by_url keeps (emptied when full)


def url_start(url: str) -> str | None:
    """An http(s) URL up to the first "/" after its "//", when it has one; else None.

    Two URLs of one start have one host (urls.host_of): the host is read from the netloc,
    which ends at the first "/", "?" or "#" after the "//", so at that "/" at the latest, and
    what urlsplit does first to a whole URL (strip its ends of spaces and controls, take out
    tabs and newlines) changes nothing in the netloc that is not in the start (the URL goes on
    past it with a "/"). tests/test_rules_fast.py checks it on random URLs."""
    if url.startswith("https://"):
        cut = url.find("/", 8)
    elif url.startswith("http://"):
        cut = url.find("/", 7)
    else:
        return None
    return url[:cut] if cut >= 0 else None


class RuleBook:
    def __init__(self, files: list[tuple[str, RuleFile]], digest: str | None = None):
        self.files = files
        self._sites = [_Site(path, model) for path, model in files if not model.generic]
        generic = [model for _, model in files if model.generic]
        # Generic files act as one set: one pass over the lines serves all of them.
        self.generic = RuleSet("generic", "generic", generic) if generic else None
        # What a resumed run checks it shares with the interrupted one.
        # (``digest``: this one, kept with the files: dumping the models costs their schema.)
        self.digest = digest or hashlib.sha256(b"".join(m.model_dump_json().encode() for _, m in files)).hexdigest()
        self.rewrites = any(rule.kind == "replace" for _, model in files for rule in model.rules)
        # How many of a document's first non-blank lines any signature looks at.
        self.head_lines = max((s.matcher.signature_lines for s in self._sites), default=0)
        self._globbed = [i for i, site in enumerate(self._sites) if site.matcher.urls]  # sites with URL globs
        self._by_host: dict[str, int | None] = {}  # (site_by_url) by host: the site of its domain, or None
        self._by_start: dict[str, int | None] = {}  # the same by url_start
        # By domain: the site (by index) that lists it (_site_of_domains); the first if several do,
        # which validation refuses (load.py), so no file's domain hides another's.
        self._domains: dict[str, int] = {}
        for i, site in enumerate(self._sites):
            for domain in site.matcher.domains:
                self._domains.setdefault(domain, i)
        self._signed: list[tuple[_Site, Regex, int, list[str] | None]] | None = None  # (site_by_signature)
        # By signed site: its needs when each is at a line's start, without the newline, or None.
        self._starts: list[tuple[str, ...] | None] = []
        self._prefix = 0  # the longest of those: what of a line they look at
        self._cut = itemgetter(slice(0, 0))  # a line's first _prefix characters (a C call, no frame)
        # When every signed site's needs are at a line's start: one pattern for them all.
        self._any_start: re.Pattern[str] | None = None

    @classmethod
    def load(cls, roots: Iterable[Path]) -> RuleBook:
        """The rule files under ``roots``, validated; from the cache directory when the same files
        were loaded before by the same code (rules/stored.py), else read (and kept there)."""
        roots = list(roots)
        paths = [(str(path), path) for path in rule_files(roots)]
        name = stored.key(paths)
        found = stored.read(name) if name is not None else None
        if found is not None:
            return cls(*found)
        book = cls([(str(path), model) for path, model in load_rule_files(roots)])
        # Kept only if no file changed while it was read (the name is of the bytes read first).
        same = name is not None and [path for path, _ in book.files] == [shown for shown, _ in paths]
        if same and stored.key(paths) == name:
            stored.write(name, book.files, book.digest)
        return book

    @classmethod
    def load_given(cls, given: list[Path], shipped: bool = True) -> RuleBook:
        """The rule files ``given`` (with none, the shipped rules), checked as ``clean --rules``
        checks them: loaded beside the shipped rules (unless ``shipped`` is False), so a rule id,
        site name or domain that a shipped file holds too is refused (RuleError) with clean's
        message; a path inside the shipped folder is the shipped files themselves, no conflict.
        (``rules validate`` and ``rules test`` passed files that clean refused.)"""
        if not given:
            return cls.load(rule_roots([], shipped=shipped))
        whole = cls.load(rule_roots(given, shipped=shipped))
        wanted = {path.resolve() for root in given for path in rule_paths(root)}
        files = [(shown, model) for shown, model in whole.files if Path(shown).resolve() in wanted]
        return whole if len(files) == len(whole.files) else cls(files)

    @classmethod
    def empty(cls) -> RuleBook:
        return cls([])

    @property
    def sites(self) -> list[RuleSet]:
        """Every site's rule set, all compiled (rule listings and tests; a run uses ``site_for``)."""
        return [site.rules for site in self._sites]

    def site_for(self, url: str | None, head: list[str]) -> RuleSet | None:
        """The site a document belongs to: by URL when known (``site_by_url``: the most specific
        domain), else by a text signature (the first in file order). The outcome depends on the
        rule files alone, never on the documents seen before."""
        found = self.site_by_url(url) if url else None
        return found if found is not None else self.site_by_signature(head)

    def site_by_url(self, url: str, host: str | None = None) -> RuleSet | None:
        """The site of the URL; ``host``: the URL's, if known. By domain, the site of the longest
        domain that holds the host, whatever the files' order (a user's blogs.example.com file
        takes that subdomain from the shipped example.com one, listed before it); but a site
        before that one in file order whose URL glob matches the URL comes first.

        The site of the host's domain is kept by host (documents of a site share it), and, when
        the host is not given, by the URL's start (``url_start``: documents of a site share that
        too, and the host is then not read off the URL again, a regex match of the whole URL);
        only the sites before it with URL globs are tried on the URL itself."""
        start = url_start(url) if host is None else None
        site = self._by_start.get(start, -1) if start is not None else -1
        if site == -1:
            site = self._site_of_host(host_of(url) if host is None else host)
            if start is not None:
                if len(self._by_start) >= _HOSTS:
                    self._by_start.clear()
                self._by_start[start] = site
        for i in self._globbed:
            if site is not None and i >= site:
                break
            if self._sites[i].matcher.by_glob(url):
                return self._sites[i].rules
        return self._sites[site].rules if site is not None else None

    def _site_of_host(self, host: str) -> int | None:
        """The site (by index) of the longest domain that holds ``host``, or None."""
        site = self._by_host.get(host, -1)
        if site == -1:
            site = self._site_of_domains(host)
            if len(self._by_host) >= _HOSTS:
                self._by_host.clear()
            self._by_host[host] = site
        return site

    def _site_of_domains(self, host: str) -> int | None:
        """The site of the longest domain whose ``SiteMatcher.by_domain`` holds ``host``: the host
        is a domain or ends with "." and one, so a domain is the host or what follows one of its
        dots. Those are looked up from the left, longest first, and the first listed is the one
        (a host has a few dots), not every site's domains tried (a genexpr a site on a real page:
        its host is new, hosts are kept by _HOSTS but crawls have millions)."""
        domains = self._domains
        found = domains.get(host)
        dot = host.find(".")
        while found is None and dot >= 0:
            found = domains.get(host[dot + 1 :])
            dot = host.find(".", dot + 1)
        return found

    def site_by_signature(self, head: list[str]) -> RuleSet | None:
        """The first site (in file order) whose signature matches the document's first lines;
        each signature is tested only where the strings it needs occur (SiteMatcher.may_match)."""
        if self._signed is None:
            # (SiteMatcher.may_match's strings, worked out on first use: start-up time.)
            self._signed = [
                (site, site.matcher.signature, site.matcher.signature_lines, site.matcher.needs())
                for site in self._sites
                if site.matcher.signature is not None
            ]
            self._starts = [
                tuple(need[1:] for need in needs) if needs and all(need[:1] == "\n" for need in needs) else None
                for *_, needs in self._signed
            ]
            self._prefix = max((len(need) for needs in self._starts if needs for need in needs), default=0)
            self._cut = itemgetter(slice(0, self._prefix))
            if self._signed and all(needs is not None for needs in self._starts):
                every = sorted({need for needs in self._starts if needs for need in needs})
                self._any_start = re.compile("\n(?:" + "|".join(map(re.escape, every)) + ")")
        top = head[: self.head_lines]
        if top and self._any_start is not None:
            # (Most documents: one search instead of a fold of each line and a look at each site.)
            # No line of the head starts with a need of any site (folding is by character: the
            # starts folded are each start's fold, joined), and none holds a newline (more line
            # starts, looked for in the whole lines below): no site can match.
            # (The lines' starts by ``_cut`` in map: no comprehension's frame, no list.)
            cut = fold("\n" + "\n".join(map(self._cut, top)))
            if self._any_start.search(cut) is None and "\n" not in "".join(top):
                return None
        # Where a site's needs are all at a line's start (the common case), only the start of its
        # first lines matters: those folded, not the lines joined (``fold`` is by character, a
        # sigma aside, which it makes the one sigma: the start of a line folded is the start of
        # the line's fold). A line with a newline in it (a rewritten row) has more line starts.
        starts = [fold(line[: self._prefix]) for line in top] if not any("\n" in line for line in top) else None
        joined: dict[int, tuple[str, str]] = {}  # by line count: the lines joined, and folded (may_match)
        folded: list[str] | None = None
        size = len(head)
        for (site, signature, lines, needs), at_start in zip(self._signed, self._starts, strict=True):
            n = lines if lines < size else size  # (a short head: one text for every n past it)
            if at_start is not None and starts is not None:
                # SiteMatcher.may_match: a need after a newline of "\n" + the n lines joined.
                for start in starts[:n]:
                    if start.startswith(at_start):
                        break
                else:
                    if n or "" not in at_start:  # (no lines: the text is the newline alone)
                        continue
                if signature.test("\n".join(head[:n])):
                    return site.rules
                continue
            texts = joined.get(n)
            if texts is None:
                if folded is None:
                    folded = [fold(line) for line in top]
                texts = joined[n] = ("\n".join(head[:n]), fold_lines(folded, n))
            if needs is not None:  # SiteMatcher.may_match, inline (a loop: no generator per site)
                for need in needs:
                    if need in texts[1]:
                        break
                else:
                    continue
            if signature.test(texts[0]):
                return site.rules
        return None

    def rules(self) -> Iterator[Placed]:
        """Every rule, site files first, in load order."""
        by_path = {site.path: site for site in self.sites}
        ordered = sorted(self.files, key=lambda item: item[1].generic)
        for path, model in ordered:
            for rule in model.rules:
                yield Placed(path, model, rule, by_path.get(path))

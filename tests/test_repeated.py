"""Lines repeated across a site's documents: mining, --drop-repeated and `cleaner suggest`."""

from __future__ import annotations

import gzip
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest
import yaml

from bench.sites import write
from cleaner.document import Document, Line
from cleaner.io.readers import discover
from cleaner.pipeline import Pipeline
from cleaner.pipeline.mine import mine
from cleaner.pipeline.run import Target, run
from cleaner.repeated.boilerplate import Thresholds
from cleaner.repeated.counts import LineCounts
from cleaner.repeated.keys import fold, line_hash, site_hash, site_key, site_prefix
from cleaner.rules.book import RuleBook
from tests.test_cli import cli

DOCS = 500


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sites") / "sites.jsonl"
    write(path, DOCS)
    return path


def test_fold_makes_template_lines_equal() -> None:
    assert fold("Published: March 3, 2024 at 10:15") == fold("published:  May 17, 2025 at 9:05")
    assert fold("- 10,291") == fold("- 27") == "- 0"
    assert fold("Posted by Anna") != fold("Posted by Boris")


def test_site_key_is_site_then_domain_then_banner() -> None:
    lines = [Line(1, ""), Line(2, "VALLEY POST | Local news"), Line(3, "Body.")]
    assert site_key("heraldglobe", "https://www.heraldglobe.com/x", lines) == "heraldglobe"
    assert site_key(None, "https://www.dailygazette.co.uk/news/1", lines) == "dailygazette.co.uk"
    assert site_key(None, None, lines) == site_key(None, None, [Line(1, "valley post | local NEWS")])
    assert site_key(None, None, lines).startswith("sig-")
    assert (
        site_key(None, None, [Line(1, "A headline far too long to be the banner of any site: " + "words " * 6)]) is None
    )


def test_counts_spilled_to_disk_are_exact(tmp_path: Path) -> None:
    rng = random.Random(3)
    counts = LineCounts(tmp_path, buffer=50)  # many spills
    expected: Counter[tuple[int, int]] = Counter()
    for _ in range(400):
        site = site_hash(rng.choice(["a", "b", "c"]))
        # As with real hashes (the site key is hashed in), a line hash belongs to one site.
        common = [line_hash(site_prefix(str(site)), str(n)) for n in range(20)]
        hashes = sorted({rng.randrange(1 << 63) * 2 if rng.random() < 0.5 else rng.choice(common) for _ in range(8)})
        counts.add(site, hashes)
        expected.update((h, site) for h in [site, *hashes])
    assert len(list(tmp_path.iterdir())) > 1
    lines = {(h, site): docs for h, site, docs in counts.frequent(3)}
    sites = {(h, site): docs for h, site, docs in counts.frequent(3, sites=True)}
    assert lines == {pair: n for pair, n in expected.items() if n >= 3 and pair[0] != pair[1]}
    assert sites == {pair: n for pair, n in expected.items() if n >= 3 and pair[0] == pair[1]}
    assert sum(sites.values()) == counts.docs == 400
    assert counts.pairs == sum(expected.values()) - 400


def _labelled(corpus: Path, pipeline: Pipeline) -> Counter[tuple[str, str]]:
    """(label, fate) of every non-blank line: fate is "kept", "repeated" or the rule id."""
    fates: Counter[tuple[str, str]] = Counter()
    with corpus.open("rb") as handle:
        for raw in handle:
            record = orjson.loads(raw)
            cleaned = pipeline.clean(Document(record["id"], record["text"], "t", record["url"]))
            for line, label in zip(cleaned.lines, record["labels"], strict=True):
                if label == "blank":
                    continue
                fate = line.dropped_by or "kept"
                fates[label, "repeated" if fate.startswith("repeated:") else fate] += 1
    return fates


def test_drop_repeated_removes_planted_boilerplate_and_no_content(corpus: Path, pipeline: Pipeline) -> None:
    found = mine(discover([corpus]), pipeline, Thresholds())
    keys = ["dailygazette.co.uk", "metrotimes.com", "riverside-herald.net", "sig-c826b6f8", "talkgarden.org"]
    assert found.site_docs == {site_hash(key): DOCS // 5 for key in keys}
    fates = _labelled(corpus, pipeline.with_repeated(found))
    # Every planted line goes: the shipped generic rules take the kinds they know first
    # (bylines, breadcrumbs, forum stats, copyright, the newsletter pitch), the repeated step the rest.
    assert {fate: n for (label, fate), n in fates.items() if label == "boilerplate"} == {
        "repeated": 1824,
        "bylines.posted": 300,
        "newsletter.inbox": 300,
        "credits.copyright": 300,
        "forums.user-stats": 724,
        "navigation.breadcrumb": 300,
    }
    # Content quoted in several documents of a site survives (prose needs far more evidence);
    # the one content line removed is a reply quoted twice in one thread (within-document dedup).
    assert {fate: n for (label, fate), n in fates.items() if label == "content" and fate != "kept"} == {
        "dedup.repeat": 1
    }
    assert fates["content", "kept"] == 2769


def test_a_line_repeated_inside_one_thread_is_not_boilerplate(tmp_path: Path) -> None:
    """Lines count once per document: five quotes in one thread and one more elsewhere make
    two documents, under --min-docs 3; the menu line in every thread goes."""
    rng = random.Random(5)
    words = ["tomato", "bean", "frost", "compost", "slug", "mulch", "seed", "shed", "rain", "soil"]
    threads = []
    for n in range(10):
        post = " ".join(rng.choices(words, k=12)).capitalize() + "."
        threads.append({"id": str(n), "url": f"https://forum.example.org/t/{n}", "text": f"Forum menu\n\n{post}\n"})
    threads[0]["text"] += "Exactly this.\n\n" * 5
    threads[1]["text"] += "Exactly this.\n"
    data = tmp_path / "forum.jsonl"
    data.write_bytes(b"".join(orjson.dumps(t) + b"\n" for t in threads))
    pipeline = Pipeline(RuleBook.empty())
    found = mine(discover([data]), pipeline, Thresholds())
    fates = Counter()
    for thread in threads:
        cleaned = pipeline.with_repeated(found).clean(Document(thread["id"], thread["text"], "t", thread["url"]))
        fates.update((line.text, line.dropped_by) for line in cleaned.lines if not line.blank)
    assert fates["Forum menu", "repeated:example.org"] == 10
    assert fates["Exactly this.", None] == 6  # all kept (too short for within-document dedup, too)
    assert sum(n for (text, fate), n in fates.items() if text.endswith(".") and fate is not None) == 0


def test_thresholds_ask_more_of_prose() -> None:
    t = Thresholds()
    sentence = "The minister said the new rules would take effect from the first of April."
    assert t.is_prose(sentence) and not t.is_prose("Share this article: Facebook Twitter")
    assert t.passes("Share this article", docs=3, site_docs=50)
    assert not t.passes(sentence, docs=9, site_docs=10)  # 90% of documents, but only 9
    assert not t.passes(sentence, docs=40, site_docs=100)  # 40 documents, but under half
    assert t.passes(sentence, docs=60, site_docs=100)


def test_sentences_of_other_scripts_and_with_citations_are_prose() -> None:
    """Before: a sentence was 8 space-separated words ending in .!?…: a Chinese or Japanese
    sentence (no spaces, ending in 。) was one word, and an encyclopedia's sentence ending in a
    citation mark did not end like one; both went at a short line's thresholds."""
    t = Thresholds()
    assert t.is_prose("市議会は月曜日に会合を開き、来年度の予算について議論しました。")
    assert t.is_prose("这座桥建于一九二一年，是全市最古老的桥梁之一！")
    assert t.is_prose("The bridge was built in 1921 and is the oldest in the city.[3]")
    assert t.is_prose("The bridge was built in 1921 and is the oldest in the city.[12][a]")
    assert t.is_prose("「市議会は月曜日に会合を開き、来年度の予算について議論しました。」")
    assert not t.passes("市議会は月曜日に会合を開き、来年度の予算について議論しました。", docs=5, site_docs=20)
    # not prose: a short line, a line without a sentence's end, a bracket that is no citation
    assert not t.is_prose("ホーム")
    assert not t.is_prose("ニュース 天気 スポーツ 経済 政治 国際 科学 文化")
    assert not t.is_prose("Read more about the bridge and the other oldest buildings [here]")
    assert not t.is_prose("Share this article on Facebook, Twitter or by email [1]")


def test_a_headline_shared_by_documents_without_urls_is_kept(tmp_path: Path) -> None:
    """Documents without a URL are grouped by their first line when it is short (a banner).
    Before: that line is in every document of its group by construction, so three articles
    under one headline lost it as their 'site's' boilerplate. A banner still goes when a second
    line of its document repeats with it (its footer); alone (its footer taken by a rule
    before the lines are counted), it stays."""
    rng = random.Random(4)
    words = ["harbour", "council", "ferry", "storm", "market", "school", "bridge", "festival"]
    corpus = tmp_path / "txt"
    corpus.mkdir()
    bodies = [" ".join(rng.choices(words, k=14)).capitalize() + "." for _ in range(4)]
    for n, body in enumerate(bodies):
        (corpus / f"h{n}.txt").write_text(f"Storm closes the harbour bridge\n\n{body}\n", encoding="utf-8")
        (corpus / f"v{n}.txt").write_text(f"VALLEY POST | Since 1921\n\n{body}\n\nTip us off\n", encoding="utf-8")
        footer = f"RIVER POST | Since 1921\n\n{body}\n\nAdvertisement\n"  # "Advertisement": chrome.widget
        (corpus / f"r{n}.txt").write_text(footer, encoding="utf-8")
    out = tmp_path / "out" / "clean.jsonl"
    assert cli("clean", str(corpus), "--out", str(out), "--drop-repeated", "-q").returncode == 0
    cleaned = {r["id"]: r for r in map(orjson.loads, out.read_bytes().splitlines())}
    for n, body in enumerate(bodies):
        headline = cleaned[f"h{n}"]
        assert headline["text"].startswith("Storm closes the harbour bridge\n\n") and not headline["stats"]["removed"]
        (removed,) = cleaned[f"v{n}"]["stats"]["removed"].items()
        assert removed[0].startswith("repeated:sig-") and removed[1] == 2  # banner and footer
        assert cleaned[f"v{n}"]["text"] == body + "\n"
        assert cleaned[f"r{n}"]["stats"]["removed"] == {"chrome.widget": 1}
        assert cleaned[f"r{n}"]["text"] == f"RIVER POST | Since 1921\n\n{body}\n"


def test_cli_drop_repeated_tags_removals_with_any_worker_count(corpus: Path, tmp_path: Path) -> None:
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}" / "clean.jsonl"
        result = cli("clean", str(corpus), "--out", str(out), "--drop-repeated", "-j", workers, "-q")
        assert result.returncode == 0, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    first = orjson.loads(outputs[0].splitlines()[0])
    assert first["stats"]["removed"] == {
        "bylines.posted": 1,
        "navigation.breadcrumb": 1,
        "repeated:dailygazette.co.uk": 3,
        "newsletter.inbox": 1,
        "credits.copyright": 1,
    }
    diff = (tmp_path / "w1" / "reports" / f"{corpus.name}.diff").read_text(encoding="utf-8")
    assert "-The Daily Gazette\t⟨repeated:dailygazette.co.uk⟩\n" in diff


def test_suggest_writes_rule_files_that_validate_and_pass(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "suggested"
    result = cli("suggest", str(corpus), "--out", str(out), "-j", "1")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "dailygazette-co-uk.yaml",
        "metrotimes-com.yaml",
        "riverside-herald-net.yaml",
        "sig-c826b6f8.yaml",
        "talkgarden-org.yaml",
    ]
    assert "talkgarden.org" in result.stdout
    forum = yaml.safe_load((out / "talkgarden-org.yaml").read_text(encoding="utf-8"))
    assert forum["match"] == {"domains": ["talkgarden.org"]}
    # The shipped forum rules take the "Posts:"/"Joined:" user block; what is left is a post bar.
    assert ("line", "^Reply Quote Report$") in [(r["kind"], r.get("pattern")) for r in forum["rules"]]
    news = yaml.safe_load((out / "metrotimes-com.yaml").read_text(encoding="utf-8"))
    # The shipped newsletter rules take the pitch under the share bar, so the bar is a line of its own.
    assert [(r["kind"], r.get("start") or r.get("pattern")) for r in news["rules"]] == [
        ("block", "^METRO TIMES$"),
        ("line", "^Share this article: Facebook Twitter WhatsApp Email$"),
    ]
    banner = yaml.safe_load((out / "sig-c826b6f8.yaml").read_text(encoding="utf-8"))
    assert banner["match"] == {"signature": r"^VALLEY POST \| Local news that matters$", "signature_lines": 1}
    for paths in ([str(out)], [str(out), "rules"]):  # alone, and beside the shipped rules
        assert cli("rules", "validate", *paths).returncode == 0
        tested = cli("rules", "test", *paths)
        assert tested.returncode == 0 and tested.stdout.rstrip().endswith(" 0 failed"), tested.stdout
    again = cli("suggest", str(corpus), "--out", str(out), "-j", "1")
    assert again.returncode == 2 and "--overwrite" in again.stderr


def test_txt_input_is_keyed_by_its_banner(tmp_path: Path) -> None:
    rng = random.Random(9)
    words = ["harbour", "council", "ferry", "storm", "market", "school", "bridge", "festival"]
    corpus = tmp_path / "txt"
    corpus.mkdir()
    for n in range(8):
        body = " ".join(rng.choices(words, k=14)).capitalize() + "."
        text = f"HARBOUR NEWS | Since 1921\n\n{body}\n\nTip us off: news@harbour.example\n"
        (corpus / f"{n}.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out" / "clean.jsonl"
    assert cli("clean", str(corpus), "--out", str(out), "--drop-repeated", "-q").returncode == 0
    cleaned = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert len(cleaned) == 8
    (key,) = {k for record in cleaned for k in record["stats"]["removed"]}
    assert key.startswith("repeated:sig-") and all(record["stats"]["removed"][key] == 2 for record in cleaned)
    assert all(record["text"].count("\n") == 1 for record in cleaned)  # the body alone
    suggested = tmp_path / "suggested"
    assert cli("suggest", str(corpus), "--out", str(suggested)).returncode == 0
    (path,) = suggested.iterdir()
    assert cli("rules", "test", str(path)).returncode == 0


def test_cleaning_the_clean_output_again_changes_nothing(corpus: Path, tmp_path: Path, pipeline: Pipeline) -> None:
    first = tmp_path / "first" / "clean.jsonl"
    second = tmp_path / "second" / "clean.jsonl"
    run([corpus], pipeline, Target(first, first.parent / "reports"), repeated=Thresholds())
    run([first], pipeline, Target(second, second.parent / "reports"), repeated=Thresholds())
    texts = [[orjson.loads(line)["text"] for line in path.read_bytes().splitlines()] for path in (first, second)]
    assert len(texts[0]) == DOCS and texts[0] == texts[1]


def test_a_xenforo_user_block_becomes_one_block_rule(tmp_path: Path) -> None:
    """Six lines that always come together, one of them twice ("- 27" after "- Messages" and
    "- Reaction score"), with no shipped rule to take them first."""
    rng = random.Random(11)
    words = ["missile", "treaty", "border", "navy", "summit", "drone", "talks", "army"]
    threads = []
    for n in range(12):
        posts = []
        for _ in range(rng.randint(1, 3)):
            block = f"- Joined\n- {rng.choice(['Jun', 'Mar'])} {rng.randint(1, 28)}, {rng.randint(2008, 2020)}\n"
            block += f"- Messages\n- {rng.randint(1, 20000):,}\n- Reaction score\n- {rng.randint(0, 900)}\n"
            posts.append(block + " ".join(rng.choices(words, k=15)).capitalize() + ".\n")
        threads.append({"id": str(n), "url": f"https://defence.example.net/t/{n}", "text": "\n".join(posts)})
    data = tmp_path / "forum.jsonl"
    data.write_bytes(b"".join(orjson.dumps(t) + b"\n" for t in threads))
    out = tmp_path / "suggested"
    no_rules = ["--no-default-rules", "--rules", str(tmp_path / "no-rules")]
    assert cli("suggest", str(data), "--out", str(out), *no_rules).returncode == 2
    (tmp_path / "no-rules").mkdir()  # (a folder of no rule file: refused too)
    assert cli("suggest", str(data), "--out", str(out), *no_rules).returncode == 2
    result = cli("suggest", str(data), "--out", str(out), "--no-default-rules")
    assert result.returncode == 0, result.stderr
    (rule,) = yaml.safe_load((out / "example-net.yaml").read_text(encoding="utf-8"))["rules"]
    assert (rule["kind"], rule["start"], rule["max_lines"]) == ("block", "^- Joined$", 6)
    assert rule["while"] == r"^(?:-\s+[^\W\d_]+\s+\d[\d.,:]*,\s+\d[\d.,:]*|- Messages|-\s+\d[\d.,:]*|- Reaction score)$"
    assert rule["tests"][0]["output"].count("- ") == 0
    assert cli("rules", "test", str(out)).returncode == 0


def test_suggest_and_drop_repeated_report_each_broken_record_once(tmp_path: Path) -> None:
    """suggest has no cleaning pass to report what it cannot read: it reports each problem
    itself (once, though it reads its input twice) and exits 1; clean --drop-repeated, which
    mines and then cleans, reports each once too."""
    rng = random.Random(5)
    words = ["harbour", "council", "ferry", "storm", "market", "school", "bridge", "festival"]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [
        orjson.dumps(
            {
                "url": f"https://harbour.example/{n}",
                "text": f"HARBOUR NEWS | Since 1921\n\n{' '.join(rng.choices(words, k=14)).capitalize()}.\n",
            }
        )
        for n in range(8)
    ]
    records[2:2] = [b"[1, 2]"]
    records[4:4] = [b'{"body": "no text"}']
    (corpus / "a.jsonl").write_bytes(b"\n".join(records) + b"\n")
    packed = gzip.compress(b'{"text": "One."}\n{"text": "Two."}\n{"text": "Three."}\n')
    (corpus / "b.jsonl.gz").write_bytes(packed[:-8])  # no trailer: the stream ends too soon
    problems = [
        f"error: {corpus / 'a.jsonl'}:3: a JSONL record must be an object",
        f"error: {corpus / 'a.jsonl'}:5: field 'text' is missing",
        f"error: {corpus / 'b.jsonl.gz'}:4: cannot read further: "
        "Compressed file ended before the end-of-stream marker was reached",
    ]
    suggested = tmp_path / "suggested"
    result = cli("suggest", str(corpus), "--out", str(suggested), "-j", "1")
    assert result.returncode == 1
    assert result.stderr.splitlines() == problems
    assert [p.name for p in suggested.iterdir()] == ["harbour-example.yaml"]  # the rest is used
    out = tmp_path / "out" / "clean.jsonl"
    cleaned = cli("clean", str(corpus), "--out", str(out), "--drop-repeated", "-q", "-j", "1")
    assert cleaned.returncode == 1
    assert cleaned.stderr.splitlines() == problems
    assert len(out.read_bytes().splitlines()) == 11


def test_suggest_for_a_site_a_rule_file_covers_writes_a_file_usable_beside_it(tmp_path: Path) -> None:
    """The suggested file repeated the covering file's domains, so `clean --rules` refused the
    pair ("domain ... is also claimed by"): the domains become URL globs of the same hosts,
    and the description names the file to move the rules into."""
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "harbour.yaml").write_text(
        "name: harbour\ndescription: An invented site.\nmatch:\n  domains: [harbour.example]\n"
        "  signature: '^HARBOUR NEWS$'\nrules:\n  - id: harbour.banner\n    kind: line\n"
        "    description: The banner.\n    pattern: '^HARBOUR NEWS$'\n"
        '    tests: [{input: "HARBOUR NEWS\\nBody.\\n", output: "Body.\\n"}]\n',
        encoding="utf-8",
    )
    rng = random.Random(5)
    words = ["harbour", "council", "ferry", "storm", "market", "school", "bridge", "festival"]
    records = [
        {"id": str(n), "url": f"https://www.harbour.example/n/{n}",
         "text": f"HARBOUR NEWS\n{' '.join(rng.choices(words, k=14)).capitalize()}.\nTip us off at the harbour desk\n"}
        for n in range(12)
    ]  # fmt: skip
    data = tmp_path / "docs.jsonl"
    data.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    out = tmp_path / "suggested"
    result = cli("suggest", str(data), "--out", str(out), "--rules", str(sites))
    assert result.returncode == 0, result.stderr
    suggested = yaml.safe_load((out / "harbour-suggested.yaml").read_text(encoding="utf-8"))
    assert suggested["match"] == {
        "signature": "^HARBOUR NEWS$",
        "urls": ["*://harbour.example/*", "*://*.harbour.example/*"],
    }
    assert suggested["description"].endswith(
        f" {sites / 'harbour.yaml'} covers this site already: add the rules you keep to it"
        " (beside it, this file is never chosen)."
    )
    assert [r["pattern"] for r in suggested["rules"]] == ["^Tip us off at the harbour desk$"]
    tested = cli("rules", "test", str(sites), str(out))
    assert (tested.returncode, tested.stdout) == (0, "2 passed, 0 failed\n")
    done = cli("clean", str(data), "--rules", str(sites), "--rules", str(out), "--out", str(tmp_path / "o.jsonl"), "-q")
    assert (done.returncode, done.stderr) == (0, "")


def test_suggest_lists_only_sites_with_repeated_lines(tmp_path: Path) -> None:
    """Sites seen with nothing repeated (here one-document banners) were listed with 0 documents
    (mining counts only the sites of repeated lines): they are left out."""
    rng = random.Random(3)
    words = ["harbour", "council", "ferry", "storm", "market", "school", "bridge", "festival"]
    texts = [
        f"VALLEY POST\n{' '.join(rng.choices(words, k=14)).capitalize()}.\nTip us off at the desk\n" for _ in range(4)
    ]
    banners = ["NORTH LIGHT", "EAST WIND", "SOUTH GATE", "WEST BANK"]  # a site each, of one document
    texts += [f"{banner}\n{' '.join(rng.choices(words, k=14)).capitalize()}.\n" for banner in banners]
    data = tmp_path / "docs.jsonl"
    data.write_bytes(b"".join(orjson.dumps({"id": str(n), "text": t}) + b"\n" for n, t in enumerate(texts)))
    result = subprocess.run(
        [sys.executable, "-m", "cleaner", "suggest", str(data), "--out", "s", "--no-default-rules"],
        cwd=tmp_path, capture_output=True, text=True, encoding="utf-8", env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    ((key, *row),) = rows[1:]
    assert key.startswith("sig-") and row == ["4", "2", "66.7%", "2", f"s/{key}.yaml"]


def test_suggest_writes_no_file_for_a_host_no_domain_can_name(tmp_path: Path) -> None:
    """A broken URL's host ('valley post') is no ``domains`` entry validation accepts: its site is
    listed and no file written for it (it was written with that domain, which matched no page)."""
    rng = random.Random(3)
    words = ["harbour", "council", "ferry", "storm", "market", "school", "bridge", "festival"]
    records = [
        {"id": str(n), "url": f"http://valley post/{n}", "text": f"VALLEY POST\n{' '.join(rng.choices(words, k=14))}."}
        for n in range(4)
    ]
    for record in records:
        record["text"] += "\nTip us off at the desk\n"
    data = tmp_path / "docs.jsonl"
    data.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    result = subprocess.run(
        [sys.executable, "-m", "cleaner", "suggest", str(data), "--out", "s", "--no-default-rules"],
        cwd=tmp_path, capture_output=True, text=True, encoding="utf-8", env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    assert [line.split() for line in result.stdout.splitlines()[1:]] == [
        ["valley", "post", "4", "2", "66.7%", "0", "-"]
    ]
    assert not (tmp_path / "s").exists()


def test_suggest_exits_1_for_a_failed_document_when_nothing_is_repeated(tmp_path: Path) -> None:
    """A run of suggest that found nothing to suggest returned before its failures were
    counted: a page with no text and a broken record were said on stderr, and the exit code
    was 0."""
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "docs.jsonl").write_bytes(b'{"text": "The council met on Monday."}\n{"text": 1}\n')
    result = cli("suggest", str(tmp_path), "--out", str(tmp_path / "s"), "-j", "1", "-q")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'docs.jsonl'}:2: field 'text' is a number, not a string",
        f"error: {tmp_path / 'empty.html'}: found no main text",
    ]
    assert "nothing written" in result.stdout
    assert not (tmp_path / "s").exists()

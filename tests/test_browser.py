"""The review page in a real browser: headless Chromium (Debian's chromium + chromium-driver) with
selenium loads the page of a generated corpus from file://, clicks rule filters, checks what shows.
Also the page's size on a 50,000-document corpus (no browser needed)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest

from cleaner.document import Document
from cleaner.pipeline import Pipeline
from cleaner.report import html, pagedata, review

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
EVIL_ID = 'post 7\n<b>bold</b> "quoted" & <script>alert(1)</script>'
SPACED = "repeated:my site"  # a site key with a space: one rule, one filter


def _corpus(pipeline: Pipeline) -> list[Document]:
    docs = []
    for n in range(120):
        lines = [f"Report number {n} on the harbour works, which the council approved on Monday after a debate."]
        if n % 2 == 0:
            lines.append("Source: AFP")
        if n % 3 == 0:
            lines.append(f"See also  Council meeting number {n} ends in a vote")
        lines.append("The mayor said the vote was a turning point for the town.")
        docs.append(Document(f"doc-{n:03d}", "\n\n".join(lines) + "\n", f"corpus.jsonl:{n + 1}"))
    docs.append(Document("layout-only", "A line, then blank lines.\n\n\n\nAnd another.\n", "corpus.jsonl:121"))
    docs.append(Document(EVIL_ID, "An odd id, but a plain document.\n\nSource: Reuters\n", "corpus.jsonl:122"))
    return docs


def _spaced_record() -> dict[str, Any]:
    """A record whose rule id holds a space (as a site key may), made by hand: rule ids in files cannot."""
    return {
        "id": "spaced",
        "source": "corpus.jsonl:123",
        "site": None,
        "chars_in": 40,
        "chars_out": 20,
        "emptied": None,
        "removed": {SPACED: 1},
        "removed_chars": {SPACED: 20},
        "repaired": {},
        "lines": [[1, "-", SPACED, "Menu Home News Sport"], [3, " ", None, "The body of the page."]],
    }


@pytest.fixture(scope="module")
def page(pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("page")
    fragment = tmp / "000000.page"
    records = [html.section(c) for c in map(pipeline.clean, _corpus(pipeline)) if c.changed]
    pagedata.page_files([*records, _spaced_record()], fragment)
    report = tmp / "reports"
    report.mkdir()
    html.write_page(report / "index.html", [fragment])
    return report / "index.html"


def test_page_data_matches_the_corpus(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "<b>" not in text
    data = orjson.loads(text.split('<script type="application/json" id="data">')[1].split("</script>")[0])
    rules = {r["rule"]: r for r in data["rules"]}
    assert (rules["credits.source"]["lines"], rules["credits.source"]["docs"]) == (61, 61)
    assert (rules["links.see-also"]["lines"], rules["links.see-also"]["entries"]) == (40, 40)
    assert rules[SPACED]["lines"] == 1
    assert data["documents"] == 83 and data["layout_only"] == 1
    removals = [orjson.loads(line) for line in (page.parent / review.REMOVALS).read_bytes().splitlines()]
    assert [r["id"] for r in removals][-3:] == ["layout-only", EVIL_ID, "spaced"]


@pytest.mark.slow  # a scale test: `make test-slow` (CI) runs it
def test_page_of_50000_documents_is_small(tmp_path: Path) -> None:
    """The page holds the per-rule figures only: its size does not grow with the corpus."""
    fragment = tmp_path / "000000.page"
    with fragment.open("wb") as out, pagedata.removals_file(fragment).open("wb") as removals:
        page = pagedata.ShardPage(out, removals)
        for n in range(50_000):
            rule = f"site{n % 40}.banner"
            rec = {
                "id": f"doc-{n}",
                "source": f"big.jsonl:{n + 1}",
                "site": f"site{n % 40}",
                "chars_in": 300,
                "chars_out": 250,
                "emptied": None,
                "removed": {rule: 1, "credits.source": 1},
                "removed_chars": {rule: 30, "credits.source": 20},
                "repaired": {},
                "lines": [
                    [1, "-", rule, f"Banner of site {n % 40}"],
                    [3, " ", None, f"Paragraph one of document {n}, with the news of the day in it."],
                    [5, "-", "credits.source", "Source: AFP"],
                    [7, " ", None, "Paragraph two, which the rule must leave alone."],
                ],
            }
            page.add(rec)
        page.finish()
    (tmp_path / "reports").mkdir()
    html.write_page(tmp_path / "reports" / "index.html", [fragment])
    assert (tmp_path / "reports" / "index.html").stat().st_size < 2_000_000
    sample = (tmp_path / "reports" / "review" / "s0.js").read_text(encoding="utf-8")
    assert sample.startswith("cleanerLoaded('s',[0,[[")
    entries = orjson.loads(sample[len("cleanerLoaded('s',") : -3])[1]
    assert len(entries) == html.SAMPLE and {e[2] for e in entries} == {"Banner of site 0"}
    parts = sorted((tmp_path / "reports" / "review").glob("r1-*.js"))  # rule 1: credits.source
    assert len(parts) == 50  # every one of its 50,000 removals, 1,000 per file
    assert sum(p.read_text(encoding="utf-8").count(',"Source: AFP",') for p in parts) == 50_000


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None or DRIVER is None:
        pytest.skip("chromium and chromedriver not installed (apt-get install chromium chromium-driver; .ci/run does)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install '.[test]')")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--allow-file-access-from-files",
    ):
        options.add_argument(flag)
    import tempfile

    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def _wait(driver, condition, timeout: float = 10):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: condition(d))


def _button(driver, where: str, label: str):
    from selenium.webdriver.common.by import By

    found = [b for b in driver.find_elements(By.CSS_SELECTOR, f"{where} button.rule") if b.text == label]
    assert len(found) == 1, [b.text for b in driver.find_elements(By.CSS_SELECTOR, f"{where} button.rule")]
    return found[0]


def test_rule_view_in_a_browser(browser, page: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(page.as_uri())
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#docs .item"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#rules tbody tr")
    table = {r.find_element(By.TAG_NAME, "button").text: r.find_elements(By.TAG_NAME, "td")[2].text for r in rows}
    assert table["credits.source"] == "61" and table["links.see-also"] == "40" and table[SPACED] == "1"
    _button(browser, "#rules", "credits.source").click()
    items = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#rule-items .item"))
    assert len(items) == html.SAMPLE
    acted = browser.find_elements(By.CSS_SELECTOR, "#rule-items .l.this")
    assert {e.text for e in acted} == {"Source: AFPcredits.source", "Source: Reuterscredits.source"}
    note = browser.find_element(By.ID, "rule-note").text
    assert note.startswith("61 lines acted on in 61 documents; a sample of 50")
    browser.find_element(By.ID, "rule-more").click()  # every removal, from r<rule>-0.js
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rule-items .item")) == 61)
    first = browser.find_elements(By.CSS_SELECTOR, "#rule-items .item")[0]
    lines = [p.text for p in first.find_elements(By.CSS_SELECTOR, "p.l")]
    assert lines[0].startswith("Report number 0 on the harbour works") and lines[1] == "Source: AFPcredits.source"
    _button(browser, "#rules", SPACED).click()  # one rule, though its id has a space
    _wait(browser, lambda d: d.find_element(By.ID, "rule-title").text == SPACED)
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rule-items .item")) == 1)


def test_document_filters_in_a_browser(browser, page: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(page.as_uri())
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#docs .item")) == 83)
    _button(browser, "#filter", "links.see-also").click()
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#docs .item")) == 40)
    titles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#docs .item h3 a")]
    assert titles[:2] == ["doc-000", "doc-003"]
    _button(browser, "#filter", SPACED).click()
    _wait(browser, lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, "#docs .item h3 a")] == ["spaced"])
    browser.find_element(By.ID, "all").click()  # every changed document, the layout-only one too
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#docs .item")) == 83)
    layout = [e for e in browser.find_elements(By.CSS_SELECTOR, "#docs .item") if "layout-only" in e.text]
    assert "changed only by layout (blank lines, line breaks)" in layout[0].text
    evil = [a for a in browser.find_elements(By.CSS_SELECTOR, "#docs .item h3 a") if a.text.startswith("post 7")]
    assert evil[0].get_attribute("textContent") == EVIL_ID  # shown as written, nothing injected
    assert browser.find_elements(By.CSS_SELECTOR, "#docs b, #docs script") == []
    evil[0].click()  # the document view, loaded on demand
    _wait(browser, lambda d: d.find_element(By.ID, "doc-title").get_attribute("textContent").startswith("post 7\n<b>"))
    shown = [p.text for p in browser.find_elements(By.CSS_SELECTOR, "#doc-lines p")]
    assert shown == ["An odd id, but a plain document.", "Source: Reuterscredits.source"]


def test_a_repair_shows_its_original_in_a_browser(browser, tmp_path: Path) -> None:
    """A repair's entry holds its original as an edit of its changed text (review.edit); the page
    puts the original back, counting in code points (a character past the BMP before the edit)."""
    from selenium.webdriver.common.by import By

    original, text = "\U0001f600 Caf\u00e9  menu\u00a0today ", "\U0001f600 Caf\u00e9 menu today"
    rec = {
        "id": "repaired",
        "source": "corpus.jsonl:1",
        "site": None,
        "chars_in": 40,
        "chars_out": 38,
        "emptied": None,
        "removed": {},
        "removed_chars": {},
        "repaired": {"whitespace": 1},
        "lines": [[1, " ", None, "A kept line."], [2, "~", "whitespace", text, original]],
    }
    fragment = tmp_path / "000000.page"
    pagedata.page_files([rec], fragment)
    (tmp_path / "reports").mkdir()
    html.write_page(tmp_path / "reports" / "index.html", [fragment])
    browser.get((tmp_path / "reports" / "index.html").as_uri())
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#rules tbody tr"))
    _button(browser, "#rules", "whitespace").click()
    item = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#rule-items .item"))[0]
    shown = [p.get_attribute("textContent") for p in item.find_elements(By.CSS_SELECTOR, "p.l")]
    assert shown == [text + "whitespace", "was: " + original]  # no context: the line before and after


def test_a_page_past_its_budget_in_a_browser(browser, pipeline: Pipeline, tmp_path: Path) -> None:
    """Past the review budget the page keeps some documents whole (pagedata.kept_whole): it says
    so; a rule's sample still comes from every document, its "show all" from those kept whole;
    a document not kept shows why, and where its removals are."""
    from selenium.webdriver.common.by import By

    keep = pagedata.EVERY // 2
    records = [html.section(c) for c in map(pipeline.clean, _corpus(pipeline)) if c.changed]
    fragment = tmp_path / "000000.page"
    pagedata.page_files(records, fragment, keep=keep)
    (tmp_path / "reports").mkdir()
    html.write_page(tmp_path / "reports" / "index.html", [fragment])
    kept = [r for r in records if pagedata.kept_whole(r["id"], keep)]
    sourced = sum("credits.source" in r["removed"] for r in kept)
    assert 10 < len(kept) < len(records) - 10 and 0 < sourced < 61
    browser.get((tmp_path / "reports" / "index.html").as_uri())
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#docs .item")) == 82)
    totals = browser.find_element(By.ID, "totals").text
    assert f"the page keeps {len(kept)} of the documents whole, chosen by id" in totals
    _button(browser, "#rules", "credits.source").click()
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rule-items .item")) == html.SAMPLE)
    note = browser.find_element(By.ID, "rule-note").text
    assert note == (
        f"acted on in 61 documents, {sourced} lines of them in the documents the page keeps whole; "
        "a sample of 50 from every document, the same on every run:"
    )
    more = browser.find_element(By.ID, "rule-more")
    assert more.text == f"show all {sourced} in the documents kept whole"
    more.click()
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rule-items .item")) == sourced)
    gone = next(r["id"] for r in records if not pagedata.kept_whole(r["id"], keep))
    [link] = [a for a in browser.find_elements(By.CSS_SELECTOR, "#docs .item h3 a") if a.text == gone]
    link.click()
    _wait(browser, lambda d: d.find_element(By.ID, "doc-title").text.startswith(gone))
    shown = [p.text for p in browser.find_elements(By.CSS_SELECTOR, "#doc-lines p")]
    assert len(shown) == 1 and shown[0].startswith("Not kept whole on this page: the input is over the review budget")
    whole = next(r["id"] for r in kept)
    [link] = [a for a in browser.find_elements(By.CSS_SELECTOR, "#docs .item h3 a") if a.text == whole]
    link.click()
    _wait(browser, lambda d: d.find_element(By.ID, "doc-title").text.startswith(whole))
    shown = [p.text for p in browser.find_elements(By.CSS_SELECTOR, "#doc-lines p")]
    assert shown[0].startswith("Report number")

"""The datatrove step, in a real LocalPipelineExecutor run on a JSONL shard."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

pytest.importorskip("datatrove", reason="the datatrove extra is not installed")


def test_local_executor_cleans_a_shard(tmp_path: Path) -> None:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    from cleaner.datatrove import CleanerStep

    src = tmp_path / "in"
    src.mkdir()
    docs = [
        {"id": "a", "text": "Source: Example Agency\nThe minister resigned on Monday.\n", "lang": "en"},
        {"id": "b", "text": "Source: Example Agency\n", "lang": "en"},
        {"id": "c", "text": "A plain paragraph that stays as it is.\n", "lang": "de"},
    ]
    (src / "shard.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    step = CleanerStep()
    executor = LocalPipelineExecutor(
        [JsonlReader(str(src)), step, JsonlWriter(str(tmp_path / "out"))],
        tasks=1,
        logging_dir=str(tmp_path / "logs"),
    )
    executor.run()
    (written,) = sorted((tmp_path / "out").glob("*.jsonl.gz"))
    with gzip.open(written, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    assert [(r["id"], r["text"]) for r in rows] == [
        ("a", "The minister resigned on Monday.\n"),
        ("c", "A plain paragraph that stays as it is.\n"),
    ]
    assert rows[0]["metadata"]["lang"] == "en"
    assert rows[0]["metadata"]["cleaner"]["stats"]["removed"] == {"credits.source": 1}
    stats = json.loads((tmp_path / "logs" / "stats.json").read_text(encoding="utf-8"))
    (cleaner_stats,) = [s["stats"] for s in stats if s["name"].endswith("🧹 cleaner")]
    assert (cleaner_stats["documents"], cleaner_stats["removed:credits.source"], cleaner_stats["dropped"]) == (3, 2, 1)


def test_a_users_metadata_cleaner_is_kept_and_cleaners_own_is_merged() -> None:
    # The step used to overwrite metadata["cleaner"] whatever it held; now it follows the rule a
    # record's keys follow (cleaner.records): the user's value stays, cleaner's goes beside it.
    from datatrove.data import Document

    from cleaner.datatrove import CleanerStep

    text = "Source: Example Agency\nThe minister resigned on Monday.\n"
    docs = [
        Document(text=text, id="user", metadata={"cleaner": "v2 of our own cleaner", "lang": "en"}),
        Document(text=text, id="fresh", metadata={}),
    ]
    first = list(CleanerStep().run(iter(docs)))
    stats = {
        "chars_in": 56,
        "chars_out": 33,
        "lines_in": 2,
        "lines_out": 1,
        "removed": {"credits.source": 1},
        "repaired": {},
    }
    assert first[0].metadata == {
        "cleaner": "v2 of our own cleaner",
        "lang": "en",
        "cleaner_cleaner": {"site": None, "meta": {}, "stats": stats},
    }
    assert first[1].metadata == {"cleaner": {"site": None, "meta": {}, "stats": stats}}
    # cleaner's own value, cleaned again: merged, the first run's counts kept and added to
    again = Document(text=text, id="again", metadata={"cleaner": {**first[1].metadata["cleaner"], "note": "x"}})
    (out,) = CleanerStep().run(iter([again]))
    assert out.metadata == {
        "cleaner": {
            "site": None,
            "meta": {},
            "stats": {**stats, "removed": {"credits.source": 2}},
            "note": "x",
        }
    }


def test_the_step_keeps_a_url_a_rule_took_from_the_text_and_takes_one_rules_path(tmp_path: Path) -> None:
    """Before: a site rule that takes the page's address line out of the text put it in the
    record's url (command line, API) but the step dropped it; CleanerStep(rules="x.yaml") read
    each character as a path; a document with metadata=None raised AttributeError."""
    from datatrove.data import Document

    from cleaner.datatrove import CleanerStep
    from cleaner.errors import InputError

    text = (
        "NATO Foreign Ministers Unified On Russia Strategy\n20220107\n"
        "https://www.heraldglobe.com/news/272123119/nato-foreign-ministers\n"
        "The foreign ministers held a videoconference on Thursday.\n"
    )
    (doc,) = CleanerStep().run(iter([Document(text=text, id="a", metadata={})]))
    assert doc.metadata["url"] == "https://www.heraldglobe.com/news/272123119/nato-foreign-ministers"
    assert doc.metadata["cleaner"]["stats"]["removed"]["heraldglobe.url"] == 1
    given = {"url": "https://example.org/given"}  # a url the document has is kept, as a record's is
    (kept,) = CleanerStep().run(iter([Document(text=text, id="b", metadata=dict(given))]))
    assert kept.metadata["url"] == given["url"]
    credits = Path(__file__).resolve().parent.parent / "rules" / "generic" / "credits.yaml"
    step = CleanerStep(rules=str(credits), default_rules=False)
    assert step.rules == [str(credits)]
    page = "Share this article\nSource: AFP\nThe council met.\n"
    (mine,) = step.run(iter([Document(text=page, id="c", metadata=None)]))  # type: ignore[arg-type]
    assert (mine.text, mine.metadata["cleaner"]["stats"]["removed"]) == (
        "Share this article\n\nThe council met.\n",  # (chrome.widget's file not loaded; a blank for the removal)
        {"credits.source": 1},
    )
    with pytest.raises(InputError):
        CleanerStep(settings={})  # type: ignore[arg-type]

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

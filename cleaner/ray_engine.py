"""`cleaner clean --engine ray`: the same cleaning, on a Ray cluster, with Ray Data.

The input files still to clean become a Ray Dataset, one row per file; each row is cleaned by
a Ray task running exactly the local engine's code (read, clean, write the file's shard into
the run's work directory). The driver then assembles the outputs from the shards as a local
run does, so the records and reports are the same bytes. The work directory must be on a
filesystem every node reaches (a local disk for one machine, a shared mount for a cluster).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cleaner.errors import Problem, UsageError
from cleaner.parallel import clean_events, events
from cleaner.pipeline import Pipeline
from cleaner.readers import Fields, InputFile, Limits
from cleaner.workdir import Shard, WorkDir


class RayEngine:
    def __init__(self, address: str | None = None):
        self.address = address

    def __call__(
        self,
        pipeline: Pipeline,
        todo: list[tuple[int, InputFile]],
        work: WorkDir,
        fields: Fields,
        limits: Limits,
        on_failure: Callable[[Problem], None] | None,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise UsageError("--engine ray needs Ray: pip install 'cleaner[ray]'") from None
        if not ray.is_initialized():
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        # stderr is for cleaner's own diagnostics: no Ray Data progress or plan logs there.
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        ray.data.DataContext.get_current().enable_progress_bars = False
        if not todo:
            return
        rows = [{"index": i, "path": str(item.path), "rel": item.rel, "group": item.group} for i, item in todo]
        clean_file = _file_cleaner(pipeline, work.root, fields, limits)
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map(clean_file, num_cpus=1)
        for row in dataset.iter_rows():
            for failure in row["failures"]:
                if on_failure is not None:
                    on_failure(Problem(failure["file"], failure["line"], failure["message"]))


def _file_cleaner(
    pipeline: Pipeline, root: Path, fields: Fields, limits: Limits
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The function each Ray task runs on one input file (shipped to the nodes with its closure)."""

    def clean_file(row: dict[str, Any]) -> dict[str, Any]:
        from cleaner.run import consume

        item = InputFile(Path(row["path"]), row["rel"], row["group"])
        failures: list[dict[str, Any]] = []

        def failed(problem: Problem) -> None:
            failures.append({"file": problem.file, "line": problem.line, "message": problem.message})

        results = clean_events(events([(row["index"], item)], fields, limits), pipeline, workers=1)
        consume(results, lambda index, item: Shard(root, index, item), failed)
        return {"index": row["index"], "failures": failures}

    return clean_file

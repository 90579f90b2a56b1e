"""cleaner as a datatrove pipeline step (``pip install 'cleaner[datatrove]'``).

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from cleaner.datatrove import CleanerStep

    LocalPipelineExecutor([JsonlReader("in/"), CleanerStep(), JsonlWriter("out/")], tasks=4).run()

The text is cleaned in place; the lines removed per rule go to ``metadata["cleaner"]`` and to
datatrove's stats (``removed:<rule id>``), so SlurmPipelineExecutor and RayPipelineExecutor
users get cleaner where they already run their pipelines. A document that ends up empty is
dropped (counted as ``dropped``), as a datatrove filter does. A ``metadata["cleaner"]`` the
document already has is kept: merged when a cleaner run wrote it, else cleaner's goes under
``metadata["cleaner_cleaner"]`` (cleaner.records, as a record's clashing keys do)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from cleaner.api import Cleaner
from cleaner.errors import CleanerError, InputError
from cleaner.pipeline import Settings
from cleaner.records import put_step_info


class CleanerStep(PipelineStep):
    name = "🧹 cleaner"
    type = "✂️ - FORMAT"

    def __init__(
        self,
        rules: str | Path | Iterable[str | Path] | None = (),
        default_rules: bool = True,
        settings: Settings | None = None,
        keep_empty: bool = False,
    ):
        super().__init__()
        # One path, as Cleaner takes it (a string iterated was a path per character, "/" among them).
        self.rules = [str(rules)] if isinstance(rules, str | Path) else [str(r) for r in rules or ()]
        if settings is not None and not isinstance(settings, Settings):
            raise InputError(f"settings must be cleaner.pipeline.Settings, not {type(settings).__name__}", "settings")
        self.default_rules = default_rules
        self.settings = settings
        self.keep_empty = keep_empty
        self._cleaner: Cleaner | None = None  # built in the task's process, not pickled

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if self._cleaner is None:
            self._cleaner = Cleaner(self.rules, default_rules=self.default_rules, settings=self.settings)
        for doc in data:
            self.stat_update("documents")
            if doc.metadata is None:  # (a reader's document without any)
                doc.metadata = {}
            with self.track_time():
                url = doc.metadata.get("url")
                try:
                    result = self._cleaner.clean(doc.text, url if isinstance(url, str) else None, id=str(doc.id))
                except CleanerError as exc:  # a document the rules gave up on: keep it as it was
                    self.stat_update("failed")
                    put_step_info(doc.metadata, {"error": str(exc)})
                    yield doc
                    continue
            for rule, lines in result.removed.items():
                self.stat_update(f"removed:{rule}", value=lines)
            self.stat_update("chars_removed", value=sum(result.stats.removed_chars.values()))
            if not result.text and not self.keep_empty:
                self.stat_update("dropped")
                continue
            doc.text = result.text
            if result.url is not None and doc.metadata.get("url") is None:
                # A URL a rule took out of the text (a line that was only the page's address) is
                # kept, where a record keeps it (cleaner.records: filled only when null).
                doc.metadata["url"] = result.url
            info: dict[str, Any] = {"site": result.site, "meta": result.meta, "stats": result.stats.record()}
            put_step_info(doc.metadata, info)
            yield doc

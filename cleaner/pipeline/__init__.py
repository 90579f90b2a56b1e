"""The per-document pipeline (clean.py), the run that feeds it (run.py), its engines
(local.py with page.py, parallel.py, ray_engine.py), the work directory (workdir.py), and the passes built on it:
mining repeated lines (mine.py) and rule test cases (cases.py)."""

from cleaner.pipeline.clean import MAX_ROUNDS, Pipeline, Settings, split_lines

__all__ = ["MAX_ROUNDS", "Pipeline", "Settings", "split_lines"]

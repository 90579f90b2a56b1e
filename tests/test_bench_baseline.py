"""bench/baseline.py reads an older tree's own timing snippet without its package taking the
place of this tree's (both are called ``bench``)."""

from __future__ import annotations

import sys
from pathlib import Path

import bench.corpus
import bench.run
from bench.baseline import old_measure


def test_old_measure_is_the_old_tree_s_own_and_leaves_this_tree_s_bench(tmp_path: Path) -> None:
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "__init__.py").write_text("")
    (tmp_path / "bench" / "corpus.py").write_text("def write(path, docs):\n    return 0\n")
    (tmp_path / "bench" / "run.py").write_text('from bench.corpus import write\n_MEASURE = """print(1.5, 0, 0, 1)"""\n')
    assert old_measure(tmp_path) == "print(1.5, 0, 0, 1)"
    assert sys.modules["bench.run"] is bench.run
    assert sys.modules["bench.corpus"] is bench.corpus
    assert str(tmp_path) not in sys.path

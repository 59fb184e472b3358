"""Shared fixtures and markers.

* Real-data tests are marked ``realdata`` and skip (with the reason) unless ``MUJO_EDGE_DATA_DIR``
  points at the datasets; ``.ci/run`` sets it to ``../shared/data`` when that folder exists.
* Every test session uses its own window cache (a temporary ``MUJO_EDGE_CACHE_DIR``), so tests never
  read a stale cache from the user's home and runs do not depend on each other.
* ``gpu`` tests skip without CUDA.
* Under pytest-xdist (``pytest -n auto --dist loadfile --no-loadscope-reorder``, the README's test line) each test
  file runs on one process, so module fixtures are built once; a session fixture is built once per process that needs
  it; the longest files start first (:data:`LONGEST_FILES`). Each process has its own temporary folders, window cache
  and user folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from mujo_edge.paths import CACHE_ENV, DATA_ENV, HOME_ENV

REAL_DATA_DIR = os.environ.get(DATA_ENV)


#: Session fixtures that take many seconds to build (a student exported to every format, a corpus, a teacher):
#: every test that uses one is marked ``slow``.
SLOW_FIXTURES = frozenset({"exported", "student", "tiny_corpus", "teacher_and_corpus", "trained_model"})


#: The test files that take longest (``pytest --durations``, 2-core machine, 2026-12-07: 196 s, 4 × 70-90 s, 80 s + 4
#: exports, 115 s): under ``-n auto --dist loadfile --no-loadscope-reorder`` they start first, one per process, and the
#: short files fill the gaps, so the run does not end waiting on one long file.
LONGEST_FILES = ("tests/eval/test_lodo5_script.py", "tests/export/test_realdata_gate.py",
                 "tests/export/test_realdata.py", "tests/export/test_artifact_fuzz.py")


def _test_file(item: pytest.Item) -> str:
    """The test file of ``item``, relative to the repository (``tests/…/test_x.py``)."""
    return item.nodeid.split("::", 1)[0]


def _file_rank(items: list[pytest.Item]) -> dict[str, int]:
    """Order of the test files: :data:`LONGEST_FILES`, then files with a ``slow`` test, then the rest."""
    slow = {_test_file(it) for it in items if it.get_closest_marker("slow")}
    return {f: LONGEST_FILES.index(f) if f in LONGEST_FILES else len(LONGEST_FILES) + (f not in slow)
            for f in map(_test_file, items)}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_gpu = pytest.mark.skip(reason="needs a CUDA GPU")
    skip_data = pytest.mark.skip(reason=f"real datasets not available: set {DATA_ENV} (CI uses ../shared/data)")
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    rank = _file_rank(items)
    items.sort(key=lambda it: rank[_test_file(it)])  # stable: a file's tests keep their order
    for item in items:
        if "gpu" in item.keywords and not torch.cuda.is_available():
            item.add_marker(skip_gpu)
        if "realdata" in item.keywords and not (REAL_DATA_DIR and Path(REAL_DATA_DIR).is_dir()):
            item.add_marker(skip_data)


def _session_folder(tmp_path_factory: pytest.TempPathFactory, env: str, name: str) -> Iterator[Path]:
    """A fresh folder for the whole test session in ``$env``, restored afterwards."""
    path = tmp_path_factory.mktemp(name)
    old = os.environ.get(env)
    os.environ[env] = str(path)
    yield path
    if old is None:
        os.environ.pop(env, None)
    else:
        os.environ[env] = old


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh window cache for the whole test session."""
    yield from _session_folder(tmp_path_factory, CACHE_ENV, "mujo_edge_cache")


@pytest.fixture(scope="session", autouse=True)
def _session_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh user data folder (imported datasets) for the whole test session."""
    yield from _session_folder(tmp_path_factory, HOME_ENV, "mujo_edge_home")


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    """Tests run single-threaded torch: deterministic, and the test processes (one per core) share the cores fairly."""
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The real dataset root; tests using it must be marked ``realdata``."""
    if not (REAL_DATA_DIR and Path(REAL_DATA_DIR).is_dir()):
        pytest.skip(f"real datasets not available: set {DATA_ENV}")
    return Path(REAL_DATA_DIR)


def _require_dataset(name: str) -> Path:
    from mujo_edge.data import get_dataset

    if not (REAL_DATA_DIR and get_dataset(name).find_source(REAL_DATA_DIR) is not None):
        pytest.skip(f"dataset {name} not under {DATA_ENV}={REAL_DATA_DIR}")
    return Path(REAL_DATA_DIR)


@pytest.fixture
def require_dataset():
    """``require_dataset(name)`` skips the test unless dataset ``name`` is present and returns the data root.

    A fixture (not an import from this conftest) so test folders may have conftest files of their own.
    """
    return _require_dataset


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``mujo_edge.corpus`` folder of 0.03 h (21 clips of 5.12 s: 19 train, 2 val), procedural motion."""
    from mujo_edge.corpus import CorpusConfig, build_corpus

    out = tmp_path_factory.mktemp("corpus") / "tiny"
    build_corpus(out, CorpusConfig(sources=("procedural",), hours=0.03, seed=0, shard_clips=8), workers=1)
    return out

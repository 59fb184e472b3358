"""Shared fixtures and markers.

* Real-data tests are marked ``realdata`` and skip (with the reason) unless ``MUJO_EDGE_DATA_DIR``
  points at the datasets; ``.ci/run`` sets it to ``../shared/data`` when that folder exists.
* Every test session uses its own window cache (a temporary ``MUJO_EDGE_CACHE_DIR``), so tests never
  read a stale cache from the user's home and runs do not depend on each other.
* ``gpu`` tests skip without CUDA; ``hardware`` tests skip unless ``--hardware`` is given.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from mujo_edge.paths import CACHE_ENV, DATA_ENV

REAL_DATA_DIR = os.environ.get(DATA_ENV)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--hardware", action="store_true", help="run tests that need real BLE hardware")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_gpu = pytest.mark.skip(reason="needs a CUDA GPU")
    skip_hw = pytest.mark.skip(reason="needs real BLE hardware (pass --hardware)")
    skip_data = pytest.mark.skip(reason=f"real datasets not available: set {DATA_ENV} (CI uses ../shared/data)")
    for item in items:
        if "gpu" in item.keywords and not torch.cuda.is_available():
            item.add_marker(skip_gpu)
        if "hardware" in item.keywords and not config.getoption("--hardware"):
            item.add_marker(skip_hw)
        if "realdata" in item.keywords and not (REAL_DATA_DIR and Path(REAL_DATA_DIR).is_dir()):
            item.add_marker(skip_data)


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh window cache for the whole test session."""
    path = tmp_path_factory.mktemp("mujo_edge_cache")
    old = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(path)
    yield path
    if old is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = old


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    """Tests run single-threaded torch: deterministic and fair to the other CI job on the second core."""
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

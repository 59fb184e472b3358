"""Benchmarks run with ``pytest benchmarks/`` (pytest-benchmark). Real-data benchmarks need MUJO_EDGE_DATA_DIR."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture
def require_dataset():
    """``require_dataset(name)``: skip unless dataset ``name`` is under MUJO_EDGE_DATA_DIR; returns the data root."""
    from mujo_edge.data import get_dataset

    def require(name: str) -> Path:
        root = os.environ.get("MUJO_EDGE_DATA_DIR")
        if not (root and get_dataset(name).find_source(root) is not None):
            pytest.skip(f"dataset {name} not under MUJO_EDGE_DATA_DIR")
        return Path(root)

    return require


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every benchmark here reports from its measured statistics, which ``--benchmark-disable`` does not collect."""
    if config.getoption("benchmark_disable", default=False):
        skip = pytest.mark.skip(reason="the benchmarks report measured statistics; run them without --benchmark-disable")
        for item in items:
            if "benchmark" in getattr(item, "fixturenames", ()):
                item.add_marker(skip)

"""Prepare time of a real dataset: cold (parse + checksum + resample + window) and from the cache."""

from __future__ import annotations

import shutil
import tempfile

import pytest


from mujo_edge.data import DEFAULT_SPEC, get_dataset, prepare
from mujo_edge.provenance import sha256_file


@pytest.mark.parametrize("name", ["motionsense"])
@pytest.mark.parametrize("mode", ["cold", "cached"])
def test_prepare_time(benchmark, name, mode, require_dataset):
    root = require_dataset(name)
    cache = tempfile.mkdtemp(prefix="mujo_bench_cache_")
    try:
        if mode == "cached":
            prepare(name, data_root=root, cache_root=cache)

            def setup():
                return (), {}
        else:
            def setup():
                shutil.rmtree(cache, ignore_errors=True)
                return (), {}

        ws = benchmark.pedantic(lambda: prepare(name, data_root=root, cache_root=cache), setup=setup,
                                rounds=3 if mode == "cold" else 10, iterations=1)
        src = get_dataset(name).find_source(root)
        benchmark.extra_info.update({
            "dataset": name, "windows": len(ws), "spec": DEFAULT_SPEC.to_dict(), "spec_key": DEFAULT_SPEC.key(),
            "source": src.name, "source_sha256": sha256_file(src) if src.is_file() else None,
            "cached": ws.stats["cached"],
        })
        assert ws.stats["cached"] == (mode == "cached")
    finally:
        shutil.rmtree(cache, ignore_errors=True)

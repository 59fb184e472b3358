"""Edge inference: single-window latency of students, the teacher's IMU encoder and two reference peers.

Parametrized over model × backend (torch eager, ExecuTorch/XNNPACK, LiteRT, ONNX Runtime, TensorFlow Lite
Micro) × precision (fp32, static int8) × threads (1, 2); TFLite Micro runs only int8 on one thread (it is the
microcontroller library's reference-kernel interpreter, measured here on the host for comparison). One measured
call = one window ``(1, 128, 6)`` through the backend
as :mod:`mujo_edge.runtime` runs it (LiteRT int8 includes quantizing the input and dequantizing the
output on the host). ``extra_info`` records: median and p99 latency (µs), file size and sha256, peak
extra memory while the model is loaded and run (``VmHWM`` after resetting it, minus ``VmRSS`` before
loading, the runtime library already imported), parameters, conv/matmul FLOPs per window
(``torch.utils.flop_counter``, 2 × MAC), this CPU's measured one-core fp32 GEMM rate and the latency floor it
implies (FLOPs / (rate × threads), i.e. perfect scaling; the measured 2-thread rate is recorded too), the
delegation summary (ExecuTorch) and the sensor spec.

Models: ``dscnn`` and ``dscnn_tiny`` (students), ``mujo_imu`` (the teacher's IMU encoder of the ``tiny``
config + a linear head; pretrained weights when the package ships them, else random weights: latency
and size do not depend on the values), ``tinyhar_ref`` (~55 K parameters) and ``limubert_ref`` (hidden 72,
4 layers). Files are exported once per session (int8 calibrated on 64 random normalized windows: this
benchmark measures speed; accuracy parity is tested in ``tests/export``).

Run: ``pytest benchmarks/test_bench_export.py --benchmark-json edge.json`` then
``python benchmarks/edge_table.py edge.json`` for the markdown table.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch

from mujo_edge.data.spec import DEFAULT_SPEC, Normalization
from mujo_edge.errors import ExportError

MODELS = ("dscnn", "dscnn_tiny", "mujo_imu", "tinyhar_ref", "limubert_ref")
ROLE = {"dscnn": "student", "dscnn_tiny": "student", "mujo_imu": "teacher", "tinyhar_ref": "peer",
        "limubert_ref": "peer"}
BACKENDS = ("torch", "executorch", "tflite", "onnx", "tflm")
SPEC = DEFAULT_SPEC.replace(normalization=Normalization("standard", (0.0,) * 6, (1.0,) * 6))
LABELS = tuple(f"c{i}" for i in range(6))
ROUNDS, WARMUP = 400, 50


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def build_model(name: str) -> tuple[torch.nn.Module, str]:
    """Eval-mode model and where its weights came from."""
    from mujo_edge.models import build_classifier

    torch.manual_seed(0)
    if name != "mujo_imu":
        return build_classifier(name, num_classes=6).eval(), "random (latency and size only)"
    from mujo_edge.models.mujo import ImuClassifier, load_mujo, model_config

    try:
        return ImuClassifier.from_mujo(load_mujo("default"), 6).eval(), "pretrained (package default)"
    except Exception:  # no shipped weights: same architecture, random values
        return build_classifier("mujo_imu", imu=dict(model_config("tiny").imu), num_classes=6).eval(), \
            "random (latency and size only)"


@pytest.fixture(scope="session")
def cpu_gflops() -> dict[int, float]:
    """Measured fp32 GEMM rate of this CPU (1024³ matmul, best of 5) at 1 and 2 threads, GFLOP/s."""
    out = {}
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    for n in (1, 2):
        torch.set_num_threads(n)
        a @ b
        best = min(_timed(lambda: a @ b) for _ in range(5))
        out[n] = 2 * 1024 ** 3 / best / 1e9
    torch.set_num_threads(1)
    return out


def _timed(fn) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


class Artifacts:
    """Models and exported files, built on first use and reused for the whole session."""

    def __init__(self, root: Path) -> None:
        self.root, self.models, self.files = root, {}, {}

    def model(self, name: str) -> tuple[torch.nn.Module, str]:
        if name not in self.models:
            self.models[name] = build_model(name)
        return self.models[name]

    def file(self, name: str, fmt: str, precision: str) -> tuple[Path, dict]:
        key = (name, fmt, precision)
        if key not in self.files:
            from mujo_edge.export.backends import BACKENDS as EXPORTERS
            from mujo_edge.artifacts.sidecar import build_sidecar, write_sidecar
            from mujo_edge.models.students import fold_batchnorm

            model, _ = self.model(name)
            backend = EXPORTERS.get(fmt)
            # the export's own file name, so the TFLite Micro file (*_tflm.tflite) never replaces the LiteRT .tflite
            path = self.root / backend.file_name(name, precision)
            calib = np.random.default_rng(0).normal(0, 1, (64, 128, 6)).astype(np.float32) if precision == "int8" else None
            t0 = time.perf_counter()
            details = backend.export(fold_batchnorm(model), torch.zeros(1, 128, 6), calib, path)
            details["export_seconds"] = round(time.perf_counter() - t0, 1)
            meta = build_sidecar(path, backend.runtime, precision, SPEC, LABELS, {"name": name}, {"path": "benchmark"},
                                 io=details.get("io"))
            extra = backend.finalize(path, meta)  # TFLite Micro: the measured arena the runtime loads with
            if extra is not None:
                meta[fmt] = extra
                details["arena_bytes"] = extra["arena_bytes"]
            write_sidecar(path, meta)
            self.files[key] = (path, details)
        return self.files[key]


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Artifacts:
    return Artifacts(tmp_path_factory.mktemp("edge_bench"))


def _import_runtime(backend: str) -> None:
    if backend == "executorch":
        from executorch.runtime import Runtime

        Runtime.get()
    elif backend == "tflite":
        from ai_edge_litert.interpreter import Interpreter  # noqa: F401
    elif backend == "onnx":
        import onnxruntime  # noqa: F401
    elif backend == "tflm":
        from tflite_micro.python.tflite_micro import runtime  # noqa: F401


def flops_per_window(model: torch.nn.Module) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as fc, torch.no_grad():
        model(torch.zeros(1, 128, 6))
    return int(fc.get_total_flops())


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("precision", ["fp32", "int8"])
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", MODELS)
def test_window_latency(benchmark, artifacts, cpu_gflops, name, backend, precision, threads) -> None:
    from mujo_edge.models.classifiers import count_parameters
    from mujo_edge.provenance import sha256_file

    if backend == "torch" and precision == "int8":
        pytest.skip("eager PyTorch is the fp32 reference; int8 runs through the exported files")
    if backend == "tflm" and (precision == "fp32" or threads > 1):
        pytest.skip("TensorFlow Lite Micro runs fully int8 models on one thread")
    model, weights = artifacts.model(name)
    x = np.random.default_rng(1).normal(0, 1, (1, 128, 6)).astype(np.float32)
    info = {"model": name, "role": ROLE[name], "backend": backend, "precision": precision, "threads": threads,
            "weights": weights, "parameters": count_parameters(model), "sensor_spec": SPEC.to_dict()}
    reset_ok = _reset_peak()
    rss0 = _status("VmRSS")
    clf = None
    if backend == "torch":
        torch.set_num_threads(threads)
        xt = torch.from_numpy(x)

        def call() -> None:
            with torch.no_grad():
                model(xt)
    else:
        from mujo_edge.runtime import load

        try:
            path, details = artifacts.file(name, backend, precision)
        except ExportError as exc:  # e.g. an op TensorFlow Lite Micro cannot register (the LSTM of tinyhar_ref)
            pytest.skip(f"{name} does not export to {backend}: {str(exc)[:200]}")
        _import_runtime(backend)  # count the model's own memory, not the runtime library's first import
        reset_ok = _reset_peak()
        rss0 = _status("VmRSS")
        clf = load(path, threads=threads)
        info.update(file=path.name, file_bytes=path.stat().st_size, file_sha256=sha256_file(path),
                    delegation=details.get("delegation"), export_seconds=details.get("export_seconds"),
                    arena_bytes=details.get("arena_bytes"))

        def call() -> None:
            clf._run_one(x)
    for _ in range(WARMUP):
        call()
    if reset_ok:
        info["peak_extra_memory_bytes"] = max(0, _status("VmHWM") - rss0)
        info["process_peak_rss_bytes"] = _status("VmHWM")
    try:
        benchmark.pedantic(call, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    finally:
        if clf is not None:
            clf.close()
        torch.set_num_threads(1)
    data = np.asarray(benchmark.stats.stats.data) * 1e6
    flops = flops_per_window(model)
    rate = cpu_gflops[1] * threads  # ideal scaling of the measured one-core rate (the 2-thread measurement is recorded)
    floor_us = flops / (rate * 1e9) * 1e6
    info.update(median_us=round(float(np.median(data)), 2), p99_us=round(float(np.percentile(data, 99)), 2),
                flops_per_window=flops, cpu_fp32_gemm_gflops=round(cpu_gflops[1], 1),
                cpu_fp32_gemm_gflops_measured_at_threads=round(cpu_gflops[threads], 1), flop_floor_us=round(floor_us, 3),
                median_over_floor=round(float(np.median(data)) / floor_us, 1))
    benchmark.extra_info.update(info)


SIDE_BY_SIDE = ("executorch", "tflite", "onnx")
BLOCKS, BLOCK_CALLS = 40, 50
TARGET_US = 30.0  # issue 13: every desktop backend at or under 30 µs per window on one core


@pytest.mark.parametrize("name", ["dscnn", "dscnn_tiny"])
def test_int8_backends_side_by_side(benchmark, artifacts, cpu_gflops, name) -> None:
    """The int8 student on ExecuTorch, LiteRT and ONNX Runtime in interleaved blocks, one thread.

    On a shared (virtual) machine the speed of a core changes for seconds at a time (measured here: the same
    file at ~20 µs, then ~30 µs, then ~20 µs again); separate tests would give whichever backend happened to
    run in a slow spell a worse figure. Here every backend runs ``BLOCK_CALLS`` windows in turn, ``BLOCKS``
    times, in a rotating order, so all see the same spells. ``extra_info["side_by_side"]`` holds each
    backend's median and p99 over all its calls (µs), the median over the FLOP floor and whether it meets
    ``TARGET_US``; the measured call of the benchmark itself is one window through each backend in turn.
    """
    from mujo_edge.runtime import load

    model, _ = artifacts.model(name)
    x = np.random.default_rng(1).normal(0, 1, (1, 128, 6)).astype(np.float32)
    clfs = {}
    try:
        for backend in SIDE_BY_SIDE:
            _import_runtime(backend)
            clfs[backend] = load(artifacts.file(name, backend, "int8")[0], threads=1)
        samples: dict[str, list[float]] = {b: [] for b in SIDE_BY_SIDE}
        for clf in clfs.values():
            for _ in range(WARMUP):
                clf._run_one(x)
        for k in range(BLOCKS):
            r = k % len(SIDE_BY_SIDE)
            for backend in SIDE_BY_SIDE[r:] + SIDE_BY_SIDE[:r]:
                run_one, out = clfs[backend]._run_one, samples[backend]
                for _ in range(BLOCK_CALLS):
                    t0 = time.perf_counter()
                    run_one(x)
                    out.append(time.perf_counter() - t0)
        benchmark.pedantic(lambda: [c._run_one(x) for c in clfs.values()], rounds=100, iterations=1, warmup_rounds=0)
    finally:
        for clf in clfs.values():
            clf.close()
    flops = flops_per_window(model)
    floor_us = flops / (cpu_gflops[1] * 1e9) * 1e6
    table = {}
    for backend, s in samples.items():
        us = np.asarray(s) * 1e6
        med = float(np.median(us))
        table[backend] = {"median_us": round(med, 2), "p99_us": round(float(np.percentile(us, 99)), 2),
                          "calls": int(us.size), "median_over_floor": round(med / floor_us, 1),
                          "meets_target": bool(med <= TARGET_US)}
    benchmark.extra_info.update(model=name, role=ROLE[name], side_by_side=table, target_us=TARGET_US, threads=1,
                                flops_per_window=flops, flop_floor_us=round(floor_us, 3),
                                cpu_fp32_gemm_gflops=round(cpu_gflops[1], 1))

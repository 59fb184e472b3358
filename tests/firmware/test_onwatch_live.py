"""``live --simulate ... --on-watch``: the simulated watch classifies on board with the exported TFLite Micro model and
sends results over the real bleak client; the results equal desktop inference on the same recording."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ble_available() -> None:
    if shutil.which("dbus-daemon") is None and not Path("/usr/bin/dbus-daemon").exists():
        pytest.skip("dbus-daemon is not installed (apt package 'dbus')")
    pytest.importorskip("bleak", reason="the BLE tests need the 'ble' extra (bleak, dbus-fast)")
    pytest.importorskip("dbus_fast", reason="the BLE tests need the 'ble' extra (bleak, dbus-fast)")
    pytest.importorskip("tflite_micro", reason="on-watch classification runs the tflite-micro interpreter")


@pytest.fixture(scope="module")
def tflm_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dscnn_tiny student of the simulated watch's synthetic signal, exported with --format tflm --int8."""
    import torch

    from mujo_edge.data.synthetic import synthetic_windows
    from mujo_edge.export import ExportConfig, export_checkpoint
    from mujo_edge.train.distill import DistillConfig, run_distill

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("onwatch")
    synthetic_windows().save(root / "windows.npz")
    run_distill(DistillConfig(student="dscnn_tiny", source=f"windows:{root / 'windows.npz'}", max_steps=200), root / "student")
    (res,) = export_checkpoint(root / "student", root / "edge", ExportConfig(formats=("tflm",), int8=True, calib_windows=256))
    return res.path


def run_on_watch(model: Path, windows: int, seconds: float = 90.0, samples: bool = False, **sim_kw):  # noqa: ANN003, ANN201
    """A session with the real bleak client against the simulated watch classifying on board."""
    from mujo_edge.firmware_bridge.client import ClientConfig
    from mujo_edge.firmware_bridge.live import session
    from mujo_edge.firmware_bridge.pipeline import PipelineConfig
    from mujo_edge.firmware_bridge.sim.process import SimulatedWatch
    from mujo_edge.firmware_bridge.sim.watch import WatchSimConfig
    from mujo_edge.runtime import load

    clf = load(model)
    sim_cfg = WatchSimConfig(model=str(model), **sim_kw)

    async def go():  # noqa: ANN202
        stop, made = asyncio.Event(), [0]

        def counted(_p) -> None:  # noqa: ANN001
            made[0] += 1
            if made[0] >= windows:
                stop.set()

        client = ClientConfig(target=sim_cfg.name, scan_timeout_s=5.0, on_watch=True, on_watch_samples=samples)
        return await session(clf, client, PipelineConfig(), seconds, counted, stop)

    with SimulatedWatch(sim_cfg) as sim:
        pipeline = asyncio.run(go())
    return pipeline, sim.stats, clf


def desktop_windows(info: dict, preds: list, window: int) -> np.ndarray:
    """The SI windows the watch classified, rebuilt on the desktop from the same recording: the simulated
    watch's own resampling of the source, its int16 counts, and the host's decoding of them."""
    from mujo_edge.data.preprocess import to_rate
    from mujo_edge.data.refs import load_recording
    from mujo_edge.firmware_bridge import protocol as P

    rec, _ = load_recording(info["source"])
    x, _, _ = to_rate(rec, 50.0, P.FORMAT_CHANNELS[P.Format.IMU6])
    si = (P.quantize(x, P.Format.IMU6, 8, 2000) * P.si_scale(P.Format.IMU6, 8, 2000)).astype(np.float32)
    out = []
    for p in preds:
        end_us = (p.t_end_device_s * 1e6 - info["source0_us"]) % info["time_modulo_us"]
        end = int(round(end_us * 50.0 / 1e6))
        out.append(si[np.arange(end - window + 1, end + 1) % len(si)])
    return np.stack(out)


def test_on_watch_results_equal_desktop_inference_on_the_same_recording(ble_available, tflm_model):
    pipeline, stats, clf = run_on_watch(tflm_model, windows=8)
    preds = pipeline.predictions
    s = pipeline.summary()
    assert len(preds) >= 8 and s["samples"]["received"] == 0  # results only: no sample crossed the link
    assert stats["on_board"]["results"] >= len(preds) and s["packets"]["corrupt"] == 0 and s["packets"]["missing"] == 0
    assert s["latency_ms"]["p50"] is not None and s["status"] == "ok"
    watch = np.array([int(np.argmax(p.probs)) for p in preds])
    x = desktop_windows(stats, preds, clf.spec.window)
    desktop_tflm = clf.predict(x)  # the same file in the TFLite Micro interpreter on the desktop
    assert np.array_equal(watch, desktop_tflm)
    meta = json.loads(Path(str(tflm_model) + ".json").read_text())
    from mujo_edge.runtime.file_backends import load_litert

    lite = load_litert(tflm_model, meta, spec=clf.spec, label_names=clf.label_names)  # LiteRT's kernels
    assert np.mean(watch == lite.predict(x)) >= 0.85
    conf = np.array([p.confidence for p in preds])
    assert np.all((conf > 0) & (conf <= 1))


def test_results_are_counted_like_packets_under_faults(ble_available, tflm_model):
    from mujo_edge.firmware_bridge.sim.watch import FaultConfig

    pipeline, stats, _ = run_on_watch(tflm_model, windows=14, seconds=120,
                                      faults=FaultConfig(loss=0.15, duplicate=0.1, corrupt=0.1, seed=3),
                                      float_confidence=True)
    s = pipeline.summary()
    st = stats["stats"]
    assert st.get("fault_lost", 0) + st.get("fault_corrupted", 0) > 0
    assert s["packets"]["corrupt"] == st.get("fault_corrupted", 0)
    assert s["packets"]["duplicate"] == st.get("fault_duplicated", 0)
    assert s["packets"]["missing"] >= st.get("fault_lost", 0)
    assert s["windows"]["predicted"] == len(pipeline.predictions) >= 14 - s["packets"]["missing"] - s["packets"]["corrupt"]


def test_results_beside_samples(ble_available, tflm_model):
    """START format 0x81: the watch streams its samples and sends its results; the host records the samples and
    shows the watch's classes (it does not classify the same windows a second time)."""
    pipeline, stats, _ = run_on_watch(tflm_model, windows=4, samples=True)
    s = pipeline.summary()
    assert s["samples"]["received"] > 4 * 64 and s["samples"]["lost"] == 0
    assert s["windows"]["predicted"] == len(pipeline.predictions) >= 4
    assert len(pipeline.predictions) <= stats["on_board"]["results"]
    assert all(p.inference_s == 0.0 for p in pipeline.predictions)  # every prediction came from the watch


def test_a_watch_running_another_model_is_refused(ble_available, tflm_model, tmp_path):
    """The watch's model record must match the host's sidecar (first bytes of the model file's sha256)."""
    from mujo_edge.artifacts.sidecar import write_sidecar
    from mujo_edge.errors import BridgeError

    other = tmp_path / tflm_model.name
    shutil.copy(tflm_model, other)
    meta = json.loads(Path(str(tflm_model) + ".json").read_text())
    write_sidecar(other, meta)
    host_meta = dict(meta, sha256="00" * 32)
    from mujo_edge.firmware_bridge.results import ModelRecord
    from mujo_edge.errors import ProtocolError

    with pytest.raises(ProtocolError, match="the watch runs model"):
        ModelRecord.for_sidecar(meta).check(host_meta)
    with pytest.raises(BridgeError):  # a checkpoint-like classifier without a sidecar cannot be checked
        from mujo_edge.firmware_bridge.results import start_results

        asyncio.run(start_results(object(), {}, None, {}))


def test_cli_live_on_watch(ble_available, tflm_model, capsys):
    from mujo_edge.cli.main import run

    code = run(["live", "--simulate", "synthetic", "--model", str(tflm_model), "--on-watch", "--windows", "4",
                "--duration", "90", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    assert summary["windows"]["predicted"] >= 4 and summary["samples"]["received"] == 0
    view = [ln for ln in captured.err.splitlines() if ln.startswith("#")]
    assert len(view) == summary["windows"]["predicted"] and "latency" in view[0]
    assert "accuracy_vs_source" in summary  # the source's first class ("rest") is not one of the model's: maybe 0 scored

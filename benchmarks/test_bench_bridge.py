"""BLE bridge: end-to-end latency and CPU use through the simulated watch with the real bleak client,
and decoder throughput.

Run: ``pytest benchmarks/test_bench_bridge.py --benchmark-json=bridge.json`` (about 3 minutes). Every
latency run streams ``SECONDS`` of the synthetic signal from the simulated watch (own process, fake
BlueZ on a private D-Bus) into the real bleak client and the live pipeline with a small trained CNN
(checkpoint, one inference thread). ``extra_info`` holds the figures: latency as the pipeline
estimates it and as the simulator's clock says (true sample time → prediction), inference time,
loss counts and CPU use of the client, the simulator and the bus daemon.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest

from mujo_edge.data.spec import DEFAULT_SPEC
from mujo_edge.firmware_bridge import polar
from mujo_edge.firmware_bridge import protocol as P
from mujo_edge.provenance import sha256_file

SECONDS = 20.0
RATES = (50.0, 100.0, 200.0)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """``models(rate)``: a small CNN trained on the synthetic signal at ``rate`` Hz (window 128, hop 16), cached."""
    from mujo_edge.quickstart.live import train_fallback_model

    root = tmp_path_factory.mktemp("bridge_models")
    cache: dict[float, Path] = {}

    def get(rate: float) -> Path:
        if rate not in cache:
            cache[rate] = train_fallback_model(root / f"cnn_{rate:g}hz", max_steps=40,
                                               spec=DEFAULT_SPEC.replace(rate_hz=rate, hop=16))
        return cache[rate]

    return get


@pytest.mark.parametrize("model_rate", ["device", 50.0])
@pytest.mark.parametrize("device_rate", RATES)
def test_end_to_end_latency(benchmark, models, device_rate, model_rate):
    import shutil

    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon is not installed")
    from mujo_edge.firmware_bridge.client import ClientConfig
    from mujo_edge.firmware_bridge.live import load_model, session, true_latencies_s
    from mujo_edge.firmware_bridge.accounting import percentiles_ms
    from mujo_edge.firmware_bridge.pipeline import PipelineConfig
    from mujo_edge.firmware_bridge.sim.process import SimulatedWatch
    from mujo_edge.firmware_bridge.sim.watch import WatchSimConfig

    mrate = device_rate if model_rate == "device" else model_rate
    path = models(mrate)
    clf = load_model(path)
    sim_cfg = WatchSimConfig(rates_hz=(device_rate,))
    out = {}

    def run() -> None:
        with SimulatedWatch(sim_cfg) as sim:
            cpu0, wall0 = time.process_time(), time.monotonic()
            other0 = sim.cpu_seconds()
            pipe = asyncio.run(session(clf, ClientConfig(sim_cfg.name, rate_hz=device_rate), PipelineConfig(),
                                       SECONDS))
            wall = time.monotonic() - wall0
            cpu = time.process_time() - cpu0
            other = sim.cpu_seconds()
        out.update(pipe=pipe, wall=wall, cpu=cpu, other={k: (other[k] or 0) - (other0[k] or 0) for k in other},
                   info=sim.stats)

    benchmark.pedantic(run, rounds=1, iterations=1)
    s = out["pipe"].summary()
    true_lat = true_latencies_s(out["pipe"].predictions, out["info"])
    benchmark.extra_info.update({
        "device_rate_hz": device_rate, "model_rate_hz": mrate, "seconds": SECONDS,
        "spec": clf.spec.to_dict(), "model_sha256": sha256_file(Path(path) / "model.safetensors"),
        "latency_ms": s["latency_ms"], "true_latency_ms": percentiles_ms(true_lat),
        "inference_ms": s["inference_ms"], "resampler_lookahead_ms": s["resampler_lookahead_ms"],
        "windows": s["windows"]["predicted"], "samples_received": s["samples"]["received"],
        "samples_lost": s["samples"]["lost"], "packets_missing": s["packets"]["missing"],
        "queue_drops": s["packets"]["queue_drops"], "effective_rate_hz": s["rate_hz"]["effective"],
        "cpu_percent": {"client": round(100 * out["cpu"] / out["wall"], 1),
                        **{k: round(100 * v / out["wall"], 1) for k, v in out["other"].items()}},
    })
    assert s["windows"]["predicted"] > 0 and s["samples"]["lost"] == 0


def _packets(kind: str, n: int = 1000) -> tuple[list[bytes], object, int]:
    rng = np.random.default_rng(0)
    if kind.startswith("mujo"):
        batch = int(kind.rsplit("b", 1)[1])
        pkts = [P.encode_packet(P.Format.IMU6, i, i * 40_000, rng.integers(-3000, 3000, (batch, 6)).astype(np.int16))
                for i in range(n)]
        return pkts, P.MujoDecoder(50.0), batch
    batch = 36
    walk = np.cumsum(rng.integers(-40, 41, (n, batch, 3)), axis=1) + 1000
    enc = polar.encode_raw_frame if kind == "polar_raw" else polar.encode_delta_frame
    pkts = [enc(10**15 + i * 10**9, walk[i]) for i in range(n)]
    return pkts, polar.PolarDecoder(52.0), batch


@pytest.mark.parametrize("kind", ["mujo_imu6_b2", "mujo_imu6_b19", "polar_raw", "polar_delta"])
def test_decoder_throughput(benchmark, kind):
    pkts, dec, batch = _packets(kind)
    benchmark(lambda: [dec.decode(p) for p in pkts])
    mean = benchmark.stats.stats.mean
    benchmark.extra_info.update({"packets_per_call": len(pkts), "samples_per_packet": batch,
                                 "bytes_per_packet": len(pkts[0]),
                                 "packets_per_s": round(len(pkts) / mean), "samples_per_s": round(len(pkts) * batch / mean)})

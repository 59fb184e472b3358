"""Pretraining throughput: one full step (batch building + forward + backward + AdamW) per measured call.

Parametrized over model config × device × batch size × execution (``eager``; ``compile`` = the step through
``torch.compile``, ``PretrainConfig.compile``) × SSL batch (``none``; ``pools`` = MuJo plus a 64-window
contrastive batch of unlabelled real-like IMU per step, as ``pretrain --pools`` runs it; its windows are
not counted as clips). ``extra_info`` records clips per second, the
model's forward+backward FLOPs per clip (``torch.utils.flop_counter``), the achieved FLOP rate and its
share of the device's measured dense-matmul rate in the same precision (the FLOP-limited rate), the
peak GPU memory on CUDA, and the sensor spec. Synthetic clips of the corpus's shapes (256 samples at
19 sites, 22 joints, 16×64×64 video) are used, so the figure is the model's, not the disk's.
Run: ``pytest benchmarks/test_bench_pretrain.py`` (CUDA cases skip without a GPU).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mujo_edge.data.spec import DEFAULT_SPEC
from mujo_edge.models import create_model
from mujo_edge.models.losses import PairwiseInfoNCE
from mujo_edge.placements import PLACEMENTS
from mujo_edge.data.pools import Pool
from mujo_edge.train.clips import BatchMaker, ClipTable, fit_imu_normalization
from mujo_edge.train.pool_batches import PoolBatchMaker, PoolSampler, StepBatches
from mujo_edge.train.pretrain import model_flops_per_sample, param_groups, train_step


def matmul_tflops(device: str, dtype: torch.dtype, n: int = 4096, reps: int = 20) -> float:
    """This device's dense matmul rate (TFLOP/s) for ``dtype``: the FLOP-limited rate the model's share is taken of."""
    import time

    n = n if device == "cuda" else 1024
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    return 2 * n**3 * reps / (time.perf_counter() - t) / 1e12


def synthetic_table(n: int, text_dim: int = 384, seed: int = 0) -> ClipTable:
    rng = np.random.default_rng(seed)
    t, s, j = 256, len(PLACEMENTS), 22
    imu = rng.normal(0, 2, (n, t, s, 6)).astype(np.float32)
    imu[..., 2] += 9.81
    table = ClipTable(imu=imu, sites=PLACEMENTS, pose=rng.normal(0, 0.3, (n, t, j, 3)).astype(np.float32),
                      video=rng.integers(0, 256, (n, 16, 64, 64), dtype=np.uint8), has_pose=np.ones(n, bool),
                      has_video=np.ones(n, bool), captions=tuple(f"caption {i}" for i in range(n)),
                      clip_captions=[np.asarray([i]) for i in range(n)], labels=("x",) * n,
                      clip_ids=tuple(str(i) for i in range(n)))
    table.text = torch.nn.functional.normalize(torch.randn(n, text_dim), dim=1)
    return table


def synthetic_pool(hours: float = 0.2, seed: int = 0) -> Pool:
    """An unlabelled pool of one recording per minute at 50 Hz (gait-like noise around gravity)."""
    rng = np.random.default_rng(seed)
    n = int(hours * 3600 * 50)
    x = rng.normal(0, 2, (n, 6)).astype(np.float32)
    x[:, 2] += 9.81
    bounds = np.asarray([(i, min(n, i + 3000)) for i in range(0, n, 3000)], dtype=np.int64)
    return Pool("synthetic", "hip_right", 50.0, tuple(DEFAULT_SPEC.channels), x, bounds,
                np.asarray([str(i % 5) for i in range(len(bounds))]), np.ones(6, bool))


@pytest.mark.parametrize("config", ["tiny", "base"])
@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("batch", [64, 256])
@pytest.mark.parametrize("execution", ["eager", "compile"])
@pytest.mark.parametrize("ssl", ["none", "pools"])
def test_pretrain_step(benchmark, config: str, device: str, batch: int, execution: str, ssl: str) -> None:
    if device == "cuda" and not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    if device == "cpu" and (config == "base" or batch > 64):
        pytest.skip("CPU: tiny at batch 64 only (base is a GPU config)")
    torch.manual_seed(0)
    table = synthetic_table(max(2 * batch, 128))
    spec = DEFAULT_SPEC.replace(normalization=fit_imu_normalization(table))
    model = create_model(config, **({"ssl": {"objective": "contrastive"}} if ssl == "pools" else {})).to(device)
    pool = (PoolBatchMaker(PoolSampler([synthetic_pool()], 180), spec, model.ssl_cfg, 64) if ssl == "pools" else None)
    maker = StepBatches(BatchMaker(table, spec, batch), pool)
    net = torch.compile(model) if execution == "compile" else model
    loss_fn = PairwiseInfoNCE(model.cfg.pairs)
    fused = {"fused": True} if device == "cuda" else {}
    opt = torch.optim.AdamW(param_groups(model, 0.05), lr=1e-3, **fused)
    use_bf16 = device == "cuda"
    autocast = lambda: torch.autocast(device, dtype=torch.bfloat16, enabled=use_bf16)  # noqa: E731
    steps = iter(range(10**9))

    def one_step() -> float:
        b = {k: v.to(device, non_blocking=True) for k, v in maker(next(steps)).items()}
        loss, _ = train_step(net, model, b, loss_fn, opt, autocast, grad_clip=1.0)
        if device == "cuda":
            torch.cuda.synchronize()
        return float(loss.detach())

    for _ in range(2):  # warm-up (cuDNN autotune, allocator; compilation)
        one_step()
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    loss = benchmark.pedantic(one_step, rounds=5 if device == "cpu" else 20, iterations=1)
    assert math.isfinite(loss)
    sec = benchmark.stats.stats.median
    flops = model_flops_per_sample(model, {k: v.to(device) for k, v in maker(0).items()})  # SSL windows included
    achieved = flops * batch / sec / 1e12
    peak = matmul_tflops(device, torch.bfloat16 if use_bf16 else torch.float32)
    benchmark.extra_info.update({
        "config": config, "device": device, "batch": batch, "threads": torch.get_num_threads(),
        "execution": execution, "ssl": ssl,
        "clips_per_second": batch / sec, "flops_per_clip_fwd_bwd": flops, "achieved_tflops": achieved,
        "matmul_peak_tflops": peak, "share_of_matmul_peak": achieved / peak,
        "gpu_peak_mem_gb": torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else None,
        "gpu": torch.cuda.get_device_name() if device == "cuda" else None, "precision": "bf16" if use_bf16 else "fp32",
        "parameters": sum(p.numel() for p in model.parameters()), "spec": spec.to_dict(), "spec_key": spec.key(),
    })

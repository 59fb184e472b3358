"""Distributed data parallel helpers (``torchrun --nproc-per-node K -m mujo_edge.cli pretrain ...``).

torchrun sets ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``; :func:`init_distributed` reads them and
starts a process group (NCCL with CUDA, gloo on CPU). Without them everything runs in one process.
:func:`gather_with_grad` concatenates a tensor from every rank keeping the gradient path, so the
contrastive loss sees every rank's clips as negatives (open_clip's ``gather_with_grad``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import torch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the job."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """True on rank 0 (the one that logs and writes checkpoints)."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """True with more than one process."""
        return self.world > 1


def init_distributed(use_cuda: bool) -> DistInfo:
    """Start the process group if launched by torchrun (``WORLD_SIZE > 1``); else a single-process DistInfo."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    import torch.distributed as dist

    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        backend = "nccl" if use_cuda else "gloo"
        if use_cuda:
            torch.cuda.set_device(local)
        dist.init_process_group(backend=backend)
        log.info("process group %s: rank %d of %d (local %d)", backend, rank, world, local)
    return DistInfo(rank=rank, world=world, local_rank=local)


def barrier(info: DistInfo) -> None:
    """Wait for every rank (no-op in one process)."""
    if info.distributed:
        import torch.distributed as dist

        dist.barrier()


def cleanup(info: DistInfo) -> None:
    """Destroy the process group (no-op in one process)."""
    if info.distributed:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()


class _GatherWithGrad(torch.autograd.Function):
    """All-gather along dim 0; the backward pass sums the gradient over ranks and returns this rank's slice.

    Every rank computes the same loss over the gathered batch, so the summed gradient of a rank's
    slice, averaged again by DDP over ranks, equals the gradient of that one loss (open_clip's scheme).
    Needs the same ``b`` on every rank. Public ``torch.distributed`` calls only (torch ≥ 2.0).
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        import torch.distributed as dist

        parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x.contiguous())
        ctx.rank, ctx.b = dist.get_rank(), x.shape[0]
        return torch.cat(parts, dim=0)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        import torch.distributed as dist

        grad = grad.contiguous().clone()
        dist.all_reduce(grad)
        return grad[ctx.rank * ctx.b:(ctx.rank + 1) * ctx.b]


def gather_with_grad(x: torch.Tensor, info: DistInfo) -> torch.Tensor:
    """Concatenate ``x (b, ...)`` from every rank along dim 0 → ``(world·b, ...)``, differentiable."""
    if not info.distributed:
        return x
    return _GatherWithGrad.apply(x)


def gather_no_grad(x: torch.Tensor, info: DistInfo) -> torch.Tensor:
    """Concatenate ``x`` from every rank without a gradient (masks, ids)."""
    if not info.distributed:
        return x
    import torch.distributed as dist

    parts = [torch.empty_like(x) for _ in range(info.world)]
    dist.all_gather(parts, x.contiguous())
    return torch.cat(parts, dim=0)


def gather_objects(obj: object, info: DistInfo) -> list[object]:
    """Every rank's ``obj`` (picklable), in rank order, on every rank (``[obj]`` in one process)."""
    if not info.distributed:
        return [obj]
    import torch.distributed as dist

    parts: list[object] = [None] * info.world
    dist.all_gather_object(parts, obj)
    return parts


def all_reduce_mean(value: float, info: DistInfo, device: torch.device) -> float:
    """Mean of a float over ranks."""
    if not info.distributed:
        return value
    import torch.distributed as dist

    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return float(t.item()) / info.world

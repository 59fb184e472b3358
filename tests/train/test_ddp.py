"""DDP on CPU with gloo: gathered contrastive loss gives the single-process gradient."""

from __future__ import annotations

import pytest
import torch


def _worker(rank: int, world: int, store: str, out: str) -> None:
    import torch.distributed as dist

    from mujo_edge.models.losses import info_nce
    from mujo_edge.train.ddp import DistInfo, gather_with_grad

    # a file rendezvous: no TCP port to pick (and lose to another process) between choosing and binding it
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    torch.manual_seed(0)
    w = torch.randn(5, 4, requires_grad=True)
    xa, xb = torch.randn(2 * world, 5), torch.randn(2 * world, 5)  # the same global batch on every rank
    sl = slice(2 * rank, 2 * rank + 2)
    za = torch.nn.functional.normalize(xa[sl] @ w, dim=1)
    zb = torch.nn.functional.normalize(xb[sl] @ w, dim=1)
    info = DistInfo(rank, world, rank)
    loss, _ = info_nce(gather_with_grad(za, info), gather_with_grad(zb, info), torch.tensor(5.0))
    loss.backward()
    grad = w.grad.clone()
    dist.all_reduce(grad)  # what DDP does: average over ranks
    grad /= world
    if rank == 0:
        torch.save({"loss": loss.detach(), "grad": grad}, out)
    dist.destroy_process_group()


@pytest.mark.slow
def test_gather_with_grad_matches_single_process_gradient(tmp_path) -> None:
    from mujo_edge.models.losses import info_nce

    world, out = 2, str(tmp_path / "ddp.pt")
    torch.multiprocessing.spawn(_worker, args=(world, str(tmp_path / "rendezvous"), out), nprocs=world, join=True)
    got = torch.load(out)
    torch.manual_seed(0)
    w = torch.randn(5, 4, requires_grad=True)
    xa, xb = torch.randn(2 * world, 5), torch.randn(2 * world, 5)
    loss, _ = info_nce(torch.nn.functional.normalize(xa @ w, dim=1), torch.nn.functional.normalize(xb @ w, dim=1),
                       torch.tensor(5.0))
    loss.backward()
    assert torch.allclose(got["loss"], loss.detach(), atol=1e-6)
    assert torch.allclose(got["grad"], w.grad, atol=1e-6)

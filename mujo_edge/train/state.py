"""Resumable training state: atomic step folders that survive SIGKILL.

A save at step ``s`` writes ``RUN/train_state/.tmp-step_<s>-<pid>/`` completely and then renames it
to ``RUN/train_state/step_<s>/`` (a directory rename is atomic), so a step folder either exists in
full or not at all; leftovers of a killed save are ignored and removed on resume. A step folder holds:
* ``model.safetensors`` + ``checkpoint.json`` — a ``kind="mujo"`` checkpoint (loadable on its own);
* ``optimizer.safetensors`` — every optimizer state tensor (``state.<param>.<key>``) and the RNG states
  (``rng.torch``, ``rng.cuda.<i>``);
* ``state.json`` — step, optimizer param groups and non-tensor state, scheduler state, metrics.

No pickle anywhere: weights and tensors in safetensors, the rest in JSON.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from mujo_edge.artifacts.checkpoint import load_checkpoint, load_state_strict
from mujo_edge.errors import CheckpointError
from mujo_edge.provenance import atomic_write_bytes, atomic_write_text

log = logging.getLogger(__name__)

STATE_DIR = "train_state"
_STEP_RE = re.compile(r"^step_(\d{8})$")


def step_dirs(run: Path) -> list[tuple[int, Path]]:
    """Complete step folders of a run, oldest first."""
    root = Path(run) / STATE_DIR
    if not root.is_dir():
        return []
    out = [(int(m.group(1)), p) for p in root.iterdir() if p.is_dir() and (m := _STEP_RE.match(p.name))]
    return sorted(out)


def optimizer_to_tensors(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split an optimizer state dict into safetensors-ready tensors and JSON-ready metadata."""
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, st in sd["state"].items():
        for k, v in st.items():
            if isinstance(v, torch.Tensor):
                tensors[f"state.{pid}.{k}"] = v.detach().to("cpu").contiguous()
            else:
                scalars.setdefault(str(pid), {})[k] = v
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def optimizer_from_tensors(opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Inverse of :func:`optimizer_to_tensors`: load into ``opt`` (tensors moved to the params' devices by torch)."""
    state: dict[int, dict[str, Any]] = {}
    for name, v in tensors.items():
        if name.startswith("state."):
            _, pid, key = name.split(".", 2)
            state.setdefault(int(pid), {})[key] = v
    for pid, st in meta.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(st)
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def rng_tensors() -> dict[str, torch.Tensor]:
    """The torch CPU (and CUDA) generator states of this process."""
    out = {"rng.torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            out[f"rng.cuda.{i}"] = s
    return out


def rank_rng_tensors(per_rank: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """One flat dict of every rank's :func:`rng_tensors`: rank 0 as ``rng.*``, rank ``r`` as ``rank{r}.rng.*``."""
    out: dict[str, torch.Tensor] = {}
    for r, states in enumerate(per_rank):
        out.update({(f"rank{r}." if r else "") + k: v for k, v in states.items()})
    return out


def restore_rng(tensors: dict[str, torch.Tensor], rank: int = 0) -> bool:
    """Restore this rank's states written by :func:`rank_rng_tensors`; False when the file has none for ``rank``."""
    prefix = f"rank{rank}." if rank else ""
    if prefix + "rng.torch" not in tensors:
        return False
    torch.set_rng_state(tensors[prefix + "rng.torch"])
    head = prefix + "rng.cuda."
    cuda = sorted((int(k.rsplit(".", 1)[1]), v) for k, v in tensors.items() if k.startswith(head))
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([v for _, v in cuda][: torch.cuda.device_count()])
    return True


def save_train_state(run: Path, step: int, write_model: Callable[[Path], None], opt: torch.optim.Optimizer,
                     sched: torch.optim.lr_scheduler.LRScheduler,
                     metrics: dict[str, Any], keep_last: int = 2,
                     rng: dict[str, torch.Tensor] | None = None) -> Path:
    """Write step folder ``step`` atomically; ``write_model(folder)`` writes the mujo checkpoint into it.

    ``rng``: the generator states to store (:func:`rank_rng_tensors` of every DDP rank); default: this process's.

    Older step folders beyond the newest ``keep_last`` are removed afterwards.
    """
    from safetensors.torch import save  # safetensors is loaded only when a state is written

    root = Path(run) / STATE_DIR
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step_{step:08d}"
    tmp = root / f".tmp-step_{step:08d}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    write_model(tmp)
    tensors, opt_meta = optimizer_to_tensors(opt)
    tensors.update(rng if rng is not None else rng_tensors())
    atomic_write_bytes(tmp / "optimizer.safetensors", save(tensors))
    meta = {"step": int(step), "optimizer": opt_meta, "scheduler": sched.state_dict() if sched is not None else None,
            "metrics": metrics}
    atomic_write_text(tmp / "state.json", json.dumps(meta, indent=1) + "\n")
    if final.exists():  # re-saving the same step (e.g. the final save right after a periodic one)
        shutil.rmtree(final)
    os.replace(tmp, final)
    _fsync_dir(root)
    for _, old in step_dirs(run)[:-keep_last] if keep_last > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    return final


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def latest_state(run: Path) -> Path | None:
    """The newest complete step folder of ``run`` (removing leftovers of interrupted saves), or None."""
    root = Path(run) / STATE_DIR
    if root.is_dir():
        for p in root.glob(".tmp-step_*"):
            log.warning("removing incomplete training state %s (interrupted save)", p)
            shutil.rmtree(p, ignore_errors=True)
    dirs = step_dirs(run)
    return dirs[-1][1] if dirs else None


def _read_state(folder: Path) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, Any]]:
    """Model weights (sha256-checked), optimizer tensors and state.json of a step folder, or CheckpointError."""
    from safetensors.torch import load_file  # safetensors is loaded only when a state is read

    try:
        weights = load_checkpoint(folder, kinds="mujo").state_dict()
        tensors = load_file(str(folder / "optimizer.safetensors"))
        meta = json.loads((folder / "state.json").read_text())
        if not isinstance(meta, dict) or not isinstance(meta.get("step"), int) or "optimizer" not in meta:
            raise CheckpointError(f"{folder / 'state.json'}: no step / optimizer record")
    except CheckpointError:
        raise
    except Exception as exc:  # safetensors, OSError and JSON errors come in many types
        raise CheckpointError(f"{folder}: unreadable training state ({type(exc).__name__}: {exc})") from exc
    return weights, tensors, meta


def latest_good_state(run: Path) -> Path | None:
    """The newest step folder of ``run`` that reads back completely, or None.

    A newer folder that is unreadable (a disk error, a file edited or truncated after the save) is
    skipped with a warning naming it and the reason, and the previous one is used.
    """
    latest_state(run)  # removes leftovers of interrupted saves
    for step, folder in reversed(step_dirs(run)):
        try:
            _read_state(folder)
        except CheckpointError as exc:
            log.warning("training state %s is unreadable (%s); trying the one before it", folder, exc)
            continue
        return folder
    return None


def load_train_state(folder: Path, model: torch.nn.Module, opt: torch.optim.Optimizer,
                     sched: torch.optim.lr_scheduler.LRScheduler, rank: int = 0) -> dict[str, Any]:
    """Restore model weights (strict), optimizer, scheduler and this rank's RNG from a step folder.

    Returns its state.json; ``meta["rng_restored"]`` is False when the folder holds no RNG state for ``rank``
    (a run resumed with more processes than it was saved with).
    """
    weights, tensors, meta = _read_state(folder)
    load_state_strict(model, weights, str(folder))
    optimizer_from_tensors(opt, tensors, meta["optimizer"])
    if sched is not None and meta.get("scheduler") is not None:
        sched.load_state_dict(meta["scheduler"])
    meta["rng_restored"] = restore_rng(tensors, rank)
    return meta

"""``load(path)``: dispatch a checkpoint folder or an exported file to its backend (registry by file suffix)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mujo_edge.artifacts.sidecar import read_sidecar, spec_of
from mujo_edge.errors import CorruptFileError
from mujo_edge.registry import Registry
from mujo_edge.runtime.base import RuntimeClassifier
from mujo_edge.runtime.file_backends import load_executorch, load_litert, load_onnx
from mujo_edge.runtime.torch_backend import load_checkpoint_classifier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileFormat:
    """An exported-model file format: its runtime's name and the loader ``(path, sidecar, threads, **kw)``."""

    backend: str
    loader: Callable[..., RuntimeClassifier]
    description: str


#: Exported file formats by suffix.
FORMATS: Registry[FileFormat] = Registry("model file format")
FORMATS.add(".pte", FileFormat("executorch", load_executorch, "ExecuTorch program (XNNPACK delegate)"))
FORMATS.add(".tflite", FileFormat("litert", load_litert, "LiteRT / TensorFlow Lite flatbuffer"))
FORMATS.add(".onnx", FileFormat("onnxruntime", load_onnx, "ONNX model for ONNX Runtime"))


def load(path: str | Path, threads: int | None = None) -> RuntimeClassifier:
    """Load a classifier from a checkpoint folder or an exported ``.pte`` / ``.tflite`` / ``.onnx`` file.

    Args:
        path: checkpoint folder (kind ``classifier`` or ``student``) or model file with its sidecar
            ``<file>.json`` beside it.
        threads: CPU threads of the backend (default 1 for exported files; for checkpoints, torch's
            process-wide setting is left alone unless given).

    Raises:
        CheckpointError: a folder that is not a classifier checkpoint (wrong kind, corrupt weights).
        CorruptFileError: missing / invalid sidecar, sha256 mismatch, or a file the runtime cannot load.
        UnknownNameError: an unknown file suffix (lists the valid ones).
        DependencyError: the backend's runtime package is not installed.
    """
    path = Path(path)
    if not path.exists():
        raise CorruptFileError(path, "no such file or folder")
    if path.is_dir() or path.name == "checkpoint.json":
        return load_checkpoint_classifier(path, threads=threads)
    fmt = FORMATS.get(path.suffix.lower())
    meta = read_sidecar(path)
    if meta["backend"] != fmt.backend:
        raise CorruptFileError(path, f"sidecar says backend {meta['backend']!r}, but {path.suffix} files run on {fmt.backend!r}")
    if (meta.get("verification") or {}).get("passed") is False:
        log.warning("%s FAILED its export verification (%s); its predictions may differ from the trained model",
                    path, {k: meta["verification"].get(k) for k in ("top1_agreement", "macro_f1", "macro_f1_eager")})
    kw = {"spec": spec_of(meta), "label_names": tuple(meta["label_names"]),
          "channels_used": tuple(meta.get("channels_used") or ())}
    clf = fmt.loader(path, meta, threads=1 if threads is None else int(threads), **kw)
    log.info("loaded %s (%s, %s)", path, fmt.backend, meta.get("precision"))
    return clf


__all__ = ["FORMATS", "FileFormat", "load"]

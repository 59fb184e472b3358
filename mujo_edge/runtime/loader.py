"""``load(path)``: dispatch a checkpoint folder or an exported file to its backend (registry by file suffix)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mujo_edge.artifacts.contract import compare_with_sidecar
from mujo_edge.artifacts.sidecar import read_sidecar, spec_of
from mujo_edge.errors import CorruptFileError
from mujo_edge.registry import Registry
from mujo_edge.runtime.base import RuntimeClassifier
from mujo_edge.runtime.containers import ContainerInfo, check_io, inspect_file
from mujo_edge.runtime.file_backends import load_executorch, load_litert, load_onnx, load_tflm
from mujo_edge.runtime.torch_backend import load_checkpoint_classifier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileFormat:
    """An exported-model file format: the runtimes that can run it (sidecar ``backend`` → loader) and a description.

    A loader is called as ``loader(path, sidecar, threads=N, spec=..., label_names=..., channels_used=...)``.
    """

    backends: dict[str, Callable[..., RuntimeClassifier]]
    description: str

    @property
    def backend(self) -> str:
        """The default runtime of the format (its first backend)."""
        return next(iter(self.backends))


#: Exported file formats by suffix. A ``.tflite`` runs on LiteRT, or, when its sidecar says ``tflm``
#: (``export --format tflm``), on the TensorFlow Lite Micro interpreter.
FORMATS: Registry[FileFormat] = Registry("model file format")
FORMATS.add(".pte", FileFormat({"executorch": load_executorch}, "ExecuTorch program (XNNPACK delegate)"))
FORMATS.add(".tflite", FileFormat({"litert": load_litert, "tflm": load_tflm},
                                  "LiteRT / TensorFlow Lite flatbuffer (or TensorFlow Lite Micro)"))
FORMATS.add(".onnx", FileFormat({"onnxruntime": load_onnx}, "ONNX model for ONNX Runtime"))


def load(path: str | Path, threads: int | None = None, probe: bool = True) -> RuntimeClassifier:
    """Load a classifier from a checkpoint folder or an exported ``.pte`` / ``.tflite`` / ``.onnx`` file.

    For a model file, in this order (nothing reaches a native runtime before the checks pass):
    the sidecar ``<file>.json`` is read and validated and the file's sha256 compared with it; the
    contract sealed into the file (sensor spec, label names, channels, I/O) is checked against the
    file's bytes and compared with the sidecar field by field; the container is walked with a
    bounds-checked reader and its real input/output tensors compared with the sidecar; then the
    runtime loads it. A file whose bytes no seal vouches for (exported before contracts were embedded)
    is first loaded and run once in a child process (:func:`probe_in_child`), so that a damage the
    checks above cannot see crashes the child, not this process.

    Args:
        path: checkpoint folder (kind ``classifier`` or ``student``) or model file with its sidecar
            ``<file>.json`` beside it.
        threads: CPU threads of the backend (default 1 for exported files; for checkpoints, torch's
            process-wide setting is left alone unless given).
        probe: load unsealed files in a child process first (``False`` inside that child).

    Raises:
        CheckpointError: a folder that is not a classifier checkpoint (wrong kind, corrupt weights).
        CorruptFileError: missing / invalid sidecar, sha256 mismatch, a damaged container, a sidecar that
            disagrees with the embedded contract or with the model's real tensors (the message names the
            field), or a file the runtime cannot load.
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
    loader = fmt.backends.get(meta["backend"])
    if loader is None:
        raise CorruptFileError(path, f"sidecar says backend {meta['backend']!r}, but {path.suffix} files run on "
                                     f"{' or '.join(repr(b) for b in fmt.backends)}")
    info = check_file(path, meta)
    if info.contract is None and probe:
        probe_in_child(path)
    if (meta.get("verification") or {}).get("passed") is False:
        log.warning("%s FAILED its export verification (%s); its predictions may differ from the trained model",
                    path, {k: meta["verification"].get(k) for k in ("top1_agreement", "macro_f1", "macro_f1_eager")})
    kw = {"spec": spec_of(meta), "label_names": tuple(meta["label_names"]),
          "channels_used": tuple(meta.get("channels_used") or ())}
    clf = loader(path, meta, threads=1 if threads is None else int(threads), **kw)
    log.info("loaded %s (%s, %s)", path, meta["backend"], meta.get("precision"))
    return clf


def check_file(path: Path, meta: dict[str, Any]) -> ContainerInfo:
    """Seal, embedded contract vs sidecar, container walk and real I/O tensors vs sidecar (see :func:`load`)."""
    info = inspect_file(path)
    declared = isinstance(meta.get("embedded_contract"), dict)
    if info.contract is None:
        if declared:
            raise CorruptFileError(path, "the sidecar says the model file carries an embedded contract, but the file "
                                         "has none (file replaced or damaged; re-export it)")
        log.warning("%s carries no embedded contract (exported by an older mujo-edge); only its sidecar describes "
                    "it, re-export to make edits of the sidecar detectable", path)
    else:
        compare_with_sidecar(meta, info.contract, path)
    if info.inputs or info.outputs:
        check_io(path, meta, info.inputs, info.outputs)
    return info


#: what the probe child runs: load without probing, one window through the model
_PROBE = ("import sys, numpy as np\nfrom mujo_edge.runtime.loader import load\n"
          "clf = load(sys.argv[1], probe=False)\n"
          "clf.predict_proba(np.zeros((1, clf.spec.window, len(clf.spec.channels)), np.float32))\n")


def probe_in_child(path: Path, timeout_s: float = 120.0) -> None:
    """Load ``path`` and run one window in a child Python process; raise :class:`CorruptFileError` if the child
    fails or dies (a native runtime that aborts or crashes on a damaged file takes only the child down).

    Used for files without a sealed contract: a valid seal proves the bytes are the ones the export wrote
    and verified, so sealed files skip it (a probe costs a few seconds of runtime start-up).
    """
    try:
        res = subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True, text=True,
                             timeout=timeout_s, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    except subprocess.TimeoutExpired:
        raise CorruptFileError(path, f"loading it did not finish within {timeout_s:g} s in a probe process") from None
    if res.returncode == 0:
        return
    last = [ln for ln in res.stderr.strip().splitlines() if ln.strip()][-1:] or ["no output"]
    how = f"was killed by signal {-res.returncode}" if res.returncode < 0 else f"failed ({last[0][:300]})"
    raise CorruptFileError(path, f"the file carries no sealed contract, and loading it in a probe process {how}; "
                                 f"it is damaged or not a mujo-edge export (re-export it)")


__all__ = ["FORMATS", "FileFormat", "check_file", "load", "probe_in_child"]

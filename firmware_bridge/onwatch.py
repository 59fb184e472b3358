"""What a watch that classifies on board computes, in Python: the twin of ``firmware/src/mujo_window.c`` plus the
TensorFlow Lite Micro call of the board glue.

The simulated watch uses :class:`OnWatchClassifier` for ``live --on-watch``: the int16 counts it would
stream are turned into int8 model windows exactly as the C window assembler does (and as the host does
with the same counts: :func:`quantize_samples` is the Python side of the firmware's golden vectors), run
in the ``tflite-micro`` interpreter in the arena the export measured, and reduced to a class and its
softmax probability (:func:`top_class`, like ``mujo_top_class``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from mujo_edge.firmware_bridge import protocol as P
from mujo_edge.firmware_bridge.results import ModelRecord

from mujo_edge.artifacts.sidecar import read_sidecar, spec_of
from mujo_edge.data.spec import SensorSpec
from mujo_edge.errors import ConfigError
from mujo_edge.runtime.file_backends import TFLMClassifier
from mujo_edge.runtime.int8 import dequantize_output, quantize_input
from mujo_edge.runtime.loader import load

log = logging.getLogger(__name__)


def quantize_samples(counts: np.ndarray, fmt: int, acc_range_g: int, gyro_range_dps: int, spec: SensorSpec,
                     scale: float, zero_point: int) -> np.ndarray:
    """int16 sample counts ``(n, C)`` → int8 model inputs ``(n, C)``, per sample.

    Protocol decoding (``counts × si_scale`` in float64, rounded once to float32), the spec's
    normalization in float32, then :func:`mujo_edge.runtime.int8.quantize_input` — what the host's
    preprocessing does and what ``mujo_window_push`` does in C.
    """
    x = (np.asarray(counts, np.int16) * P.si_scale(fmt, acc_range_g, gyro_range_dps)).astype(np.float32)
    return quantize_input(spec.normalize(x), scale, zero_point)


def top_class(logits_q: np.ndarray, scale: float, zero_point: int) -> tuple[int, float]:
    """Arg-max class of int8 logits and its softmax probability (float32, first index on ties)."""
    z = dequantize_output(np.asarray(logits_q).reshape(-1), scale, zero_point)
    top = int(np.argmax(z))
    p = float(np.float32(1.0) / np.exp(z - z[top], dtype=np.float32).sum(dtype=np.float32))
    return top, p


@dataclass(frozen=True)
class OnBoardResult:
    """One classified window: schedule index of its last sample, class, probability."""

    end_index: int
    class_index: int
    confidence: float


class OnWatchClassifier:
    """Window assembler + TFLite Micro model of a watch that classifies on board.

    Args:
        model: the exported ``*_tflm.tflite`` (``export --format tflm --int8``; its sidecar beside it).
        acc_range_g / gyro_range_dps: full-scale ranges of the counts the watch samples.
        fmt: sample format of the counts (IMU6).
    """

    def __init__(self, model: str | Path, acc_range_g: int = 8, gyro_range_dps: int = 2000,
                 fmt: int = P.Format.IMU6) -> None:
        self.path = Path(model)
        self.meta: dict[str, Any] = read_sidecar(self.path)
        if self.meta["input"]["dtype"] != "int8" or self.meta["output"]["dtype"] != "int8":
            raise ConfigError(f"{self.path}: on-board classification needs a fully int8 model "
                              f"(mujo-edge export --format tflm --int8), this one has {self.meta['input']['dtype']} input")
        self.spec = spec_of(self.meta)
        if tuple(self.spec.channels) != P.FORMAT_CHANNELS[fmt]:
            raise ConfigError(f"{self.path}: the model takes {self.spec.channels}, the watch samples {P.FORMAT_CHANNELS[fmt]}")
        clf = load(self.path)
        if not isinstance(clf, TFLMClassifier):
            raise ConfigError(f"{self.path}: not a TensorFlow Lite Micro export (backend {clf.backend}); export it with "
                              f"--format tflm --int8")
        self._clf = clf
        self.fmt, self.acc_range_g, self.gyro_range_dps = fmt, acc_range_g, gyro_range_dps
        qi, qo = self.meta["input"]["quantization"], self.meta["output"]["quantization"]
        self._in, self._out = (qi["scale"], qi["zero_point"]), (qo["scale"], qo["zero_point"])
        self.record = ModelRecord.for_sidecar(self.meta)
        self.windows = self.restarts = 0
        self.reset()

    @property
    def num_classes(self) -> int:
        """K."""
        return len(self.meta["label_names"])

    def reset(self) -> None:
        """Forget the current window (after STOP / START), like ``mujo_window_reset``."""
        self._buf = np.zeros((0, len(self.spec.channels)), np.int8)
        self._until = self.spec.window
        self._next: int | None = None

    def push(self, counts: np.ndarray, first_index: int) -> list[OnBoardResult]:
        """Add consecutive samples ``counts (n, C)`` whose first has schedule index ``first_index``; returns the
        windows they completed, classified. A schedule hole restarts the window (as the C assembler)."""
        counts = np.asarray(counts)
        if self._next is not None and first_index != self._next:
            self.reset()
            self.restarts += 1
        q = quantize_samples(counts, self.fmt, self.acc_range_g, self.gyro_range_dps, self.spec, *self._in)
        out = []
        for i in range(len(q)):
            self._buf = np.concatenate([self._buf, q[i:i + 1]])[-self.spec.window:]
            self._until -= 1
            if self._until > 0:
                continue
            self._until = self.spec.hop
            self.windows += 1
            cls, p = self.classify(self._buf)
            out.append(OnBoardResult(first_index + i, cls, p))
        self._next = first_index + len(q)
        return out

    def classify(self, window_q: np.ndarray) -> tuple[int, float]:
        """One int8 window ``(W, C)`` through the TFLM interpreter: ``(class, probability)``."""
        it = self._clf.interpreter
        it.set_input(np.ascontiguousarray(window_q, np.int8).reshape(self._clf._shape), 0)
        it.invoke()
        return top_class(it.get_output(0), *self._out)

    def close(self) -> None:
        """Release the interpreter."""
        self._clf.close()


__all__ = ["OnBoardResult", "OnWatchClassifier", "quantize_samples", "top_class"]

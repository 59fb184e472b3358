"""The runtime classifier interface shared by every backend (checkpoint, ExecuTorch, LiteRT, ONNX Runtime).

A backend only implements :meth:`RuntimeClassifier._logits` on NORMALIZED windows; everything a caller
touches (SI-unit windows in, probabilities out, whole recordings at any rate) is implemented once here
on top of :class:`~mujo_edge.data.spec.SensorSpec` and :mod:`mujo_edge.data.preprocess`, so every
backend preprocesses exactly like training did.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mujo_edge.data.preprocess import sliding_windows, to_spec, window_labels, window_starts
from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.spec import SensorSpec
from mujo_edge.errors import SpecMismatchError

log = logging.getLogger(__name__)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(N, K)`` logits, float32."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


@dataclass
class RecordingPrediction:
    """Per-window output of :meth:`RuntimeClassifier.predict_recording`.

    Attributes:
        starts: ``(N,)`` first sample of each window, counted at ``spec.rate_hz`` after resampling.
        t_start_s: ``(N,)`` window start times in seconds from the recording's start.
        proba: ``(N, K)`` class probabilities.
        pred: ``(N,)`` int64 predicted class index.
        label_names: class index → name.
        rate_hz: the rate windows were cut at (the model's ``spec.rate_hz``).
        window: window length in samples.
        true: ``(N,)`` int64 majority label of each window (``-1`` = NULL / not pure enough), when the
            recording carried labels, else ``None``.
    """

    starts: np.ndarray
    t_start_s: np.ndarray
    proba: np.ndarray
    pred: np.ndarray
    label_names: tuple[str, ...]
    rate_hz: float
    window: int
    true: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.pred)

    @property
    def names(self) -> list[str]:
        """Predicted class name of each window."""
        return [self.label_names[int(i)] for i in self.pred]

    @property
    def confidence(self) -> np.ndarray:
        """``(N,)`` probability of the predicted class."""
        return self.proba[np.arange(len(self.pred)), self.pred] if len(self.pred) else np.zeros(0, np.float32)


@dataclass(eq=False)
class RuntimeClassifier:
    """A loaded window classifier; use :func:`mujo_edge.runtime.load` to get one.

    Attributes:
        spec: sensor spec incl. fitted normalization (rate Hz, window/hop samples, channel order, SI units).
        label_names: class index → name.
        backend: ``"torch"``, ``"executorch"``, ``"litert"`` or ``"onnxruntime"``.
        path: the checkpoint folder or model file it was loaded from.
        meta: the checkpoint metadata or the export sidecar (JSON-ready).
        channels_used: channels the model was trained with (others may be missing from input data and are zero-filled).
    """

    spec: SensorSpec
    label_names: tuple[str, ...]
    backend: str
    path: Path
    meta: dict[str, Any] = field(default_factory=dict)
    channels_used: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.channels_used:
            self.channels_used = tuple(self.spec.channels)
        if self.spec.normalization.kind != "standard":
            log.warning("%s: sensor spec has no fitted normalization; windows are fed in SI units", self.path)

    # ------------------------------------------------------------------ backend hook
    def _logits(self, x: np.ndarray) -> np.ndarray:
        """``(N, W, C)`` NORMALIZED float32 windows → ``(N, K)`` float32 logits. Implemented by backends."""
        raise NotImplementedError

    def close(self) -> None:
        """Release backend resources (sessions, interpreters)."""

    # ------------------------------------------------------------------ public API
    @property
    def num_classes(self) -> int:
        """Number of classes K."""
        return len(self.label_names)

    def check_windows(self, windows: np.ndarray) -> np.ndarray:
        """Validate ``(N, W, C)`` (or a single ``(W, C)``) SI-unit windows against the spec; float32 ``(N, W, C)``."""
        x = np.asarray(windows, dtype=np.float32)
        if x.ndim == 2:
            x = x[None]
        want = (self.spec.window, len(self.spec.channels))
        if x.ndim != 3 or x.shape[1:] != want:
            raise SpecMismatchError(
                f"windows have shape {x.shape}, the model expects (N, {want[0]}, {want[1]}): {want[0]} samples at "
                f"{self.spec.rate_hz:g} Hz of channels {', '.join(self.spec.channels)}; use predict_recording() "
                f"to resample and window raw data"
            )
        if not np.isfinite(x).all():
            raise SpecMismatchError("windows contain NaN or inf")
        return x

    def logits(self, windows: np.ndarray) -> np.ndarray:
        """``(N, W, C)`` SI-unit windows → ``(N, K)`` float32 logits (normalization applied here)."""
        x = self.spec.normalize(self.check_windows(windows))
        if len(x) == 0:
            return np.zeros((0, self.num_classes), np.float32)
        out = np.asarray(self._logits(np.ascontiguousarray(x, dtype=np.float32)), dtype=np.float32)
        if out.shape != (len(x), self.num_classes):
            raise SpecMismatchError(f"{self.path}: model returned shape {out.shape}, expected ({len(x)}, {self.num_classes})")
        return out

    def predict_proba(self, windows: np.ndarray) -> np.ndarray:
        """``(N, W, C)`` float32 windows in SI units at ``spec.rate_hz`` in spec channel order → ``(N, K)`` probabilities."""
        return softmax(self.logits(windows))

    def predict(self, windows: np.ndarray) -> np.ndarray:
        """``(N, W, C)`` SI-unit windows → ``(N,)`` int64 class indices."""
        return self.logits(windows).argmax(axis=1).astype(np.int64)

    def windows_from_recording(self, rec: Recording) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cut ``rec`` into model windows through the one preprocessing path.

        Returns ``(windows (N, W, C) SI float32, starts (N,) at spec.rate_hz, labels (N,) int64 or -1)``.
        Channels the model was trained with must be present; other spec channels are zero-filled.
        """
        missing = [c for c in self.channels_used if c not in rec.channels]
        if missing:
            raise SpecMismatchError(
                f"{rec.source or 'recording'} lacks channel(s) {', '.join(missing)} that the model uses "
                f"(it has {', '.join(rec.channels)}; the model needs {', '.join(self.channels_used)})"
            )
        data, labels, _ = to_spec(rec, self.spec)
        starts = window_starts(len(data), self.spec.window, self.spec.hop)
        windows = sliding_windows(data, self.spec.window, self.spec.hop)
        true = window_labels(labels, starts, self.spec.window, self.spec.min_majority) if len(starts) else np.zeros(0, np.int64)
        return windows, starts, true

    def predict_recording(self, data: np.ndarray | Recording, rate_hz: float | None = None,
                          channels: tuple[str, ...] | list[str] | None = None) -> RecordingPrediction:
        """Classify every window of a continuous recording.

        Args:
            data: ``(T, C_src)`` float samples in SI units (m/s², rad/s), or a :class:`Recording`.
            rate_hz: sample rate of ``data`` in Hz (resampled to ``spec.rate_hz`` with the anti-aliased
                polyphase filter of :func:`mujo_edge.data.preprocess.resample`).
            channels: names of ``data``'s columns (any order, any subset containing the model's channels;
                default: the model's ``spec.channels``, in that order).

        Returns:
            A :class:`RecordingPrediction` with one row per full window (hop ``spec.hop``).
        """
        if isinstance(data, Recording):
            rec = data
        else:
            arr = np.asarray(data, dtype=np.float32)
            if rate_hz is None:
                raise SpecMismatchError("predict_recording needs rate_hz (Hz) for a raw array; e.g. "
                                        "predict_recording(samples, rate_hz=100)")
            if channels is None:  # columns in the model's channel order
                channels = self.spec.channels
            if arr.ndim != 2 or arr.shape[1] != len(channels):
                raise SpecMismatchError(f"data has shape {arr.shape}, expected (T, {len(channels)}) for channels {tuple(channels)}")
            rec = Recording(dataset="stream", subject="unknown", session="stream", rate_hz=float(rate_hz),
                            channels=tuple(channels), data=arr, labels=np.full(len(arr), NULL_LABEL, np.int16),
                            placement="any", source="array")
        windows, starts, true = self.windows_from_recording(rec)
        proba = self.predict_proba(windows) if len(windows) else np.zeros((0, self.num_classes), np.float32)
        has_labels = bool((np.asarray(rec.labels) != NULL_LABEL).any())
        return RecordingPrediction(
            starts=starts, t_start_s=starts / self.spec.rate_hz, proba=proba,
            pred=proba.argmax(axis=1).astype(np.int64) if len(proba) else np.zeros(0, np.int64),
            label_names=self.label_names, rate_hz=self.spec.rate_hz, window=self.spec.window,
            true=true.astype(np.int64) if has_labels else None,
        )

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(backend={self.backend!r}, path='{self.path}', classes={len(self.label_names)}, "
                f"window={self.spec.window}@{self.spec.rate_hz:g}Hz)")

    def __enter__(self) -> RuntimeClassifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

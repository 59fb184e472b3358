"""A continuous recording of one subject: channels in SI units with per-sample labels."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from mujo_edge.data.spec import CHANNEL_UNITS
from mujo_edge.errors import DataError, SpecMismatchError

#: Label of samples that belong to no class (unlabelled gaps, "non-activity").
NULL_LABEL = -1


@dataclass
class Recording:
    """One continuous recording (a trial file, an experiment, a workout).

    Attributes:
        dataset: registry name of the dataset it came from.
        subject: subject id as a string (``"1"``, ``"m3"``), unique within the dataset.
        session: recording id within the subject (trial, experiment, file name).
        rate_hz: sample rate, Hz (uniform; irregular sources are interpolated by their loader).
        channels: channel names, in the column order of ``data``.
        data: ``(T, C)`` float32 in SI units (acc m/s² including gravity, gyro rad/s).
        labels: ``(T,)`` int16 class index per sample, :data:`NULL_LABEL` for none.
        placement: body site (see :mod:`mujo_edge.placements`).
        timestamps: optional ``(T,)`` float64 seconds since the recording's start.
        source: file (or archive member) the recording was read from, for error messages.
    """

    dataset: str
    subject: str
    session: str
    rate_hz: float
    channels: tuple[str, ...]
    data: np.ndarray
    labels: np.ndarray
    placement: str
    timestamps: np.ndarray | None = None
    source: str = ""
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data = np.ascontiguousarray(self.data, dtype=np.float32)
        self.labels = np.asarray(self.labels, dtype=np.int16)
        where = self.source or f"{self.dataset}/{self.subject}/{self.session}"
        if isinstance(self.rate_hz, bool) or not isinstance(self.rate_hz, numbers.Real) or not (
                math.isfinite(self.rate_hz) and self.rate_hz > 0):
            raise SpecMismatchError(f"{where}: the sample rate must be a positive number of Hz, got {self.rate_hz!r}")
        if self.data.ndim != 2 or self.data.shape[1] != len(self.channels):
            raise DataError(f"{where}: data shape {self.data.shape} does not fit channels {self.channels}")
        if self.labels.shape != (self.data.shape[0],):
            raise DataError(f"{where}: {self.labels.shape[0]} labels for {self.data.shape[0]} samples")
        if self.timestamps is not None and np.shape(self.timestamps) != (self.data.shape[0],):
            raise DataError(f"{where}: {np.shape(self.timestamps)} timestamps for {self.data.shape[0]} samples")
        for c in self.channels:
            if c not in CHANNEL_UNITS:
                raise DataError(f"{where}: unknown channel {c!r}; valid: {', '.join(CHANNEL_UNITS)}")
        if not np.isfinite(self.data).all():
            bad = int((~np.isfinite(self.data)).any(axis=1).sum())
            raise DataError(f"{where}: {bad} samples contain NaN or inf")

    @property
    def n_samples(self) -> int:
        """Number of samples T."""
        return int(self.data.shape[0])

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.n_samples / self.rate_hz

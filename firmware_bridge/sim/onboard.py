"""The simulated watch's on-board classification (``live --simulate ... --on-watch``).

:class:`OnBoardSession` is what the simulated watch does with its samples when START carries the
on-board bit (PROTOCOL.md §10): the int16 counts it would stream go through the watch's window assembler
and the exported TensorFlow Lite Micro model (:class:`~mujo_edge.firmware_bridge.onwatch.OnWatchClassifier`),
and every classified window becomes a result notification stamped with the device time of its last sample.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from mujo_edge.firmware_bridge import protocol as P
from mujo_edge.firmware_bridge import results as R
from mujo_edge.firmware_bridge.onwatch import OnWatchClassifier

log = logging.getLogger(__name__)


class OnBoardSession:
    """Feeds a started stream's samples to the on-board model and sends one result per window.

    Args:
        model: the exported ``*_tflm.tflite`` file (sidecar beside it).
        send: sends one result notification (the watch's fault injection applies to it like to data packets).
        float_confidence: send the probability as float32 instead of the int8 code.
    """

    def __init__(self, model: str, send: Callable[[bytes], None], float_confidence: bool = False) -> None:
        self.model = model
        self.send = send
        self.float_confidence = float_confidence
        self.clf: OnWatchClassifier | None = None
        self.seq = 0
        self.results = 0
        self._source0_us = 0
        self._rate_hz = 0.0

    @property
    def record(self) -> bytes:
        """The 20-byte model record served on reads of the result characteristic."""
        return self._classifier(8, 2000).record.encode()

    @property
    def rate_hz(self) -> float:
        """The model's sample rate: the only rate the watch classifies at."""
        return float(self._classifier(8, 2000).spec.rate_hz)

    def _classifier(self, acc_range_g: int, gyro_range_dps: int) -> OnWatchClassifier:
        c = self.clf
        if c is None or (c.acc_range_g, c.gyro_range_dps) != (acc_range_g, gyro_range_dps):
            if c is not None:
                c.close()
            self.clf = c = OnWatchClassifier(self.model, acc_range_g, gyro_range_dps)
        return c

    def start(self, status: P.DeviceStatus, source0_us: int, true_rate_hz: float) -> None:
        """A START with the on-board bit was applied: new result numbering, an empty window."""
        self._classifier(status.acc_range_g, status.gyro_range_dps).reset()
        self.seq = 0
        self._source0_us, self._rate_hz = source0_us, true_rate_hz

    def feed(self, first_index: int, counts: np.ndarray) -> None:
        """Consecutive samples (int16 counts, schedule index of the first) → result notifications."""
        assert self.clf is not None, "start() first"
        for r in self.clf.push(counts, first_index):
            t_end = int(round(self._source0_us + r.end_index * 1e6 / self._rate_hz))
            self.send(R.encode_result(self.seq, t_end, r.class_index, self.clf.num_classes, r.confidence,
                                      self.float_confidence))
            self.seq += 1
            self.results += 1

    def close(self) -> None:
        """Release the interpreter."""
        if self.clf is not None:
            self.clf.close()
            self.clf = None


__all__ = ["OnBoardSession"]

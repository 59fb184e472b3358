"""int8 model I/O: the one definition of how a normalized window becomes int8 input and int8 logits become float.

The sidecar states the formulas (``input.quantization.formula``); these functions are them, in float32
arithmetic with round-half-to-even, exactly as the reference firmware computes them in C
(``firmware/src/mujo_window.c``: ``rintf((x - mean) / std / scale) + zero_point``, clamped), so the
host runtimes, the simulated watch and the watch produce the same bytes for the same samples.
"""

from __future__ import annotations

import numpy as np


def quantize_input(x_norm: np.ndarray, scale: float, zero_point: int, dtype: np.dtype | type = np.int8) -> np.ndarray:
    """``clip(rint(x_norm / scale) + zero_point, qmin, qmax)`` of float32 ``x_norm`` (any shape) as ``dtype``."""
    info = np.iinfo(dtype)
    q = np.rint(np.asarray(x_norm, np.float32) / np.float32(scale)) + np.float32(zero_point)
    return np.clip(q, info.min, info.max).astype(dtype)


def dequantize_output(q: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """``(float32(q) - zero_point) * scale`` as float32 (any shape)."""
    return ((np.asarray(q).astype(np.float32) - np.float32(zero_point)) * np.float32(scale)).astype(np.float32)


def c_float(v: float) -> str:
    """A C ``float`` literal denoting exactly ``float32(v)`` (9 significant digits round-trip a float32).

    The firmware headers and test vectors use it, so C and numpy start from bit-identical constants.
    """
    f = float(np.float32(v))
    if not np.isfinite(f):
        raise ValueError(f"non-finite value {v} has no C float literal")
    text = f"{f:.9g}"
    return f"{text}f" if ("e" in text or "." in text) else f"{text}.0f"


__all__ = ["c_float", "dequantize_output", "quantize_input"]

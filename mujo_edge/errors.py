"""One exception tree for everything mujo-edge raises on purpose.

Every error names the offending value and, where there is a closed set, the valid options.
Library code chains the original cause (``raise ... from exc``) so nothing is hidden.

Tree::

    MujoEdgeError
    ├── ConfigError                 bad option value, bad config file
    │   └── UnknownNameError        a name not in a registry (also a KeyError)
    ├── DependencyError             an optional extra is not installed
    ├── DataError
    │   ├── DatasetNotFoundError    dataset files are not under MUJO_EDGE_DATA_DIR
    │   ├── CorruptFileError        truncated / corrupted / unparsable file, or checksum mismatch
    │   └── SpecMismatchError       data does not fit a SensorSpec (rate, channels, units)
    ├── CheckpointError             wrong kind of checkpoint, missing or mismatched keys
    ├── ExportError
    │   └── VerificationError       exported file disagrees with the eager model
    └── BridgeError                 BLE / streaming problems
        └── ProtocolError           malformed packets, unsupported protocol version
"""

from __future__ import annotations

from collections.abc import Iterable


class MujoEdgeError(Exception):
    """Base class of all errors raised on purpose by mujo-edge."""


class ConfigError(MujoEdgeError, ValueError):
    """A configuration value or config file is invalid."""


class UnknownNameError(ConfigError, KeyError):
    """A name was looked up in a registry that does not know it.

    The message lists every valid name, so a typo is fixed in one go.
    """

    def __init__(self, kind: str, name: object, valid: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        self.valid = sorted(valid)
        super().__init__(f"unknown {kind} {name!r}; valid {plural(kind)}: {', '.join(self.valid) or '(none)'}")

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0])


def plural(kind: str) -> str:
    """English plural of a kind of name: ``activity`` → ``activities``, ``placement of X`` → ``placements of X``."""
    cut = min((i for i in (kind.find(" of "), kind.find(" with ")) if i >= 0), default=len(kind))
    head, sep, tail = kind[:cut], kind[cut:cut + 1], kind[cut + 1:]
    words = head.split(" ")
    last = words[-1]
    if last.endswith("y") and len(last) > 1 and last[-2] not in "aeiou":
        last = last[:-1] + "ies"
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        last += "es"
    else:
        last += "s"
    return " ".join(words[:-1] + [last]) + sep + tail


class DependencyError(MujoEdgeError, ImportError):
    """An optional dependency is missing; the message names the pip extra that provides it."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the optional package {package!r}; install it with "
            f"pip install 'mujo-edge[{extra}]'"
        )


class DataError(MujoEdgeError):
    """A problem with input data."""


class DatasetNotFoundError(DataError, FileNotFoundError):
    """Dataset files are not where mujo-edge looks for them."""


class CorruptFileError(DataError):
    """A file is truncated, corrupted, fails its checksum or cannot be parsed."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {reason}")


class SpecMismatchError(DataError, ValueError):
    """Data does not match a SensorSpec or a model's input (rate, channels, units, window, shape)."""


class CheckpointError(MujoEdgeError):
    """A checkpoint is of the wrong kind, incomplete, or does not match its model."""


class ExportError(MujoEdgeError):
    """An export backend failed."""


class VerificationError(ExportError):
    """An exported file disagrees with the eager model beyond the tolerance."""


class BridgeError(MujoEdgeError):
    """A problem in the BLE bridge or the streaming pipeline."""


class ProtocolError(BridgeError):
    """A packet does not follow the protocol."""


def require(package: str, extra: str, purpose: str):  # noqa: ANN201 - returns a module
    """Import an optional ``package`` or raise :class:`DependencyError` naming the extra.

    Example: ``ort = require("onnxruntime", "export", "ONNX export")``.
    """
    import importlib

    try:
        return importlib.import_module(package)
    except ImportError as exc:
        raise DependencyError(package, extra, purpose) from exc

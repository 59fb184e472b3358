"""Export backends (shipped as ``mujo_edge.export``): ExecuTorch ``.pte``, LiteRT ``.tflite``, ONNX.

``export_checkpoint(checkpoint, out, ExportConfig(int8=True))`` writes verified files with JSON
sidecars; :data:`BACKENDS` lists the formats. Heavy toolchains are imported lazily inside each backend.
"""

from mujo_edge.export.backends import BACKENDS, ExportBackend
from mujo_edge.export.pipeline import ExportConfig, ExportedFile, export_checkpoint

from mujo_edge.artifacts.sidecar import read_sidecar, sidecar_path

__all__ = ["BACKENDS", "ExportBackend", "ExportConfig", "ExportedFile", "export_checkpoint", "read_sidecar",
           "sidecar_path"]

"""Export backends (shipped as ``mujo_edge.export``): ExecuTorch ``.pte``, LiteRT ``.tflite``, ONNX.

Heavy toolchains are imported lazily inside each backend.
"""

"""Run a trained or exported window classifier with one interface, whatever the backend.

::

    clf = mujo_edge.runtime.load(path)   # .pte | .tflite | .onnx (reads "<file>.json") | checkpoint folder
    clf.spec, clf.label_names, clf.backend
    clf.predict_proba(windows)           # (N, W, C) SI units at clf.spec.rate_hz -> (N, K)
    clf.predict(windows)                 # -> (N,) int64
    clf.predict_recording(data, rate_hz, channels)   # (T, C_src) SI at any rate -> RecordingPrediction

Normalization, resampling, channel selection and windowing all go through the sensor spec stored with
the model and :mod:`mujo_edge.data.preprocess`; no backend preprocesses on its own.
"""

from mujo_edge.runtime.base import RecordingPrediction, RuntimeClassifier, softmax
from mujo_edge.runtime.loader import FORMATS, load

__all__ = ["FORMATS", "RecordingPrediction", "RuntimeClassifier", "load", "softmax"]

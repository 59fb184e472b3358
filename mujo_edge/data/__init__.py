"""The real-data layer: sensor spec, recordings, dataset loaders, windows, subject splits, label fractions.

Typical use::

    from mujo_edge.data import prepare, subject_kfold, label_fractions
    ws = prepare("motionsense")                    # (N, 128, 6) windows at 50 Hz, cached
    folds = subject_kfold(ws.subject_ids, k=5)     # subject-wise, reproducible
    idx = folds[0].indices(ws)                     # {"fit": ..., "val": ..., "test": ...}
"""

from mujo_edge.data.datasets import DATASETS, DatasetInfo, dataset_names, get_dataset
from mujo_edge.data.fractions import DEFAULT_FRACTIONS, label_fraction, label_fractions
from mujo_edge.data.prepare import prepare, windows_from_recordings
from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.spec import (
    ACC_CHANNELS,
    DEFAULT_SPEC,
    GYRO_CHANNELS,
    IMU_CHANNELS,
    STANDARD_GRAVITY,
    Normalization,
    SensorSpec,
)
from mujo_edge.data.splits import Fold, fixed_split, subject_kfold
from mujo_edge.data.windows import WindowSet

__all__ = [
    "ACC_CHANNELS", "DATASETS", "DEFAULT_FRACTIONS", "DEFAULT_SPEC", "GYRO_CHANNELS", "IMU_CHANNELS", "NULL_LABEL",
    "STANDARD_GRAVITY", "DatasetInfo", "Fold", "Normalization", "Recording", "SensorSpec", "WindowSet",
    "dataset_names", "fixed_split", "get_dataset", "label_fraction", "label_fractions", "prepare",
    "subject_kfold", "windows_from_recordings",
]

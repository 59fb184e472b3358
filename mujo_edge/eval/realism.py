"""The simulator's realism score: train on virtual IMU only, test on real sensors.

For each real dataset: take its overlapping classes (:func:`mujo_edge.activities.overlap`), turn the corpus
clips of those activities into recordings at the dataset's sensor site, cut windows with the dataset's
:class:`~mujo_edge.data.SensorSpec` through :func:`~mujo_edge.data.windows_from_recordings` (the one
preprocessing path), train the protocol CNN on them (early stopping on the corpus' validation
subjects, normalization fitted on virtual windows only), and test on every real window of those classes
(all real subjects are unseen). Reported, never asserted.

``channels="acc"`` or ``"gyro"`` scores one sensor alone (the other's channels zeroed in virtual and real windows
alike): which sensor carries the sim-to-real gap of a class.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import torch

from mujo_edge.activities import overlap
from mujo_edge.corpus.store import clip_sample_labels, open_corpus
from mujo_edge.data.prepare import prepare, windows_from_recordings
from mujo_edge.data.recording import Recording
from mujo_edge.data.spec import IMU_CHANNELS, Normalization, SensorSpec
from mujo_edge.data.windows import WindowSet
from mujo_edge.errors import DataError, UnknownNameError
from mujo_edge.metrics import accuracy, confusion_matrix, macro_f1, per_class_f1
from mujo_edge.models.classifiers import build_classifier
from mujo_edge.models.inference import predict_logits
from mujo_edge.train.supervised import SupervisedConfig, train_supervised

log = logging.getLogger(__name__)

#: Sensor subsets ``realism`` can score: every channel the dataset has, accelerometer only, gyroscope only.
CHANNEL_SETS = ("all", "acc", "gyro")


def virtual_windows(corpus_dir: str | Path, classes: dict[str, tuple[str, ...]], site: str, spec: SensorSpec,
                    split: str) -> WindowSet:
    """WindowSet of corpus clips whose activity belongs to exactly one class, IMU at ``site``, cut with ``spec``.

    Samples are labelled by :func:`~mujo_edge.corpus.store.clip_sample_labels` (a posture transition only where the
    body moves), so the spec's purity rule applies to virtual windows as it does to real ones."""
    ds = open_corpus(corpus_dir, split=split, fields=("imu",))
    if site not in ds.imu_sites:
        raise DataError(f"corpus {corpus_dir} has no sensor at {site!r}; it has {', '.join(ds.imu_sites)}")
    names = tuple(classes)
    act_to_class: dict[str, int] = {}
    for k, c in enumerate(names):
        for a in classes[c]:
            act_to_class[a] = k
    s = ds.imu_sites.index(site)
    rate = float(ds.meta["rate_hz"])
    recs = []
    for i in range(len(ds)):
        info = ds.clip_info(i)
        if info["label"] not in act_to_class:
            continue
        imu = ds[i]["imu"][:, s]
        recs.append(Recording("corpus", info["subject"], info["clip_id"], rate, IMU_CHANNELS, imu,
                              clip_sample_labels(info, len(imu), rate, act_to_class[info["label"]]), site))
    if not recs:
        raise DataError(f"corpus {corpus_dir} ({split}) has no clip of {sorted(act_to_class)}")
    return windows_from_recordings(recs, spec, "corpus", names, site)


def realism_classes(corpus_dir: str | Path, dataset: str, class_names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The classes of ``dataset`` the realism score uses → their corpus activities.

    A class is usable when it is one of ``class_names``, its activities are in the corpus, and none of them
    belongs to another class. Raises DataError when fewer than two remain.
    """
    ov = overlap(dataset)
    corpus_acts = set(open_corpus(corpus_dir, fields=()).meta["stats"]["activities"])
    counts: dict[str, int] = {}
    for acts in ov.values():
        for a in acts:
            counts[a] = counts.get(a, 0) + 1
    classes = {c: acts for c, acts in ov.items() if c in class_names and all(counts[a] == 1 for a in acts)
               and any(a in corpus_acts for a in acts)}
    if len(classes) < 2:
        raise DataError(f"{dataset}: fewer than two classes overlap with the corpus activities")
    return classes


def realism_one(corpus_dir: str | Path, dataset: str, data_root: str | Path | None = None, seed: int = 0,
                channels: str = "all") -> dict[str, object]:
    """Train on virtual IMU, test on ``dataset``'s real windows of the overlapping classes (``channels``: one of
    :data:`CHANNEL_SETS`)."""
    if channels not in CHANNEL_SETS:
        raise UnknownNameError("realism channel set", channels, CHANNEL_SETS)
    t0 = time.perf_counter()
    real = prepare(dataset, data_root=data_root)
    classes = realism_classes(corpus_dir, dataset, real.class_names)
    names = tuple(classes)
    spec = real.spec
    fit = virtual_windows(corpus_dir, classes, real.placement, spec, "train")
    val = virtual_windows(corpus_dir, classes, real.placement, spec, "val")
    mask = real.channel_mask.copy()
    if channels != "all":
        mask[[i for i, c in enumerate(spec.channels) if not c.startswith(channels)]] = False
        if not mask.any():
            raise DataError(f"{dataset} has no {channels} channels (it records {', '.join(spec.channels)}); "
                            f"use channels 'all' or the other sensor")
    fit.x[:, :, ~mask] = 0.0
    val.x[:, :, ~mask] = 0.0
    norm = Normalization.fit(fit.x, mask)
    spec_n = spec.replace(normalization=norm)
    keep = np.isin(real.y, [real.class_names.index(c) for c in names])
    remap = {real.class_names.index(c): k for k, c in enumerate(names)}
    y_test = np.array([remap[int(v)] for v in real.y[keep]], dtype=np.int64)
    x_real = real.x[keep].copy()
    x_real[:, :, ~mask] = 0.0
    x_test = spec_n.normalize(x_real)
    torch.manual_seed(seed)
    model = build_classifier("cnn", in_channels=len(spec.channels), num_classes=len(names))
    res = train_supervised(model, spec_n.normalize(fit.x), fit.y, spec_n.normalize(val.x), val.y, len(names),
                           SupervisedConfig(seed=seed))
    pred = predict_logits(model, x_test).argmax(1)
    subj = real.subjects[keep]
    per_subject = [macro_f1(y_test[subj == s], pred[subj == s], len(names)) for s in np.unique(subj)]
    pcf = per_class_f1(y_test, pred, len(names))
    return {
        "dataset": dataset, "placement": real.placement, "classes": {c: list(a) for c, a in classes.items()},
        "real_windows": int(keep.sum()), "real_subjects": int(len(np.unique(subj))),
        "virtual_windows": int(len(fit) + len(val)), "virtual_val_windows": int(len(val)),
        "macro_f1": macro_f1(y_test, pred, len(names)), "accuracy": accuracy(y_test, pred),
        "per_subject_macro_f1_mean": float(np.mean(per_subject)), "per_subject_macro_f1_std": float(np.std(per_subject)),
        "per_class_f1": {c: (None if np.isnan(v) else round(float(v), 4)) for c, v in zip(names, pcf)},
        "confusion": confusion_matrix(y_test, pred, len(names)).tolist(),
        "virtual_val_f1": res.best_val_f1, "train_steps": res.steps, "seconds": round(time.perf_counter() - t0, 1),
        "channels": channels,
        "spec": spec.to_dict(),
    }


def realism(corpus_dir: str | Path, datasets: list[str], data_root: str | Path | None = None, seed: int = 0,
            channels: str = "all") -> dict:
    """:func:`realism_one` for every dataset; returns ``{"corpus", "seed", "channels", "datasets": [...]}``."""
    out = [realism_one(corpus_dir, d, data_root, seed, channels) for d in datasets]
    for r in out:
        log.info("realism %s: macro F1 %.3f over %d classes", r["dataset"], r["macro_f1"], len(r["classes"]))
    return {"corpus": str(corpus_dir), "seed": seed, "channels": channels, "datasets": out}

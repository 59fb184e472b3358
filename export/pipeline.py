"""``export_checkpoint``: a student / classifier checkpoint → verified ``.pte`` / ``.tflite`` / ``.onnx`` + sidecars.

Steps for each requested format:

1. Rebuild the model from the checkpoint, fold BatchNorm into the convolutions, fix the input to one
   NORMALIZED window ``(1, W, C)`` float32.
2. For int8, calibrate static post-training quantization with the backend's own quantizer on windows
   of the calibration subjects (the fold's fit + validation subjects; never a test subject), after
   choosing the int8 input range on them (:mod:`mujo_edge.export.calibration`).
3. Write ``{name}_{int8|fp32}{suffix}`` and its sidecar (sensor spec, label names, provenance, metrics,
   calibration), load it in its own runtime, run the held-out test windows and compare with the eager
   model (top-1 agreement ≥ 99 %, macro F1 within 1 point either way); the sidecar gets the numbers.

Every requested format is exported and verified even when an earlier one fails. Then
``export_report_{int8|fp32}.json`` (and ``export_config_{int8|fp32}.json``, so fp32 and int8 exports can
share one folder) is written with each file's numbers and pass/fail, and if any file failed its
verification a :class:`~mujo_edge.errors.VerificationError` names every failing file with its numbers
(failed files stay for inspection, their sidecars marked ``verification.passed = false``). A toolchain
failure of one format is recorded the same way and raised as :class:`~mujo_edge.errors.ExportError`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from mujo_edge.export.backends import BACKENDS, check_precision
from mujo_edge.export.calibration import CANDIDATES, DEFAULT_PERCENTILE, check_percentile, choose_input_range
from mujo_edge.export.toolchain_log import tail, toolchain_output
from mujo_edge.export.verify import failure_message, verify_file

from mujo_edge.artifacts.checkpoint import checkpoint_split, load_checkpoint
from mujo_edge.artifacts.contract import FIELDS as CONTRACT_FIELDS
from mujo_edge.artifacts.contract import KEY as CONTRACT_KEY
from mujo_edge.artifacts.contract import build_contract, contract_text, seal
from mujo_edge.artifacts.sidecar import build_sidecar, io_contract, write_sidecar
from mujo_edge.config import save_json, to_dict
from mujo_edge.provenance import atomic_write_bytes
from mujo_edge.errors import ConfigError, ExportError, VerificationError
from mujo_edge.metrics import scores
from mujo_edge.models.classifiers import classifier_from_checkpoint, count_parameters
from mujo_edge.models.inference import predict_logits
from mujo_edge.models.students import fold_batchnorm

log = logging.getLogger(__name__)

#: Checkpoint kinds that can be exported.
EXPORTABLE_KINDS: tuple[str, ...] = ("student", "classifier")
#: where each file type keeps the embedded contract (recorded in the sidecar's ``embedded_contract``)
EMBEDDED_WHERE: dict[str, str] = {".onnx": "ModelProto.metadata_props", ".tflite": "Model.metadata buffer",
                                  ".pte": "constant method returning the JSON string"}


@dataclass(frozen=True)
class ExportConfig:
    """Options of ``mujo-edge export`` (saved as ``export_config_{int8|fp32}.json`` in the output folder).

    Attributes:
        formats: export backends (names in :data:`mujo_edge.export.backends.BACKENDS`).
        int8: static int8 post-training quantization; fp32 otherwise.
        calib_windows: calibration windows drawn (seeded) from the calibration subjects.
        name: file stem (default: the checkpoint's model name).
        source: labelled window source for checkpoints that record none (``dataset:NAME``).
        fold: fold of a seed-0 5-fold subject split when the checkpoint records none.
        min_agreement: required top-1 agreement with the eager model on the test windows.
        max_f1_drop: allowed macro-F1 drop vs the eager model (0.01 = one point).
        max_verify_windows: cap on test windows used for verification (``None`` = all).
        threads: runtime threads during verification.
        seed: sampling seed (calibration windows and the verification subset use separate generators
            derived from it, so one does not change the other).
        quiet_toolchains: toolchain console output goes to ``<file>.log`` instead of the terminal.
        input_percentile: clip the int8 input range to this two-sided percentile of the calibration inputs
            (100 = their min / max; :mod:`mujo_edge.export.calibration` says why 99.95).
        input_range_search: instead, search the clip among
            :data:`mujo_edge.export.calibration.CANDIDATES` by the fp32 model's decisions kept on the calibration
            windows (the earlier default; measured worse on unseen subjects).
    """

    formats: tuple[str, ...] = ("executorch", "tflite", "onnx")
    int8: bool = False
    calib_windows: int = 2048
    name: str | None = None
    source: str | None = None
    fold: int = 0
    min_agreement: float = 0.99
    max_f1_drop: float = 0.01
    max_verify_windows: int | None = None
    threads: int = 1
    seed: int = 0
    quiet_toolchains: bool = True  # toolchain console output goes to ``<file>.log`` (see export.toolchain_log)
    input_percentile: float = DEFAULT_PERCENTILE
    input_range_search: bool = False

    def __post_init__(self) -> None:
        if not self.formats:
            raise ConfigError(f"no export format given; valid: {', '.join(BACKENDS.names())}")
        for f in self.formats:
            BACKENDS.get(f)
        check_precision(tuple(self.formats), self.int8)
        if self.calib_windows < 1:
            raise ConfigError(f"calib_windows must be >= 1, got {self.calib_windows}")
        check_percentile(self.input_percentile, "input_percentile")
        if not 0 < self.min_agreement <= 1 or self.max_f1_drop < 0:
            raise ConfigError(f"invalid tolerances min_agreement={self.min_agreement}, max_f1_drop={self.max_f1_drop}")


@dataclass
class ExportedFile:
    """One verified export."""

    format: str
    path: Path
    sidecar: Path
    precision: str
    size_bytes: int
    verification: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)


def select_windows(n_test: int, n_calib: int, cfg: ExportConfig) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Seeded, sorted index subsets: ``(test windows to verify on or None = all, calibration windows or None)``.

    Calibration windows (only with ``cfg.int8``) are drawn from a generator of their own, so the
    calibration set does not depend on whether ``cfg.max_verify_windows`` subsampled the test windows.
    """
    verify_seq, calib_seq = np.random.SeedSequence(cfg.seed).spawn(2)
    keep = pick = None
    if cfg.max_verify_windows is not None and n_test > cfg.max_verify_windows:
        keep = np.sort(np.random.default_rng(verify_seq).choice(n_test, cfg.max_verify_windows, replace=False))
    if cfg.int8:
        pick = np.sort(np.random.default_rng(calib_seq).choice(n_calib, min(cfg.calib_windows, n_calib), replace=False))
    return keep, pick


def report_row(fmt: str, path: Path, ver: dict[str, Any] | None, error: str | None = None) -> dict[str, Any]:
    """One file's line in ``export_report_*.json``: pass/fail and the verification numbers (or the export error)."""
    row: dict[str, Any] = {"format": fmt, "file": path.name,
                           "size_bytes": path.stat().st_size if path.exists() else None}
    if ver is None:
        return {**row, "passed": False, "error": error}
    keys = ("passed", "windows", "top1_agreement", "min_agreement", "macro_f1", "macro_f1_eager", "f1_drop",
            "max_f1_drop", "max_abs_logit_diff", "runtime")
    return {**row, **{k: ver[k] for k in keys}}


def export_checkpoint(checkpoint: str | Path, out: str | Path, cfg: ExportConfig = ExportConfig(),
                      data_root: str | Path | None = None) -> list[ExportedFile]:
    """Export checkpoint folder ``checkpoint`` to ``out`` in every format of ``cfg``; see the module docstring.

    Returns:
        One :class:`ExportedFile` per format, in ``cfg.formats`` order (all verified).

    Raises:
        CheckpointError: not a checkpoint, or a kind other than student / classifier.
        ConfigError: the checkpoint records no data split and ``cfg.source`` is not given.
        VerificationError: one or more files failed verification (after all formats were tried and the
            report was written); the message names every failing file with its numbers.
        ExportError: a toolchain failed for one or more formats (also after trying all of them).
    """
    out = Path(out)
    created = _new_folders(out)
    try:
        return _export(checkpoint, out, cfg, data_root)
    except BaseException:
        _remove_if_empty(created)
        raise


def _new_folders(out: Path) -> list[Path]:
    """The folders of ``out`` (itself and missing parents) that do not exist yet, deepest first."""
    missing = []
    p = out.absolute()
    while not p.exists():
        missing.append(p)
        p = p.parent
    return missing


def _remove_if_empty(folders: list[Path]) -> None:
    """Remove the folders an export created if it left them empty (a failed export leaves no empty ``--out``)."""
    for f in folders:
        try:
            f.rmdir()  # only succeeds when empty
        except OSError:
            break


def _export(checkpoint: str | Path, out: Path, cfg: ExportConfig, data_root: str | Path | None) -> list[ExportedFile]:
    t_start = time.perf_counter()
    ckpt = load_checkpoint(checkpoint, kinds=EXPORTABLE_KINDS)
    if not ckpt.label_names:
        raise ConfigError(f"{ckpt.path}: checkpoint has no label names; exported classifiers need them")
    model = classifier_from_checkpoint(ckpt)
    fused = fold_batchnorm(model)
    spec, k = ckpt.spec, len(ckpt.label_names)
    split = checkpoint_split(ckpt, data_root, source=cfg.source, fold=cfg.fold)
    if not split.recorded:
        log.warning("%s records no data split; verifying on fold %d of %s (its test subjects may have been seen "
                    "in training)", ckpt.path, cfg.fold, split.source)
    keep, pick = select_windows(len(split.x_test), len(split.x_calib), cfg)
    x_test, y_test = (split.x_test, split.y_test) if keep is None else (split.x_test[keep], split.y_test[keep])
    eager_logits = predict_logits(model, spec.normalize(x_test))
    eager_metrics = {**scores(y_test, eager_logits.argmax(1), k), "windows": int(len(y_test))}
    calib = calib_info = None
    if pick is not None:
        calib = spec.normalize(split.x_calib[pick])
        calib_info = {"windows": int(len(pick)), "subjects": list(split.calib_subjects), "source": split.source,
                      "test_subjects": list(split.fold.test_subjects), "seed": cfg.seed,
                      "class_counts": np.bincount(split.y_calib[pick], minlength=k).tolist()}
        candidates = CANDIDATES if cfg.input_range_search else (cfg.input_percentile,)
        lo, hi, calib_info["input_range"] = choose_input_range(model, calib, candidates)
        calib = np.clip(calib, lo, hi).astype(np.float32)
    example = torch.from_numpy(spec.normalize(x_test[:1]))
    precision = "int8" if cfg.int8 else "fp32"
    name = cfg.name or ckpt.model_name
    label_names = tuple(ckpt.label_names)
    channels_used = list(ckpt.extra.get("channels_used") or spec.channels)
    source_ckpt = {"path": str(ckpt.path.resolve()), "kind": ckpt.kind, "model_name": ckpt.model_name,
                   "weights_sha256": ckpt.weights_sha256, "git_commit": ckpt.git_commit, "step": ckpt.step,
                   "metrics": {k: v for k, v in ckpt.metrics.items() if k != "distill"}}
    model_info = {"name": ckpt.model_name, "config": ckpt.model_config, "parameters": count_parameters(model),
                  "version": f"{ckpt.model_name}-{ckpt.weights_sha256[:12]}", "batchnorm_folded": True}

    def contract_for(backend: str) -> Callable[[dict[str, Any] | None], str]:
        def text(io: dict[str, Any] | None) -> str:
            inp, outp = io_contract(spec, k, io)
            return contract_text(build_contract({"backend": backend, "precision": precision, "sensor_spec": spec.to_dict(),
                                                 "label_names": list(label_names), "channels_used": channels_used,
                                                 "input": inp, "output": outp}))
        return text

    out.mkdir(parents=True, exist_ok=True)
    save_json(out / f"export_config_{precision}.json", {"config": cfg, "checkpoint": str(ckpt.path)})
    results: list[ExportedFile] = []
    rows: list[dict[str, Any]] = []
    failed: list[str] = []  # one message per failing file
    toolchain_failed = False
    for fmt in cfg.formats:
        backend = BACKENDS.get(fmt)
        path = out / backend.file_name(name, precision)
        log.info("exporting %s (%s)", path, backend.description)
        tool_log = path.with_name(path.name + ".log")
        tool_log.unlink(missing_ok=True)
        try:
            with toolchain_output(tool_log, cfg.quiet_toolchains):
                details = backend.export(fused, example, calib, path, contract_for(backend.runtime))
                atomic_write_bytes(path, seal(path.read_bytes()))
        except ExportError as exc:
            log.error("%s", exc)
            rows.append(report_row(fmt, path, None, str(exc)))
            more = tail(tool_log) if cfg.quiet_toolchains else ""
            failed.append(f"{path}: {exc}" + (f"\n  toolchain output ({tool_log}), last lines:\n{more}" if more else ""))
            toolchain_failed = True
            continue
        data = {"source": split.source, "fold": split.fold.name, "test_subjects": list(split.fold.test_subjects),
                "split_recorded_in_checkpoint": split.recorded}
        meta = build_sidecar(
            path, backend=backend.runtime, precision=precision, spec=spec, label_names=label_names,
            model=model_info, source_checkpoint=source_ckpt, io=details.get("io"), export_format=fmt,
            channels_used=channels_used,
            embedded_contract={"key": CONTRACT_KEY, "where": EMBEDDED_WHERE[backend.suffix],
                               "fields": list(CONTRACT_FIELDS),
                               "sealed": "payload_sha256 = sha256 of the file with these 64 hex digits zeroed"},
            quantization={"method": "static post-training (PT2E / ONNX Runtime QOperator)", "quantizer": backend.quantizer}
            if cfg.int8 else None,
            calibration=calib_info, data=data, export={**to_dict(cfg), "backend_details": details},
            metrics={"fp32": eager_metrics, "int8": None}, verification={"passed": None},
        )
        try:
            with toolchain_output(tool_log, cfg.quiet_toolchains):
                extra = backend.finalize(path, meta)
        except ExportError as exc:
            log.error("%s", exc)
            rows.append(report_row(fmt, path, None, str(exc)))
            failed.append(f"{path}: {exc}")
            toolchain_failed = True
            continue
        if extra is not None:
            meta[fmt] = extra
        write_sidecar(path, meta)  # the runtime reads the sidecar during verification
        with toolchain_output(tool_log, cfg.quiet_toolchains):  # the runtimes print while loading, too
            ver = verify_file(path, eager_logits, x_test, y_test, k, cfg.min_agreement, cfg.max_f1_drop, cfg.threads)
        file_metrics = {"macro_f1": ver["macro_f1"], "accuracy": ver["accuracy"], "windows": ver["windows"]}
        meta["metrics"] = {"fp32": eager_metrics if cfg.int8 else file_metrics, "int8": file_metrics if cfg.int8 else None,
                           "eager_fp32": eager_metrics, "f1_drop_vs_fp32": eager_metrics["macro_f1"] - file_metrics["macro_f1"]}
        meta["verification"] = ver
        sidecar = write_sidecar(path, meta)
        rows.append(report_row(fmt, path, ver))
        results.append(ExportedFile(fmt, path, sidecar, precision, path.stat().st_size, ver, {**details, **(extra or {})}))
        if ver["passed"]:
            log.info("%s: %d bytes, agreement %.4f, macro F1 %.4f (eager %.4f)", path.name, path.stat().st_size,
                     ver["top1_agreement"], ver["macro_f1"], ver["macro_f1_eager"])
        else:
            failed.append(failure_message(path, ver))
            log.error("%s", failed[-1])
    report = out / f"export_report_{precision}.json"
    save_json(report, {
        "checkpoint": str(ckpt.path), "precision": precision, "seconds": round(time.perf_counter() - t_start, 1),
        "passed": not failed, "eager": eager_metrics, "calibration": calib_info, "files": rows})
    if failed:
        what = "export failed" if toolchain_failed else "verification failed"
        msg = f"{what} for {len(failed)} of {len(cfg.formats)} file(s) (report: {report}):\n" + "\n".join(failed)
        raise (ExportError if toolchain_failed else VerificationError)(msg)
    return results

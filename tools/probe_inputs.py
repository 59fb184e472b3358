#!/usr/bin/env python3
"""Probe mujo-edge with bad inputs the way a careful user would, and count how each one ends.

Every probe runs the real ``mujo-edge`` command in a subprocess (a crash cannot take the probe down)
and is classified as

* ``clear``: a non-zero exit with an ``error: ...`` line and no traceback (what must happen);
* ``ok``: exit 0 where the input is fine after all (e.g. a model file whose changed byte is a weight);
* ``silent``: exit 0 although the input is wrong (a finding);
* ``traceback``: a Python traceback reached the user (a finding);
* ``crash``: killed by a signal or another exit code (a finding);
* ``hang``: no answer within the timeout (a finding).

Inputs are made here, in a temporary folder: recording CSVs, a small trained checkpoint, its int8
exports (when the export toolchains are installed), and broken copies of all of them.

Usage: ``python tools/probe_inputs.py [--json OUT.json] [--only PREFIX]``; exit 1 if any finding.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TIMEOUT_S = 300


@dataclass
class Probe:
    """One bad input: the command, and whether a clean exit would be acceptable."""

    name: str
    args: list[str]
    ok_allowed: bool = False


def run_probe(p: Probe, env: dict[str, str]) -> dict[str, object]:
    t0 = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "mujo_edge.cli", *p.args], capture_output=True, text=True,
                              timeout=TIMEOUT_S, env=env)
    except subprocess.TimeoutExpired:
        return {"name": p.name, "outcome": "hang", "seconds": TIMEOUT_S}
    err = proc.stderr
    if proc.returncode == 0:
        outcome = "ok" if p.ok_allowed else "silent"
    elif "Traceback (most recent call last)" in err:
        outcome = "traceback"
    elif proc.returncode < 0 or proc.returncode not in (1, 2):
        outcome = "crash"
    elif "error" in err.lower():
        outcome = "clear"
    else:
        outcome = "traceback"
    line = next((ln for ln in err.splitlines() if ln.lower().startswith("error")), err.strip().splitlines()[-1:] or [""])
    return {"name": p.name, "outcome": outcome, "rc": proc.returncode, "seconds": round(time.monotonic() - t0, 1),
            "message": (line if isinstance(line, str) else line[0])[:300]}


def write_csv(path: Path, text: str | bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def recording_probes(tmp: Path, model: str) -> list[Probe]:
    """Broken recording CSVs fed to ``predict``."""
    head = "t_s,acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z,label\n"
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1, (600, 3)), rng.normal(0, 0.1, (600, 3))

    def make_rows(gravity: float) -> list[str]:
        """600 rows at 50 Hz: acc = noise + gravity on z (unit of ``gravity``), gyro in rad/s."""
        return [f"{i / 50:.4f}," + ",".join(f"{v:.3f}" for v in (noise[0][i] * gravity / 9.81 + [0, 0, gravity]).tolist()
                                            + noise[1][i].tolist()) + ",rest\n" for i in range(600)]
    rows = make_rows(9.81)
    cases = {
        "csv_header_only": head,
        "csv_empty": "",
        "csv_binary": bytes(range(256)) * 8,
        "csv_utf16": (head + "".join(rows)).encode("utf-16"),
        "csv_unknown_column": head.replace("label", "mood") + "".join(rows),
        "csv_nan": head + "".join(rows[:100]) + "0.1,nan,1,1,1,1,1,rest\n",
        "csv_short_row": head + "".join(rows[:100]) + "3.0,1,2\n",
        "csv_text_in_number": head + "".join(rows[:100]) + "2.02,abc,1,1,1,1,1,rest\n",
        "csv_time_backwards": head + "".join(rows[:200]) + "".join(rows[100:200]),
        "csv_rate_contradicts": "# rate_hz=100\n" + head + "".join(rows),
        "csv_too_short": head + "".join(rows[:50]),
        "csv_in_g": head + "".join(make_rows(1.0)),
        "csv_huge_values": head + "".join(",".join([r.split(",")[0]] + ["1e9"] * 6 + ["rest\n"]) for r in rows),
        "csv_ms_as_seconds": head + "".join(f"{i * 20}," + r.split(",", 1)[1] for i, r in enumerate(rows)),
        "csv_no_sensor_columns": "t_s,label\n0,rest\n0.02,rest\n",
        "csv_no_rate": "acc_x,acc_y,acc_z\n1,2,9\n",
    }
    out = [Probe(name, ["predict", "--model", model, "--input", write_csv(tmp / "csv" / f"{name}.csv", text)])
           for name, text in cases.items()]
    out.append(Probe("csv_missing_file", ["predict", "--model", model, "--input", str(tmp / "nope.csv")]))
    out.append(Probe("csv_empty_folder", ["predict", "--model", model, "--input", str(tmp / "emptydir")]))
    (tmp / "emptydir").mkdir(exist_ok=True)
    return out


def option_probes(tmp: Path) -> list[Probe]:
    """Bad options and names on every command."""
    o = str(tmp / "out")
    return [Probe(n, a) for n, a in [
        ("evaluate_fraction_text", ["evaluate", "--dataset", "motionsense", "--fractions", "abc", "--out", o]),
        ("evaluate_fraction_zero", ["evaluate", "--dataset", "motionsense", "--fractions", "0", "--out", o]),
        ("evaluate_fraction_twice", ["evaluate", "--dataset", "motionsense", "--fractions", "0.02,0.02", "--out", o]),
        ("evaluate_seeds_zero", ["evaluate", "--dataset", "motionsense", "--seeds", "0", "--out", o]),
        ("evaluate_mode_unknown", ["evaluate", "--dataset", "motionsense", "--modes", "bogus", "--out", o]),
        ("evaluate_dataset_unknown", ["evaluate", "--dataset", "nosuch", "--out", o]),
        ("evaluate_window_one", ["evaluate", "--dataset", "motionsense", "--window", "1", "--out", o]),
        ("evaluate_purity_two", ["evaluate", "--dataset", "motionsense", "--purity", "2", "--out", o]),
        ("prepare_negative_rate", ["data", "prepare", "motionsense", "--rate", "-50"]),
        ("prepare_unknown_placement", ["data", "prepare", "motionsense", "--placement", "ankle"]),
        ("prepare_unknown_dataset", ["data", "prepare", "nosuch"]),
        ("show_unknown_dataset", ["data", "show", "nosuch", "--out", o + ".png"]),
        ("download_unknown", ["data", "download", "nosuch"]),
        ("distill_unknown_student", ["distill", "--student", "resnet9000", "--out", o]),
        ("distill_bad_source", ["distill", "--dataset", "ftp:x", "--out", o]),
        ("distill_fold_out_of_range", ["distill", "--fold", "7", "--out", o]),
        ("export_unknown_format", ["export", "--checkpoint", o, "--format", "coreml", "--out", o]),
        ("export_missing_checkpoint", ["export", "--checkpoint", str(tmp / "nope"), "--out", o]),
        ("pretrain_negative_lr", ["pretrain", "--corpus", o, "--out", o, "--lr", "-1"]),
        ("pretrain_missing_corpus", ["pretrain", "--corpus", str(tmp / "nope"), "--out", o]),
        ("pretrain_unknown_device", ["pretrain", "--corpus", o, "--out", o, "--device", "tpu"]),
        ("pretrain_absent_gpu", ["pretrain", "--corpus", o, "--out", o, "--device", "cuda:7"]),
        ("corpus_negative_hours", ["corpus", "build", "--out", o, "--hours", "-1"]),
        ("corpus_zero_workers", ["corpus", "build", "--out", o, "--workers", "0"]),
        ("corpus_unknown_source", ["corpus", "build", "--out", o, "--sources", "youtube"]),
        ("corpus_unknown_activity", ["corpus", "build", "--out", o, "--activities", "levitating"]),
        ("live_no_source", ["live", "--model", o]),
        ("live_bad_fault_key", ["live", "--model", o, "--simulate", "synthetic", "--faults", "lose=1"]),
        ("live_bad_fault_seed", ["live", "--model", o, "--simulate", "synthetic", "--faults", "seed=-1"]),
        ("live_bad_fault_prob", ["live", "--model", o, "--simulate", "synthetic", "--faults", "loss=2"]),
        ("live_bad_source", ["live", "--model", o, "--simulate", "bluetooth"]),
        ("import_bad_name", ["data", "import", o, "--name", "My Watch"]),
        ("import_missing_source", ["data", "import", str(tmp / "nope"), "--name", "probe_a"]),
        ("import_builtin_name", ["data", "import", o, "--name", "motionsense"]),
        ("import_bad_unit", ["data", "import", o, "--name", "probe_b", "--acc-unit", "G"]),
        ("import_bad_map", ["data", "import", o, "--name", "probe_c", "--map", "acc_q=x"]),
        ("import_bad_pattern", ["data", "import", o, "--name", "probe_d", "--subject-pattern", "(["]),
        ("finetune_unknown_dataset", ["finetune", "--dataset", "nosuch", "--out", o]),
        ("predict_missing_model", ["predict", "--model", str(tmp / "nope.tflite"), "--input", "x.csv"]),
        ("predict_unknown_suffix", ["predict", "--model", write_csv(tmp / "m.mlmodel", "x"), "--input", "x.csv"]),
    ]]


def import_probes(tmp: Path) -> list[Probe]:
    """A user's raw files with wrong units, clocks or columns."""
    from mujo_edge.data.example_files import write_watch_csv

    plan = [("sitting", 8.0), ("walking", 8.0)]
    raw = tmp / "raw"
    good = write_watch_csv(raw / "good" / "subject_1.csv", plan, seed=1)
    base = ["data", "import", str(good), "--subject-pattern", r"subject_(\d+)"]
    seg = write_csv(tmp / "seg.csv", f"file,start,end,label\n{good.name},5,2,sitting\n")
    const = write_watch_csv(raw / "const" / "subject_1.csv", plan, seed=2, acc_unit="m/s2", gyro_unit="rad/s",
                            acc_only=False)
    lines = const.read_text().splitlines()
    const.write_text("\n".join([lines[0]] + [",".join(ln.split(",")[:4] + ["0", "0", "0"] + ln.split(",")[7:])
                                             for ln in lines[1:]]) + "\n")
    noheader = write_csv(raw / "noheader.csv", "\n".join(good.read_text().splitlines()[1:]) + "\n")
    return [Probe(n, a) for n, a in [
        ("import_g_as_ms2", [*base, "--name", "probe_g", "--gyro-unit", "deg/s"]),
        ("import_dps_as_rads", [*base, "--name", "probe_dps", "--acc-unit", "g"]),
        ("import_ns_as_s", [*base, "--name", "probe_t", "--acc-unit", "g", "--gyro-unit", "deg/s", "--time-unit", "s"]),
        ("import_constant_gyro", ["data", "import", str(const), "--name", "probe_const"]),
        ("import_no_header", ["data", "import", noheader, "--name", "probe_nh"]),
        ("import_unknown_map_column", [*base, "--name", "probe_m", "--map", "acc_x=nosuch"]),
        ("import_segment_end_before_start", [*base, "--name", "probe_s", "--acc-unit", "g", "--gyro-unit", "deg/s",
                                             "--segments", seg]),
        ("import_no_labels", [*base, "--name", "probe_l", "--acc-unit", "g", "--gyro-unit", "deg/s", "--label", "ax"]),
    ]]


def model_probes(tmp: Path, ckpt: Path, files: list[Path], csv: str) -> list[Probe]:
    """Broken checkpoints, model files and sidecars fed to ``predict`` (which loads them with runtime.load)."""
    out: list[Probe] = []

    def edited_checkpoint(name: str, edit) -> str:  # noqa: ANN001 - a small local callback
        dst = tmp / "ckpt" / name
        shutil.copytree(ckpt, dst)
        meta = json.loads((dst / "checkpoint.json").read_text())
        edit(meta, dst)
        (dst / "checkpoint.json").write_text(json.dumps(meta))
        return str(dst)

    def text(m, d): m["model"]["config"] = {"text": {"arch": "minilm", "package": "this"}}  # noqa: E731,E704

    for name, edit in [
        ("ckpt_rate_edited", lambda m, d: m["sensor_spec"].update(rate_hz=25.0)),
        ("ckpt_labels_swapped", lambda m, d: m.update(label_names=m["label_names"][::-1])),
        ("ckpt_channels_swapped", lambda m, d: m["sensor_spec"]["channels"].reverse()),
        ("ckpt_format_version_text", lambda m, d: m.update(format_version="1")),
        ("ckpt_step_text", lambda m, d: m.update(step="12")),
        ("ckpt_kind_unknown", lambda m, d: m.update(kind="banana")),
        ("ckpt_text_package", text),
        ("ckpt_weights_garbage", lambda m, d: (d / "model.safetensors").write_bytes(b"garbage")),
        ("ckpt_weights_missing", lambda m, d: (d / "model.safetensors").unlink()),
        ("ckpt_not_json", lambda m, d: None),
    ]:
        path = edited_checkpoint(name, edit)
        if name == "ckpt_not_json":
            Path(path, "checkpoint.json").write_text("{broken")
        out.append(Probe(name, ["predict", "--model", path, "--input", csv]))
    rng = np.random.default_rng(1)
    for f in files:
        side = f.with_name(f.name + ".json")
        tag = f.suffix[1:]

        def mutated(kind: str, data: bytes, meta_edit=None, keep_sha: bool = False) -> str:  # noqa: ANN001
            dst_dir = tmp / "files" / f"{tag}_{kind}"
            dst_dir.mkdir(parents=True, exist_ok=True)
            dst = dst_dir / f.name
            dst.write_bytes(data)
            meta = json.loads(side.read_text())
            if not keep_sha:
                import hashlib
                meta["sha256"] = hashlib.sha256(data).hexdigest()
            if meta_edit is not None:
                meta_edit(meta)
            (dst_dir / side.name).write_text(json.dumps(meta))
            return str(dst)

        raw = f.read_bytes()
        flipped = bytearray(raw)
        flipped[:16] = bytes(b ^ 0xFF for b in flipped[:16])
        mid = bytearray(raw)
        for i in rng.integers(0, len(raw), 8):
            mid[int(i)] ^= 0x5A
        cases = [
            ("first_bytes_flipped", bytes(flipped), None, False, False),
            ("truncated_half", raw[: len(raw) // 2], None, False, False),
            ("truncated_16", raw[:16], None, False, False),
            ("empty", b"", None, False, False),
            ("random_bytes", rng.integers(0, 256, len(raw), dtype=np.uint8).tobytes(), None, False, False),
            ("bytes_changed_sha_not_updated", bytes(mid), None, True, False),
            ("bytes_changed_sha_updated", bytes(mid), None, False, True),
            ("sidecar_rate_edited", raw, lambda m: m["sensor_spec"].update(rate_hz=25.0), False, False),
            ("sidecar_window_edited", raw, lambda m: m["sensor_spec"].update(window=64), False, False),
            ("sidecar_channels_swapped", raw, lambda m: m["sensor_spec"]["channels"].reverse(), False, False),
            ("sidecar_labels_swapped", raw, lambda m: m.update(label_names=m["label_names"][::-1]), False, False),
            ("sidecar_one_label_more", raw, lambda m: m.update(label_names=m["label_names"] + ["extra"]), False, False),
            ("sidecar_format_version_text", raw, lambda m: m.update(format_version="1"), False, False),
            ("sidecar_missing_keys", raw, lambda m: m.pop("sensor_spec"), False, False),
            ("sidecar_backend_wrong", raw, lambda m: m.update(backend="coreml"), False, False),
        ]
        for kind, data, edit, keep_sha, ok_allowed in cases:
            out.append(Probe(f"{tag}_{kind}", ["predict", "--model", mutated(kind, data, edit, keep_sha), "--input", csv],
                             ok_allowed=ok_allowed))
        no_side = tmp / "files" / f"{tag}_no_sidecar" / f.name
        no_side.parent.mkdir(parents=True, exist_ok=True)
        no_side.write_bytes(raw)
        out.append(Probe(f"{tag}_no_sidecar", ["predict", "--model", str(no_side), "--input", csv]))
        bad_json = tmp / "files" / f"{tag}_sidecar_not_json" / f.name
        bad_json.parent.mkdir(parents=True, exist_ok=True)
        bad_json.write_bytes(raw)
        bad_json.with_name(f.name + ".json").write_text("{not json")
        out.append(Probe(f"{tag}_sidecar_not_json", ["predict", "--model", str(bad_json), "--input", csv]))
    return out


def make_models(tmp: Path) -> tuple[Path, list[Path]]:
    """A small trained checkpoint and (when the export extra is installed) its int8 files."""
    from mujo_edge.data.synthetic import synthetic_watch_windows
    from mujo_edge.export import ExportConfig, export_checkpoint
    from mujo_edge.train.distill import DistillConfig, run_distill

    windows = tmp / "windows.npz"
    synthetic_watch_windows(subjects=6, seconds=60.0).save(windows)
    ckpt = tmp / "student"
    run_distill(DistillConfig(student="dscnn_tiny", source=f"windows:{windows}", max_steps=150), ckpt)
    try:
        files = [r.path for r in export_checkpoint(ckpt, tmp / "edge", ExportConfig(int8=True))]
    except Exception as exc:  # noqa: BLE001 - report, keep probing the rest
        print(f"(export failed, model-file probes skipped: {exc})", file=sys.stderr)
        files = []
    return ckpt, files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write every probe's result here")
    ap.add_argument("--only", default="", help="run only probes whose name starts with this")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="mujo-probe-"))
    env = dict(os.environ, MUJO_EDGE_HOME=str(tmp / "home"), OMP_NUM_THREADS="1")
    try:
        ckpt, files = make_models(tmp)
        csv = write_csv(tmp / "ok.csv", "t_s,acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z\n" + "".join(
            f"{i / 50:.3f},0.1,0.2,9.8,0.01,0.02,0.03\n".replace("0.1,", f"{np.sin(i / 5):.3f},", 1) for i in range(600)))
        probes = (recording_probes(tmp, str(ckpt)) + option_probes(tmp) + import_probes(tmp)
                  + model_probes(tmp, ckpt, files, csv))
        probes = [p for p in probes if p.name.startswith(args.only)]
        results = []
        for p in probes:
            r = run_probe(p, env)
            results.append(r)
            print(f"{r['outcome']:<9s} {p.name:<42s} {r.get('message', '')}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    counts = Counter(r["outcome"] for r in results)
    findings = [r for r in results if r["outcome"] not in ("clear", "ok")]
    print(f"\n{len(results)} probes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if args.json:
        args.json.write_text(json.dumps({"counts": dict(counts), "probes": results}, indent=1) + "\n")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())

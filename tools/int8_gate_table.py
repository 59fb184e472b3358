#!/usr/bin/env python3
"""The int8 gate on real data, as a table: every edge student × MotionSense / USC-HAD × budget, all four formats.

For each case it runs the real commands (supervised student on fold 0, seed S, then the int8 export of every
format with its own verification) and collects the export reports:

    mujo-edge distill --student S --dataset D --out RUN/S-D-B/student --threads 1 [--max-steps 300] [--margin-steps 0] --json
    mujo-edge export --checkpoint RUN/S-D-B/student --out RUN/S-D-B/edge --int8 --format all --json

Usage: ``python tools/int8_gate_table.py --runs runs/int8_gate --out docs/results/int8_gate.json
[--budgets 300,default] [--seeds 0] [--margin-steps N]``; needs ``MUJO_EDGE_DATA_DIR`` (or ``--data-dir``).
Prints the markdown table docs/export.md shows; exit 1 if any file fails its gate.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

STUDENTS = ("dscnn", "dscnn_tiny")
DATASETS = ("motionsense", "usc_had")
FORMATS = ("executorch", "tflite", "onnx", "tflm")


def _mujo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mujo_edge.cli", *args], capture_output=True, text=True, check=False)


def run_case(student: str, dataset: str, budget: str, seed: int, runs: Path, data_dir: str,
             margin_steps: int | None) -> dict[str, object]:
    """Distill + export one case; returns its row (F1, decision-margin stage, every file's gate numbers)."""
    folder = runs / f"{student}-{dataset}-{budget}-seed{seed}"
    t0 = time.perf_counter()
    cmd = ["distill", "--student", student, "--dataset", dataset, "--out", str(folder / "student"), "--threads", "1",
           "--seed", str(seed), "--data-dir", data_dir, "--json"]
    if budget != "default":
        cmd += ["--max-steps", budget]
    if margin_steps is not None:
        cmd += ["--margin-steps", str(margin_steps)]
    dist = _mujo(*cmd)
    if dist.returncode != 0:
        raise SystemExit(f"distill failed for {folder.name}:\n{dist.stderr[-2000:]}")
    metrics = json.loads(dist.stdout)["metrics"]
    exp = _mujo("export", "--checkpoint", str(folder / "student"), "--out", str(folder / "edge"), "--int8",
                "--format", "all", "--data-dir", data_dir, "--json")
    report = json.loads((folder / "edge" / "export_report_int8.json").read_text())
    files = {r["format"]: {"top1_agreement": r.get("top1_agreement"), "f1_drop": r.get("f1_drop"),
                           "passed": r["passed"], "error": r.get("error")} for r in report["files"]}
    sidecar = folder / "edge" / f"{student}_int8_tflm.tflite.json"
    tflm = json.loads(sidecar.read_text()).get("tflm", {}) if sidecar.exists() else {}
    return {"student": student, "dataset": dataset, "budget": budget, "seed": seed,
            "test_macro_f1": metrics["test"]["macro_f1"], "decision_margin": metrics.get("decision_margin"),
            "export_exit_code": exp.returncode, "files": files,
            "tflm_arena_bytes": tflm.get("arena_bytes"), "tflm_model_bytes": tflm.get("model_bytes"),
            "seconds": round(time.perf_counter() - t0, 1)}


def markdown(rows: list[dict[str, object]]) -> str:
    """The table: one line per case, each format's agreement (bold below 99 %) and F1 change in points."""
    lines = ["| student / dataset / steps / seed | eager F1 | near-tied before → after | " + " | ".join(
        ("`.pte`", "`.tflite`", "`.onnx`", "`_tflm.tflite`")) + " | TFLM arena / model |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        stage = r["decision_margin"] or {}
        ties = (f"{100 * stage['near_ties_before']:.1f} → {100 * stage['near_ties_after']:.1f} %" if stage else "(off)")
        cells = []
        for f in FORMATS:
            v = r["files"].get(f, {})  # type: ignore[union-attr]
            if v.get("top1_agreement") is None:
                cells.append(f"error: {v.get('error')}")
                continue
            agree = f"{100 * v['top1_agreement']:.2f} %"
            cells.append(f"{agree if v['passed'] else f'**{agree}**'} · {-100 * v['f1_drop']:+.2f}")
        arena, size = r.get("tflm_arena_bytes"), r.get("tflm_model_bytes")
        cells.append(f"{arena / 1024:.1f} / {size / 1024:.1f} KB" if arena and size else "–")
        lines.append(f"| `{r['student']}` / {r['dataset']} / {r['budget']} / {r['seed']} | {r['test_macro_f1']:.4f} | "
                     f"{ties} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=Path, required=True, help="folder for the students and exported files")
    ap.add_argument("--out", type=Path, required=True, help="JSON file with every case's numbers")
    ap.add_argument("--budgets", default="300,default", help="comma list of --max-steps values ('default' = 1200)")
    ap.add_argument("--seeds", default="0", help="comma list of seeds")
    ap.add_argument("--margin-steps", type=int, default=None, help="override distill's decision-margin steps")
    ap.add_argument("--data-dir", default=os.environ.get("MUJO_EDGE_DATA_DIR", ""))
    args = ap.parse_args()
    if not args.data_dir:
        raise SystemExit("set MUJO_EDGE_DATA_DIR or pass --data-dir")
    rows = []
    for budget in args.budgets.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            for student in STUDENTS:
                for dataset in DATASETS:
                    rows.append(run_case(student, dataset, budget, seed, args.runs, args.data_dir, args.margin_steps))
                    print(markdown(rows[-1:]).splitlines()[-1], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"command": " ".join(sys.argv), "rows": rows}, indent=1) + "\n")
    print(markdown(rows))
    return int(any(not f["passed"] for r in rows for f in r["files"].values()))  # type: ignore[union-attr]


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# Realism of the current simulator on three 1-hour corpora (corpus seeds 0, 1, 2; realism seed 0), two at a time with
# one thread each, as docs/corpus.md measures every simulator change.
#
# usage: MUJO_EDGE_DATA_DIR=../shared/data tools/realism_seeds.sh NAME [OUT_ROOT]
#   writes OUT_ROOT/NAME-s{0,1,2}/ (corpora) and OUT_ROOT/NAME-s{0,1,2}.json (realism), OUT_ROOT defaults to runs/rv,
#   then prints each seed's macro F1 (MotionSense / USC-HAD / UCI-HAPT), UCI-HAPT's per-class F1 and the mean.
#   BUILD_ARGS (environment, optional): extra `corpus build` options for a variant, e.g. "--belt-around-deg 60".
set -euo pipefail
name=${1:?usage: tools/realism_seeds.sh NAME [OUT_ROOT]}
root=${2:-runs/rv}
: "${MUJO_EDGE_DATA_DIR:?set MUJO_EDGE_DATA_DIR (e.g. ../shared/data)}"
bin=${MUJO_EDGE_BIN:-mujo-edge}
py=${PYTHON:-python}
build_args=${BUILD_ARGS:-}
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 name root bin build_args
mkdir -p "$root"
one() {
  local s=$1 d="$root/$name-s$1"
  rm -rf "$d"
  "$bin" corpus build --out "$d" --sources mocap,procedural --hours 1 --seed "$s" --workers 1 $build_args > "$d.build.log" 2>&1 \
    || { echo "corpus build seed $s failed: see $d.build.log" >&2; return 1; }
  "$bin" corpus realism --corpus "$d" --datasets motionsense,usc_had,uci_hapt --out "$d.json" > "$d.realism.log" 2>&1 \
    || { echo "realism seed $s failed: see $d.realism.log" >&2; return 1; }
}
export -f one
printf "0\n1\n2\n" | xargs -P 2 -I{} bash -c 'one {}'
"$py" - "$root" "$name" <<'PY'
import json, sys
import numpy as np
root, name = sys.argv[1], sys.argv[2]
runs = [json.load(open(f"{root}/{name}-s{s}.json")) for s in range(3)]
for s, r in enumerate(runs):
    f1 = " / ".join(f"{d['macro_f1']:.3f}" for d in r["datasets"])
    uci = [d for d in r["datasets"] if d["dataset"] == "uci_hapt"]
    per = {k: round(v, 2) for k, v in uci[0]["per_class_f1"].items()} if uci else {}
    print(f"seed {s}: {f1}  uci_hapt per class {per}")
mean = [float(np.mean([r["datasets"][i]["macro_f1"] for r in runs])) for i in range(len(runs[0]["datasets"]))]
print("mean of 3 corpus seeds:", " / ".join(f"{m:.3f}" for m in mean),
      "(" + ", ".join(d["dataset"] for d in runs[0]["datasets"]) + ")")
PY

#!/usr/bin/env bash
# One prepared GPU run of the `base` configuration, sized to a time budget (issue 14, item 5).
#
#   tools/gpu_base_run.sh OUT [CORPUS_HOURS=20] [TRAIN_SECONDS=240] [LR=1e-3]
#
# On a machine with one CUDA GPU and MUJO_EDGE_DATA_DIR holding the motion-capture folder (mocap/):
#   1. env.json         torch, GPU, CPU cores;
#   2. smoke + probe    a 0.6-hour corpus (> one batch of clips), 60 steps of `base` (bf16, batch 256) -> probe.json: the step rate
#                       (clips/s of the last 10 steps) that sizes step 4; fails fast if CUDA training breaks;
#   3. corpus.json      a CORPUS_HOURS corpus (mocap + procedural) built with one worker per core;
#   4. bench.json       benchmarks/test_bench_pretrain.py, CUDA eager cases (tiny/base x batch 64/256 x SSL);
#   5. pretrain.json    `base` on that corpus for the steps that fit TRAIN_SECONDS at the probed rate
#                       (simulated clips only: no real recording is read, so every dataset can score it);
#   6. run/             the checkpoint (config, sensor spec, weights) and its train/val CSVs.
# Prints each stage's wall time. The same steps run on CPU (slowly): PRETRAIN_DEVICE=cpu (BATCH, PROBE_STEPS,
# SMOKE_HOURS, SOURCES, WORK_DIR and PYTHON are the other knobs).
set -euo pipefail
out=${1:?usage: tools/gpu_base_run.sh OUT [CORPUS_HOURS] [TRAIN_SECONDS] [LR]}
hours=${2:-20}
budget=${3:-240}
lr=${4:-1e-3}
batch=${BATCH:-256}
probe_steps=${PROBE_STEPS:-60}
smoke_hours=${SMOKE_HOURS:-0.6}
sources=${SOURCES:-mocap,procedural}
py=${PYTHON:-python3}
device=${PRETRAIN_DEVICE:-cuda}
work=${WORK_DIR:-/tmp/mujo_gpu_run}
cores=$(nproc)
workers=$(( cores > 4 ? cores - 4 : 1 ))   # batch-building processes of the training run
mkdir -p "$out" "$work"
mj() { "$py" -m mujo_edge.cli "$@"; }
stage() { echo "[$(date +%T)] $*" >&2; }
t0=$(date +%s)

stage "1 env"
"$py" - > "$out/env.json" <<'EOF'
import json, os, platform, torch
cuda = torch.cuda.is_available()
print(json.dumps({"torch": torch.__version__, "python": platform.python_version(), "cpu_cores": os.cpu_count(),
                  "gpu": torch.cuda.get_device_name(0) if cuda else None,
                  "gpu_memory_gib": round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1) if cuda else None}))
EOF
cat "$out/env.json" >&2

stage "2 smoke + probe"
mj corpus build --out "$work/c_small" --hours "$smoke_hours" --sources "$sources" --workers "$cores" --force --json > "$out/corpus_small.json"
rm -rf "$work/probe"
mj pretrain --config base --corpus "$work/c_small" --out "$work/probe" --max-steps "$probe_steps" --batch-size "$batch" --lr "$lr" \
    --device "$device" --workers "$workers" --log-every 10 --eval-every 1000 --save-every 1000 \
    --no-tensorboard --no-progress --json > "$out/probe.json"
rate=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['samples_per_second'])" "$out/probe.json")
steps=$("$py" -c "import sys; print(max(1, int(float(sys.argv[1]) * float(sys.argv[2]) / float(sys.argv[3]))))" "$rate" "$budget" "$batch")
stage "probe: $rate clips/s -> $steps steps for $budget s"

stage "3 corpus ${hours} h"
mj corpus build --out "$work/corpus" --hours "$hours" --sources "$sources" --workers "$cores" --force --json > "$out/corpus.json"

stage "4 benchmark"
"$py" -m pytest -q -p no:cacheprovider benchmarks/test_bench_pretrain.py -k "cuda and eager" \
    --benchmark-json "$out/bench.json" >&2 || stage "benchmark failed (the run goes on)"

stage "5 pretrain base, $steps steps"
rm -rf "$work/run"
mj pretrain --config base --corpus "$work/corpus" --out "$work/run" --max-steps "$steps" --batch-size "$batch" \
    --lr "$lr" --warmup 200 --device "$device" --workers "$workers" --log-every 25 --eval-every 500 \
    --save-every 100000 --no-tensorboard --no-progress --json > "$out/pretrain.json"

stage "6 copy the checkpoint"
mkdir -p "$out/run"
cp "$work/run"/{config.json,checkpoint.json,model.safetensors,train.csv,val.csv} "$out/run/"
stage "done in $(( $(date +%s) - t0 )) s"

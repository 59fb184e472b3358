#!/usr/bin/env bash
# The whole leave-one-dataset-out evaluation of issue 14 from nothing, one command (README "Transfer to
# datasets the model never saw"):
#
#   MUJO_EDGE_DATA_DIR=../shared/data tools/lodo5.sh [OUT=runs] [README=README.md]
#
#   1. OUT/corpus{HOURS}h        the 3-hour simulated corpus (mocap + procedural, seed 0, 2 workers);
#   2. OUT/lodo/{R}-no-{X}       20 pretraining runs, two at a time (JOBS): per dataset X one MuJo run and one
#                                SimCLR / LIMU / multi-task run that never read X (`--exclude-dataset X`,
#                                recorded in the checkpoint); `tiny` (CONFIG), 2,000 steps, batch 64, one thread each;
#                                logs in OUT/lodo/logs/, wall time per run in OUT/lodo/times.txt;
#   3. OUT/lodo5                 `mujo-edge evaluate` over the five datasets, six modes, five fractions, five
#                                subject folds, 3 seeds wherever a reported difference is under 2 points
#                                (ALL_SEEDS=1: every seed everywhere, into OUT/lodo5_all_seeds, starting from a
#                                copy of OUT/lodo5's cache: ≈ 1 h more); it
#                                rewrites the tables between the evaluate markers of README (pass "" to skip).
# Finished runs are kept: rerunning resumes (pretraining with --resume: a finished run returns at once, a killed
# one continues from its last saved step; each call appends to times.txt; the evaluation reads its per-run cache).
# Prints each stage's wall time. Knobs (environment): JOBS (2), MUJO_EDGE (the CLI, default `mujo-edge`); for a
# smaller run DATASETS ("motionsense usc_had uci_hapt hmp wisdm2019_watch6"), POOLS (all), HOURS (3), STEPS (2000),
# BATCH (64), FRACTIONS (0.01,0.02,0.05,0.1,1.0), SEEDS (3), FOLDS (all), EVAL_STEPS (1200); ALL_SEEDS (0);
# MODES (scratch,linear,finetune,simclr,limu,multitask); CONFIG (tiny: the model config of every pretraining run,
# hence of scratch too, e.g. tiny-wide); PRETRAIN_SEED (0: the seed of every pretraining run, to
# measure how much a whole table moves with the pretraining seed alone); SITES (wearable: `--sites` of every
# pretraining run; `wearable` = the 11 sites phones and watches are worn at, the README tables' and the packaged
# default's; SITES="" samples every corpus site, the README tables before 2026-12-07).
set -euo pipefail
out=${1:-runs}
readme=${2-README.md}
jobs=${JOBS:-2}
cli=${MUJO_EDGE:-mujo-edge}
: "${MUJO_EDGE_DATA_DIR:?set MUJO_EDGE_DATA_DIR to the folder of the datasets (e.g. ../shared/data)}"
read -r -a datasets <<< "${DATASETS:-motionsense usc_had uci_hapt hmp wisdm2019_watch6}"
hours=${HOURS:-3}
steps=${STEPS:-2000}
pools=${POOLS:-all}
batch=${BATCH:-64}
fractions=${FRACTIONS:-0.01,0.02,0.05,0.1,1.0}
seeds=${SEEDS:-3}
eval_steps=${EVAL_STEPS:-1200}
modes=${MODES:-scratch,linear,finetune,simclr,limu,multitask}
pretrain_seed=${PRETRAIN_SEED:-0}
config=${CONFIG:-tiny}
sites=${SITES-wearable}
seed_rule=(--adaptive-seeds)
eval_out=lodo5
if [ "${ALL_SEEDS:-0}" = 1 ]; then seed_rule=(--all-seeds); eval_out=lodo5_all_seeds; fi
folds=()
[ -n "${FOLDS:-}" ] && folds=(--folds "$FOLDS")
mkdir -p "$out/lodo/logs"

stage() { echo "== $1: $(( $(date +%s) - $2 )) s"; }

t=$(date +%s)
if [ ! -f "$out/corpus${hours}h/corpus.json" ]; then
  "$cli" corpus build --out "$out/corpus${hours}h" --sources mocap,procedural --hours "$hours" --seed 0 --workers 2
fi
stage "corpus" "$t"

t=$(date +%s)
cmds="$out/lodo/commands.txt"
: > "$cmds"
for r in mujo simclr limu multitask; do for x in "${datasets[@]}"; do   # the long MuJo runs first
  echo "$r-no-$x pretrain --recipe $r --out $out/lodo/$r-no-$x --exclude-dataset $x" >> "$cmds"
done; done
export cli out steps hours pools batch pretrain_seed config sites
xargs -P "$jobs" -L 1 bash -c '
  name=$0
  s=$(date +%s)
  "$cli" "$@" --corpus "$out/corpus${hours}h" --config "$config" --max-steps "$steps" --batch-size "$batch" --threads 1 --pools "$pools" --seed "$pretrain_seed" ${sites:+--sites "$sites"} --resume \
      > "$out/lodo/logs/$name.log" 2>&1 || { echo "pretraining $name failed: see $out/lodo/logs/$name.log" >&2; exit 255; }
  echo "$name $(( $(date +%s) - s )) s" >> "$out/lodo/times.txt"' < "$cmds"
stage "pretraining ($(( 4 * ${#datasets[@]} )) runs, $jobs at a time)" "$t"

t=$(date +%s)
if [ "$eval_out" != lodo5 ] && [ ! -d "$out/$eval_out" ] && [ -d "$out/lodo5" ]; then
  cp -r "$out/lodo5" "$out/$eval_out"  # every run of the adaptive pass is reused from its cache
fi
readme_args=()
[ -n "$readme" ] && readme_args=(--readme "$readme")
"$cli" evaluate --checkpoint "$out/lodo/mujo-no-{dataset}" --baseline simclr="$out/lodo/simclr-no-{dataset}" \
    --baseline limu="$out/lodo/limu-no-{dataset}" --baseline multitask="$out/lodo/multitask-no-{dataset}" \
    --dataset "$(IFS=,; echo "${datasets[*]}")" --fractions "$fractions" \
    --modes "$modes" --seeds "$seeds" "${seed_rule[@]}" --jobs "$jobs" \
    --max-steps "$eval_steps" "${folds[@]}" --out "$out/$eval_out" "${readme_args[@]}"
stage "evaluation" "$t"

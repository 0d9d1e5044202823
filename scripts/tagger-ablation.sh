#!/usr/bin/env bash
# The tagger recipe's ablation on EWT dev (docs/RESULTS.md, issue 14): CHAR(Dcos) at one grid
# point (lr 5e-4, dropout 0.2) to convergence (at most 50 epochs, patience 6), changing one
# recipe option at a time. Two runs at once (both cores); each resumes where it stopped.
# Usage: [TABLE_ONLY=1] scripts/tagger-ablation.sh [RUNS_DIR]   (default runs/t14)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-runs/t14}
P=../shared/data/pos
cargo build --release -q -p sublex-trainer
mkdir -p "$RUNS"
# NAME=options of each run; "base-b16" is the recipe before the ablation.
CONFIGS=(
  "base-b16=--batch 16"
  "base-b4=--batch 4"
  "b16-decay=--batch 16 --lr-decay 0.05"
  "b16-clip=--batch 16 --clip 5"
  "b16-wdrop=--batch 16 --word-dropout 0.25"
  # The same recipe under other seeds: how far one seed moves dev accuracy.
  "base-b16-seed2=--batch 16 --seed 2"
  "base-b16-seed3=--batch 16 --seed 3"
  "b16-cdrop=--batch 16 --char-dropout 0.25"
  "b16-charlr=--batch 16 --char-lr 0.2"
  "b16-case=--batch 16 --case-init"
  "b16-cdrop-shared=--batch 16 --char-dropout 0.25 --char-dropout-shared"
  "b16-init50=--batch 16 --init runs/table1/cos/epochs/50"
  "b16-case-cdrop-shared=--batch 16 --case-init --char-dropout 0.25 --char-dropout-shared"
  "b16-recon1=--batch 16 --teacher ../shared/data/teacher/glove-6b-100d.top100k.txt --recon-weight 1"
)
run() {
  local name=${1%%=*} opts=${1#*=} resume=() init=(--init runs/table1/cos/epochs/10)
  [[ $opts == *--init* ]] && init=()
  # The base row is the recipe before the ablation: options the trainer now turns on by
  # default are off unless the run names them.
  local base=()
  [[ "$opts " == *"--char-dropout "* ]] || base+=(--char-dropout 0)
  [[ $opts == *--char-dropout-shared* ]] || base+=(--char-dropout-shared false)
  [[ $opts == *--case-init* ]] || base+=(--case-init false)
  [ -e "$RUNS/$name/config.json" ] && resume=(--resume)
  [ -e "$RUNS/$name/report.json" ] && return 0
  # shellcheck disable=SC2086
  ${TRAINER:-target/release/sublex-train} tagger --variant char "${init[@]}" \
    --train $P/en_ewt-ud-train.conllu --dev $P/en_ewt-ud-dev.conllu --test $P/en_ewt-ud-test.conllu \
    --lr 5e-4 --dropout 0.2 --max-epochs 50 --patience 6 "${base[@]}" $opts --out "$RUNS/$name" "${resume[@]}" \
    >>"$RUNS/$name.log" 2>&1
}
# TABLE_ONLY=1: print the table of the runs that have finished, train nothing.
[ "${TABLE_ONLY:-0}" = 1 ] && CONFIGS_TO_RUN=() || CONFIGS_TO_RUN=("${CONFIGS[@]}")
for ((i = 0; i < ${#CONFIGS_TO_RUN[@]}; i += 2)); do
  run "${CONFIGS_TO_RUN[i]}" &
  [ $((i + 1)) -lt ${#CONFIGS_TO_RUN[@]} ] && run "${CONFIGS_TO_RUN[i + 1]}" &
  wait
done
python3 - "$RUNS" "${CONFIGS[@]}" <<'PY'
import json, sys
runs, configs = sys.argv[1], sys.argv[2:]
print("| run | recipe | dev acc. | dev unseen-word acc. | epochs (best) | minutes |")
print("|---|---|---|---|---|---|")
for c in configs:
    name, opts = c.split("=", 1)
    try:
        r = json.load(open(f"{runs}/{name}/report.json"))
    except FileNotFoundError:
        continue
    p, d = r["points"][0], r["dev_eval"]
    print(f"| {name} | `{opts}` | {100 * d['accuracy']:.2f} | {100 * d['unseen_accuracy']:.2f} "
          f"| {p['epochs']} ({p['best_epoch']}) | {p['seconds'] / 60:.0f} |")
PY

#!/usr/bin/env bash
# The tagger recipe's ablation on EWT dev (docs/RESULTS.md, issue 14), one recipe option
# changed at a time, each run to convergence (patience 6 on dev). Two groups:
# - "base": CHAR(Dcos) at lr 5e-4, dropout 0.2, at most 50 epochs, from the recipe before
#   the ablation (the options the trainer now turns on by default are off unless named);
# - "d2": CHAR(D2) at the point its 25-point grid chose (lr 5e-4, dropout 0.3) with the
#   grid's recipe (scripts/tagger-grid.py), at most 60 epochs: the options tried after the
#   grids ran.
# Two runs at once (both cores); each resumes where it stopped.
# Usage: [TABLE_ONLY=1] scripts/tagger-ablation.sh [RUNS_DIR]   (default runs/t14)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-runs/t14}
P=../shared/data/pos
cargo build --release -q -p sublex-trainer
mkdir -p "$RUNS"
# GROUP:NAME=options of each run; "base-b16" is the recipe before the ablation, "dsq-b16"
# the grid's seed-1 run of CHAR(D2) at its chosen point.
CONFIGS=(
  "base:base-b16=--batch 16"
  "base:base-b4=--batch 4"
  "base:b16-decay=--batch 16 --lr-decay 0.05"
  "base:b16-clip=--batch 16 --clip 5"
  "base:b16-wdrop=--batch 16 --word-dropout 0.25"
  # The same recipe under other seeds: how far one seed moves dev accuracy.
  "base:base-b16-seed2=--batch 16 --seed 2"
  "base:base-b16-seed3=--batch 16 --seed 3"
  "base:b16-cdrop=--batch 16 --char-dropout 0.25"
  "base:b16-charlr=--batch 16 --char-lr 0.2"
  "base:b16-case=--batch 16 --case-init"
  "base:b16-cdrop-shared=--batch 16 --char-dropout 0.25 --char-dropout-shared"
  "base:b16-init50=--batch 16 --init runs/table1/cos/epochs/50"
  "base:b16-case-cdrop-shared=--batch 16 --case-init --char-dropout 0.25 --char-dropout-shared"
  "base:b16-recon1=--batch 16 --teacher ../shared/data/teacher/glove-6b-100d.top100k.txt --recon-weight 1"
  "d2:dsq-b16=--batch 16"
  "d2:dsq-b8=--batch 8"
  "d2:dsq-b4=--batch 4"
  "d2:dsq-p12=--batch 16 --max-epochs 100 --patience 12"
  "d2:dsq-avg999=--batch 16 --average 0.999"
  "d2:dsq-avg999-lr1e-3=--batch 16 --average 0.999 --lr 1e-3"
)
run() {
  local group=${1%%:*} rest=${1#*:}
  local name=${rest%%=*} opts=${rest#*=} resume=() defaults=()
  if [ "$group" = base ]; then
    defaults=(--init runs/table1/cos/epochs/10 --lr 5e-4 --dropout 0.2 --max-epochs 50
              --patience 6 --average 0)
    [[ "$opts " == *"--char-dropout "* ]] || defaults+=(--char-dropout 0)
    [[ $opts == *--char-dropout-shared* ]] || defaults+=(--char-dropout-shared false)
    [[ $opts == *--case-init* ]] || defaults+=(--case-init false)
  else
    defaults=(--init runs/table1/sq/epochs/10 --lr 5e-4 --dropout 0.3 --max-epochs 60
              --patience 6 --average 0 --char-dropout 0.25 --char-dropout-shared --case-init
              --halving 3,8,16)
  fi
  # A run's own option replaces the group's (clap takes each of these once).
  local args=() i
  for ((i = 0; i < ${#defaults[@]}; i++)); do
    local d=${defaults[i]} v=${defaults[i + 1]:-}
    if [[ $v == --* || -z $v ]]; then args+=("$d"); continue; fi
    [[ " $opts " == *" $d "* ]] || args+=("$d" "$v")
    i=$((i + 1))
  done
  [ -e "$RUNS/$name/config.json" ] && resume=(--resume)
  [ -e "$RUNS/$name/report.json" ] && return 0
  # shellcheck disable=SC2086
  ${TRAINER:-target/release/sublex-train} tagger --variant char \
    --train $P/en_ewt-ud-train.conllu --dev $P/en_ewt-ud-dev.conllu --test $P/en_ewt-ud-test.conllu \
    "${args[@]}" $opts --out "$RUNS/$name" "${resume[@]}" >>"$RUNS/$name.log" 2>&1
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
group = None
for c in configs:
    g, rest = c.split(":", 1)
    name, opts = rest.split("=", 1)
    try:
        r = json.load(open(f"{runs}/{name}/report.json"))
    except FileNotFoundError:
        continue
    if g != group:
        group = g
        print(f"\n{g}:\n\n| run | recipe | dev acc. | dev unseen-word acc. | epochs (best) | minutes |")
        print("|---|---|---|---|---|---|")
    p, d = r["points"][0], r["dev_eval"]
    print(f"| {name} | `{opts}` | {100 * d['accuracy']:.2f} | {100 * d['unseen_accuracy']:.2f} "
          f"| {p['epochs']} ({p['best_epoch']}) | {p['seconds'] / 60:.0f} |")
PY

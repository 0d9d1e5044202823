#!/usr/bin/env bash
# Issue 14's size sweep: CHAR (the character-only tagger, no teacher) with its character
# model and word-level LSTM at 50 and 200 units beside the grid's 100, trained at the point
# CHAR's EWT grid chose, seed 1. Each report lands in docs/tagger/ewt/char-s<N>-seed1.json
# (a run that has one is not trained again; runs/sizes/ resumes an interrupted one), then
# sublex-report sizes and places the three on its plot (docs/tagger-sizes.svg) and prints
# the table.
# Usage: [TRAINER=bin] scripts/tagger-sizes.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=../shared/data/pos
BIN=${TRAINER:-target/release/sublex-train}
[ -n "${TRAINER:-}" ] || cargo build --release -q -p sublex-trainer
cargo build --release -q -p sublex-tools
results=docs/tagger/ewt
# The grid's recipe, from its one owner (scripts/tagger-grid.py RECIPE).
recipe=$(python3 -c "import runpy; print(' '.join(runpy.run_path('scripts/tagger-grid.py')['RECIPE']))")
# CHAR's chosen point, from its grid's committed report.
read -r lr dropout < <(python3 -c "import json; r = json.load(open('$results/char-seed1.json')); \
print(r['chosen_lr'], r['chosen_dropout'])")
for size in 50 200; do
  report=$results/char-s$size-seed1.json
  [ -e "$report" ] && continue
  out=runs/sizes/char-s$size
  resume=()
  [ -e "$out/config.json" ] && resume=(--resume)
  mkdir -p runs/sizes
  # shellcheck disable=SC2086 # the recipe's options, one per word
  nice "$BIN" tagger --variant char --char-dim "$size" --hidden "$size" \
    --train "$DATA/en_ewt-ud-train.conllu" --dev "$DATA/en_ewt-ud-dev.conllu" \
    --test "$DATA/en_ewt-ud-test.conllu" $recipe --lr "$lr" --dropout "$dropout" \
    --seed 1 --out "$out" "${resume[@]}" >>"$out.log" 2>&1
  cp "$out/report.json" "$report"
done
target/release/sublex-report --teacher ../shared/data/teacher/glove-6b-100d.top100k.txt \
  --runs "$results"/char-s50-seed1.json "$results"/char-seed1.json "$results"/char-s200-seed1.json \
  --plot docs/tagger-sizes.svg

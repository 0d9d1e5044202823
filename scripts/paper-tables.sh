#!/usr/bin/env bash
# Regenerates the paper-table analogues in docs/RESULTS.md (Tables 1, 2 and 4) from scratch:
# reconstruct the 100k GloVe teacher with each distance (and the MiniLM teacher with Dcos,
# the contrast row), evaluate the snapshots, print Markdown.
# Usage: scripts/paper-tables.sh [EPOCHS] [RUNS_DIR]   (defaults: 50 runs/table1)
# Runs go one after another (the trainer's fused LSTM already uses both cores); each is
# evaluated as soon as it ends, and everything resumes where it stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${1:-50}
RUNS=${2:-runs/table1}
DATA=../shared/data
GLOVE=$DATA/teacher/glove-6b-100d.top100k.txt
MINILM=$DATA/teacher/minilm-en-100k.d100.vec
SIM=("$DATA/similarity/EN-WS-353-ALL.txt" "$DATA/similarity/EN-MEN-TR-3k.txt" "$DATA/similarity/EN-RW-STANFORD.txt")
ANALOGY=("$DATA/analogy/questions-words.txt" "$DATA/analogy/msr.txt")
cargo build --release -q -p sublex-trainer
BIN=target/release/sublex-train
mkdir -p "$RUNS"

# run NAME TEACHER LOSS: train (or resume), then evaluate every snapshot not yet evaluated.
run() {
  local name=$1 teacher=$2 loss=$3
  $BIN reconstruct --teacher "$teacher" --loss "$loss" --epochs "$EPOCHS" --keep-every 10 \
    --out "$RUNS/$name" --resume >>"$RUNS/$name.log" 2>&1
  for snap in "$RUNS/$name"/epochs/*; do
    [ -e "$snap/eval.json" ] && continue
    local n extra=()
    n=$(basename "$snap")
    # Table 2 (analogy) and Table 4 (neighbours) use 10 epochs and the initial model.
    if [ "$name" != minilm-cos ] && { [ "$n" = 10 ] || [ "$n" = 0 ]; }; then
      extra=(--analogy "${ANALOGY[@]}" --neighbors beautiful amazing springfield)
    fi
    $BIN eval --model "$snap" --teacher "$teacher" --similarity "${SIM[@]}" "${extra[@]}" --json >/dev/null
  done
  echo "$name done" >&2
}
for loss in cos l1 linf sq l2; do
  run "$loss" "$GLOVE" "$loss"
done
run minilm-cos "$MINILM" cos
python3 scripts/paper-tables.py "$RUNS"

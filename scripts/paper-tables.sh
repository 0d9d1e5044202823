#!/usr/bin/env bash
# Regenerates the paper-table analogues in docs/RESULTS.md (Tables 1, 2 and 4) from scratch:
# reconstruct the 100k GloVe teacher with each distance, evaluate the snapshots, print
# Markdown. Usage: scripts/paper-tables.sh [EPOCHS] [RUNS_DIR]   (defaults: 50 runs/table1)
# Two training lanes run side by side (one per core). Runs resume where they stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${1:-50}
RUNS=${2:-runs/table1}
DATA=../shared/data
TEACHER=$DATA/teacher/glove-6b-100d.top100k.txt
SIM=("$DATA/similarity/EN-WS-353-ALL.txt" "$DATA/similarity/EN-MEN-TR-3k.txt" "$DATA/similarity/EN-RW-STANFORD.txt")
ANALOGY=("$DATA/analogy/questions-words.txt" "$DATA/analogy/msr.txt")
cargo build --release -q -p sublex-trainer
BIN=target/release/sublex-train
mkdir -p "$RUNS"

lane() {
  for loss in "$@"; do
    $BIN reconstruct --teacher "$TEACHER" --loss "$loss" --epochs "$EPOCHS" --keep-every 10 \
      --out "$RUNS/$loss" --resume >>"$RUNS/$loss.log" 2>&1
  done
}
lane cos l1 linf &
lane sq l2 &
wait

for loss in cos l1 linf sq l2; do
  for snap in "$RUNS/$loss"/epochs/*; do
    n=$(basename "$snap")
    extra=()
    # Table 2 (analogy) and Table 4 (neighbours) use 10 epochs and the initial model.
    if [ "$n" = 10 ] || [ "$n" = 0 ]; then
      extra=(--analogy "${ANALOGY[@]}" --neighbors beautiful amazing springfield)
    fi
    $BIN eval --model "$snap" --teacher "$TEACHER" --similarity "${SIM[@]}" "${extra[@]}" --json >/dev/null
  done
done
python3 scripts/paper-tables.py "$RUNS"

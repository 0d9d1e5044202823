#!/usr/bin/env bash
# Training speed of sublex against the references in ../shared/bench, in one sitting on the
# same words, and the ratio table docs/RESULTS.md holds.
#
#   reconstruction: the MiniLM teacher's first 20,000 words, L1, batch 64, 2 epochs
#     (the second epoch's words/s): sublex-train reconstruct, torch_recon.py --threads 2
#     and --threads 1, dynet_recon.py;
#   tagger: EWT train, CHAR, batch 16 sentences, lr 5e-4, dropout 0.2, 2 epochs (training
#     time only, the second epoch's tokens/s): sublex-train tagger, torch_tagger.py --threads 2;
#   peak memory (/usr/bin/time -v): one epoch of Dcos on the 100k GloVe teacher, one epoch of
#     the CHAR tagger on EWT.
#
# Usage: scripts/bench-training.sh [OUT_DIR]   (default: runs/bench-training)
# The references run from a throwaway virtualenv ($SUBLEX_BENCH_VENV, default
# /tmp/sublex-bench-venv), created with torch, dynet38 and numpy when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/bench-training}
SHARED=../shared
DATA=$SHARED/data
MINILM=$DATA/teacher/minilm-en-100k.d100.vec
GLOVE=$DATA/teacher/glove-6b-100d.top100k.txt
EWT=$DATA/pos/en_ewt-ud
VENV=${SUBLEX_BENCH_VENV:-/tmp/sublex-bench-venv}
PY=$VENV/bin/python

for f in "$MINILM" "$GLOVE" "$EWT-train.conllu" "$SHARED/bench/torch_recon.py"; do
  [ -e "$f" ] || { echo "bench-training: $f is missing (needs ../shared beside the project)" >&2; exit 1; }
done
if ! "$PY" -c 'import torch, dynet, numpy' 2>/dev/null; then
  echo "--- installing the references into $VENV (torch is large)" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q numpy dynet38 torch
fi
command -v /usr/bin/time >/dev/null || { echo "bench-training: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

cargo build --release -q -p sublex-trainer
BIN=target/release/sublex-train
rm -rf "$OUT"
mkdir -p "$OUT"
export SUBLEX_CACHE_DIR="$OUT/cache"

# The last line's field `key` (as `key value` pairs) of a reference's output.
field() { grep -o "$2 [0-9.]*" "$1" | tail -1 | cut -d' ' -f2; }
# The last metrics.jsonl line's JSON field.
metric() { python3 -c "import json,sys; print(round(json.loads(open(sys.argv[1]).read().splitlines()[-1])[sys.argv[2]]))" "$1" "$2"; }
# Peak resident set in MB from /usr/bin/time -v output.
peak_mb() { awk '/Maximum resident/ {printf "%.1f", $6 / 1024}' "$1"; }

echo "--- reconstruction: sublex" >&2
$BIN reconstruct --teacher "$MINILM" --max-words 20000 --loss l1 --epochs 2 --batch 64 \
  --keep-every 0 --out "$OUT/recon" 2>"$OUT/recon.log"
SUBLEX_RECON=$(metric "$OUT/recon/metrics.jsonl" words_per_s)
echo "--- reconstruction: PyTorch, 2 threads and 1 thread" >&2
"$PY" "$SHARED/bench/torch_recon.py" "$MINILM" --limit 20000 --threads 2 --epochs 2 >"$OUT/torch2.log"
"$PY" "$SHARED/bench/torch_recon.py" "$MINILM" --limit 20000 --threads 1 --epochs 2 >"$OUT/torch1.log"
echo "--- reconstruction: DyNet" >&2
"$PY" "$SHARED/bench/dynet_recon.py" "$MINILM" --limit 20000 --epochs 2 --dynet-mem 2048 >"$OUT/dynet.log" 2>&1
TORCH2=$(field "$OUT/torch2.log" train_words_per_s)
TORCH1=$(field "$OUT/torch1.log" train_words_per_s)
DYNET=$(field "$OUT/dynet.log" train_words_per_s)

# --average 0: the reference does not average the weights (the average's own cost is in
# docs/RESULTS.md, issue 14).
echo "--- tagger: sublex" >&2
$BIN tagger --variant char --train "$EWT-train.conllu" --dev "$EWT-dev.conllu" --test "$EWT-test.conllu" \
  --lr 5e-4 --dropout 0.2 --max-epochs 2 --patience 2 --batch 16 --average 0 --out "$OUT/tagger" >"$OUT/tagger.log" 2>&1
SUBLEX_TAGGER=$(metric "$(ls "$OUT"/tagger/grid/*/metrics.jsonl)" tokens_per_s)
echo "--- tagger: PyTorch, 2 threads" >&2
"$PY" "$SHARED/bench/torch_tagger.py" "$EWT-train.conllu" "$EWT-dev.conllu" --variant char \
  --epochs 2 --batch 16 --lr 5e-4 --dropout 0.2 --threads 2 >"$OUT/torch_tagger.log"
TORCH_TAGGER=$(field "$OUT/torch_tagger.log" train_tokens_per_s)

echo "--- peak memory: one epoch of Dcos on the 100k GloVe teacher, one CHAR tagger epoch" >&2
# The teacher's binary cache is built first (as any earlier run leaves it): the run measured
# memory-maps it instead of parsing the text.
$BIN reconstruct --teacher "$GLOVE" --loss cos --epochs 0 --keep-every 0 --out "$OUT/mem-warmup" 2>/dev/null
/usr/bin/time -v $BIN reconstruct --teacher "$GLOVE" --loss cos --epochs 1 --keep-every 0 \
  --out "$OUT/mem-recon" 2>"$OUT/mem-recon.log"
/usr/bin/time -v $BIN tagger --variant char --train "$EWT-train.conllu" --dev "$EWT-dev.conllu" \
  --test "$EWT-test.conllu" --lr 5e-4 --dropout 0.2 --max-epochs 1 --batch 16 \
  --out "$OUT/mem-tagger" 2>"$OUT/mem-tagger.log" >/dev/null
MEM_RECON=$(peak_mb "$OUT/mem-recon.log")
MEM_TAGGER=$(peak_mb "$OUT/mem-tagger.log")

ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}x')" "$1" "$2"; }
cat <<EOF | tee "$OUT/table.md"
Measured $(date -u +%Y-%m-%d) on $(nproc) cores of $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) ($(grep -o -m1 -w 'avx512f' /proc/cpuinfo || grep -o -m1 -w avx2 /proc/cpuinfo)), one sitting.

| job | sublex | PyTorch, 2 threads | PyTorch, 1 thread | DyNet | sublex / PyTorch 2 threads |
|---|---|---|---|---|---|
| reconstruct, words/s (MiniLM top 20k, L1, batch 64, epoch 2) | $SUBLEX_RECON | $TORCH2 | $TORCH1 | $DYNET | $(ratio "$SUBLEX_RECON" "$TORCH2") |
| tagger CHAR, tokens/s (EWT train, batch 16, epoch 2, training only) | $SUBLEX_TAGGER | $TORCH_TAGGER | - | - | $(ratio "$SUBLEX_TAGGER" "$TORCH_TAGGER") |

| peak resident memory (/usr/bin/time -v) | sublex |
|---|---|
| reconstruct, 1 epoch of Dcos, 100k GloVe teacher | $MEM_RECON MB |
| tagger CHAR, 1 epoch on EWT | $MEM_TAGGER MB |
EOF

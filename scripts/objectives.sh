#!/usr/bin/env bash
# Issue 15's objective comparison: the paper's five distances and the contrastive loss (at
# several temperatures), the same epochs on the 100k GloVe teacher with 5% of its words held
# out. Choices are read off the held-out columns; the similarity column is reported, not used.
# Usage: scripts/objectives.sh [EPOCHS] [RUNS_DIR]   (defaults: 10 runs/objectives)
# One run at a time at priority NICE (default 19: other jobs keep the cores); resumable;
# prints a Markdown table. A config naming its own --epochs trains that long.
# ONLY="name ..." trains only those configs (the table still lists every finished run).
# TEACHER=FILE reconstructs another teacher (e.g. the MiniLM contrast row, into its own
# RUNS_DIR); the default is the 100k GloVe table.
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${1:-10}
RUNS=${2:-runs/objectives}
DATA=../shared/data
TEACHER=${TEACHER:-$DATA/teacher/glove-6b-100d.top100k.txt}
SIM=("$DATA/similarity/EN-WS-353-ALL.txt" "$DATA/similarity/EN-MEN-TR-3k.txt" "$DATA/similarity/EN-RW-STANFORD.txt")
BIN=${TRAINER:-target/release/sublex-train}
NICE=${NICE:-19}
[ -n "${TRAINER:-}" ] || cargo build --release -q -p sublex-trainer
mkdir -p "$RUNS"
# NAME=options of each run.
# (Run in this order: Dcos, the paper's default here, and the contrastive loss first.)
CONFIGS=(
  "l1=--loss l1" "l2=--loss l2" "cos=--loss cos"
  "nce-t0.1=--loss contrastive --temperature 0.1"
  "nce-t0.05=--loss contrastive --temperature 0.05"
  "nce-t0.2=--loss contrastive --temperature 0.2"
  "sq=--loss sq" "linf=--loss linf"
  "nce-t0.5=--loss contrastive --temperature 0.5"
  "nce-t1=--loss contrastive --temperature 1"
  "nce-t0.2-highway=--loss contrastive --temperature 0.2 --highway"
  "nce-t0.2-e50=--loss contrastive --temperature 0.2 --epochs 50"
  "nce-t0.2-highway-e50=--loss contrastive --temperature 0.2 --highway --epochs 50"
  "nce-t0.2-highway-e50-wd0.01=--loss contrastive --temperature 0.2 --highway --epochs 50 --weight-decay 0.01"
  "nce-t0.2-highway-e50-wd0.03=--loss contrastive --temperature 0.2 --highway --epochs 50 --weight-decay 0.03"
  "nce-t0.2-freq0.25=--loss contrastive --temperature 0.2 --frequency-weight 0.25"
  "nce-t0.2-freq0.5=--loss contrastive --temperature 0.2 --frequency-weight 0.5"
  "nce-t0.2-freq0.25-e50=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --epochs 50"
  "nce-t0.2-freq0.25-e100=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --epochs 100"
  "nce-t0.2-freq0.25-hardsuffix=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --hard-negatives suffix"
  "nce-t0.2-freq0.25-hardprefix=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --hard-negatives prefix"
  "nce-t0.2-freq0.25-hardsuffix-e50=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --hard-negatives suffix --epochs 50"
  "nce-t0.2-freq0.25-b256=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --batch 256"
  "nce-t0.2-freq0.25-b32=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --batch 32"
  "nce-t0.2-freq0.25-cos0.5=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 0.5"
  "nce-t0.2-freq0.25-cos1=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1"
  "nce-t0.2-freq0.25-decay-e50=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cosine-decay --epochs 50"
  "nce-t0.2-freq0.25-cos0.5-e50=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 0.5 --epochs 50"
  "nce-t0.2-freq0.25-cos0.5-decay-e50=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 0.5 --cosine-decay --epochs 50"
  "nce-t0.2-freq0.25-cos1-decay-e50=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --cosine-decay --epochs 50"
  "nce-t0.2-freq0.25-cos1-decay-e50-seed2=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --cosine-decay --epochs 50 --seed 2"
  "nce-t0.2-freq0.25-cos1-decay-e50-seed3=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --cosine-decay --epochs 50 --seed 3"
  "nce-t0.2-freq0.25-cos0.5-decay-e50-seed2=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 0.5 --cosine-decay --epochs 50 --seed 2"
  "nce-t0.2-freq0.25-cos0.5-decay-e50-seed3=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 0.5 --cosine-decay --epochs 50 --seed 3"
  "nce-t0.2-freq0.25-cos1-decay-e100=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --cosine-decay --epochs 100"
  "nce-t0.2-freq0.25-cos1-decay-e50-wd0.01=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --cosine-decay --epochs 50 --weight-decay 0.01"
  "nce-t0.2-freq0.25-cos1-decay-e50-wd0.1=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --cosine-decay --epochs 50 --weight-decay 0.1"
  "nce-t0.2-freq0.25-cos1-decay-e50-wd0.01-seed2=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --cosine-decay --epochs 50 --weight-decay 0.01 --seed 2"
  "nce-t0.2-freq0.25-cos1-decay-e50-wd0.01-seed3=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --cosine-decay --epochs 50 --weight-decay 0.01 --seed 3"
  "nce-t0.2-freq0.25-cos1-decay-e50-drop0.2=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --cosine-decay --epochs 50 --dropout 0.2"
  "nce-t0.2-freq0.25-cos1-neg256=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --negatives 256"
  "nce-t0.2-freq0.25-cos1-neg1024=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --negatives 1024"
  "nce-t0.2-freq0.25-cos1-neg4096=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --negatives 4096"
  "nce-t0.2-freq0.25-cos1-rel1=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --relation-weight 1"
  "nce-t0.2-freq0.25-cos1-rel3=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --relation-weight 3"
  "nce-t0.2-freq0.25-cos1-decay-e50-rel1=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --cosine-decay --epochs 50 --relation-weight 1"
  "nce-t0.2-freq0.25-cos1-decay-e50-rel1-seed2=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --cosine-decay --epochs 50 --relation-weight 1 --seed 2"
  "nce-t0.2-freq0.25-cos1-decay-e50-rel1-seed3=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --cosine-decay --epochs 50 --relation-weight 1 --seed 3"
  "nce-t0.2-freq0.25-cos1-decay-e50-rel3=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --cosine-decay --epochs 50 --relation-weight 3"
  "nce-t0.2-freq0.25-cos1-decay-e50-rel3-seed2=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --cosine-decay --epochs 50 --relation-weight 3 --seed 2"
  "nce-t0.2-freq0.25-cos1-decay-e50-rel3-seed3=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --cosine-decay --epochs 50 --relation-weight 3 --seed 3"
  "nce-t0.2-freq0.25-cos1-rel1-q1024=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --relation-weight 1 --relation-queue 1024"
  "nce-t0.2-freq0.25-cos1-rel3-q1024=--loss contrastive --temperature 0.2 --frequency-weight 0.25 --cos-weight 1 --relation-weight 3 --relation-queue 1024"
  "cos-rel1=--loss cos --relation-weight 1"
  "cos-rel3=--loss cos --relation-weight 3"
)
for c in "${CONFIGS[@]}"; do
  name=${c%%=*} opts=${c#*=}
  [ -e "$RUNS/$name/eval.json" ] && continue
  [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $name "* ]] || continue
  [[ $opts == *--epochs* ]] || opts="$opts --epochs $EPOCHS"
  # shellcheck disable=SC2086
  nice -n "$NICE" "$BIN" reconstruct --teacher "$TEACHER" $opts --holdout 0.05 \
    --keep-every 0 --out "$RUNS/$name" --resume >>"$RUNS/$name.log" 2>&1
  nice -n "$NICE" "$BIN" eval --model "$RUNS/$name" --teacher "$TEACHER" --held-out 0.05 \
    --similarity "${SIM[@]}" --json >/dev/null
done
python3 - "$RUNS" "${CONFIGS[@]}" <<'PY'
import json, sys
runs, configs = sys.argv[1], sys.argv[2:]
print("| run | loss | held-out mean cosine | held-out neighbour overlap@10 | own vector first / in top 10 (among held-out) | similarity average (WS-353, MEN, RW; reported only) | minutes |")
print("|---|---|---|---|---|---|---|")
for c in configs:
    name, opts = c.split("=", 1)
    try:
        r = json.load(open(f"{runs}/{name}/eval.json"))
    except FileNotFoundError:
        continue
    h = r["held_out"]
    seconds = sum(json.loads(l)["seconds"] for l in open(f"{runs}/{name}/metrics.jsonl"))
    own = f"{100 * h['own_top1']:.2f}% / {100 * h['own_top10']:.2f}%" if "own_top1" in h else "-"
    print(f"| {name} | `{opts}` | {h['mean_cosine']:.3f} | {100 * h['neighbor_overlap']:.1f}% "
          f"| {own} | {r['similarity_average']:.3f} | {seconds / 60:.1f} |")
PY

#!/usr/bin/env bash
# Issue 15's quality per byte: for each teacher (the 100k GloVe, the 100k MiniLM), the hybrid
# file (character model at int8 + the teacher's K most frequent rows at ROWS, default int8)
# at each K, against the teacher truncated to the same bytes at ROWS and the full f32 table;
# every similarity pair and analogy question scored (sublex-report curve). Writes
# docs/curve/<teacher>.{md,json,svg} (int8 rows) or docs/curve/<teacher>-<ROWS>.*.
#
# The GloVe student: the run of scripts/objectives.sh that retrieves held-out words best
# (own teacher vector in the top 10), never chosen on the benchmark sets. The MiniLM student:
# the contrastive loss at the default temperature, trained here when missing (runs/curve).
# Usage: scripts/quality-per-byte.sh [GLOVE_RUN]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=../shared/data
SIM=("$DATA/similarity/EN-WS-353-ALL.txt" "$DATA/similarity/EN-MEN-TR-3k.txt"
     "$DATA/similarity/EN-RW-STANFORD.txt" "$DATA/similarity/EN-SIMLEX-999.txt")
ROWS=${ROWS:-int8}
# 16k int8 rows and 28k int4 rows make the 2 MB point (1/20 of the f32 table).
if [ "$ROWS" = int4 ]; then KEEP=(0 1000 3000 10000 28000 50000 100000); SUFFIX=-int4
else KEEP=(0 1000 3000 10000 16000 30000 100000); SUFFIX=${ROWS/int8/}; SUFFIX=${SUFFIX:+-$SUFFIX}; fi
BIN=${TRAINER:-target/release/sublex-train}
REPORT=${REPORT:-target/release/sublex-report}
[ -n "${TRAINER:-}" ] || cargo build --release -q -p sublex-trainer -p sublex-tools
mkdir -p runs/curve docs/curve

GLOVE_RUN=${1:-$(python3 - <<'PY'
import glob, json, os
best = max((json.load(open(p))["held_out"].get("own_top10", 0), os.path.dirname(p))
           for p in glob.glob("runs/objectives/*/eval.json"))
print(best[1])
PY
)}
MINILM=$DATA/teacher/minilm-en-100k.d100.vec
MINILM_RUN=runs/curve/minilm-nce
# (A finished run resumes to nothing.)
"$BIN" reconstruct --teacher "$MINILM" --loss contrastive --epochs 10 --keep-every 0 \
  --out "$MINILM_RUN" --resume >>runs/curve/minilm-nce.log 2>&1

curve() { # NAME TEACHER RUN
  local out=runs/curve/$1.int8.onnx doc=docs/curve/$1$SUFFIX
  "$BIN" export --model "$3" --out "$out" --precision int8 >/dev/null
  "$REPORT" curve --teacher "$2" --student "$out" --keep "${KEEP[@]}" --rows-precision "$ROWS" \
    --similarity "${SIM[@]}" --analogy "$DATA/analogy/questions-words.txt" \
    --plot "$doc.svg" --format json >"$doc.json.tmp"
  mv "$doc.json.tmp" "$doc.json"  # a run cut short leaves the old table
  python3 - "$doc.json" "$3" >"$doc.md" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
print(f"Student: {sys.argv[2]} ({c['student']}), teacher {c['teacher']}, rows at {c['rows_precision']}.\n")
sets = c["similarity_sets"]
print("| artifact | rows | bytes | " + " | ".join(sets) + " | average | analogy |")
print("|---" * (len(sets) + 5) + "|")
rows = c["rows_precision"]
names = {"hybrid": "hybrid", "truncated": f"truncated {rows} table", "full": "full f32 table"}
for p in c["points"]:
    sims = " | ".join(f"{x:.3f}" for x in p["similarity"])
    analogy = "-" if p["analogy"] is None else f"{100 * p['analogy']:.1f}%"
    print(f"| {names[p['series']]} | {p['rows']:,} | {p['bytes']:,} | {sims} | "
          f"{p['similarity_average']:.3f} | {analogy} |")
PY
  cat "$doc.md"
}
curve glove "$DATA/teacher/glove-6b-100d.top100k.txt" "$GLOVE_RUN"
curve minilm "$MINILM" "$MINILM_RUN"

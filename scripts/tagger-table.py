#!/usr/bin/env python3
"""The Table 3 analogue from tagger runs: one Markdown row per `report.json`.

usage: tagger-table.py RUN_DIR...   (each a `sublex-train tagger --out` directory)
"""
import json
import os
import sys


def main():
    print("| model | test acc. | test unseen-word acc. (tokens) | dev acc. | lookup rows | "
          "parameters | grid (lr, dropout) | epochs (best) | wall time |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run in sys.argv[1:]:
        with open(os.path.join(run, "report.json"), encoding="utf-8") as f:
            r = json.load(f)
        t, d = r["test_eval"], r["dev_eval"]
        points = r["points"]
        chosen = next(p for p in points if p["lr"] == r["chosen_lr"] and p["dropout"] == r["chosen_dropout"])
        grid = f'{r["grid"]}: {len(points)} point{"s" if len(points) > 1 else ""}, chose {r["chosen_lr"]:g}, {r["chosen_dropout"]:g}'
        print(
            f'| {r["model"]} | {100 * t["accuracy"]:.2f} | {100 * t["unseen_accuracy"]:.2f} ({t["unseen_tokens"]:,}) '
            f'| {100 * d["accuracy"]:.2f} | {r["lookup_rows"]:,} | {r["parameters"]:,} | {grid} '
            f'| {chosen["epochs"]} ({chosen["best_epoch"]}) | {sum(p["seconds"] for p in points) / 60:.0f} min |'
        )


if __name__ == "__main__":
    main()

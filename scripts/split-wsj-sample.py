#!/usr/bin/env python3
"""Splits the gold WSJ sample by source file, as ../shared/data/README.md prescribes:
train wsj_0001-0159, dev wsj_0160-0179, test wsj_0180-0199.

usage: split-wsj-sample.py SAMPLE_DIR OUT_DIR
Writes OUT_DIR/{train,dev,test}.tsv (`word<TAB>tag`, a blank line between sentences) and
prints the sentence and token counts of each part.
"""
import os
import sys


def main():
    sample, out = sys.argv[1], sys.argv[2]
    with open(os.path.join(sample, "wsj_sample.pos.tsv"), encoding="utf-8") as f:
        blocks = [b for b in f.read().split("\n\n") if b.strip()]
    with open(os.path.join(sample, "wsj_sample.sent_files.txt"), encoding="utf-8") as f:
        files = [line.strip() for line in f if line.strip()]
    if len(blocks) != len(files):
        sys.exit(f"{len(blocks)} sentences but {len(files)} file names")
    parts = {"train": [], "dev": [], "test": []}
    for block, name in zip(blocks, files):
        number = int(name[len("wsj_"):len("wsj_") + 4])
        part = "train" if number <= 159 else "dev" if number <= 179 else "test"
        parts[part].append(block.strip("\n"))
    os.makedirs(out, exist_ok=True)
    for part, sentences in parts.items():
        with open(os.path.join(out, f"{part}.tsv"), "w", encoding="utf-8") as f:
            f.write("\n\n".join(sentences) + "\n")
        tokens = sum(len(s.splitlines()) for s in sentences)
        print(f"{part}: {len(sentences)} sentences, {tokens} tokens")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Where a tagger's unseen-word errors are (docs/RESULTS.md, issue 14): the tokens of GOLD
whose form the training corpus lacks, split by whether they have a row in the teacher
(lowercased) and, for those, by whether an augmented file (`sublex-train augment`) holds
them as spelled, only in another case, or not at all; the tagger's accuracy on each.

usage: unseen-coverage.py GOLD.conllu TAGGED.conllu AUGMENTED.tsv
       [--train ../shared/data/pos/en_ewt-ud-train.conllu]
       [--teacher ../shared/data/teacher/glove-6b-100d.top100k.txt]
(TAGGED: `sublex tag MODEL --conllu GOLD`.)
"""
import argparse
import os

from corpus import tokens

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("gold")
    p.add_argument("tagged")
    p.add_argument("augmented")
    p.add_argument("--train", default=os.path.join(DATA, "pos", "en_ewt-ud-train.conllu"))
    p.add_argument("--teacher",
                   default=os.path.join(DATA, "teacher", "glove-6b-100d.top100k.txt"))
    a = p.parse_args()
    train = {w for w, _ in tokens(a.train)}
    with open(a.teacher, encoding="utf-8") as f:
        teacher = {line.split(" ", 1)[0] for line in f}
    with open(a.augmented, encoding="utf-8") as f:
        held = {line.split("\t", 1)[0] for line in f if line.strip()}
    held_lower = {w.lower() for w in held}
    gold, tagged = tokens(a.gold), tokens(a.tagged)
    if [w for w, _ in gold] != [w for w, _ in tagged]:
        raise SystemExit(f"{a.tagged}: not the words of {a.gold}")
    groups = {}
    for (word, tag), (_, guess) in zip(gold, tagged):
        if word in train:
            continue
        if word.lower() not in teacher:
            group = "no teacher row"
        elif word in held:
            group = "teacher row, in the file as spelled"
        elif word.lower() in held_lower:
            group = "teacher row, in the file in another case only"
        else:
            group = "teacher row, not in the file"
        right, total = groups.get(group, (0, 0))
        groups[group] = (right + (tag == guess), total + 1)
    print("| unseen tokens | count | accuracy |")
    print("|---|---|---|")
    for group, (right, total) in sorted(groups.items()):
        print(f"| {group} | {total} | {100 * right / total:.1f}% |")
    right = sum(r for r, _ in groups.values())
    total = sum(t for _, t in groups.values())
    print(f"| all | {total} | {100 * right / total:.2f}% |")


if __name__ == "__main__":
    main()

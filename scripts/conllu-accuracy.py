#!/usr/bin/env python3
"""Tagging accuracy of a CoNLL-U file tagged by `sublex tag --conllu` against the gold file:
the share of word lines (integer ID) whose column 5 (XPOS) matches.

usage: conllu-accuracy.py GOLD.conllu TAGGED.conllu
"""
import sys


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        gold = f.read().splitlines()
    with open(sys.argv[2], encoding="utf-8") as f:
        tagged = f.read().splitlines()
    if len(gold) != len(tagged):
        sys.exit(f"{len(gold)} gold lines but {len(tagged)} tagged lines")
    words = correct = 0
    for g, t in zip(gold, tagged):
        fields = g.split("\t")
        if len(fields) == 10 and fields[0].isdigit():
            words += 1
            correct += fields[4] == t.split("\t")[4]
    print(f"{correct}/{words} = {100 * correct / words:.2f}%")


if __name__ == "__main__":
    main()

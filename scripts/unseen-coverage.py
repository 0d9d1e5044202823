#!/usr/bin/env python3
"""Where a tagger's unseen-word errors are (docs/RESULTS.md, issue 14): the tokens of GOLD
whose form the training corpus lacks, split by whether they have a row in the teacher
(lowercased) and, for those, by whether an augmented file (`sublex-train augment`) holds
them as spelled, only in another case, or not at all; the tagger's accuracy on each.
With --by-case instead of a file: by the token's case (lowercase, capitalised, all capitals,
mixed, no letters) and by whether the training corpus holds it in another case, the teacher
holds it, or neither.

usage: unseen-coverage.py GOLD.conllu TAGGED.conllu (AUGMENTED.tsv | --by-case)
       [--train ../shared/data/pos/en_ewt-ud-train.conllu]
       [--teacher ../shared/data/teacher/glove-6b-100d.top100k.txt]
(TAGGED: `sublex tag MODEL --conllu GOLD`.)
"""
import argparse
import os

from corpus import tokens

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


def case(word):
    letters = [c for c in word if c.isalpha()]
    if not letters:
        return "no letters"
    if all(c.isupper() for c in letters):
        return "all capitals" if len(letters) > 1 else "capitalised"
    if letters[0].isupper() and all(c.islower() for c in letters[1:]):
        return "capitalised"
    return "lowercase" if all(c.islower() for c in letters) else "mixed"


def by_file(augmented, teacher):
    """The group of an unseen word by how the augmented file holds it."""
    with open(augmented, encoding="utf-8") as f:
        held = {line.split("\t", 1)[0] for line in f if line.strip()}
    held_lower = {w.lower() for w in held}

    def group(word):
        if word.lower() not in teacher:
            return "no teacher row"
        if word in held:
            return "teacher row, in the file as spelled"
        if word.lower() in held_lower:
            return "teacher row, in the file in another case only"
        return "teacher row, not in the file"
    return group


def by_case(train, teacher):
    """The group of an unseen word by its case and by where else it is."""
    train_lower = {w.lower() for w in train}

    def group(word):
        if word.lower() in train_lower:
            where = "in training in another case"
        else:
            where = "teacher row" if word.lower() in teacher else "no teacher row"
        return f"{case(word)}, {where}"
    return group


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("gold")
    p.add_argument("tagged")
    p.add_argument("augmented", nargs="?")
    p.add_argument("--by-case", action="store_true")
    p.add_argument("--train", default=os.path.join(DATA, "pos", "en_ewt-ud-train.conllu"))
    p.add_argument("--teacher",
                   default=os.path.join(DATA, "teacher", "glove-6b-100d.top100k.txt"))
    a = p.parse_args()
    if (a.augmented is None) == (not a.by_case):
        p.error("give an augmented file or --by-case")
    train = {w for w, _ in tokens(a.train)}
    with open(a.teacher, encoding="utf-8") as f:
        teacher = {line.split(" ", 1)[0] for line in f}
    group = by_case(train, teacher) if a.by_case else by_file(a.augmented, teacher)
    gold, tagged = tokens(a.gold), tokens(a.tagged)
    if [w for w, _ in gold] != [w for w, _ in tagged]:
        raise SystemExit(f"{a.tagged}: not the words of {a.gold}")
    groups = {}
    for (word, tag), (_, guess) in zip(gold, tagged):
        if word in train:
            continue
        name = group(word)
        right, total = groups.get(name, (0, 0))
        groups[name] = (right + (tag == guess), total + 1)
    print("| unseen tokens | count | accuracy |")
    print("|---|---|---|")
    for name, (right, total) in sorted(groups.items()):
        print(f"| {name} | {total} | {100 * right / total:.1f}% |")
    right = sum(r for r, _ in groups.values())
    total = sum(t for _, t in groups.values())
    print(f"| all | {total} | {100 * right / total:.2f}% |")


if __name__ == "__main__":
    main()

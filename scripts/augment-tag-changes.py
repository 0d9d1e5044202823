#!/usr/bin/env python3
"""How often `sublex-train augment`'s tagger gave a replaced word another tag than the gold
tag of the word it replaced (docs/RESULTS.md, issue 14). Each synthetic sentence is aligned
with the next training sentence of its length whose other words it keeps (the sentences are
written in training order), so a few alignments can be wrong; the count is approximate.

usage: augment-tag-changes.py TRAIN(.conllu|.tsv) AUGMENTED.tsv
"""
import sys

from corpus import sentences


def main():
    train, augmented = sentences(sys.argv[1]), sentences(sys.argv[2])
    i = kept = changed = 0
    for synthetic in augmented:
        # The next training sentence that differs from it only by replaced words.
        while True:
            source = train[i % len(train)]
            i += 1
            pairs = list(zip(source, synthetic))
            fits = len(source) == len(synthetic) and all(a == b or a[0] != b[0] for a, b in pairs)
            if fits and any(a[0] != b[0] for a, b in pairs):
                break
        for (word, tag), (new, new_tag) in pairs:
            if word != new:
                kept += tag == new_tag
                changed += tag != new_tag
    total = kept + changed
    print(f"replaced {total}: tag kept {kept} ({100 * kept / total:.1f}%), changed {changed}")


if __name__ == "__main__":
    main()

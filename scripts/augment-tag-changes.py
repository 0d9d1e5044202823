#!/usr/bin/env python3
"""How often `sublex-train augment`'s tagger gave a replaced word another tag than the gold
tag of the word it replaced (docs/RESULTS.md, issue 14). Each synthetic sentence is aligned
with the next training sentence of its length whose other words it keeps (the sentences are
written in training order), so a few alignments can be wrong; the count is approximate.

usage: augment-tag-changes.py TRAIN(.conllu|.tsv) AUGMENTED.tsv
"""
import sys
def read(path, conllu):
    sents, cur = [], []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line:
            if cur: sents.append(cur); cur = []
            continue
        if conllu:
            if line.startswith("#"): continue
            f = line.split("\t")
            if "-" in f[0] or "." in f[0]: continue
            cur.append((f[1], f[4]))
        else:
            w, t = line.split("\t"); cur.append((w, t))
    if cur: sents.append(cur)
    return sents
train = read(sys.argv[1], sys.argv[1].endswith(".conllu"))
aug = read(sys.argv[2], False)
i = 0; same = diff = 0
for s in aug:
    while True:
        t = train[i % len(train)]; i += 1
        if len(t) == len(s) and all(a == b or a[0] != b[0] for a, b in zip(t, s)) and sum(a[0] != b[0] for a, b in zip(t, s)) > 0:
            break
    for a, b in zip(t, s):
        if a[0] != b[0]:
            if a[1] == b[1]: same += 1
            else: diff += 1
print(f"replaced {same+diff}: tag kept {same} ({100*same/(same+diff):.1f}%), changed {diff}")

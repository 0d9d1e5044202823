#!/usr/bin/env python3
"""Run an exported sublex model with onnxruntime and compare with the runtime's vectors.

usage: onnxruntime_check.py MODEL.onnx VECTORS.vec [TOLERANCE]

VECTORS.vec is what `sublex vectors MODEL --words ... --out VECTORS.vec` wrote. The words are
encoded exactly as the runtime does (vocabulary from the file's `sublex.vocab` metadata, id 0
for unknown characters, at most 64 characters), grouped by length, and run with one thread.
Exit status 0 when every component agrees within TOLERANCE x max(1, largest component), the
runtime's parity rule (default 1e-5; an int8 file, which the kernel computes at int8, needs
runtime/src/parity.rs's INT8_TOLERANCE).
"""
import sys
from collections import defaultdict

import numpy as np
import onnxruntime as ort

MAX_WORD_CHARS = 64


def main():
    model, vectors = sys.argv[1], sys.argv[2]
    tolerance = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-5
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    vocab = session.get_modelmeta().custom_metadata_map["sublex.vocab"]
    ids = {c: i + 1 for i, c in reversed(list(enumerate(vocab)))}

    with open(vectors, encoding="utf-8") as f:
        count, dim = map(int, f.readline().split())
        rows = [line.rstrip("\n").split(" ") for line in f]
    assert len(rows) == count, f"{vectors}: header says {count} rows, found {len(rows)}"
    words = [r[0] for r in rows]
    want = np.array([[float(x) for x in r[1:]] for r in rows], dtype=np.float32)
    assert want.shape == (count, dim), want.shape

    by_length = defaultdict(list)
    for i, word in enumerate(words):
        by_length[min(len(word), MAX_WORD_CHARS)].append(i)
    got = np.zeros_like(want)
    for length, rows_of_length in by_length.items():
        if length == 0:
            continue
        chars = np.array([[ids.get(c, 0) for c in words[i][:MAX_WORD_CHARS]] for i in rows_of_length], dtype=np.int64)
        got[rows_of_length] = session.run(["vectors"], {"chars": chars})[0]
    checked = [i for i, w in enumerate(words) if w]
    diff = float(np.abs(got[checked] - want[checked]).max())
    allowed = tolerance * max(1.0, float(np.abs(want[checked]).max()))
    print(f"onnxruntime {ort.__version__}: {len(checked)} words, max |diff| vs sublex = {diff:.3e} "
          f"(allowed {allowed:.3e})")
    sys.exit(0 if diff <= allowed else 1)


if __name__ == "__main__":
    main()

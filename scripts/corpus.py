"""The tagging corpora the scripts read, in one place: CoNLL-U (word lines with an integer
ID; the tag is XPOS, column 5; `#` lines, ranges and empty nodes skipped) and
`sublex-train augment`'s `word<TAB>tag` lines, blank lines between sentences."""


def sentences(path):
    """The sentences of `path`, each a list of (word, tag)."""
    out, current = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                if current:
                    out.append(current)
                current = []
                continue
            cols = line.split("\t")
            if len(cols) == 2:
                current.append((cols[0], cols[1]))
            elif not line.startswith("#") and cols[0].isdigit():
                current.append((cols[1], cols[4]))
    if current:
        out.append(current)
    return out


def tokens(path):
    """Every (word, tag) of `path`, sentence after sentence."""
    return [token for sentence in sentences(path) for token in sentence]

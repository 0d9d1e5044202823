"""The house's size rule: no function over 80 lines and no module over 500 lines outside
tests (test files, `tests.rs`, benches and `#[cfg(test)] mod tests` blocks do not count).
Prints each violation and exits 1 if there is any. Run from the repository root."""
import re, sys, pathlib
bad = 0
root = pathlib.Path('.')
files = [p for p in root.rglob('*.rs') if 'target' not in p.parts and '/tests/' not in str(p) and not str(p).startswith('tests/') and 'benches' not in p.parts and not p.name == 'tests.rs']
for p in sorted(files):
    lines = p.read_text().split('\n')
    # strip #[cfg(test)] mod tests { ... } at the end
    n = len(lines)
    for i, l in enumerate(lines):
        if l.strip() == '#[cfg(test)]' and i + 1 < n and re.match(r'\s*mod tests', lines[i+1]):
            n = i; break
    if n > 500:
        print(f"MODULE {p}: {n} lines"); bad += 1
    # functions
    i = 0
    while i < n:
        m = re.match(r'^(\s*)(pub(\([^)]*\))? )?(const )?(unsafe )?(extern "C" )?fn (\w+)', lines[i])
        if m:
            indent = m.group(1)
            # find opening brace line then closing at same indent
            j = i
            while j < n and not lines[j].rstrip().endswith('{') and not lines[j].rstrip().endswith(';'):
                j += 1
            if j < n and lines[j].rstrip().endswith(';'):
                i = j + 1; continue
            k = j + 1
            while k < n and not (lines[k].startswith(indent + '}') and len(lines[k]) - len(lines[k].lstrip()) == len(indent)):
                k += 1
            length = k - i + 1
            if length > 80:
                print(f"FN {p}:{i+1} {m.group(7)} {length} lines"); bad += 1
            i += 1
        else:
            i += 1

sys.exit(1 if bad else 0)

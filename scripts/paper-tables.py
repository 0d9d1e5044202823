"""Prints Markdown tables from the eval.json files that scripts/paper-tables.sh wrote."""
import json, pathlib, sys

runs = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "runs/table1")
losses = [("l1", "D1"), ("l2", "D√2"), ("sq", "D2"), ("linf", "D∞"), ("cos", "Dcos")]


def report(loss, epoch):
    p = runs / loss / "epochs" / str(epoch) / "eval.json"
    return json.loads(p.read_text()) if p.exists() else None


epochs = sorted({int(p.name) for p in runs.glob("*/epochs/*")})
print("Table 1: average Spearman over WS-353, MEN, RW (student on all pairs)\n")
print("| distance | " + " | ".join(str(e) for e in epochs) + " |")
print("|---|" + "---|" * len(epochs))
teacher = None
for loss, name in losses:
    cells = []
    for e in epochs:
        r = report(loss, e)
        cells.append(f"{r['similarity_average']:.3f}" if r else "-")
        teacher = teacher or (r and r["teacher_similarity_average"])
    print(f"| {name} | " + " | ".join(cells) + " |")
contrast = [report("minilm-cos", e) for e in epochs]
if any(contrast):
    cells = [f"{r['similarity_average']:.3f}" if r else "-" for r in contrast]
    print("| Dcos, MiniLM teacher (contrast) | " + " | ".join(cells) + " |")
print(f"\nteacher (on the pairs it covers): GloVe {teacher:.3f}", end="")
minilm_teacher = next((r["teacher_similarity_average"] for r in contrast if r), None)
print(f", MiniLM {minilm_teacher:.3f}\n" if minilm_teacher is not None else "\n")


def wall_minutes(name):
    p = runs / name / "metrics.jsonl"
    if not p.exists():
        return None
    lines = [json.loads(l) for l in p.read_text().splitlines()]
    return sum(l["seconds"] for l in lines) / 60, sorted(l["words_per_s"] for l in lines)[len(lines) // 2]


print("Training wall time (sum of epoch times in metrics.jsonl) and median words/s:\n")
print("| run | minutes | median words/s |\n|---|---|---|")
for name, label in losses + [("minilm-cos", "Dcos, MiniLM")]:
    w = wall_minutes(name)
    if w:
        print(f"| {label} | {w[0]:.1f} | {w[1]:,.0f} |")
print()

print("Per set at the last epoch (student all pairs / student on the teacher's pairs / teacher):\n")
print("| distance | epoch | " + " | ".join(s["set"] for s in report("cos", epochs[-1])["similarity"]) + " |")
print("|---|---|" + "---|" * 3)
for loss, name in losses:
    r = report(loss, epochs[-1])
    if r:
        cells = [f"{s['student']:.3f} / {s['student_on_teacher_pairs']:.3f} / {s['teacher']:.3f}" for s in r["similarity"]]
        print(f"| {name} | {epochs[-1]} | " + " | ".join(cells) + " |")


def analogy_row(r, key):
    out = []
    for a in r[key]:
        for c in a["categories"]:
            out.append(f"{100 * c['accuracy']:.2f}")
    return out


r0 = report("cos", 0)
if r0 and r0["analogy"]:
    heads = [f"{a['set']} {c['category']} ({c['covered']} q.)" for a in r0["analogy"] for c in a["categories"]]
    print("\nTable 2: analogy accuracy (%), 3CosMul, search space: the teacher's first 30,000 words, 10 epochs\n")
    print("| embedding | " + " | ".join(heads) + " |")
    print("|---|" + "---|" * len(heads))
    print("| random (epoch 0) | " + " | ".join(analogy_row(r0, "analogy")) + " |")
    for loss, name in losses:
        r = report(loss, 10)
        if r and r["analogy"]:
            print(f"| {name} | " + " | ".join(analogy_row(r, "analogy")) + " |")
    print("| teacher | " + " | ".join(analogy_row(r0, "teacher_analogy")) + " |")

    print("\nTable 4: nearest neighbours (cosine, among the teacher's 100k words)\n")
    print("| word | embedding | neighbours |")
    print("|---|---|---|")
    for i, n in enumerate(r0["neighbors"]):
        print(f"| {n['word']} | teacher | {' '.join(n['teacher'] or [])} |")
        print(f"| | random student | {' '.join(n['student'])} |")
        for loss, name in [("l1", "D1"), ("cos", "Dcos")]:
            r = report(loss, 10)
            if r and r["neighbors"]:
                print(f"| | {name}, 10 epochs | {' '.join(r['neighbors'][i]['student'])} |")

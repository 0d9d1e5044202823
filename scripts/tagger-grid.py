#!/usr/bin/env python3
"""Table 3 at convergence (docs/RESULTS.md, issue 14): every tagger variant searched over the
paper's grid with successive halving, then 3 seeds at its chosen point, on EWT or on the gold
WSJ sample; prints the table (mean ± sd over seeds).

usage: tagger-grid.py {ewt,wsj} [--runs DIR] [--jobs N] [--commit] [--only NAME ...]
                      [--save-every MIN] [--table | --progress | --retrain RUN | --save-state]

- The grid: all 25 points (lr 1e-4..5e-4 x dropout 0.1..0.5) for CHAR and the best CHAR(D),
  a 3x3 sub-grid (lr 1e-4, 3e-4, 5e-4 x dropout 0.1, 0.3, 0.5) for the others; successive
  halving at epochs 3, 8, 16, then the survivors to convergence (patience on dev).
- Seed 1 runs the grid; seeds 2 and 3 train the point seed 1 chose.
- Each finished run's report is kept in docs/tagger/<corpus>/<run>.json (small); a run whose
  report is there is not run again, so the table survives a fresh clone. Unfinished runs
  resume from their checkpoints in --runs. --commit commits each report as it lands, and
  every --save-every minutes the running runs' checkpoints (`scripts/run_state.py`:
  checkpoints/<corpus>/<run>.tar, replaced by the report when the run ends), so that a fresh
  clone resumes them too; `--save-state` saves them at once (before a session ends).
  `--retrain NAME-seedN` trains one such run again into --runs (its files: to export or
  distil from on a machine that has only its report); the committed report stays.
- N runs at once (default 2: both cores); CHAR(D)'s reconstructed models (runs/table1/<d>,
  10 epochs) and the WSJ split (runs/wsj) are made first when missing.
- Past the paper's grid: CHAR(Dcos) chose its corner (the largest lr, the smallest dropout;
  CHAR chose 4e-4, 0.2, inside it), so `dcos-wide` searches beyond it (lr 7e-4, 1e-3 x
  dropout 0.05, 0.1). Its seeds 2 and 3 run only when its seed 1 beats the base grid's on
  dev, and the table then reports the wide point (the union of both grids, chosen on dev).
- The best CHAR(D) changed at convergence (CHAR(D2) on dev, after only its 3x3 sub-grid), so
  `dsq-full` runs its whole 25-point grid; the table reports it once its seeds are in. Its
  seeds 2 and 3 are the sub-grid's own seed runs when both grids choose the same point (the
  same options, point and seed: the same run), else they train.
- Beyond the paper (issue 15): `dnce` is CHAR(D) from the student the held-out words chose
  (contrastive + Dcos, cosine decay, 50 epochs; `scripts/objectives.sh`), on the sub-grid
  like the other CHAR(D) variants, so it is compared with CHAR(Dcos) at its own point.
  `drel-avg` is CHAR(D) from the same student trained with the relational loss too, with
  the averaged recipe at the point dnce's and dcos's grids chose (lr 5e-4, dropout 0.1).
- Polyak averaging (`--average`, chosen on EWT dev after the grids had run): each variant's
  `-avg` twin trains all three seeds at the point its grid chose, with the recipe plus
  AVERAGE; the second table lists them.
- Every CHAR(D) starts from a student reconstructed for 10 epochs. `dsq-e50` asks whether a
  converged one tags better: CHAR(D2) from a D2 student of 50 epochs with a cosine-decayed
  learning rate (`runs/students/sq-decay-e50`, made first when missing), at the point
  CHAR(D2)'s grid chose. Like `dcos-wide`, its seeds 2 and 3 run only when its seed 1 beats
  CHAR(D2)'s seed 1 on dev; it keeps a row of its own.
- Augmented (`dsq-aug`, beyond the paper): CHAR(D2) at its averaged lr-1e-3 point trained
  beside synthetic sentences (`sublex-train augment`: the training sentences with words
  swapped for unseen GloVe neighbours, tagged in context by the corpus's FULL+EMB-avg
  seed-1 tagger; runs/augment/<corpus>.tsv, made first when missing); `dsq-aug-c3n30` the
  same with three copies of each sentence and 30 neighbours to draw from;
  `dsq-aug-c3n30-dist` that, distilling FULL+EMB's tag distributions too (`--distill`);
  `dsq-aug-cover` three copies where every unseen GloVe word that finds room takes one
  place beside a near training word (`--cover`, 30 neighbours), the rest at rate 0.1;
  `dsq-aug-cover2` two places per word among its 100 nearest training words, the second
  written in the other case (`--cover 2`), the rest at rate 0.05; its seeds 2 and 3 run
  only when its seed 1 beats `dsq-aug-cover`'s on dev; `dsq-aug-cover-dist` the cover
  sentences with distillation (the two changes that led on unseen words and on dev);
  `dsq-aug-cover-upper` the cover sentences with a tenth of them written in capitals after
  tagging (`--upper 0.1`: all-caps words are a tenth of EWT test's unseen ones).
- A `-p24` twin (PATIENT_OF) is its base with patience 24 instead of 12: on the augmented
  sentences a seed's averaged dev curve can peak early and rise again after the patience
  ends it. Patience decides only where a run stops, so the twin starts from a copy of its
  base's run where that is here, and goes on from its last checkpoint.
  `dsq-aug-both-dist-p24` trains beside both the three-copy and the cover sentences
  (AUGMENT_UNION), distilled, with patience 24: the first led on dev, the second on unseen
  words.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time

import run_state

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data")
GLOVE = os.path.join(DATA, "teacher", "glove-6b-100d.top100k.txt")
TRAINER = os.environ.get("TRAINER", os.path.join(ROOT, "target", "release", "sublex-train"))
# The recipe chosen by the ablation on EWT dev (scripts/tagger-ablation.sh), spelled out so
# that a later change of the trainer's defaults cannot change what this table means.
RECIPE = ["--batch", "16", "--max-epochs", "60", "--patience", "6", "--char-dropout", "0.25",
          "--char-dropout-shared", "--case-init", "--average", "0"]
HALVING = "3,8,16"
FULL = ["--grid", "full"]
SUB = ["--lr", "1e-4", "3e-4", "5e-4", "--dropout", "0.1", "0.3", "0.5"]
WIDE = ["--lr", "7e-4", "1e-3", "--dropout", "0.05", "0.1"]
# A variant searched past the paper's grid, and its base.
WIDE_OF = {"dcos-wide": "dcos"}
# A variant from another student at its base's chosen point (seeds 2 and 3 only if it wins).
STUDENT_OF = {"dsq-e50": "dsq"}
# An augmentation tried against another's seed 1 (seeds 2 and 3 only if it wins).
AUGMENT_TRIAL_OF = {"dsq-aug-cover2": "dsq-aug-cover"}
# All three kinds run seeds 2 and 3 only when seed 1 beats the base's seed 1 on dev.
GATED_BY = {**WIDE_OF, **STUDENT_OF, **AUGMENT_TRIAL_OF}
# The averaged recipe (scripts/tagger-ablation.sh chose it on dev): a variant's `-avg` twin
# trains every seed at the point the base's seed-1 grid chose, with these options replacing
# the recipe's (the average's smooth dev curve is worth a longer patience).
AVERAGE = {"--average": "0.999", "--patience": "12", "--max-epochs": "100"}
AVERAGED = ["full", "fullemb", "char", "d1", "dl2", "dsq", "dlinf", "dcos", "dnce"]
AVERAGED_OF = {f"{n}-avg": n for n in AVERAGED}
# Variants without a grid of their own: they train at this base's chosen point.
POINT_OF = {**STUDENT_OF, **AVERAGED_OF}
# Row labels where the report's model name (from --variant and --init) is not enough.
LABEL = {"dsq-e50": "CHAR(D2), 50-epoch student"}
# Students a CHAR(D) variant starts from other than Table 1's 10-epoch ones: runs/students/NAME
# is `sublex-train reconstruct` on the 100k GloVe teacher with these options.
STUDENTS = {"sq-decay-e50": ["--loss", "sq", "--epochs", "50", "--cosine-decay"]}
# A variant's whole grid, and the sub-grid it replaces.
FULL_OF = {"dsq-full": "dsq"}

# name -> (variant options, grid), in the order they run (the 25-point grids first); the
# table lists them in the paper's order.
D2 = ["--variant", "char", "--init", "runs/table1/sq/epochs/10"]
# Twins of augmented variants with a longer patience (RECIPE's "--patience" replaced).
PATIENT_OF = {"dsq-aug-c3n30-dist-p24": "dsq-aug-c3n30-dist",
              "dsq-aug-cover-dist-p24": "dsq-aug-cover-dist"}
PATIENCE = "24"
# A variant trained beside the union of other variants' synthetic sentences.
AUGMENT_UNION = {"dsq-aug-both-dist-p24": ("dsq-aug-c3n30", "dsq-aug-cover")}
# The variants trained with PATIENCE.
PATIENT = {*PATIENT_OF, *AUGMENT_UNION}
# Beyond the paper: CHAR(D2) beside sentences augmented by FULL+EMB (AUGMENT_BY).
AUGMENTED = ("dsq-aug", "dsq-aug-c3n30", "dsq-aug-c3n30-dist", "dsq-aug-cover", "dsq-aug-cover2",
             "dsq-aug-cover-dist", "dsq-aug-cover-upper", *PATIENT_OF, *AUGMENT_UNION)
# The student issue 15's held-out words chose (a config of scripts/objectives.sh).
NCE = "nce-t0.2-freq0.25-cos1-decay-e50"
# The same with the relational loss (`--relation-weight 3`), which the held-out words chose
# over it in the eighth sitting.
REL = f"{NCE}-rel3"
EWT = {
    "char": (["--variant", "char"], FULL),
    "dcos": (["--variant", "char", "--init", "runs/table1/cos/epochs/10"], FULL),
    "dcos-wide": (["--variant", "char", "--init", "runs/table1/cos/epochs/10"], WIDE),
    "dsq-full": (D2, FULL),
    "fullemb": (["--variant", "full-emb", "--teacher", GLOVE], SUB),
    "full": (["--variant", "full"], SUB),
    "d1": (["--variant", "char", "--init", "runs/table1/l1/epochs/10"], SUB),
    "dl2": (["--variant", "char", "--init", "runs/table1/l2/epochs/10"], SUB),
    "dsq": (D2, SUB),
    "dlinf": (["--variant", "char", "--init", "runs/table1/linf/epochs/10"], SUB),
    "dnce": (["--variant", "char", "--init", f"runs/objectives/{NCE}"], SUB),
    # None: the base's chosen point (STUDENT_OF).
    "dsq-e50": (["--variant", "char", "--init", "runs/students/sq-decay-e50"], None),
}
# CHAR(best D) is CHAR(D2), the best CHAR(D) on EWT dev at convergence: its whole grid.
WSJ = {k: EWT[k] for k in ["char", "fullemb", "d1"]}
WSJ["dsq"] = (D2, FULL)
for corpus in (EWT, WSJ):
    for twin, base in AVERAGED_OF.items():
        if base in corpus:
            corpus[twin] = (corpus[base][0], None)
    # With the average, lr 1e-3 (past the paper's grid) led CHAR(D2)'s point on dev in the
    # ablation: its three seeds beside the grid's point, chosen between on dev.
    corpus["dsq-avg-lr1e-3"] = (D2, ["--lr", "1e-3", "--dropout", "0.3"])
    # Beyond the paper: the same beside sentences augmented by FULL+EMB (AUGMENT_BY).
    for name in AUGMENTED:
        corpus[name] = (D2, ["--lr", "1e-3", "--dropout", "0.3"])
# Issue 15's tagger condition for the relational student: CHAR(D) from it with the averaged
# recipe at the point where dnce-avg and dcos-avg train (both grids chose it).
EWT["drel-avg"] = (["--variant", "char", "--init", f"runs/objectives/{REL}"],
                   ["--lr", "5e-4", "--dropout", "0.1"])
# The averaged run whose tagger tags the synthetic sentences (and is distilled from).
AUGMENT_BY = {n: "fullemb-avg" for n in AUGMENTED}
# An augmented variant's sentences: `sublex-train augment`'s options beyond its defaults
# (one copy, rate 0.2, 10 neighbours) and the file's suffix in runs/augment/<corpus>.
AUGMENT_OPTIONS = {"dsq-aug": ([], ""),
                   "dsq-aug-c3n30": (["--copies", "3", "--neighbors", "30"], "-dsq-aug-c3n30"),
                   "dsq-aug-cover": (["--copies", "3", "--neighbors", "30", "--cover",
                                      "--rate", "0.1"], "-dsq-aug-cover"),
                   "dsq-aug-cover2": (["--copies", "3", "--neighbors", "100", "--cover", "2",
                                       "--rate", "0.05"], "-dsq-aug-cover2")}
AUGMENT_OPTIONS["dsq-aug-c3n30-dist"] = AUGMENT_OPTIONS["dsq-aug-c3n30"]
AUGMENT_OPTIONS["dsq-aug-cover-dist"] = AUGMENT_OPTIONS["dsq-aug-cover"]
AUGMENT_OPTIONS["dsq-aug-cover-upper"] = (AUGMENT_OPTIONS["dsq-aug-cover"][0] + ["--upper", "0.1"],
                                          "-dsq-aug-cover-upper")
# Variants that also distil from AUGMENT_BY's tagger, at this weight.
DISTILL_WEIGHT = {"dsq-aug-c3n30-dist": "0.5", "dsq-aug-cover-dist": "0.5",
                  "dsq-aug-both-dist-p24": "0.5"}
for twin, base in PATIENT_OF.items():
    AUGMENT_OPTIONS[twin] = AUGMENT_OPTIONS[base]
    DISTILL_WEIGHT[twin] = DISTILL_WEIGHT[base]
TABLE = ["full", "fullemb", "char", "d1", "dl2", "dsq", "dsq-e50", "dlinf", "dcos", "dnce"]
TABLE_AVERAGED = ([f"{n}-avg" for n in TABLE if n in AVERAGED]
                  + ["drel-avg", "dsq-avg-lr1e-3", *AUGMENT_BY])
LABEL["dsq-avg-lr1e-3"] = "CHAR(D2), lr 1e-3"
LABEL["drel-avg"] = "CHAR(InfoNCE + relational)"
LABEL["dsq-aug"] = "CHAR(D2), lr 1e-3, augmented"
LABEL["dsq-aug-c3n30"] = "CHAR(D2), lr 1e-3, augmented (3 copies, 30 neighbours)"
LABEL["dsq-aug-c3n30-dist"] = "the same, distilled from FULL+EMB (weight 0.5)"
LABEL["dsq-aug-cover"] = "CHAR(D2), lr 1e-3, augmented (3 copies, every unseen word placed)"
LABEL["dsq-aug-cover2"] = "the same, two places per word (the second in the other case)"
LABEL["dsq-aug-cover-dist"] = "every unseen word placed, distilled from FULL+EMB (weight 0.5)"
LABEL["dsq-aug-cover-upper"] = "every unseen word placed, a tenth of the sentences in capitals"
LABEL["dsq-aug-c3n30-dist-p24"] = "3 copies, 30 neighbours, distilled; patience 24"
LABEL["dsq-aug-cover-dist-p24"] = "every unseen word placed, distilled; patience 24"
LABEL["dsq-aug-both-dist-p24"] = "both files (3 copies and every unseen word placed), distilled; patience 24"
# Every run trained with the averaged recipe.
AVERAGED_RUNS = {*AVERAGED_OF, "drel-avg", "dsq-avg-lr1e-3", *AUGMENT_BY}
SEEDS = [1, 2, 3]


def corpus_files(corpus):
    if corpus == "ewt":
        pos = os.path.join(DATA, "pos")
        return [os.path.join(pos, f"en_ewt-ud-{s}.conllu") for s in ("train", "dev", "test")]
    split = os.path.join(ROOT, "runs", "wsj")
    if not os.path.exists(os.path.join(split, "test.tsv")):
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "split-wsj-sample.py"),
                        os.path.join(DATA, "pos", "wsj-sample"), split], check=True)
    return [os.path.join(split, f"{s}.tsv") for s in ("train", "dev", "test")]


def recipe(name):
    """RECIPE, with AVERAGE's options replacing or joining it for an `-avg` twin (and the
    longer patience for the variants in PATIENT)."""
    if name not in AVERAGED_RUNS:
        return RECIPE
    args, extra = list(RECIPE), dict(AVERAGE)
    if name in PATIENT:
        extra["--patience"] = PATIENCE
    for i, flag in enumerate(args):
        if flag in extra:
            args[i + 1] = extra.pop(flag)
    return args + [x for kv in extra.items() for x in kv]


def ensure_init(options):
    """Reconstructs the 100k GloVe teacher for 10 epochs under D when CHAR(D) needs it (an
    issue-15 student: its config of scripts/objectives.sh)."""
    if "--init" not in options:
        return
    snapshot = os.path.join(ROOT, options[options.index("--init") + 1])
    if os.path.exists(os.path.join(snapshot, "model.json")):
        return
    if os.path.basename(os.path.dirname(snapshot)) == "students":
        name = os.path.basename(snapshot)
        subprocess.run([TRAINER, "reconstruct", "--teacher", GLOVE, *STUDENTS[name],
                        "--keep-every", "0", "--out", snapshot, "--resume"], check=True, cwd=ROOT)
        return
    if os.path.basename(os.path.dirname(snapshot)) == "objectives":
        env = {**os.environ, "TRAINER": TRAINER, "NICE": "5",
               "ONLY": os.path.basename(snapshot)}
        subprocess.run([os.path.join(ROOT, "scripts", "objectives.sh")], check=True, cwd=ROOT,
                       env=env)
        return
    run = os.path.dirname(os.path.dirname(snapshot))
    loss = os.path.basename(run)
    subprocess.run([TRAINER, "reconstruct", "--teacher", GLOVE, "--loss", loss, "--epochs", "10",
                    "--keep-every", "10", "--out", run, "--resume"], check=True, cwd=ROOT)


class Runs:
    def __init__(self, corpus, runs, commit):
        self.corpus, self.runs, self.commit = corpus, runs, commit
        self.variants = EWT if corpus == "ewt" else WSJ
        self.results = os.path.join(ROOT, "docs", "tagger", corpus)
        self.lock = threading.Lock()
        # Held while a seed-1 tagger that other runs read is trained again, so that two
        # workers never train it into the same directory at once.
        self.prerequisite = threading.Lock()

    def result(self, run):
        name, seed = run.rsplit("-seed", 1)
        if name in FULL_OF and seed != "1":
            base = self.same_point_run(name, seed)
            if base:
                run = base
        path = os.path.join(self.results, f"{run}.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        return None

    def same_point_run(self, name, seed):
        """The base sub-grid's seed run when `name`'s grid chose the base's point (None if not
        known yet or another point)."""
        full, base = self.result(f"{name}-seed1"), self.result(f"{FULL_OF[name]}-seed1")
        if full and base and all(full[k] == base[k] for k in ("chosen_lr", "chosen_dropout")):
            return f"{FULL_OF[name]}-seed{seed}"
        return None

    def dev(self, run):
        report = self.result(run)
        return report["dev_eval"]["accuracy"] if report else None

    def wins(self, name):
        """Whether a gated variant's seed 1 beats its base's on dev (None: not known yet)."""
        mine, base = self.dev(f"{name}-seed1"), self.dev(f"{GATED_BY[name]}-seed1")
        return None if mine is None or base is None else mine > base

    def shown(self, name):
        """The run name whose seeds the table shows for variant `name`."""
        wide = f"{name}-wide"
        if wide in WIDE_OF and self.wins(wide):
            return wide
        full = f"{name}-full"
        if full in FULL_OF and self.result(f"{full}-seed1"):
            return full
        return name

    def train(self, name, seed, record=True):
        """Trains one run to its end; `record` keeps its report in docs/ (and commits it)."""
        run = f"{name}-seed{seed}"
        options, grid = self.variants[name]
        if (seed != 1 and not one_point(grid)) or grid is None:
            chosen = self.result(f"{POINT_OF[name] if grid is None else name}-seed1")
            grid = ["--lr", str(chosen["chosen_lr"]), "--dropout", str(chosen["chosen_dropout"])]
        with self.lock:
            ensure_init(options)
        train, dev, test = corpus_files(self.corpus)
        if name in AUGMENT_BY:
            options = options + ["--extra-train", self.augmented(name, train)]
        if name in DISTILL_WEIGHT:
            options = options + ["--distill", self.tagger_run(AUGMENT_BY[name]),
                                 "--distill-weight", DISTILL_WEIGHT[name]]
        out = os.path.join(self.runs, self.corpus, run)
        run_state.restore(self.corpus, out)
        if name in PATIENT_OF:
            self.copy_base_run(PATIENT_OF[name], seed, out)
        args = [TRAINER, "tagger", *options, "--train", train, "--dev", dev, "--test", test,
                *recipe(name), *grid, "--halving", HALVING, "--seed", str(seed), "--out", out]
        if os.path.exists(os.path.join(out, "config.json")):
            args.append("--resume")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        started = time.time()
        with open(out + ".log", "a", encoding="utf-8") as log:
            subprocess.run(["nice", *args], check=True, stdout=log, stderr=log, cwd=ROOT)
        with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
            report = json.load(f)
        if not record:
            return
        with self.lock:
            os.makedirs(self.results, exist_ok=True)
            with open(os.path.join(self.results, f"{run}.json"), "w", encoding="utf-8") as f:
                json.dump(report, f, indent=1)
            print(f"{self.corpus} {run}: dev {100 * report['dev_eval']['accuracy']:.2f} "
                  f"({(time.time() - started) / 60:.0f} min)", flush=True)
            if self.commit:
                # The report replaces the run's snapshot, if it had one.
                snapshot = run_state.snapshot_path(self.corpus, run)
                if os.path.exists(snapshot):
                    os.remove(snapshot)
                message = (f"Tagger grid ({self.corpus}): {report['model']} seed run {run} "
                           f"finished, dev {100 * report['dev_eval']['accuracy']:.2f}")
                git_commit([os.path.join(self.results, f"{run}.json"), snapshot], message)

    def copy_base_run(self, base, seed, out):
        """A PATIENT_OF twin's start: a copy of its base's run (checkpoints, curve and log)
        when the twin has not started and the base's is here; the twin goes on from it."""
        source = os.path.join(self.runs, self.corpus, f"{base}-seed{seed}")
        if os.path.exists(out) or not os.path.exists(os.path.join(source, "config.json")):
            return
        shutil.copytree(source, out)
        shutil.copyfile(source + ".log", out + ".log")

    def augmented(self, name, train):
        """runs/augment/<corpus><suffix>.tsv: `sublex-train augment` over the training corpus
        with `name`'s AUGMENT_OPTIONS and its tagger's seed-1 run (for an AUGMENT_UNION
        variant, its parts' files one after the other)."""
        if name in AUGMENT_UNION:
            return self.union(name, [self.augmented(part, train) for part in AUGMENT_UNION[name]])
        options, suffix = AUGMENT_OPTIONS[name]
        path = os.path.join(ROOT, "runs", "augment", f"{self.corpus}{suffix}.tsv")
        with self.lock:
            if os.path.exists(path):
                return path
        run = self.tagger_run(AUGMENT_BY[name])
        with self.lock:
            if not os.path.exists(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                subprocess.run([TRAINER, "augment", "--tagger", run, "--teacher", GLOVE,
                                "--train", train, *options, "--out", path],
                               check=True, cwd=ROOT)
        return path

    def union(self, name, parts):
        """runs/augment/<corpus>-<name>.tsv: the files `parts`, one after the other."""
        path = os.path.join(ROOT, "runs", "augment", f"{self.corpus}-{name}.tsv")
        with self.lock:
            if not os.path.exists(path):
                with open(path + ".tmp", "wb") as out:
                    for part in parts:
                        with open(part, "rb") as f:
                            shutil.copyfileobj(f, out)
                os.replace(path + ".tmp", path)
        return path

    def tagger_run(self, name):
        """The directory of `name`'s seed-1 run: from its snapshot, or trained again first if
        only its report is here (training is not bit-reproducible across machines, so the new
        run does not replace the report; with --commit it is saved, for the runs that read it
        to read the same one on the next machine)."""
        run = os.path.join(self.runs, self.corpus, f"{name}-seed1")
        with self.prerequisite:
            run_state.restore(self.corpus, run)
            if not os.path.exists(os.path.join(run, "tagger.json")):
                self.train(name, 1, record=False)
                if self.commit and run_state.save(self.corpus, run, whole=False):
                    git_commit([run_state.snapshot_path(self.corpus, f"{name}-seed1")],
                               f"Tagger grid ({self.corpus}): {name}-seed1 trained again "
                               "here, saved for the runs that read it")
        return run

    def save_state(self, runs):
        """Snapshots the unfinished runs `runs` (names) and, with --commit, commits them."""
        saved = []
        # Under the lock that a finishing run's report takes, so that a run's snapshot is
        # never written after the report replaced it.
        with self.lock:
            for run in runs:
                out = os.path.join(self.runs, self.corpus, run)
                if not self.result(run) and os.path.isdir(out) and run_state.save(self.corpus, out):
                    saved.append(run)
            if saved and self.commit:
                git_commit([run_state.snapshot_path(self.corpus, r) for r in saved],
                           f"Tagger grid ({self.corpus}): checkpoints of {', '.join(saved)}")
        return saved


def git_commit(paths, message):
    """Commits `paths` (added, changed or deleted), retrying while another commit holds the
    index. A path that neither exists nor is tracked is left out."""
    def known(path):
        return os.path.exists(path) or subprocess.run(
            ["git", "ls-files", "--error-unmatch", "--", path], cwd=ROOT,
            capture_output=True).returncode == 0

    paths = [p for p in paths if known(p)]
    for _ in range(5):
        add = subprocess.run(["git", "add", "-A", "--", *paths], cwd=ROOT)
        done = subprocess.run(["git", "commit", "-q", "-m", message, "--", *paths], cwd=ROOT)
        if add.returncode == 0 and done.returncode == 0:
            return
        time.sleep(10)


def one_point(grid):
    """Whether `grid` is one given point: then every seed trains it, none waits for seed 1."""
    return grid is not None and len(grid) == 4 and grid[0] == "--lr" and grid[2] == "--dropout"


def schedule(runs, names, jobs, save_every):
    """Variant by variant in `names` order: seed 1's grid, then the other seeds at its choice
    (a free worker takes the first run that is ready); with --commit, the running runs'
    snapshots are committed every `save_every` minutes."""
    pending = [(n, s) for n in names for s in SEEDS if not runs.result(f"{n}-seed{s}")]
    running, failed, cond = set(), [], threading.Condition()

    def ready(job):
        name, seed = job
        if name in AVERAGED_OF:
            return runs.result(f"{AVERAGED_OF[name]}-seed1") is not None
        if name in AUGMENT_BY and runs.result(f"{AUGMENT_BY[name]}-seed1") is None:
            return False
        if name in GATED_BY and seed == 1:
            return runs.result(f"{GATED_BY[name]}-seed1") is not None
        if name in GATED_BY:
            return runs.wins(name) is True
        if one_point(runs.variants[name][1]):
            return True
        return seed == 1 or (runs.result(f"{name}-seed1") is not None)

    def skipped(job):
        """A gated variant's seeds 2 and 3 when its seed 1 lost, or a run that another run
        turned out to be (FULL_OF): never needed."""
        name, seed = job
        if runs.result(f"{name}-seed{seed}"):
            return True
        return name in GATED_BY and seed != 1 and runs.wins(name) is False

    def worker():
        while True:
            with cond:
                while True:
                    for job in [j for j in pending if skipped(j)]:
                        pending.remove(job)
                    job = next((j for j in pending if ready(j)), None)
                    if job or not running:
                        break
                    cond.wait()
                if job is None:
                    return
                pending.remove(job)
                running.add(job)
            try:
                runs.train(*job)
            except subprocess.CalledProcessError as e:
                failed.append((job, str(e)))
                print(f"{job}: {e}", file=sys.stderr, flush=True)
            with cond:
                running.discard(job)
                cond.notify_all()

    def saver(finished):
        # The running runs' checkpoints, committed every `save_every` minutes.
        while not finished.wait(60 * save_every):
            with cond:
                names = [f"{n}-seed{s}" for n, s in running]
            runs.save_state(names)

    threads = [threading.Thread(target=worker) for _ in range(jobs)]
    for t in threads:
        t.start()
    finished = threading.Event()
    if runs.commit and save_every > 0:
        threading.Thread(target=saver, args=(finished,), daemon=True).start()
    for t in threads:
        t.join()
    finished.set()
    return failed


def mean_sd(xs):
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else float("nan")
    return m, sd


def table(runs, names):
    print("| model | test acc. | test unseen-word acc. | dev acc. | seeds | lookup rows | parameters "
          "| grid run (points; halving) | chosen lr, dropout | epochs (best) | grid wall time |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        shown = runs.shown(name)
        reports = [r for r in (runs.result(f"{shown}-seed{s}") for s in SEEDS) if r]
        if not reports:
            continue
        first = reports[0]
        if shown in WIDE_OF:
            # The union of both grids: the base's points, then the wide ones (chosen).
            base = runs.result(f"{name}-seed1")
            first = {**first, "points": base["points"] + first["points"],
                     "halving": first.get("halving", [])}
        def cell(key, split):
            # One seed has no spread: print its value alone rather than "± nan".
            m, sd = mean_sd([100 * r[split][key] for r in reports])
            return f"{m:.2f}" if len(reports) == 1 else f"{m:.2f} ± {sd:.2f}"

        chosen = next(p for p in first["points"]
                      if p["lr"] == first["chosen_lr"] and p["dropout"] == first["chosen_dropout"])
        halving = ",".join(map(str, first.get("halving", []))) or "none"
        print(f"| {LABEL.get(name, first['model'])} | {cell('accuracy', 'test_eval')} "
              f"| {cell('unseen_accuracy', 'test_eval')} | {cell('accuracy', 'dev_eval')} "
              f"| {len(reports)} | {first['lookup_rows']:,} | {first['parameters']:,} "
              f"| {len(first['points'])}; {halving} | {first['chosen_lr']:g}, {first['chosen_dropout']:g} "
              f"| {chosen['epochs']} ({chosen['best_epoch']}) "
              f"| {sum(p['seconds'] for p in first['points']) / 60:.0f} min |")


def progress(runs, names):
    """Where each grid point of each run on this machine stands (epochs, best dev so far)."""
    for run in [f"{n}-seed{s}" for n in names for s in SEEDS]:
        grid = os.path.join(runs.runs, runs.corpus, run, "grid")
        if not os.path.isdir(grid):
            continue
        points = []
        for point in sorted(os.listdir(grid)):
            try:
                with open(os.path.join(grid, point, "progress.json"), encoding="utf-8") as f:
                    p = json.load(f)
            except FileNotFoundError:
                continue
            points.append((p.get("best_dev", 0), point, p["epoch"], p.get("best_epoch", 0),
                           p.get("seconds", 0), p.get("done", False)))
        print(f"\n{run}: {len(points)} point{'' if len(points) == 1 else 's'}, "
              f"{sum(p[4] for p in points) / 60:.0f} min of training so far\n")
        print("| point | epochs | best dev (epoch) | minutes | done |\n|---|---|---|---|---|")
        for best, point, epoch, best_epoch, seconds, done in sorted(points, reverse=True):
            print(f"| {point} | {epoch} | {100 * best:.2f} ({best_epoch}) | {seconds / 60:.1f} "
                  f"| {'yes' if done else ''} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", choices=["ewt", "wsj"])
    parser.add_argument("--runs", default=os.path.join(ROOT, "runs", "grid"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--commit", action="store_true")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="train only these variants (the table still lists every one)")
    parser.add_argument("--table", action="store_true", help="only print the table")
    parser.add_argument("--progress", action="store_true",
                        help="only print where each run on this machine stands")
    parser.add_argument("--retrain", metavar="RUN",
                        help="train RUN (NAME-seedN) again into --runs, keeping its report")
    parser.add_argument("--save-every", type=float, default=40, metavar="MIN",
                        help="with --commit, commit the running runs' checkpoints every MIN "
                             "minutes (checkpoints/; 0: never)")
    parser.add_argument("--save-state", action="store_true",
                        help="only snapshot the unfinished runs of --only (or all) now")
    args = parser.parse_args()
    runs = Runs(args.corpus, args.runs, args.commit)
    names = list((EWT if args.corpus == "ewt" else WSJ).keys())
    if args.save_state:
        chosen = [n for n in names if not args.only or n in args.only]
        saved = runs.save_state([f"{n}-seed{s}" for n in chosen for s in SEEDS])
        print("saved: " + (", ".join(saved) or "nothing"))
        return
    if args.progress:
        progress(runs, names)
        return
    failed = []
    if not args.table:
        if "TRAINER" not in os.environ:
            subprocess.run(["cargo", "build", "--release", "-q", "-p", "sublex-trainer"],
                           check=True, cwd=ROOT)
        if args.retrain:
            name, seed = args.retrain.rsplit("-seed", 1)
            runs.train(name, int(seed), record=False)
            return
        failed = schedule(runs, [n for n in names if not args.only or n in args.only],
                          args.jobs, args.save_every)
    table(runs, [n for n in TABLE if n in names])
    averaged = [n for n in TABLE_AVERAGED if n in names and runs.result(f"{n}-seed1")]
    if averaged:
        options = " ".join(x for kv in AVERAGE.items() for x in kv)
        print(f"\nWith {options}, at each grid's chosen point:\n")
        table(runs, averaged)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

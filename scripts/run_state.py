"""Snapshots of long training runs, committed so that a session on a fresh machine goes on
where the last one stopped (the developers' guide: a new session may start with only what
was committed). One owner for the format: `checkpoints/<corpus>/<run>.tar`, the run's
directory (and its log beside it) as `tagger-grid.py` keeps them under `runs/grid/<corpus>/`.

- An unfinished run is saved whole: its checkpoint (weights, Adam's state, the weight
  average), `best/`, `progress.json` and `metrics.jsonl`, about 7.5 MB for CHAR(D2).
- A finished prerequisite run that other runs read (FULL+EMB, tagging the augmented sentences
  and distilled from) is saved without its subdirectories: the files `RunDir` reads. Training
  is not bit-reproducible across machines, so a run resumed elsewhere must read this one, not
  one trained again.

A snapshot is taken while the trainer is stopped (SIGSTOP) between epochs: the trainer writes
`best/`, the checkpoint, `progress.json` and only then the epoch's metrics line, so a point
directory whose `metrics.jsonl` is its newest file holds one complete epoch and nothing more.
"""
import os
import signal
import tarfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATE = os.path.join(ROOT, "checkpoints")


def snapshot_path(corpus, run):
    return os.path.join(STATE, corpus, f"{run}.tar")


def restore(corpus, run_dir):
    """Unpacks `run_dir`'s snapshot when the directory is not here; whether it did."""
    path = snapshot_path(corpus, os.path.basename(run_dir))
    if os.path.exists(run_dir) or not os.path.exists(path):
        return False
    parent = os.path.dirname(run_dir)
    os.makedirs(parent, exist_ok=True)
    with tarfile.open(path) as tar:
        tar.extractall(parent, filter="data")
    print(f"{run_dir}: restored from {os.path.relpath(path, ROOT)}", flush=True)
    return True


def trainer_pid(run_dir):
    """The pid of the `sublex-train` process writing `run_dir` (None if there is none)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if b"--out" in args and args.index(b"--out") + 1 < len(args):
            out = args[args.index(b"--out") + 1].decode()
            if os.path.abspath(out) == os.path.abspath(run_dir) and b"tagger" in args:
                return int(pid)
    return None


def between_epochs(run_dir):
    """Whether every point directory's `metrics.jsonl` is newer than all its other files."""
    for dirpath, _, files in os.walk(run_dir):
        if "metrics.jsonl" not in files:
            continue
        last = os.stat(os.path.join(dirpath, "metrics.jsonl")).st_mtime_ns
        for sub, _, names in os.walk(dirpath):
            if any(os.stat(os.path.join(sub, n)).st_mtime_ns > last
                   for n in names if not temporary(n)):
                return False
    return True


def save(corpus, run_dir, whole=True, tries=60):
    """Writes `run_dir`'s snapshot (only its top-level files unless `whole`); False if the
    run has no complete epoch yet or never came to rest between epochs."""
    run = os.path.basename(run_dir)
    if whole and not any("metrics.jsonl" in f for _, _, f in os.walk(run_dir)):
        return False
    for attempt in range(tries):
        if attempt:
            time.sleep(5)  # the trainer is writing its epoch's end: let it finish
        pid = trainer_pid(run_dir)
        if pid:
            os.kill(pid, signal.SIGSTOP)
        try:
            if between_epochs(run_dir):
                write_tar(corpus, run_dir, run, whole)
                return True
        finally:
            if pid:
                os.kill(pid, signal.SIGCONT)
    return False


def temporary(name):
    """A temporary file of an interrupted write (tempfile's `.tmp…`): not state."""
    return name.startswith(".tmp")


def write_tar(corpus, run_dir, run, whole):
    path = snapshot_path(corpus, run)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tarfile.open(path + ".tmp", "w") as tar:
        if whole:
            tar.add(run_dir, run,
                    filter=lambda m: None if temporary(os.path.basename(m.name)) else m)
        else:
            for name in sorted(os.listdir(run_dir)):
                if os.path.isfile(os.path.join(run_dir, name)):
                    tar.add(os.path.join(run_dir, name), f"{run}/{name}")
        if os.path.exists(run_dir + ".log"):
            tar.add(run_dir + ".log", f"{run}.log")
    os.replace(path + ".tmp", path)

"""scripts/run_state.py: a snapshot holds one complete epoch, leaves the trainer running, and
unpacks into the place it came from."""
import os
import subprocess
import sys
import tarfile
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import run_state  # noqa: E402


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def touch_later(path):
    """Makes `path` the newest file (mtime one second after everything written so far)."""
    later = time.time_ns() + 1_000_000_000
    os.utime(path, ns=(later, later))


@pytest.fixture
def run(tmp_path, monkeypatch):
    """A tagger run's directory as the trainer leaves it after epoch 3 of one grid point."""
    monkeypatch.setattr(run_state, "STATE", str(tmp_path / "checkpoints"))
    run = tmp_path / "runs" / "ewt" / "x-seed1"
    point = run / "grid" / "lr5e-4-dropout0.3"
    write(str(run / "config.json"), "{}")
    write(str(point / "checkpoint-3" / "model.bpk"), "weights")
    write(str(point / "checkpoint-3" / "optim.bpk"), "adam")
    write(str(point / "best" / "model.bpk"), "best")
    write(str(point / "progress.json"), '{"epoch": 3}')
    write(str(point / ".tmpAbC"), "half a file")  # an interrupted write
    write(str(point / "metrics.jsonl"), '{"epoch": 3}\n')
    touch_later(str(point / "metrics.jsonl"))
    write(str(run) + ".log", "epoch 3\n")
    return run


def test_between_epochs_only_when_the_metrics_line_is_the_newest(run):
    assert run_state.between_epochs(str(run))
    # The trainer has written epoch 4's checkpoint but not yet its metrics line.
    point = run / "grid" / "lr5e-4-dropout0.3"
    write(str(point / "checkpoint-4" / "model.bpk"), "newer")
    touch_later(str(point / "checkpoint-4" / "model.bpk"))
    assert not run_state.between_epochs(str(run))
    assert not run_state.save("ewt", str(run), tries=1)


def test_snapshot_round_trip_without_temporary_files(run):
    assert run_state.save("ewt", str(run))
    path = run_state.snapshot_path("ewt", "x-seed1")
    names = tarfile.open(path).getnames()
    assert "x-seed1.log" in names
    assert "x-seed1/grid/lr5e-4-dropout0.3/checkpoint-3/optim.bpk" in names
    assert not any(".tmp" in n for n in names)
    before = {p: open(os.path.join(run, p), "rb").read()
              for p in ["config.json", "grid/lr5e-4-dropout0.3/best/model.bpk"]}
    os.rename(run, str(run) + "-old")
    os.remove(str(run) + ".log")
    assert run_state.restore("ewt", str(run))
    assert {p: open(os.path.join(run, p), "rb").read() for p in before} == before
    assert open(str(run) + ".log").read() == "epoch 3\n"
    # A run that is here is never overwritten by its snapshot.
    assert not run_state.restore("ewt", str(run))


def test_only_top_level_files_for_a_finished_prerequisite(run):
    assert run_state.save("ewt", str(run), whole=False)
    names = tarfile.open(run_state.snapshot_path("ewt", "x-seed1")).getnames()
    assert sorted(names) == ["x-seed1.log", "x-seed1/config.json"]


def test_a_run_without_a_complete_epoch_is_not_saved(tmp_path, monkeypatch):
    monkeypatch.setattr(run_state, "STATE", str(tmp_path / "checkpoints"))
    run = tmp_path / "y-seed1"
    write(str(run / "config.json"), "{}")
    assert not run_state.save("ewt", str(run))
    assert not os.path.exists(run_state.snapshot_path("ewt", "y-seed1"))


def test_the_trainer_is_stopped_while_saved_and_runs_on_after(run, monkeypatch):
    # A stand-in whose command line names the run as the trainer's does.
    trainer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)",
                                "tagger", "--out", str(run)])
    try:
        deadline = time.time() + 10
        while run_state.trainer_pid(str(run)) != trainer.pid and time.time() < deadline:
            time.sleep(0.05)
        assert run_state.trainer_pid(str(run)) == trainer.pid
        states = []
        write_tar = run_state.write_tar

        def observed(*args):
            states.append(process_state(trainer.pid))
            write_tar(*args)

        monkeypatch.setattr(run_state, "write_tar", observed)
        assert run_state.save("ewt", str(run))
        assert states == ["T"]
        assert process_state(trainer.pid) in ("S", "R")
    finally:
        trainer.kill()
        trainer.wait()


def process_state(pid):
    with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
        return f.read().rsplit(")", 1)[1].split()[0]

"""Crash consistency of ``chainrule train --out DIR`` (issue 20): a SIGINT or SIGTERM at
any moment leaves DIR wholly the old run or wholly the new one, and no temp file.

Real subprocesses and real signals.  Two sweeps:

* at every step of the writing itself: a small launcher runs the CLI with
  ``os.fsync``/``os.replace`` wrapped so that the process signals *itself* just before
  or just after the k-th one (a temp file on disk, half the files replaced ...), for
  every k until a run finishes without reaching k;
* at timed moments over a whole run, from outside.

The oracle for "one run": the seed recorded in metrics.json and in model.json agree,
and every file there is one a run writes (no ``.*.tmp``, no ``.write-test.*``).
"""

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN_FILES = {"metrics.json", "model.json", "loss.png", "gradient_flow.png",
             "decision_boundary.png"}


def _command(out: Path, seed: int) -> list:
    return ["train", "--dataset", "moons", "--samples", "60", "--epochs", "2", "--hidden",
            "3", "--seed", str(seed), "--out", str(out), "--no-progress", "--overwrite"]


# numpy first: its BLAS threads are where the kernel sent a process's signal while the
# main thread masked it (the run died mid-write, leaving a temp file behind).
LAUNCHER = textwrap.dedent("""
    import os, signal, sys
    import numpy
    which, k, sig = sys.argv[1], int(sys.argv[2]), getattr(signal, sys.argv[3])
    calls = [0]
    def wrap(real):
        def wrapped(*args):
            calls[0] += 1
            if which == "before" and calls[0] == k:
                os.kill(os.getpid(), sig)
            result = real(*args)
            if which == "after" and calls[0] == k:
                os.kill(os.getpid(), sig)
            return result
        return wrapped
    os.replace = wrap(os.replace)
    os.fsync = wrap(os.fsync)
    from chainrule.cli import main
    sys.exit(main(sys.argv[4:]))
""")


def _seed_of_the_run(out: Path) -> int:
    """The one run that DIR holds: metrics.json and model.json must agree on it."""
    names = {p.name for p in out.iterdir()}
    assert names <= RUN_FILES, f"left behind: {sorted(names - RUN_FILES)}"
    metrics = json.loads((out / "metrics.json").read_text())
    model = json.loads((out / "model.json").read_text())
    seed = metrics["settings"]["seed"]
    assert model["metadata"]["settings"]["seed"] == seed, "metrics and model of two runs"
    return seed


@pytest.fixture(scope="module")
def old_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("old") / "run"
    done = subprocess.run([sys.executable, "-m", "chainrule", *_command(out, 1)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return {p.name: p.read_bytes() for p in out.iterdir()}


def _fresh_copy(old_run: dict, where: Path) -> Path:
    where.mkdir()
    for name, content in old_run.items():
        (where / name).write_bytes(content)
    return where


def _check_wholly_old_or_new(out: Path, old_run: dict) -> str:
    seed = _seed_of_the_run(out)
    if seed == 1:
        for name, content in old_run.items():  # wholly old: every file as it was
            assert (out / name).read_bytes() == content, f"{name} changed in an old run"
        return "old"
    assert seed == 2
    return "new"


def test_a_signal_at_every_step_of_the_writing_leaves_one_whole_run(old_run, tmp_path):
    seen, signals = set(), ["SIGINT", "SIGTERM"]
    for which in ("before", "after"):
        k = 1
        while True:
            sig = signals[(k + (which == "after")) % 2]  # each step meets both signals
            out = _fresh_copy(old_run, tmp_path / f"{which}-{k}")
            done = subprocess.run([sys.executable, "-c", LAUNCHER, which, str(k), sig,
                                   *_command(out, 2)], cwd=ROOT, capture_output=True,
                                  text=True, timeout=120)
            seen.add(_check_wholly_old_or_new(out, old_run))
            if done.returncode == 0:  # the run never reached its k-th fsync/replace
                break
            assert done.returncode in (1, -signal.SIGTERM), done.stderr
            k += 1
        assert k > 5, f"only {k - 1} write steps seen: the launcher missed the writes"
    assert seen == {"new"}  # the signal came during the writing: it waits for the end


def test_a_signal_at_timed_moments_over_a_run_leaves_one_whole_run(old_run, tmp_path):
    # measure one run, then signal at moments spread over it (imports, training, writing)
    started = time.perf_counter()
    probe = _fresh_copy(old_run, tmp_path / "probe")
    subprocess.run([sys.executable, "-m", "chainrule", *_command(probe, 2)], cwd=ROOT,
                   capture_output=True, timeout=120, check=True)
    length = time.perf_counter() - started
    for index in range(8):
        out = _fresh_copy(old_run, tmp_path / f"t{index}")
        process = subprocess.Popen([sys.executable, "-m", "chainrule", *_command(out, 2)],
                                   cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(length * (0.5 + 0.6 * index / 7))
        process.send_signal((signal.SIGINT, signal.SIGTERM)[index % 2])
        process.wait(timeout=120)
        _check_wholly_old_or_new(out, old_run)

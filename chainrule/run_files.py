"""Where a training run's files go, so that no run loses a better model.

- :func:`prepare_out` refuses an unusable ``--out`` before any training;
- :func:`write_json` writes atomically (temp file + ``os.replace``), honours the umask,
  and writes a non-finite number as ``null`` instead of failing at the end of a run;
- :func:`signals_deferred` holds Ctrl-C and SIGTERM while a run's files are written, so
  an interrupted run leaves its folder wholly old or wholly new, with no temp file;
- :func:`choose_paths` keeps a ``model.json`` that scored better (or that cannot be
  compared) and names this run ``model.new.json`` instead.

>>> import tempfile; out = Path(tempfile.mkdtemp())
>>> choose_paths(out, "moons", 0.9, overwrite=False)[:2] == (out / "model.json",
...                                                           out / "metrics.json")
True
"""

from __future__ import annotations

import json
import math
import os
import signal
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from chainrule.common import CommandError, check_output
from nn.model_file import write_atomically

__all__ = ["prepare_out", "write_json", "recorded_score", "choose_paths", "signals_deferred"]

# What a user sends to stop a run: Ctrl-C, kill, a closed terminal.  SIGKILL cannot be held.
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


@contextmanager
def signals_deferred():
    """Hold SIGINT, SIGTERM and SIGHUP inside the block; one that arrived is acted on at
    its end, after every file of the block is in place.

    A run writes metrics.json and model.json (each atomically); a signal between the two
    would leave a new metrics.json beside the old model, and SIGTERM's default action
    kills the process before write_atomically can remove its temp file.  Writing takes
    milliseconds, so holding the signals that long costs nothing
    (tests/test_run_signals.py sends them at many moments).

    The signals are held by Python handlers that note them, not by a signal mask: a mask
    holds them off one thread only, and the kernel gives a process's signal to any thread
    that does not block it -- numpy's BLAS threads, for one -- where SIGTERM's default
    action killed the run mid-write.  A Python handler makes every thread's delivery a
    note that the main thread reads.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # Python handlers can be set only from the main thread
        return
    arrived: list = []
    previous = {sig: signal.signal(sig, lambda number, frame: arrived.append(number))
                for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for number in dict.fromkeys(arrived):  # each signal once, in the order it came
            signal.raise_signal(number)


def finite_or_none(document):
    """The document with every NaN or infinity replaced by None (JSON has neither)."""
    if isinstance(document, float) and not math.isfinite(document):
        return None
    if isinstance(document, dict):
        return {key: finite_or_none(value) for key, value in document.items()}
    if isinstance(document, (list, tuple)):
        return [finite_or_none(value) for value in document]
    return document


def write_json(path: Path, document) -> None:
    """Write JSON atomically, with the mode the umask gives (nn's one atomic writer)."""
    write_atomically(path, json.dumps(finite_or_none(document), indent=1, allow_nan=False)
                     + "\n")


def prepare_out(out: Path) -> None:
    """Refuse an unusable --out before training: a file, a place we cannot write."""
    check_output("--out", out, folder=True)
    try:  # the folder is made now, and one file written, so training never runs in vain
        out.mkdir(parents=True, exist_ok=True)
        with signals_deferred():  # a signal here would leave the probe behind
            handle, probe = tempfile.mkstemp(prefix=".write-test.", dir=out)
            os.close(handle)
            os.unlink(probe)
    except OSError as error:
        raise CommandError(f"--out {out}: cannot write there ({error.strerror or error}); "
                           "choose another folder") from None
    for name in ("model.json", "metrics.json"):
        if (out / name).is_dir():
            raise CommandError(f"--out {out}: {out / name} is a folder; move it away or "
                               "choose another folder")


def recorded_score(path: Path, dataset: str) -> float | None:
    """The test accuracy recorded in an existing model file for the same data set, or
    None when the file has none we can trust (unreadable, another data set, no record)."""
    try:
        # a FIFO would block the read; above nn.load's own limit it is not a model
        if not path.is_file() or path.stat().st_size > 16 * 2**20:
            return None
        metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata") or {}
        score = metadata.get("test_accuracy")
        if metadata.get("dataset") != dataset or isinstance(score, bool):
            return None
        return float(score) if 0 <= score <= 1 else None
    except (OSError, ValueError, TypeError, AttributeError, RecursionError):
        return None


def choose_paths(out: Path, dataset: str, score: float,
                 overwrite: bool) -> tuple[Path, Path, str | None]:
    """``(model_path, metrics_path, note)`` for a finished run with test accuracy
    ``score``: ``model.json`` unless one is there that scored better on the same data
    set, or that records no score we can compare with; then ``model.new.json`` and a
    one-line note saying which file was kept."""
    model_path, metrics_path = out / "model.json", out / "metrics.json"
    if overwrite or not model_path.exists():
        return model_path, metrics_path, None
    previous = recorded_score(model_path, dataset)
    if previous is not None and previous <= score:
        return model_path, metrics_path, None
    was = (f"no test accuracy on {dataset} recorded" if previous is None
           else f"test accuracy {previous:.1%}")
    new_model = out / "model.new.json"
    return new_model, out / "metrics.new.json", (
        f"kept {model_path} ({was}) over this run ({score:.1%}); wrote this run as "
        f"{new_model} (--overwrite replaces it)")

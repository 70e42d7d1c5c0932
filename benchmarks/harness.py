"""What every benchmark here shares: one fresh process per run, engines alternating.

>>> samples = alternating(["a", "b"], 2, lambda engine: {"seconds": len(engine)})
>>> samples["a"]
[{'seconds': 1}, {'seconds': 1}]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent

# numpy and PyTorch get one thread each, like the pure-Python engines.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def available(module: str) -> bool:
    """Whether ``module`` imports in this interpreter (checked in a separate process)."""
    return subprocess.run([sys.executable, "-c", f"import {module}"],
                          capture_output=True).returncode == 0


def run_worker(script: str, engine: str, steps: int, extra: Sequence[str] = ()) -> dict:
    """Run ``script --worker ENGINE --steps N [extra...]`` in a fresh interpreter; its last
    line is JSON."""
    env = {**os.environ, **ONE_THREAD, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, script, "--worker", engine, "--steps", str(steps),
                             *extra], capture_output=True, text=True, cwd=ROOT, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"{engine} worker failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def alternating(engines: list, rounds: int, run: Callable[[str], dict],
                report: Optional[Callable[[int, dict], None]] = None) -> dict:
    """``rounds`` rounds of ``run(engine)`` for every engine, the order reversed every
    other round so that no engine always runs first; the samples, per engine."""
    samples: dict = {engine: [] for engine in engines}
    for round_index in range(rounds):
        for engine in (engines if round_index % 2 == 0 else engines[::-1]):
            samples[engine].append(run(engine))
        if report:
            report(round_index, samples)
    return samples


def progress(engines: list, rounds: int, decimals: int = 2) -> Callable[[int, dict], None]:
    """A ``report`` for :func:`alternating`: each round's times per engine, on stderr."""
    def report(round_index: int, samples: dict) -> None:
        print(f"round {round_index + 1}/{rounds}: " + ", ".join(
            f"{e} {1000 * samples[e][-1]['seconds']:.{decimals}f} ms" for e in engines),
            file=sys.stderr)
    return report

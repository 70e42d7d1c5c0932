"""Digits test accuracy over many seeds: the benchmark recipe in every system, and
``chainrule train --dataset digits`` with its own defaults.

    python benchmarks/digits_accuracy.py               # seeds 0-19 and 0-4 (about 2 minutes)
    python benchmarks/digits_accuracy.py --seeds 5

Two questions, two tables:

1. The recipe of ``benchmarks/train_digits.py`` (issue 13: MLP(64, [32, 10]), ReLU, He init,
   cross entropy, Adam lr 0.005, batch 16, 20 epochs, L2 5e-4, no validation) in chainrule
   compiled, PyTorch and scikit-learn.  A seed picks the initial weights and the batch
   order; the split is fixed.  Over five seeds the systems differ by seed noise (one test
   digit is 0.28 points); ``tests/test_digits_recipe.py`` shows chainrule takes PyTorch's
   very steps when the two share weights and batch order, so more seeds are the fair
   comparison.
2. What a user gets from ``chainrule train --dataset digits --compile --seed S``: the
   defaults add a validation split, early stopping (patience 10) and the best weights
   restored.  Each seed also draws its own train/val/test split.

Accuracy only: nothing here is timed (``benchmarks/train_digits.py`` times the recipe).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from harness import ONE_THREAD, available  # noqa: E402


def recipe_accuracies(seeds: int) -> dict:
    import train_digits as recipe

    runs = {"chainrule compiled": lambda s: recipe.run_chainrule(s, True, 0)}
    if available("torch"):
        runs["pytorch"] = recipe.run_torch
    if available("sklearn"):
        runs["scikit-learn"] = recipe.run_sklearn
    results: dict = {name: [] for name in runs}
    for seed in range(seeds):
        for name, run in runs.items():
            results[name].append(run(seed)["accuracy"])
        print(f"seed {seed}: " + ", ".join(f"{n} {100 * r[-1]:.2f}%"
                                           for n, r in results.items()), file=sys.stderr)
    return results


def cli_accuracies(seeds: int) -> list:
    accuracies = []
    env = {**os.environ, **ONE_THREAD, "PYTHONPATH": str(ROOT)}
    for seed in range(seeds):
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([sys.executable, "-m", "chainrule", "train", "--dataset", "digits",
                            "--compile", "--no-progress", "--seed", str(seed), "--out", out],
                           check=True, capture_output=True, cwd=ROOT, env=env)
            metrics = json.loads((Path(out) / "metrics.json").read_text())
        accuracies.append(metrics["accuracy"]["test"])
        print(f"chainrule train --dataset digits --seed {seed}: "
              f"{100 * accuracies[-1]:.2f}%", file=sys.stderr)
    return accuracies


def spread(values: list) -> str:
    return f"{100 * statistics.mean(values):.1f}% +- {100 * statistics.pstdev(values):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20,
                        help="seeds 0..N-1 for the recipe (default 20)")
    parser.add_argument("--cli-seeds", type=int, default=5,
                        help="seeds 0..N-1 for chainrule train (default 5)")
    args = parser.parse_args()
    recipe = recipe_accuracies(args.seeds)
    cli = cli_accuracies(args.cli_seeds)
    first = min(5, args.seeds)
    print("digits test accuracy, the train_digits recipe (fixed split, seed = weights and "
          "batch order)")
    print(f"{'system':<22} {f'seeds 0-{first - 1}':>16} {f'seeds 0-{args.seeds - 1}':>16}")
    for name, values in recipe.items():
        print(f"{name:<22} {spread(values[:first]):>16} {spread(values):>16}")
    print(f"chainrule train --dataset digits --compile (val split, early stopping; "
          f"seed = split, weights and order), seeds 0-{args.cli_seeds - 1}: {spread(cli)}")


if __name__ == "__main__":
    main()

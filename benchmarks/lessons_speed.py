"""How fast the classroom's training and digits lessons run natively (CPython, pure Python).

    python benchmarks/lessons_speed.py              # about 20 seconds
    python benchmarks/lessons_speed.py --repeats 3 --json

The page runs the same Python in Pyodide, measured there at about 1.5-2x slower than
CPython, so it can quote "N steps per second natively".  Measured here:

* ``Playground.step`` on moons with the lesson's defaults (MLP(2, [8, 8, 2]) tanh, Adam,
  batch 16, 200 points): steps per second, one step per call and ten per call (each call
  also evaluates the loss on all 200 points); the peer, measured in the same run, is
  ``nn.fit`` training the same model on the same mini-batches on the scalar engine,
  per batch: the ratio shows what driving fit's pieces one step at a time costs;
* the three training pictures (``boundary_svg`` with its default 30 x 30 cells,
  ``loss_svg`` after 200 calls, ``gradient_svg``);
* the digit pad: a drawn digit (two strokes, 120 points) to 8x8, ``classify``, and
  both its pictures.

Each figure is the median of ``--repeats`` rounds in this one process (the lessons
run in one long-lived interpreter in the page, too).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nn import MLP, fit  # noqa: E402
from visualize.digit_pad import (  # noqa: E402
    activations_svg,
    classify,
    probabilities_svg,
    to_digits_8x8,
)
from visualize.playground import Playground  # noqa: E402


def seconds(call, times: int = 1) -> float:
    started = time.perf_counter()
    for _ in range(times):
        call()
    return (time.perf_counter() - started) / times


def one_round() -> dict:
    playground = Playground()
    playground.step(5)  # warm: the first calls build caches
    per_step_1 = seconds(lambda: playground.step(1), 60)
    per_step_10 = seconds(lambda: playground.step(10), 10) / 10
    reference = Playground()
    model = MLP(2, [8, 8, 2], activation="tanh", init="xavier", seed=0)
    epochs = 5
    fit_per_batch = seconds(lambda: fit(
        model, reference.X, reference.y, optimizer="adam", lr=0.05, epochs=epochs,
        batch_size=16, seed=0, progress=False)) / (epochs * reference.n_batches)
    while len(playground.curve) < 200:
        playground.step(1)
    drawn = [[(60 + 45 * math.cos(t / 10), 30 + 20 * math.sin(t / 10)) for t in range(60)],
             [(60 - t, 50 + t) for t in range(60)]]
    pixels = to_digits_8x8(drawn)
    result = classify(pixels)
    return {
        "steps_per_second_1_per_call": 1 / per_step_1,
        "steps_per_second_10_per_call": 1 / per_step_10,
        "fit_batches_per_second": 1 / fit_per_batch,
        "step_vs_fit": per_step_10 / fit_per_batch,
        "boundary_svg_ms": 1000 * seconds(playground.boundary_svg, 5),
        "loss_svg_ms": 1000 * seconds(playground.loss_svg, 20),
        "gradient_svg_ms": 1000 * seconds(playground.gradient_svg, 20),
        "strokes_to_8x8_ms": 1000 * seconds(lambda: to_digits_8x8(drawn), 10),
        "classify_ms": 1000 * seconds(lambda: classify(pixels), 50),
        "probabilities_svg_ms": 1000 * seconds(lambda: probabilities_svg(
            result["probabilities"]), 50),
        "activations_svg_ms": 1000 * seconds(lambda: activations_svg(result), 20),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the medians as JSON")
    args = parser.parse_args(argv)
    rounds = [one_round() for _ in range(args.repeats)]
    medians = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    if args.json:
        print(json.dumps(medians, indent=1))
        return 0
    print(f"Python {sys.version.split()[0]}, median of {args.repeats} rounds\n")
    print("| what | natively |")
    print("|---|---|")
    print(f"| Playground.step, 1 per call | {medians['steps_per_second_1_per_call']:.0f} "
          "steps/s |")
    print(f"| Playground.step, 10 per call | {medians['steps_per_second_10_per_call']:.0f} "
          "steps/s |")
    print(f"| nn.fit, same model and batches (peer) | {medians['fit_batches_per_second']:.0f} "
          f"batches/s (step / fit: {medians['step_vs_fit']:.2f}x the time) |")
    for key, label in (("boundary_svg_ms", "boundary_svg (30 x 30 cells)"),
                       ("loss_svg_ms", "loss_svg (200 points)"),
                       ("gradient_svg_ms", "gradient_svg"),
                       ("strokes_to_8x8_ms", "to_digits_8x8 (120 points of strokes)"),
                       ("classify_ms", "classify"),
                       ("probabilities_svg_ms", "probabilities_svg"),
                       ("activations_svg_ms", "activations_svg")):
        print(f"| {label} | {medians[key]:.2f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

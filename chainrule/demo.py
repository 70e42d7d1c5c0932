"""``chainrule demo``: micrograd's own demo -- moons, MLP(2, [16, 16, 1]), hinge + L2, SGD.

It trains for 100 steps exactly as micrograd's notebook does, prints progress
and the final accuracy, and writes ``OUT/graph.svg``: one neuron's output after
``backward()``, with data and grad on every node.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from autograd import Value
from autograd.install_check import install_command
from chainrule.common import check_output, int_between
from nn import MLP
from nn.data import make_moons
from nn.losses import hinge_loss, l2_penalty
from visualize import RendererNotFound, render

__all__ = ["add_arguments", "run", "train_demo", "learning_rate", "MAX_STEPS"]

# About 0.2 s a step: 10 000 steps is half an hour, more is a typo.
MAX_STEPS = 10_000


def add_arguments(parser) -> None:
    parser.add_argument("--out", default="demo-output", help="folder for graph.svg "
                        "(default: demo-output)")
    parser.add_argument("--steps", type=int_between(1, MAX_STEPS), default=100,
                        help=f"SGD steps, 1 to {MAX_STEPS} (default: 100)")
    parser.add_argument("--seed", type=int_between(0, 2**32 - 1), default=1,
                        help="seed of the moons data (default: 1)")


def demo_loss(model, X, y):
    """micrograd's ``loss()``: mean hinge loss + 1e-4 * L2, and the accuracy."""
    inputs = [[Value(x0), Value(x1)] for x0, x1 in X]
    scores = [model(x) for x in inputs]
    total = hinge_loss(scores, y) + l2_penalty(model.parameters(), 1e-4)
    accuracy = sum((yi > 0) == (s.data > 0) for yi, s in zip(y, scores)) / len(y)
    return total, accuracy


def learning_rate(step: int, steps: int) -> float:
    """micrograd's schedule ``1 - 0.9 * k / 100`` for up to 100 steps; longer runs stretch
    it over ``steps``, so it stays between 1.0 and 0.1 (micrograd's own formula turns
    negative after step 111, and descent becomes ascent).

    >>> [round(learning_rate(k, 150), 3) for k in (0, 111, 149)]
    [1.0, 0.334, 0.106]
    """
    return 1.0 - 0.9 * step / max(steps, 100)


def train_demo(steps: int = 100, seed: int = 1, log=print, on_step=None):
    """Train the demo; returns ``(model, X, y, losses)`` with labels in {-1, +1}.

    ``on_step(step, loss, accuracy)``, when given, is called after every step.
    """
    if not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"train_demo(steps={steps!r}): give an int from 1 to {MAX_STEPS}")
    X, labels = make_moons(100, noise=0.1, seed=seed)
    y = [2 * t - 1 for t in labels]
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    losses = []
    for k in range(steps):
        total, accuracy = demo_loss(model, X, y)
        model.zero_grad()
        total.backward()
        rate = learning_rate(k, steps)
        for p in model.parameters():
            p.data -= rate * p.grad
        losses.append(total.data)
        if on_step is not None:
            on_step(k, total.data, accuracy)
        if log and (k % 10 == 0 or k == steps - 1):
            log(f"step {k:3d}/{steps}  loss {total.data:.4f}  accuracy {accuracy:.0%}")
    return model, X, y, losses


def run(args) -> int:
    check_output("--out", args.out, folder=True)
    print(f"training MLP(2, [16, 16, 1]) on 100 moons points for {args.steps} steps")
    started = time.perf_counter()
    accuracies = []
    model, X, y, losses = train_demo(args.steps, args.seed, log=lambda s: print(s, flush=True),
                                     on_step=lambda k, loss, acc: accuracies.append(acc))
    elapsed = time.perf_counter() - started
    _, accuracy = demo_loss(model, X, y)
    print(f"final accuracy {accuracy:.0%} in {elapsed:.1f} s "
          f"({1000 * elapsed / args.steps:.0f} ms per step)")
    _demo_plots(Path(args.out), model, X, y, losses, accuracies)

    # One neuron's output on the first point, after backward, as a picture.
    neuron = model.layers[0].neurons[0]
    point = [Value(X[0][0], "x0"), Value(X[0][1], "x1")]
    out = neuron(point)
    out.label = "out"
    model.zero_grad()
    out.backward()
    path = Path(args.out) / "graph.svg"
    try:
        render(out, path)
    except RendererNotFound as error:
        print(f"chainrule demo: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


def _demo_plots(out: Path, model, X, y, losses, accuracies) -> None:
    """The decision boundary and the loss curve, when matplotlib is installed."""
    from visualize.plots import plot_decision_boundary, plot_history, plotting_available

    if not plotting_available():
        print(f"plots skipped: matplotlib is not installed ({install_command('plot')} "
              "for decision_boundary.png and loss.png)")
        return
    labels = [int(t > 0) for t in y]
    boundary = plot_decision_boundary(model, X, labels, out / "decision_boundary.png",
                                      loss="hinge", title="moons: MLP(2, [16, 16, 1]) "
                                      "after the demo")
    history = {"epochs": list(range(1, len(losses) + 1)), "train_loss": losses,
               "train_accuracy": accuracies, "val_loss": [None] * len(losses),
               "val_accuracy": [None] * len(losses), "best_epoch": None}
    curve = plot_history(history, out / "loss.png", xlabel="step",
                         title="moons demo: hinge + L2 loss and accuracy per SGD step")
    print(f"wrote {boundary} and {curve}")

"""grad(loss, params) against loss.backward() on micrograd's demo graph, in one process.

    python benchmarks/grad_vs_backward.py            # 15 alternating rounds

The graph is built once (100 moons points, MLP(2, [16, 16, 1]), hinge loss + 1e-4 * L2,
as in benchmarks/demo_step.py); then the two ways of getting d(loss)/d(parameters)
alternate round by round, and the medians are compared.  backward() is timed with the
zero_grad() it needs between steps; grad() leaves every .grad alone, so needs none.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd import Value, grad  # noqa: E402
from nn import MLP  # noqa: E402
from nn.data import make_moons  # noqa: E402


def demo_loss():
    X, y = make_moons(100, noise=0.1, seed=1)
    y = [2 * yi - 1 for yi in y]
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    scores = [model(list(map(Value, row))) for row in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    return data_loss + 1e-4 * sum(p * p for p in model.parameters()), model.parameters()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    loss, params = demo_loss()
    loss.backward()
    assert [g.data for g in grad(loss, params)] == [p.grad for p in params]  # same numbers
    times = {"backward": [], "grad": []}
    for _ in range(args.rounds):
        start = time.perf_counter()
        for p in params:
            p.grad = 0.0
        loss.backward()
        times["backward"].append(time.perf_counter() - start)
        start = time.perf_counter()
        grad(loss, params)
        times["grad"].append(time.perf_counter() - start)
    backward, by_grad = (statistics.median(times[k]) for k in ("backward", "grad"))
    print(f"demo graph: {len(params)} parameters")
    print(f"backward() + zero_grad  {backward * 1e3:7.2f} ms (median of {args.rounds})")
    print(f"grad(loss, params)      {by_grad * 1e3:7.2f} ms")
    print(f"grad / backward         {by_grad / backward:7.2f}x")


if __name__ == "__main__":
    main()

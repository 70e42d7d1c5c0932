"""Memory stays flat while training: peak RSS after 1,000 demo steps vs after 100.

    python benchmarks/memory.py               # 1,000 steps, about two minutes
    python benchmarks/memory.py --steps 300

Each step builds and drops a graph of ~66,000 nodes.  Nodes hold no closures and
so no reference cycles: every graph is freed by reference counting, and the peak
should not creep up with the number of steps.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd import Value  # noqa: E402
from nn import MLP  # noqa: E402
from nn.data import make_moons  # noqa: E402


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    X, labels = make_moons(100, noise=0.1, seed=1)
    y = [2 * t - 1 for t in labels]
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    checkpoints = {}
    for k in range(args.steps):
        scores = [model([Value(a), Value(b)]) for a, b in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * min(k, 99) / 100) * p.grad
        if k + 1 in (100, args.steps):
            checkpoints[k + 1] = peak_rss_mib()
            print(f"after {k + 1:5d} steps: peak RSS {checkpoints[k + 1]:.1f} MiB", flush=True)
    first, last = checkpoints[100], checkpoints[args.steps]
    print(f"growth from step 100 to step {args.steps}: {100 * (last - first) / first:+.1f}% "
          f"({'flat' if last <= 1.10 * first else 'NOT flat'}: the bound is +10%)")


if __name__ == "__main__":
    main()

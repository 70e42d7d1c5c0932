"""Time micrograd's demo training step on chainrule against micrograd 0.1.0 (and PyTorch).

    python benchmarks/demo_step.py            # 5 alternating rounds, one process per run
    python benchmarks/demo_step.py --rounds 3 --steps 5

The workload is micrograd's own demo step: 100 moons points, MLP(2, [16, 16, 1]),
hinge loss + 1e-4 * L2, full batch, backward, SGD update -- written once, below,
exactly as the loop in micrograd's notebook, and run with each engine's Value and
MLP.  Every run is a fresh interpreter (so no engine warms another's caches), the
engines alternate round by round, and the reported ratio is of the medians.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from harness import alternating, available, progress, run_worker  # noqa: E402

from nn.data import make_moons  # noqa: E402  (pure Python, shared by every engine)


def notebook_loop(Value, MLP, X, y, steps):
    """micrograd's demo notebook, verbatim but for the data.  Returns seconds per step."""
    random.seed(1337)
    model = MLP(2, [16, 16, 1])

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum((p * p for p in model.parameters()))
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    times = []
    for k in range(steps + 1):  # the first step warms up and is not counted
        start = time.perf_counter()
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        if k:
            times.append(time.perf_counter() - start)
    return statistics.median(times), total_loss.data


def torch_model(width: int = 16):
    """MLP(2, [width, width, 1]) in PyTorch, float64, seeded."""
    import torch

    torch.manual_seed(1337)
    return torch.nn.Sequential(
        torch.nn.Linear(2, width), torch.nn.ReLU(), torch.nn.Linear(width, width),
        torch.nn.ReLU(), torch.nn.Linear(width, 1)).double()


def torch_loop(X, y, steps, width: int = 16):
    """The same step in PyTorch: float64, one thread, MLP(2, [width, width, 1])."""
    import torch

    torch.set_num_threads(1)
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    model = torch_model(width)
    params = list(model.parameters())
    times = []
    for k in range(steps + 1):
        start = time.perf_counter()
        scores = model(Xt).squeeze(1)
        data_loss = torch.relu(1 - yt * scores).mean()
        reg_loss = 1e-4 * sum((p * p).sum() for p in params)
        total = data_loss + reg_loss
        _ = ((yt > 0) == (scores > 0)).double().mean()  # the notebook computes accuracy too
        for p in params:
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in params:
                p -= (1.0 - 0.9 * k / 100) * p.grad
        if k:
            times.append(time.perf_counter() - start)
    return statistics.median(times), total.item()


def worker(engine: str, steps: int) -> None:
    X, labels = make_moons(100, noise=0.1, seed=1)
    y = [2 * t - 1 for t in labels]
    if engine == "micrograd":
        from micrograd.engine import Value
        from micrograd.nn import MLP
        seconds, loss = notebook_loop(Value, MLP, X, y, steps)
    elif engine == "chainrule":
        from autograd import Value
        from nn import MLP
        seconds, loss = notebook_loop(Value, MLP, X, y, steps)
    elif engine == "torch":
        seconds, loss = torch_loop(X, y, steps)
    else:
        raise SystemExit(f"unknown engine {engine!r}")
    print(json.dumps({"engine": engine, "seconds": seconds, "loss": loss}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per process")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.steps)
        return

    engines = ["micrograd", "chainrule"]
    if not available("micrograd"):
        raise SystemExit("micrograd 0.1.0 is not installed: pip install micrograd==0.1.0 "
                         "(make bench installs it)")
    if available("torch"):
        engines.append("torch")
    samples = alternating(engines, args.rounds,
                          lambda engine: run_worker(__file__, engine, args.steps),
                          progress(engines, args.rounds, 2))

    medians = {e: statistics.median(run["seconds"] for run in runs)
               for e, runs in samples.items()}
    base = medians["micrograd"]
    print(f"micrograd demo step (100 moons points, MLP(2,[16,16,1]), hinge + L2, SGD); "
          f"median of {args.rounds} alternating processes, {args.steps} steps each")
    print(f"{'engine':<12}{'ms per step':>14}{'speed-up vs micrograd':>24}")
    for engine in engines:
        print(f"{engine:<12}{1000 * medians[engine]:>14.2f}{base / medians[engine]:>23.1f}x")


if __name__ == "__main__":
    main()

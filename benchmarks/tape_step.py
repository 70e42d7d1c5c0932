"""The compiled tape on micrograd's demo step, against micrograd, the scalar engine and PyTorch.

    python benchmarks/tape_step.py                  # all three tables (about a minute)
    python benchmarks/tape_step.py --rounds 3       # fewer alternating rounds
    python benchmarks/tape_step.py --no-scaling     # skip the width x batch table

The workload is benchmarks/demo_step.py's: micrograd's demo notebook step (100 moons
points, MLP(2, [16, 16, 1]), hinge loss + 1e-4 * L2 on all parameters, full batch,
backward, SGD update, accuracy).  The tape runs it as

* a tape of the per-example part ``[hinge(model(x), y), score]``, replayed over the
  batch; ``backward(weights=[[1/N, 0]])`` seeds the mean of the hinge column only;
* the L2 term ``1e-4 * sum(p * p)`` on the parameter vector, as ``fit(compile=True)``
  adds it (:func:`nn.steps.add_penalty_arrays`: ``1e-4 * theta . theta``, gradient
  ``2e-4 * theta``), not a second tape;
* the SGD update on a vector of the parameters, as ``fit(compile=True)`` trains: the
  tape reads the vector (``forward(..., params=theta)``) and returns a gradient array,
  and no parameter Value is touched per step.

Tracing happens once, before the timed steps (its cost is printed).  Every engine
runs in a fresh interpreter with OPENBLAS/OMP/MKL_NUM_THREADS=1 and
``torch.set_num_threads(1)``, so numpy and PyTorch both use one core; the engines
alternate round by round and each figure is a median.  Ratios are between engines
measured in this same run.
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

from demo_step import notebook_loop, torch_loop, torch_model  # noqa: E402  (the same workload, verbatim)
from harness import alternating, available, progress, run_worker  # noqa: E402

from nn.data import make_moons  # noqa: E402

WIDTHS = (8, 16, 32, 64, 128, 256)
BATCHES = (10, 100, 1000)


def cells():
    """(width, batch) of the scaling table; widths 128 and 256 at batch 100 and 1000."""
    return [(w, b) for w in WIDTHS for b in BATCHES if w <= 64 or b >= 100]


def demo_data(n: int = 100):
    X, labels = make_moons(n, noise=0.1, seed=1)
    return X, [2 * t - 1 for t in labels]


# --- the tape's version of the notebook step ------------------------------------------


def build_tape_step(X, y, width: int = 16, grouped: bool = True):
    """The model, the tape and one training step; returns (step, parts, trace seconds)."""
    import numpy as np

    from autograd.tape import compile
    from nn import MLP
    from nn.losses import hinge_example
    from nn.steps import add_penalty_arrays

    random.seed(1337)
    model = MLP(2, [width, width, 1])
    params = model.parameters()
    Xa, ya = np.array(X, dtype=float), np.array(y, dtype=float)
    started = time.perf_counter()

    def per_example(x, t):
        score = model(x)
        return [hinge_example(score, t), score]

    tape = compile(per_example, (X[0], float(y[0])), params, grouped=grouped)
    trace_seconds = time.perf_counter() - started
    seed = np.array([[1.0 / len(X), 0.0]])  # mean of the hinge column, nothing from scores
    theta = np.array([p.data for p in params])

    def step(k: int):
        out = tape.forward(Xa, ya, params=theta)
        accuracy = ((ya > 0) == (out[:, 1] > 0)).mean()
        grads = tape.gradients(weights=seed)
        total_loss = add_penalty_arrays(theta, grads, 0.0, 1e-4, out[:, 0].mean())
        learning_rate = 1.0 - 0.9 * k / 100
        theta[:] -= learning_rate * grads  # in place: the tape reads this vector
        return total_loss, accuracy

    return step, (tape, Xa, ya, seed, theta), trace_seconds


def tape_loop(X, y, steps: int, grouped: bool = True, width: int = 16):
    step, _, trace_seconds = build_tape_step(X, y, width, grouped)
    times = []
    for k in range(steps + 1):  # the first step warms up and is not counted
        start = time.perf_counter()
        total_loss, _ = step(k)
        if k:
            times.append(time.perf_counter() - start)
    return statistics.median(times), float(total_loss), trace_seconds


# --- forward and backward separately, for nodes per second -----------------------------


def demo_nodes(X, y) -> int:
    """Nodes of the scalar engine's graph of one demo loss (what every engine computes)."""
    from autograd import Value, topological_order
    from nn import MLP

    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    scores = [model([Value(a) for a in row]) for row in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    return len(topological_order(total))


def scalar_phases(Value, MLP, X, y, repeats: int = 3):
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    forward, backward = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        scores = [model(list(map(Value, row))) for row in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
        middle = time.perf_counter()
        model.zero_grad()
        total.backward()
        forward.append(middle - start)
        backward.append(time.perf_counter() - middle)
    return statistics.median(forward), statistics.median(backward)


def tape_phases(X, y, grouped: bool, repeats: int):
    from nn.steps import add_penalty_arrays

    step, (tape, Xa, ya, seed, theta), _ = build_tape_step(X, y, 16, grouped)
    step(0)
    forward, backward = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        out = tape.forward(Xa, ya, params=theta)
        middle = time.perf_counter()
        add_penalty_arrays(theta, tape.gradients(weights=seed), 0.0, 1e-4, out[:, 0].mean())
        forward.append(middle - start)
        backward.append(time.perf_counter() - middle)
    return statistics.median(forward), statistics.median(backward)


def torch_phases(X, y, repeats: int):
    import torch

    torch.set_num_threads(1)
    Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    model = torch_model(16)
    params = list(model.parameters())
    forward, backward = [], []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        scores = model(Xt).squeeze(1)
        total = torch.relu(1 - yt * scores).mean() + 1e-4 * sum((p * p).sum() for p in params)
        middle = time.perf_counter()
        for p in params:
            p.grad = None
        total.backward()
        forward.append(middle - start)
        backward.append(time.perf_counter() - middle)
    return statistics.median(forward[1:]), statistics.median(backward[1:])


def torch_scaled_loop(X, y, width: int, steps: int) -> float:
    return torch_loop(X, y, steps, width)[0]


# --- workers, one fresh process each ----------------------------------------------------


def worker(engine: str, steps: int) -> dict:
    X, y = demo_data()
    if engine == "micrograd":
        from micrograd.engine import Value
        from micrograd.nn import MLP
        seconds, loss = notebook_loop(Value, MLP, X, y, steps)
        fwd, bwd = scalar_phases(Value, MLP, X, y, 1)
        return {"seconds": seconds, "loss": loss, "forward": fwd, "backward": bwd}
    if engine == "chainrule":
        from autograd import Value
        from nn import MLP
        seconds, loss = notebook_loop(Value, MLP, X, y, steps)
        fwd, bwd = scalar_phases(Value, MLP, X, y, 3)
        return {"seconds": seconds, "loss": loss, "forward": fwd, "backward": bwd,
                "nodes": demo_nodes(X, y)}
    if engine in ("tape", "tape-interpreter"):
        grouped = engine == "tape"
        n = steps * (50 if grouped else 2)
        seconds, loss, trace = tape_loop(X, y, n, grouped)
        fwd, bwd = tape_phases(X, y, grouped, n)
        return {"seconds": seconds, "loss": loss, "forward": fwd, "backward": bwd,
                "trace": trace}
    if engine == "torch":
        seconds, loss = torch_loop(X, y, steps * 50)
        fwd, bwd = torch_phases(X, y, steps * 50)
        return {"seconds": seconds, "loss": loss, "forward": fwd, "backward": bwd}
    if engine.startswith("scale-"):
        kind = engine.split("-", 1)[1]
        table = {}
        for width, batch in cells():
            Xs, ys = make_moons(batch, noise=0.1, seed=1)
            ys = [2 * t - 1 for t in ys]
            reps = max(10, min(100, 50_000 // (batch * width)))
            if kind == "tape":
                seconds = tape_loop(Xs, ys, reps, True, width)[0]
            elif kind == "torch":
                seconds = torch_scaled_loop(Xs, ys, width, reps)
            else:
                if batch * width * width > 30_000:
                    continue  # minutes per step; the smaller cells show the trend
                from autograd import Value
                from nn import MLP
                seconds = scaled_scalar_loop(Value, MLP, Xs, ys, width)
            table[f"{width}x{batch}"] = seconds
        return {"table": table}
    raise SystemExit(f"unknown engine {engine!r}")


def scaled_scalar_loop(Value, MLP, X, y, width: int) -> float:
    random.seed(1337)
    model = MLP(2, [width, width, 1])
    times = []
    for k in range(3):
        start = time.perf_counter()
        scores = [model(list(map(Value, row))) for row in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        if k:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_in_process(engine: str, steps: int) -> dict:
    return run_worker(__file__, engine, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3, help="timed scalar steps per process "
                        "(the tape and torch run 50x as many)")
    parser.add_argument("--no-scaling", action="store_true", help="skip the width x batch table")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.steps)))
        return

    for module in ("micrograd", "numpy"):
        if not available(module):
            raise SystemExit(f"{module} is not installed: make bench installs it (.[test,fast])")
    engines = ["micrograd", "chainrule", "tape-interpreter", "tape"]
    if available("torch"):
        engines.append("torch")
    samples = alternating(engines, args.rounds,
                          lambda engine: run_in_process(engine, args.steps),
                          progress(engines, args.rounds, 3))

    def median(engine, key):
        return statistics.median(s[key] for s in samples[engine])

    step = {e: median(e, "seconds") for e in engines}
    nodes = samples["chainrule"][0]["nodes"]
    peer = "torch" if "torch" in engines else "chainrule"
    print(f"\nmicrograd demo step (100 moons points, MLP(2,[16,16,1]), hinge + 1e-4 L2, SGD), "
          f"float64, one thread; median of {args.rounds} alternating processes")
    print(f"{'engine':<18}{'ms/step':>10}{'x micrograd':>13}{'x scalar':>10}"
          f"{f'/ {peer}':>10}{'fwd Mnode/s':>13}{'bwd Mnode/s':>13}")
    for engine in engines:
        fwd, bwd = median(engine, "forward"), median(engine, "backward")
        print(f"{engine:<18}{1000 * step[engine]:>10.3f}"
              f"{step['micrograd'] / step[engine]:>12.0f}x"
              f"{step['chainrule'] / step[engine]:>9.1f}x"
              f"{step[engine] / step[peer]:>9.2f}x"
              f"{nodes / fwd / 1e6:>13.2f}{nodes / bwd / 1e6:>13.2f}")
    print(f"(nodes: the {nodes} scalar nodes of one demo loss graph, for every engine; "
          f"'/ {peer}' is time relative to {peer}: below 1 is faster; "
          f"tracing the tape once took {1000 * median('tape', 'trace'):.1f} ms)")

    if args.no_scaling:
        return
    kinds = ["tape", "torch", "scalar"] if "torch" in engines else ["tape", "scalar"]
    # alternating processes again; each cell is a median
    runs = alternating(kinds, 3, lambda kind: run_in_process(f"scale-{kind}", args.steps)["table"])
    tables = {kind: {key: statistics.median(run[key] for run in runs[kind])
                     for key in runs[kind][0]} for kind in kinds}
    print("\nms per step of the same recipe against width (MLP(2,[w,w,1])) and batch size "
          "(median of 3 alternating processes)")
    header = f"{'width':>6}{'batch':>7}" + "".join(f"{k:>11}" for k in kinds)
    print(header + (f"{'tape/torch':>12}" if "torch" in kinds else ""))
    for width, batch in cells():
        key = f"{width}x{batch}"
        row = "".join(f"{1000 * tables[k][key]:>11.3f}" if key in tables[k]
                      else f"{'-':>11}" for k in kinds)
        ratio = (f"{tables['tape'][key] / tables['torch'][key]:>11.2f}x"
                 if "torch" in kinds else "")
        print(f"{width:>6}{batch:>7}{row}{ratio}")
    print("('-': the scalar engine would take minutes per step there)")


if __name__ == "__main__":
    main()

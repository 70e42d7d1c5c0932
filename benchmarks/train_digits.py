"""Train the digits the same way in chainrule (scalar and compiled), PyTorch and scikit-learn.

    python benchmarks/train_digits.py                 # seeds 0-4, every system (a few minutes)
    python benchmarks/train_digits.py --seeds 1       # seed 0 only
    python benchmarks/train_digits.py --scalar-batches 10

The recipe (issue 13): the 8x8 digits, split as ``chainrule train --dataset digits``
splits them (train_val_test_split 60/20/20, seed 0), standardized with the training
rows' statistics; MLP(64, [32, 10]), ReLU, He init (normal, fan-in; zero biases),
cross entropy, Adam at lr 0.005, batch 16, 20 epochs, L2 5e-4 * sum(p^2) over every
parameter, shuffled each epoch.  Trained on the training rows, scored on the test rows.

* chainrule compiled -- ``fit(..., compile=True)``;
* chainrule scalar -- ``fit`` on the scalar engine for ``--scalar-batches`` batches,
  timed and extrapolated to the 20 epochs (labelled as such; no accuracy);
* PyTorch 2.x, float64, the same loop by hand;
* scikit-learn ``MLPClassifier``: its own Glorot init, and its L2 ``alpha`` scaled so
  that its penalty ``alpha / (2 * batch) * sum(W^2)`` equals ours (biases excepted).

Every (system, seed) runs in a fresh interpreter with one thread (OPENBLAS/OMP/MKL and
``torch.set_num_threads(1)``).  Seconds are the training loop only (data loading and
imports excluded), the median over seeds; accuracy is mean +- sd over seeds.  Ratios
are against PyTorch measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from harness import available, run_worker  # noqa: E402

EPOCHS, BATCH, LR, L2, HIDDEN = 20, 16, 0.005, 5e-4, 32
SYSTEMS = ("chainrule compiled", "chainrule scalar", "pytorch", "scikit-learn")


def digits_split():
    """``(X_train, y_train, X_test, y_test)``: chainrule's own digits split, standardized."""
    from nn.data import StandardScaler, load_digits, train_val_test_split

    X, y = load_digits()
    X_train, _, X_test, y_train, _, y_test = train_val_test_split(X, y, 0.2, 0.2, seed=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), list(y_train), scaler.transform(X_test), list(y_test)


def run_chainrule(seed: int, compiled: bool, scalar_batches: int) -> dict:
    from nn import MLP, accuracy, fit, predict

    X_train, y_train, X_test, y_test = digits_split()
    model = MLP(64, [HIDDEN, 10], init="he", seed=seed)
    if compiled:
        import autograd.tape  # noqa: F401  (numpy, imported lazily by fit: imports are excluded)

        started = time.perf_counter()
        fit(model, X_train, y_train, loss="cross_entropy", optimizer="adam", lr=LR,
            epochs=EPOCHS, batch_size=BATCH, l2=L2, seed=seed, progress=False, compile=True)
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "accuracy": accuracy(y_test, predict(model, X_test))}
    rows = scalar_batches * BATCH  # one epoch over this many rows: scalar_batches steps
    started = time.perf_counter()
    fit(model, X_train[:rows], y_train[:rows], loss="cross_entropy", optimizer="adam", lr=LR,
        epochs=1, batch_size=BATCH, l2=L2, seed=seed, progress=False)
    per_batch = (time.perf_counter() - started) / scalar_batches
    total_batches = EPOCHS * -(-len(X_train) // BATCH)
    return {"seconds": per_batch * total_batches, "accuracy": None, "extrapolated": True}


def run_torch(seed: int) -> dict:
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    X_train, y_train, X_test, y_test = digits_split()
    Xt, yt = torch.tensor(X_train, dtype=torch.float64), torch.tensor(y_train)
    model = torch.nn.Sequential(torch.nn.Linear(64, HIDDEN), torch.nn.ReLU(),
                                torch.nn.Linear(HIDDEN, 10)).double()
    for layer in (model[0], model[2]):
        torch.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        torch.nn.init.zeros_(layer.bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    generator = torch.Generator().manual_seed(seed)
    started = time.perf_counter()
    for _ in range(EPOCHS):
        order = torch.randperm(len(Xt), generator=generator)
        for start in range(0, len(Xt), BATCH):
            rows = order[start:start + BATCH]
            loss = torch.nn.functional.cross_entropy(model(Xt[rows]), yt[rows])
            loss = loss + L2 * sum((p * p).sum() for p in model.parameters())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - started
    with torch.no_grad():
        predicted = model(torch.tensor(X_test, dtype=torch.float64)).argmax(dim=1).tolist()
    return {"seconds": seconds,
            "accuracy": sum(p == t for p, t in zip(predicted, y_test)) / len(y_test)}


def run_sklearn(seed: int) -> dict:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X_train, y_train, X_test, y_test = digits_split()
    model = MLPClassifier(hidden_layer_sizes=(HIDDEN,), activation="relu", solver="adam",
                          learning_rate_init=LR, batch_size=BATCH, max_iter=EPOCHS,
                          alpha=2 * L2 * BATCH, shuffle=True, random_state=seed, tol=0.0,
                          n_iter_no_change=EPOCHS + 1)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 20 epochs is the recipe
        model.fit(X_train, y_train)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "accuracy": float(model.score(X_test, y_test))}


def worker(system: str, seed: int, scalar_batches: int) -> dict:
    if system.startswith("chainrule"):
        return run_chainrule(seed, system.endswith("compiled"), scalar_batches)
    return run_torch(seed) if system == "pytorch" else run_sklearn(seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    parser.add_argument("--scalar-batches", type=int, default=5,
                        help="batches timed on the scalar engine, then extrapolated")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.seed, args.scalar_batches)))
        return

    systems = [s for s in SYSTEMS
               if not ((s == "pytorch" and not available("torch"))
                       or (s == "scikit-learn" and not available("sklearn")))]
    results: dict = {s: [] for s in systems}
    for seed in range(args.seeds):  # systems alternate within each seed
        for system in (systems if seed % 2 == 0 else systems[::-1]):
            if system == "chainrule scalar" and seed > 0:
                continue  # extrapolated from a few batches: one seed is enough
            results[system].append(run_worker(
                __file__, system, 0, ["--seed", str(seed), "--scalar-batches",
                                      str(args.scalar_batches)]))
    torch_seconds = (statistics.median(r["seconds"] for r in results["pytorch"])
                     if "pytorch" in results else None)
    print(f"digits, MLP(64, [32, 10]), Adam lr {LR}, batch {BATCH}, {EPOCHS} epochs, L2 {L2}; "
          f"seeds 0-{args.seeds - 1}, one thread, a fresh process per run")
    print(f"{'system':<44} {'seconds':>9} {'x PyTorch':>10}   test accuracy")
    for system, runs in results.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        accs = [r["accuracy"] for r in runs if r["accuracy"] is not None]
        acc = (f"{100 * statistics.mean(accs):.1f}% +- {100 * statistics.pstdev(accs):.1f}"
               if accs else "-")
        label = system + (f" ({args.scalar_batches} batches, extrapolated)"
                          if runs[0].get("extrapolated") else "")
        ratio = f"{seconds / torch_seconds:.2f}" if torch_seconds else "-"
        print(f"{label:<44} {seconds:>9.2f} {ratio:>10}   {acc}")


if __name__ == "__main__":
    main()

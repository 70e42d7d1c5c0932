"""The digits CNN recipe, chainrule against PyTorch, seeds 0-4, each run in its own
process (one thread, float64), both on the same splits, the same shifted images and the
same schedule.

    python benchmarks/digits_cnn.py              # seeds 0-4, about 2 minutes
    python benchmarks/digits_cnn.py --seeds 2

chainrule runs exactly ``chainrule train --dataset digits --model cnn --compile --seed S``
(conv 3x3 24, max-pool, conv 3x3 48, max-pool, linear; AdamW lr 3e-3, weight decay
0.01, cosine schedule, batch 32, 60 epochs, pixels / 16, half the training images
shifted by one pixel each epoch); PyTorch runs the same recipe on the same data.  Prints
mean test accuracy (target >= 98.5%) and training time (target: within 3x PyTorch).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import run_worker  # noqa: E402


def chainrule_worker(seed: int) -> dict:
    import autograd.tape  # noqa: F401  (numpy: imported outside the timing)
    from chainrule.cli import main

    with tempfile.TemporaryDirectory() as out:
        code = main(["train", "--dataset", "digits", "--model", "cnn", "--compile",
                     "--seed", str(seed), "--no-plots", "--no-progress", "--out", out])
        assert code == 0
        metrics = json.loads((Path(out) / "metrics.json").read_text())
    return {"accuracy": metrics["accuracy"]["test"], "seconds": metrics["train_seconds"]}


def torch_worker(seed: int) -> dict:
    import random

    import torch

    from chainrule.common import load_splits
    from chainrule.train_cmd import COMMON_DEFAULTS, DATASET_DEFAULTS
    from chainrule.train_recipe import CNN_CHANNELS, CNN_RECIPE, shift_images

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    settings = {**COMMON_DEFAULTS, **DATASET_DEFAULTS["digits"], **CNN_RECIPE,
                "dataset": "digits", "seed": seed}
    X_train, X_val, X_test, y_train, y_val, y_test = load_splits(settings)
    X_train = [[v / 16.0 for v in row] for row in X_train]
    X_test = torch.tensor([[v / 16.0 for v in row] for row in X_test],
                          dtype=torch.float64).reshape(-1, 1, 8, 8)
    nn = torch.nn
    first, second = CNN_CHANNELS
    net = nn.Sequential(nn.Conv2d(1, first, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(first, second, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(second * 2 * 2, 10)).double()
    # the recipe's numbers, read from chainrule's, so the two sides cannot drift apart
    epochs, batch = CNN_RECIPE["epochs"], CNN_RECIPE["batch_size"]
    optimizer = torch.optim.AdamW(net.parameters(), lr=CNN_RECIPE["lr"],
                                  weight_decay=CNN_RECIPE["weight_decay"])
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    labels = torch.tensor(y_train)
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        rows = shift_images(X_train, (1, 8, 8), random.Random(seed * 100_003 + epoch))
        X = torch.tensor(rows, dtype=torch.float64).reshape(-1, 1, 8, 8)
        order = torch.randperm(len(X))
        for begin in range(0, len(X), batch):
            index = order[begin:begin + batch]
            optimizer.zero_grad()
            nn.functional.cross_entropy(net(X[index]), labels[index]).backward()
            optimizer.step()
        schedule.step()
    seconds = time.perf_counter() - started
    with torch.no_grad():
        predicted = net(X_test).argmax(dim=1).tolist()
    return {"accuracy": sum(p == t for p, t in zip(predicted, y_test)) / len(y_test),
            "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=["chainrule", "torch"])
    parser.add_argument("--steps", type=int, default=0, help="the seed (for a worker)")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    if args.worker:
        work = chainrule_worker if args.worker == "chainrule" else torch_worker
        print(json.dumps(work(args.steps)))
        return
    runs = {"chainrule": [], "torch": []}
    for seed in range(args.seeds):
        for engine in (("chainrule", "torch") if seed % 2 == 0 else ("torch", "chainrule")):
            runs[engine].append(run_worker(__file__, engine, seed))
        print(f"seed {seed}: " + ", ".join(
            f"{e} {runs[e][-1]['accuracy']:.2%} in {runs[e][-1]['seconds']:.1f} s"
            for e in runs), file=sys.stderr)
    print(f"digits CNN recipe, seeds 0-{args.seeds - 1}, float64, one thread")
    for engine, label in (("chainrule", "chainrule --compile"), ("torch", "PyTorch")):
        accuracies = [r["accuracy"] for r in runs[engine]]
        spread = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
        print(f"{label:22} test accuracy {statistics.mean(accuracies):.2%} ± {spread:.2%}, "
              f"train {statistics.median(r['seconds'] for r in runs[engine]):.1f} s (median)")
    ratio = (statistics.median(r["seconds"] for r in runs["chainrule"])
             / statistics.median(r["seconds"] for r in runs["torch"]))
    print(f"time ratio chainrule / PyTorch: {ratio:.1f}x")


if __name__ == "__main__":
    main()

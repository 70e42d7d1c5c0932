"""Retrain the digit pad's model (visualize/digit_pad_model.json, shipped in the wheel).

    .venv/bin/python docs/bench/train_digit_pad_model.py            # a few seconds
    .venv/bin/python docs/bench/train_digit_pad_model.py --seed 1 --out /tmp/model.json

The recipe: the 8x8 digits (the "digits" extra), split as ``chainrule train --dataset
digits`` splits them (train_val_test_split 60/20/20, seed 0); pixels / 16 (the pad's
images are the same 0..16 counts, so no statistics of the training rows are needed);
MLP(64, [32, 10]), ReLU, He init; cross entropy, Adam at lr 0.005, batch 16, 30 epochs,
L2 5e-4, trained by ``nn.fit(compile=True)`` on the training and validation rows,
with half the images of each epoch moved one pixel (``shift_images``), since a drawn
digit is never placed exactly as the data set's.  The test rows are only scored;
tests/test_digit_pad.py checks the shipped file still scores >= 95% on them.
Weights are rounded to 7 significant digits, which keeps the file under 70 KB.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from chainrule.train_recipe import shift_images  # noqa: E402
from nn import MLP, accuracy, fit, predict  # noqa: E402
from nn.data import PixelScaler, load_digits, train_val_test_split  # noqa: E402

SETTINGS = dict(hidden=[32], activation="relu", init="he", optimizer="adam", lr=0.005,
                batch_size=16, epochs=30, l2=5e-4, shift_share=0.5, split_seed=0)


def digits_split():
    """``(X_train + X_val, y_train + y_val, X_test, y_test)`` in 0..16 pixels."""
    X, y = load_digits()
    X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(
        X, y, 0.2, 0.2, seed=SETTINGS["split_seed"])
    return list(X_train) + list(X_val), list(y_train) + list(y_val), X_test, y_test


def train(seed: int):
    X_train, y_train, X_test, y_test = digits_split()
    scaler = PixelScaler(16).fit(X_train)
    model = MLP(64, SETTINGS["hidden"] + [10], activation=SETTINGS["activation"],
                init=SETTINGS["init"], seed=seed)
    rng = random.Random(seed)
    fit(model, scaler.transform(X_train), y_train, loss="cross_entropy",
        optimizer=SETTINGS["optimizer"], lr=SETTINGS["lr"], epochs=SETTINGS["epochs"],
        batch_size=SETTINGS["batch_size"], l2=SETTINGS["l2"], seed=seed, progress=False,
        compile=True,
        augment=lambda rows, epoch: shift_images(rows, (1, 8, 8), rng,
                                                 SETTINGS["shift_share"]))
    for p in model.parameters():
        p.data = float(f"{p.data:.7g}")
    score = accuracy(y_test, predict(model, scaler.transform(X_test)))
    metadata = {"loss": "cross_entropy", "scaler": scaler.to_dict(), "dataset": "digits",
                "n_classes": 10, "test_accuracy": score,
                "settings": {**SETTINGS, "seed": seed},
                "made_by": "docs/bench/train_digit_pad_model.py"}
    return model, metadata


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "visualize" / "digit_pad_model.json")
    args = parser.parse_args(argv)
    model, metadata = train(args.seed)
    model.save(args.out, metadata=metadata)
    print(f"{args.out}: test accuracy {metadata['test_accuracy']:.2%}, "
          f"{args.out.stat().st_size / 1000:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

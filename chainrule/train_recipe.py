"""What ``chainrule train`` adds for images: IDX folders (``--data DIR``), the CNN of the
digits recipe (``--model cnn``), pixel scaling, shift augmentation and the cosine schedule.

    $ chainrule train --dataset digits --model cnn --out runs/digits-cnn

The recipe (measured in benchmarks/digits_cnn.py): conv 3x3 24, max-pool 2, conv 3x3 48,
max-pool 2, linear; AdamW lr 3e-3, weight decay 0.01, a cosine schedule, batch 32, 60
epochs, pixels divided by 16, half the training images shifted by one pixel each epoch.
"""

from __future__ import annotations

import math
import random
from pathlib import Path


class RecipeError(ValueError):
    """A flag of the image recipe that cannot apply here (the CLI reports it as bad input)."""



__all__ = ["RecipeError", "CNN_RECIPE", "CNN_CHANNELS", "IDX_DEFAULTS", "idx_files",
           "load_idx_splits",
           "image_shape", "cnn", "shift_images", "PIXEL_PEAK"]

# the flags `--model cnn` sets unless they are given (each is a flag of its own)
CNN_RECIPE = dict(optimizer="adamw", lr=3e-3, weight_decay=0.01, schedule="cosine",
                  batch_size=32, epochs=60, scale="pixels", augment="shift",
                  early_stopping=0, l2=0.0)
# defaults for an IDX folder (MNIST, Fashion-MNIST): one hidden layer of 128
IDX_DEFAULTS = dict(samples=None, noise=None, hidden="128", lr=1e-3, epochs=5, batch_size=64,
                    scale="pixels")
# the two convolutions' channels: 24 and 48 reach 99% on digits where 16 and 32 gave 98.8%
# (benchmarks/digits_cnn.py, which builds PyTorch's network from these numbers too)
CNN_CHANNELS = (24, 48)
PIXEL_PEAK = {"digits": 16.0, "idx": 255.0}  # the brightest pixel of each source


def idx_files(folder: str) -> dict:
    """``{"train": (images, labels), "test": ...}`` of an MNIST-style folder (test only
    when ``t10k-*`` files are there); a missing training pair is a RecipeError."""
    root = Path(folder)
    if not root.is_dir():
        raise RecipeError(f"--data {folder}: not a folder; give the folder holding "
                           "train-images-idx3-ubyte(.gz) and train-labels-idx1-ubyte(.gz)")
    found = {}
    for part, prefix in (("train", "train"), ("test", "t10k")):
        pair = []
        for kind in ("images", "labels"):
            names = sorted(p for p in root.iterdir()
                           if p.name.startswith(f"{prefix}-{kind}") and p.is_file())
            pair.append(names[0] if names else None)
        if all(pair):
            found[part] = tuple(pair)
    if "train" not in found:
        raise RecipeError(f"--data {folder}: no train-images-* and train-labels-* IDX files "
                           "there (MNIST's names, gzip or not)")
    return found


def load_idx_splits(settings: dict):
    """The splits of an IDX folder: validation from the training files, test from the
    ``t10k`` files when present (else split off the training files too)."""
    from nn.data import IDXError, load_idx, train_test_split, train_val_test_split
    from nn.idx import read_idx

    files = idx_files(settings["data"])
    try:
        X, y = load_idx(*files["train"])
        settings["image_shape"] = [1, *read_idx(files["train"][0], limit=1)[0][1:]]
        if "test" not in files:
            return train_val_test_split(X, y, settings["val_split"], settings["test_split"],
                                        seed=settings["seed"])
        X_test, y_test = load_idx(*files["test"])
    except IDXError as error:
        raise RecipeError(str(error)) from None
    if settings["val_split"] > 0:
        X_train, X_val, y_train, y_val = train_test_split(X, y, settings["val_split"],
                                                          seed=settings["seed"])
    else:
        X_train, X_val, y_train, y_val = X, [], y, []
    return X_train, X_val, X_test, y_train, y_val, y_test


def image_shape(settings: dict, width: int) -> tuple:
    """(C, H, W) of one example: IDX files say it; digits are 8x8."""
    if settings.get("image_shape"):
        return tuple(settings["image_shape"])
    side = math.isqrt(width)
    if side * side != width:
        raise RecipeError(f"--model cnn needs square images, but {settings['dataset']} rows "
                           f"have {width} numbers; use --model mlp")
    return (1, side, side)


def cnn(shape: tuple, n_outputs: int, seed: int):
    """The recipe's network: conv 3x3 24, max-pool 2, conv 3x3 48, max-pool 2, linear."""
    from nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential

    c, h, w = shape
    rng = random.Random(seed)
    if h < 4 or w < 4:
        raise RecipeError(f"--model cnn: images of {h}x{w} are too small for two 2x2 "
                           "max-pools; use --model mlp")
    first, second = CNN_CHANNELS
    flat = second * (h // 4) * (w // 4)
    return Sequential(Conv2d(c, first, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2),
                      Conv2d(first, second, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2),
                      Flatten(), Linear(flat, n_outputs, rng=rng), input_shape=shape)


def shift_images(X: list, shape: tuple, rng: random.Random, share: float = 0.5) -> list:
    """A copy of ``X`` with ``share`` of the images (chosen by ``rng``) moved one pixel
    up, down, left or right (the pixel that comes in is 0).

    >>> shift_images([[1.0, 2.0, 3.0, 4.0]], (1, 2, 2), random.Random(1), share=1.0)
    [[2.0, 0.0, 4.0, 0.0]]
    """
    c, h, w = shape
    out = []
    for row in X:
        if rng.random() >= share:
            out.append(row)
            continue
        dy, dx = rng.choice(((1, 0), (-1, 0), (0, 1), (0, -1)))
        moved = [0.0] * len(row)
        for ch in range(c):
            base = ch * h * w
            for y in range(h):
                sy = y + dy
                if not 0 <= sy < h:
                    continue
                for x in range(w):
                    sx = x + dx
                    if 0 <= sx < w:
                        moved[base + y * w + x] = row[base + sy * w + sx]
        out.append(moved)
    return out

"""Seeded toy data sets in pure Python (no numpy or scikit-learn needed).

>>> X, y = make_moons(100, noise=0.1, seed=1)
>>> len(X), sorted(set(y))
(100, [0, 1])
"""

from __future__ import annotations

import math
import random
from typing import Optional

__all__ = ["make_moons"]


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: Optional[int] = 0,
               rng: Optional[random.Random] = None) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles, as scikit-learn's ``make_moons``.

    Returns ``(X, y)``: ``X`` is a list of ``[x0, x1]`` points and ``y`` holds 0
    for the upper moon and 1 for the lower one.  Points are shuffled.
    """
    if n_samples < 2:
        raise ValueError(f"make_moons(n_samples={n_samples}): need at least 2 points")
    rng = rng or random.Random(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    points = []
    for i in range(n_out):
        t = math.pi * i / max(n_out - 1, 1)
        points.append(([math.cos(t), math.sin(t)], 0))
    for i in range(n_in):
        t = math.pi * i / max(n_in - 1, 1)
        points.append(([1.0 - math.cos(t), 0.5 - math.sin(t)], 1))
    rng.shuffle(points)
    X = [[x0 + rng.gauss(0.0, noise), x1 + rng.gauss(0.0, noise)] for (x0, x1), _ in points]
    y = [label for _, label in points]
    return X, y

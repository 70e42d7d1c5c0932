"""Seeded toy data sets in pure Python, splits, scalers and mini-batches.

>>> X, y = make_moons(100, noise=0.1, seed=1)
>>> len(X), sorted(set(y))
(100, [0, 1])
>>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)
>>> len(X_train), len(X_test), sum(y_test)          # stratified: 10 of each class
(80, 20, 10)
>>> scaler = StandardScaler().fit(X_train)          # fitted on the training split only
>>> X_test = scaler.transform(X_test)

Every generator takes ``seed`` (or an explicit ``rng``) and returns ``(X, y)``:
``X`` a list of feature lists, ``y`` a list of int class labels, shuffled.
No numpy or scikit-learn is needed, except for :func:`load_digits`.
"""

from __future__ import annotations

import math
import random
from typing import Iterator, Optional, Sequence

from autograd.install_check import install_command

from .idx import IDXError, load_idx  # MNIST's IDX files, read in their own module

__all__ = [
    "make_moons",
    "make_circles",
    "make_spiral",
    "make_xor",
    "make_blobs",
    "load_digits",
    "DATASETS",
    "train_test_split",
    "train_val_test_split",
    "StandardScaler",
    "MinMaxScaler",
    "PixelScaler",
    "scaler_from_dict",
    "batches",
    "load_idx",
    "IDXError",
]

Data = tuple[list[list[float]], list[int]]


def _check_n(name: str, n_samples: int, minimum: int = 2) -> None:
    if not isinstance(n_samples, int) or isinstance(n_samples, bool) or n_samples < minimum:
        raise ValueError(f"{name}(n_samples={n_samples!r}): need an int of at least {minimum}")


def _check_real(name: str, parameter: str, value, low: float = 0.0,
                high: float = math.inf) -> None:
    """A finite real number in [low, high]: NaN or inf noise would fill X with NaN silently."""
    if (not isinstance(value, (int, float)) or isinstance(value, bool)
            or not math.isfinite(value) or not low <= value <= high):
        bounds = f"at least {low:g}" if high == math.inf else f"in [{low:g}, {high:g}]"
        raise ValueError(f"{name}({parameter}={value!r}): need a finite number {bounds}")


def _shuffled(points: list, rng: random.Random) -> Data:
    rng.shuffle(points)
    return [x for x, _ in points], [label for _, label in points]


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: Optional[int] = 0,
               rng: Optional[random.Random] = None) -> Data:
    """Two interleaving half circles, as scikit-learn's ``make_moons``.

    Returns ``(X, y)``: ``X`` is a list of ``[x0, x1]`` points and ``y`` holds 0
    for the upper moon and 1 for the lower one.  Points are shuffled.
    """
    _check_n("make_moons", n_samples)
    _check_real("make_moons", "noise", noise)
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


def make_circles(n_samples: int = 100, noise: float = 0.05, factor: float = 0.5,
                 seed: Optional[int] = 0, rng: Optional[random.Random] = None) -> Data:
    """A circle of class 1 inside a circle of class 0 (radius ``factor`` < 1), as
    scikit-learn's ``make_circles``.

    >>> X, y = make_circles(8, noise=0.0, seed=0)
    >>> sorted(round(math.hypot(*x), 6) for x in X)
    [0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0]
    """
    _check_n("make_circles", n_samples)
    _check_real("make_circles", "noise", noise)
    if not isinstance(factor, (int, float)) or not 0 < factor < 1:
        raise ValueError(f"make_circles(factor={factor!r}): the inner radius must be in (0, 1)")
    rng = rng or random.Random(seed)
    n_out = n_samples // 2
    points = []
    for label, count, radius in ((0, n_out, 1.0), (1, n_samples - n_out, factor)):
        for i in range(count):
            t = 2 * math.pi * i / count
            points.append(([radius * math.cos(t) + rng.gauss(0.0, noise),
                            radius * math.sin(t) + rng.gauss(0.0, noise)], label))
    return _shuffled(points, rng)


def make_spiral(n_samples: int = 300, n_classes: int = 3, noise: float = 0.05,
                turns: float = 0.6, seed: Optional[int] = 0,
                rng: Optional[random.Random] = None) -> Data:
    """``n_classes`` interleaved spiral arms (CS231n's spiral), radius 0 to 1.

    Each arm turns ``turns`` of a full circle; ``noise`` jitters the angle (in
    radians) in proportion to the radius, so the crowded centre stays separable.

    >>> X, y = make_spiral(30, n_classes=3, seed=0)
    >>> [y.count(k) for k in range(3)]
    [10, 10, 10]
    """
    if not isinstance(n_classes, int) or isinstance(n_classes, bool) or n_classes < 1:
        raise ValueError(f"make_spiral(n_classes={n_classes!r}): need a positive int")
    _check_n("make_spiral", n_samples, minimum=n_classes)
    _check_real("make_spiral", "noise", noise)
    _check_real("make_spiral", "turns", turns)
    rng = rng or random.Random(seed)
    points = []
    for label in range(n_classes):
        count = n_samples // n_classes + (label < n_samples % n_classes)
        for i in range(count):
            r = (i + 1) / count
            t = (2 * math.pi * label / n_classes + 2 * math.pi * turns * r
                 + rng.gauss(0.0, noise) * r)
            points.append(([r * math.sin(t), r * math.cos(t)], label))
    return _shuffled(points, rng)


def make_xor(n_samples: int = 200, noise: float = 0.05, margin: float = 0.1,
             seed: Optional[int] = 0, rng: Optional[random.Random] = None) -> Data:
    """XOR: a point in the square [-1, 1]^2 is class 1 when its coordinates have
    different signs.  Coordinates stay ``margin`` away from the axes before the
    Gaussian ``noise`` is added.  No line separates the classes.

    >>> X, y = make_xor(4, noise=0.0, seed=0)
    >>> all((x0 > 0) != (x1 > 0) for (x0, x1), label in zip(X, y) if label == 1)
    True
    """
    _check_n("make_xor", n_samples)
    _check_real("make_xor", "noise", noise)
    _check_real("make_xor", "margin", margin, high=1.0)
    rng = rng or random.Random(seed)
    points = []
    for i in range(n_samples):
        s0, s1 = (1 if i % 2 else -1), (1 if (i // 2) % 2 else -1)
        x0 = s0 * rng.uniform(margin, 1.0) + rng.gauss(0.0, noise)
        x1 = s1 * rng.uniform(margin, 1.0) + rng.gauss(0.0, noise)
        points.append(([x0, x1], int(s0 != s1)))
    return _shuffled(points, rng)


def make_blobs(n_samples: int = 150, centers: int = 3, n_features: int = 2,
               cluster_std: float = 1.0, box: tuple[float, float] = (-10.0, 10.0),
               seed: Optional[int] = 0, rng: Optional[random.Random] = None) -> Data:
    """Gaussian clusters around ``centers`` random centres, as scikit-learn's ``make_blobs``.

    >>> X, y = make_blobs(9, centers=3, n_features=4, seed=0)
    >>> len(X[0]), sorted(set(y))
    (4, [0, 1, 2])
    """
    if not isinstance(centers, int) or isinstance(centers, bool) or centers < 1:
        raise ValueError(f"make_blobs(centers={centers!r}): need a positive int")
    if not isinstance(n_features, int) or isinstance(n_features, bool) or n_features < 1:
        raise ValueError(f"make_blobs(n_features={n_features!r}): need a positive int")
    _check_n("make_blobs", n_samples, minimum=centers)
    _check_real("make_blobs", "cluster_std", cluster_std)
    low, high = box
    _check_real("make_blobs", "box[0]", low, low=-math.inf)
    _check_real("make_blobs", "box[1]", high, low=low)
    rng = rng or random.Random(seed)
    middles = [[rng.uniform(*box) for _ in range(n_features)] for _ in range(centers)]
    points = []
    for i in range(n_samples):
        label = i % centers
        points.append(([c + rng.gauss(0.0, cluster_std) for c in middles[label]], label))
    return _shuffled(points, rng)


def load_digits() -> Data:
    """The 8x8 handwritten digits (1,797 images, 64 pixels of 0..16, labels 0..9),
    as shipped inside scikit-learn (no download).  Needs the "digits" extra.

    >>> X, y = load_digits()                          # doctest: +SKIP
    >>> len(X), len(X[0]), sorted(set(y))[-1]         # doctest: +SKIP
    (1797, 64, 9)
    """
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ImportError("load_digits needs scikit-learn, which ships the 8x8 digits data; "
                          "install the extra: " + install_command("digits")) from None
    bunch = sklearn_digits()
    return [[float(v) for v in row] for row in bunch.data], [int(t) for t in bunch.target]


# name -> generator; every entry is callable with (n_samples, seed=...)
DATASETS = {"moons": make_moons, "circles": make_circles, "spiral": make_spiral,
            "xor": make_xor, "blobs": make_blobs}


# --- splits -------------------------------------------------------------------------


def _split_indices(y: Sequence, fractions: Sequence[float], stratify: Optional[bool],
                   rng: random.Random) -> list[list[int]]:
    """Indexes of each part; the first part gets what the fractions leave over."""
    if stratify is None:
        stratify = all(isinstance(label, int) for label in y)
    groups: dict = {}
    for index, label in enumerate(y):
        groups.setdefault(label if stratify else None, []).append(index)
    parts: list[list[int]] = [[] for _ in range(len(fractions) + 1)]
    for key in sorted(groups, key=repr):
        members = groups[key]
        rng.shuffle(members)
        start = 0
        for part, fraction in enumerate(fractions, start=1):
            count = round(fraction * len(members))
            parts[part].extend(members[start:start + count])
            start += count
        parts[0].extend(members[start:])
    for part in parts:
        rng.shuffle(part)
    return parts


def _is_real(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_xy(name: str, X: Sequence, y: Sequence) -> None:
    if len(X) != len(y):
        raise ValueError(f"{name}: X has {len(X)} rows but y has {len(y)} labels; "
                         "give one label per row")


def train_test_split(X: Sequence, y: Sequence, test_size: float = 0.2,
                     stratify: Optional[bool] = None, seed: Optional[int] = 0):
    """``X_train, X_test, y_train, y_test``, as scikit-learn's function of that name.

    ``stratify`` (default: when labels are ints) keeps each class's share in both parts.
    """
    _check_xy("train_test_split", X, y)
    if not _is_real(test_size) or not 0 < test_size < 1:
        raise ValueError(f"train_test_split(test_size={test_size!r}): the test share must "
                         "be a number in (0, 1), e.g. 0.2")
    train, test = _split_indices(y, [test_size], stratify, random.Random(seed))
    return ([X[i] for i in train], [X[i] for i in test],
            [y[i] for i in train], [y[i] for i in test])


def train_val_test_split(X: Sequence, y: Sequence, val_size: float = 0.2,
                         test_size: float = 0.2, stratify: Optional[bool] = None,
                         seed: Optional[int] = 0):
    """``X_train, X_val, X_test, y_train, y_val, y_test`` in one stratified pass.

    >>> X, y = make_circles(100, seed=0)
    >>> parts = train_val_test_split(X, y, val_size=0.2, test_size=0.2)
    >>> [len(p) for p in parts[:3]]
    [60, 20, 20]
    """
    _check_xy("train_val_test_split", X, y)
    # written so that NaN fails every comparison and lands in the error
    if not (_is_real(val_size) and _is_real(test_size) and val_size >= 0 and test_size > 0
            and val_size + test_size < 1):
        raise ValueError(f"train_val_test_split(val_size={val_size!r}, test_size={test_size!r})"
                         ": need val_size >= 0, test_size > 0 and their sum below 1")
    train, val, test = _split_indices(y, [val_size, test_size], stratify, random.Random(seed))
    return ([X[i] for i in train], [X[i] for i in val], [X[i] for i in test],
            [y[i] for i in train], [y[i] for i in val], [y[i] for i in test])


# --- scaling ------------------------------------------------------------------------


class _Scaler:
    kind = ""

    def _columns(self, X: Sequence[Sequence[float]]) -> list[list[float]]:
        if not X:
            raise ValueError(f"{type(self).__name__}.fit: X is empty; fit on the training rows")
        return [list(col) for col in zip(*X)]

    def fit_transform(self, X: Sequence[Sequence[float]]) -> list[list[float]]:
        return self.fit(X).transform(X)

    def transform(self, X: Sequence[Sequence[float]]) -> list[list[float]]:
        if not hasattr(self, "offset"):
            raise ValueError(f"{type(self).__name__}.transform before fit(); "
                             "call fit(X_train) first")
        width = len(self.offset)
        out = []
        for row in X:
            if len(row) != width:
                raise ValueError(f"{type(self).__name__}: a row has {len(row)} features but "
                                 f"the scaler was fitted on {width}")
            out.append([(v - o) / s for v, o, s in zip(row, self.offset, self.scale)])
        return out

    def to_dict(self) -> dict:
        return {"kind": self.kind, "offset": list(self.offset), "scale": list(self.scale)}


class StandardScaler(_Scaler):
    """``(x - mean) / std`` per feature; a constant feature is only centred.

    >>> StandardScaler().fit_transform([[1.0], [3.0]])
    [[-1.0], [1.0]]
    """

    kind = "standard"

    def fit(self, X: Sequence[Sequence[float]]) -> "StandardScaler":
        self.offset, self.scale = [], []
        for col in self._columns(X):
            mean = math.fsum(col) / len(col)
            std = math.sqrt(math.fsum((v - mean) ** 2 for v in col) / len(col))
            self.offset.append(mean)
            self.scale.append(std if std > 0 else 1.0)
        return self


class MinMaxScaler(_Scaler):
    """``(x - min) / (max - min)`` per feature, so training values land in [0, 1].

    >>> MinMaxScaler().fit_transform([[2.0, 5.0], [4.0, 5.0]])
    [[0.0, 0.0], [1.0, 0.0]]
    """

    kind = "minmax"

    def fit(self, X: Sequence[Sequence[float]]) -> "MinMaxScaler":
        self.offset, self.scale = [], []
        for col in self._columns(X):
            low, high = min(col), max(col)
            self.offset.append(low)
            self.scale.append(high - low if high > low else 1.0)
        return self


class PixelScaler(_Scaler):
    """``x / peak`` for every feature: pixels to [0, 1] (16 for digits, 255 for IDX
    images), with no statistics to fit -- it keeps the zero of a blank pixel and the
    relation between neighbours, which standardizing each pixel separately loses.

    >>> PixelScaler(16).fit([[0.0, 8.0]]).transform([[16.0, 4.0]])
    [[1.0, 0.25]]
    """

    kind = "pixels"

    def __init__(self, peak: float = 255.0):
        if isinstance(peak, bool) or not isinstance(peak, (int, float)) or not peak > 0:
            raise ValueError(f"PixelScaler(peak={peak!r}): the brightest pixel value must be "
                             "a positive number, e.g. 16 for digits or 255 for MNIST")
        self.peak = float(peak)

    def fit(self, X: Sequence[Sequence[float]]) -> "PixelScaler":
        if not X:
            raise ValueError("PixelScaler.fit: X is empty; fit on the training rows")
        width = len(X[0])
        self.offset, self.scale = [0.0] * width, [self.peak] * width
        return self


def scaler_from_dict(state: dict) -> _Scaler:
    """Rebuild a scaler from ``to_dict()`` (e.g. out of a saved model's metadata)."""
    kinds = {"standard": StandardScaler, "minmax": MinMaxScaler, "pixels": PixelScaler}
    kind = state.get("kind") if isinstance(state, dict) else None
    if not isinstance(kind, str) or kind not in kinds:
        shown = repr(state)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise ValueError(f"scaler state {shown} is not a saved scaler; "
                         f"expected kind one of {sorted(kinds)}")
    offset, scale = state.get("offset"), state.get("scale")
    if not (_finite_numbers(offset) and _finite_numbers(scale) and len(offset) == len(scale)
            and offset and all(s != 0 for s in scale)):
        raise ValueError(f"scaler state of kind {state['kind']!r}: offset and scale must be "
                         "two non-empty lists of the same length of finite numbers, with no "
                         "zero scale (a NaN there would turn every prediction into NaN)")
    scaler = kinds[state["kind"]]()
    scaler.offset, scaler.scale = [float(v) for v in offset], [float(v) for v in scale]
    return scaler


def _finite_numbers(values) -> bool:
    return isinstance(values, list) and all(
        _is_real(v) and math.isfinite(v) for v in values)


# --- mini-batches -------------------------------------------------------------------


def batches(X: Sequence, y: Sequence, batch_size: int, shuffle: bool = True,
            seed: Optional[int] = None, rng: Optional[random.Random] = None
            ) -> Iterator[tuple[list, list]]:
    """Yield ``(X_batch, y_batch)`` of ``batch_size`` rows (the last may be smaller),
    in a fresh shuffled order when ``shuffle``.

    >>> [yb for _, yb in batches([[0]] * 5, [0, 1, 2, 3, 4], 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    """
    _check_xy("batches", X, y)
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batches(batch_size={batch_size!r}): need a positive int")
    order = list(range(len(X)))
    if shuffle:
        (rng or random.Random(seed)).shuffle(order)
    for start in range(0, len(order), batch_size):
        chosen = order[start:start + batch_size]
        yield [X[i] for i in chosen], [y[i] for i in chosen]

"""One validation per kind of input, shared by every path that takes it.

``fit`` (scalar and compiled), ``evaluate``, ``predict``, the CLI's CSV reader and
``from_torch`` call these, so the same bad input gets the same refusal and the
same message on every path.  Each number goes through :func:`autograd.checks.real_number`.

- :func:`check_rows`: feature rows, finite real numbers, all of one width;
- :func:`check_labels`: what a loss trains on -- class indices ``0..n-1`` for
  cross_entropy and multi_margin, ``0``/``1`` for hinge, a probability in ``[0, 1]``
  for bce, any finite real number for mse (regression);
- :func:`check_weights`: a layer's weights (the bridge), naming the tensor and index.

>>> check_labels([0, 1, 1.0], "fit", "cross_entropy", 2)
[0, 1, 1]
>>> try:
...     check_labels([0, 0.5], "fit", "cross_entropy", 2)
... except ValueError as error:
...     print(str(error).split("; ")[0])
fit: the label at row 1 is 0.5, not a class index
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, Optional, Sequence

from autograd.checks import not_a_number

__all__ = ["check_rows", "check_labels", "check_weights", "LABEL_KINDS"]

# what each loss trains on: "index" (a class 0..n-1), "binary" (0 or 1),
# "probability" (a number in [0, 1]), "real" (any finite number)
LABEL_KINDS = {"cross_entropy": "index", "multi_margin": "index", "hinge": "binary",
               "bce": "probability", "mse": "real"}


def check_rows(X: Sequence[Sequence[float]], who: str, what: str = "data",
               width: Optional[int] = None) -> None:
    """Every row a sequence of finite real numbers, all of one width (``width``, or
    the first row's), or an error naming the row and column.

    A NaN reaches no model: in ``fit`` it would surface as a 'diverged' loss that
    blames the learning rate, in ``predict`` as a confident class for garbage.
    """
    if _finite_number_matrix(X, width):  # a numpy matrix: one vectorized check
        return
    for i, row in enumerate(X):
        if isinstance(row, (str, bytes)) or not hasattr(row, "__iter__"):
            raise TypeError(f"{who}: row {i} of the {what} is {row!r:.40}, not a list of "
                            "numbers; give one list of numbers per example")
        n = 0
        for j, v in enumerate(row):
            n += 1
            if type(v) is float and v - v == 0.0:
                continue
            if hasattr(v, "item") and not isinstance(v, (str, bytes)):
                v = v.item()  # a numpy scalar
            error = not_a_number(v, "")
            if isinstance(error, TypeError):
                raise TypeError(f"{who}: the {what} holds {v!r:.40} at row {i}, column {j}, "
                                "which is not a number; convert or drop that row")
            if error is not None:
                shown = (f"an integer of {len(str(abs(v)))} digits (beyond the float range, "
                         "about 1.8e308)" if isinstance(v, Integral) else v)
                raise ValueError(f"{who}: the {what} contains {shown} at row {i}, column {j}; "
                                 "drop or impute that row"
                                 + (" before training" if who == "fit" else ""))
        if width is None:
            width = n
        elif n != width:
            raise ValueError(f"{who}: row {i} of the {what} has {n} numbers, where "
                             f"{'the model takes' if i == 0 else 'row 0 has'} {width}; "
                             "give every row the same number of inputs")


def _finite_number_matrix(X, width: Optional[int]) -> bool:
    """Whether ``X`` is a 2-D numpy array of finite real numbers, ``width`` wide if given
    (numpy is imported only when ``X`` comes from it); anything else is checked row by row."""
    if type(X).__module__ != "numpy" or getattr(X, "ndim", 0) != 2:
        return False
    if width is not None and X.shape[1] != width:
        return False
    import numpy as np

    return X.dtype.kind in "fiu" and bool(np.isfinite(X).all())


def _label_error(t: Any, i: int, who: str, what: str, loss: str, kind: str,
                 n_classes: int) -> Exception:
    where = f"{who}: the label at row {i}" + (f" of the {what}" if what != "data" else "")
    wanted = {"index": f"{loss} takes the integers 0..{n_classes - 1}, one per model output",
              "binary": f"{loss} takes the labels 0 and 1 (cross_entropy takes more classes)",
              "probability": f"{loss} takes 0, 1 or a probability between them "
                             "(cross_entropy takes more classes)",
              "real": f"{loss} takes finite real numbers"}[kind]
    error = not_a_number(t, where)
    if isinstance(error, ValueError) and isinstance(t, float):  # NaN or infinity
        return ValueError(f"{who}: the {what} targets contain {t} at row {i}; drop or impute "
                          "that row" + (" before training" if who == "fit" else ""))
    if error is not None:
        return type(error)(f"{error.args[0].split(';')[0]}; {wanted}")
    adjective = "a class index" if kind == "index" else "a label"
    return ValueError(f"{where} is {t!r:.40}, not {adjective}; {wanted}")


def check_labels(y: Sequence, who: str, loss: str, n_classes: int,
                 what: str = "data") -> list:
    """``y`` checked for a loss named ``loss`` (see :data:`LABEL_KINDS`; another name
    is treated as mse) on a model with ``n_classes`` outputs (for an index loss): the
    labels as ints (index losses) or floats, or an error naming the row."""
    kind = LABEL_KINDS.get(loss, "real")
    if kind == "index" and n_classes < 2:
        raise ValueError(f"loss {loss!r} needs one output per class, but the model has "
                         f"{n_classes}; end the model with a layer of n_classes neurons")
    out = []
    if kind == "index":
        top = max((t for t in y if isinstance(t, Integral) and not isinstance(t, bool)),
                  default=0)
        if top >= n_classes:
            raise ValueError(f"{who}: labels go up to {top} but the model has only "
                             f"{n_classes} outputs; give the last layer {top + 1} neurons")
    for i, t in enumerate(y):
        if hasattr(t, "item") and not isinstance(t, (str, bytes)) and getattr(t, "ndim", 0) == 0:
            t = t.item()  # a numpy scalar
        bad = isinstance(t, bool) or not_a_number(t, "") is not None
        if not bad and kind == "index":
            bad = not (isinstance(t, Integral) or float(t).is_integer()) or not (
                0 <= t < n_classes)
        elif not bad and kind == "binary":
            bad = t not in (0, 1)
        elif not bad and kind == "probability":
            bad = not 0 <= t <= 1
        if bad:
            raise _label_error(t, i, who, what, loss, kind, n_classes)
        out.append(int(t) if kind in ("index", "binary") else t)
    return out


def check_weights(values: Sequence[float], who: str, name: str) -> None:
    """Every weight of the flat list ``values`` (the tensor ``name``) finite."""
    for index, v in enumerate(values):
        error = not_a_number(v, f"{who}: {name}[{index}]")
        if error is not None:
            raise type(error)(f"{error.args[0].split(';')[0]}; a model with it would answer "
                              "garbage -- fix or retrain the tensor before importing it")

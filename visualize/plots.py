"""Training pictures as PNG: loss/accuracy curves, 2-D decision boundaries, gradient flow
per layer and confusion matrices.  Needs matplotlib (the "plot" extra); it draws
off-screen with the Agg backend, so no display is needed.

>>> from nn import MLP, fit
>>> from nn.data import make_moons
>>> X, y = make_moons(40, seed=0)
>>> model = MLP(2, [8, 2], init="he", seed=0)
>>> history = fit(model, X, y, epochs=2, progress=False)
>>> import tempfile, os; folder = tempfile.mkdtemp()
>>> plot_history(history, os.path.join(folder, "loss.png"))              # doctest: +SKIP
>>> plot_decision_boundary(model, X, y, os.path.join(folder, "b.png"))   # doctest: +SKIP
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence, Union

from autograd.install_check import install_command
from nn.model_file import write_atomically

__all__ = ["plotting_available", "plot_history", "plot_decision_boundary",
           "plot_gradient_flow", "plot_confusion_matrix"]

PathLike = Union[str, os.PathLike]

CLASS_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                 "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def plotting_available() -> bool:
    """True when matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _figure(**options):
    """A matplotlib Figure made without pyplot.

    pyplot would need a backend, and switching the process's backend (``Agg``) would stop
    the user's own ``plt.show()`` from drawing in Jupyter; a bare Figure saves to a file
    with no backend at all, so the user's matplotlib state stays as it was.
    """
    try:
        import matplotlib  # noqa: F401  (first: matplotlib.figure may be cached without it)
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plots need matplotlib; install the extra: "
                          + install_command("plot")) from None
    return Figure(**options)


def _save(fig, path: PathLike) -> Path:
    path = Path(path)
    image = io.BytesIO()  # drawn in memory, then written whole by the one atomic writer
    fig.savefig(image, format=path.suffix.lstrip(".").lower() or "png", dpi=110,
                bbox_inches="tight")
    write_atomically(path, image.getvalue())
    return path


def _field(history, name: str) -> list:
    return history[name] if isinstance(history, Mapping) else getattr(history, name)


def plot_history(history, path: PathLike, title: str = "", xlabel: str = "epoch") -> Path:
    """Loss (left) and accuracy (right) per epoch, training and validation; a dashed
    line marks the best epoch.  ``history`` is a :class:`nn.History` or its dict."""
    epochs = _field(history, "epochs")
    fig = _figure(figsize=(10, 3.8))
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(epochs, _field(history, "train_loss"), label="train", color="#1f77b4")
    val_loss = _field(history, "val_loss")
    if any(v is not None for v in val_loss):
        ax_loss.plot(epochs, val_loss, label="validation", color="#ff7f0e")
    ax_loss.set_yscale("log")
    ax_loss.set(xlabel=xlabel, ylabel="loss (log scale)", title="loss")
    train_acc, val_acc = _field(history, "train_accuracy"), _field(history, "val_accuracy")
    if any(a is not None for a in train_acc):
        ax_acc.plot(epochs, [100 * a for a in train_acc], label="train", color="#1f77b4")
    if any(a is not None for a in val_acc):
        ax_acc.plot(epochs, [100 * a for a in val_acc], label="validation", color="#ff7f0e")
    ax_acc.set(xlabel=xlabel, ylabel="accuracy (%)", title="accuracy")
    best = _field(history, "best_epoch")
    for ax in (ax_loss, ax_acc):
        if best:
            ax.axvline(best, color="grey", linestyle="--", linewidth=1, label=f"best ({best})")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_decision_boundary(model, X: Sequence[Sequence[float]], y: Sequence[int],
                           path: PathLike, loss: str = "cross_entropy",
                           transform: Optional[Callable] = None, resolution: int = 120,
                           title: str = "") -> Path:
    """The class the model predicts over the plane, with the data points on top.

    ``X`` is in the original coordinates; ``transform`` (e.g. a fitted scaler's
    ``transform``) maps rows to what the model was trained on.
    """
    from nn.train import predict

    if not X or len(X[0]) != 2:
        raise ValueError("plot_decision_boundary needs 2-D points (two features per row)")
    xs, ys = [p[0] for p in X], [p[1] for p in X]
    pad_x, pad_y = 0.1 * (max(xs) - min(xs)) + 0.1, 0.1 * (max(ys) - min(ys)) + 0.1
    x0, x1, y0, y1 = min(xs) - pad_x, max(xs) + pad_x, min(ys) - pad_y, max(ys) + pad_y
    gx = [x0 + (x1 - x0) * i / (resolution - 1) for i in range(resolution)]
    gy = [y0 + (y1 - y0) * j / (resolution - 1) for j in range(resolution)]
    grid = [[a, b] for b in gy for a in gx]
    classes = predict(model, transform(grid) if transform else grid, loss)
    z = [classes[j * resolution:(j + 1) * resolution] for j in range(resolution)]
    n_classes = max(max(y), max(classes)) + 1
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap(CLASS_COLOURS[:n_classes])
    fig = _figure(figsize=(5.5, 4.6))
    ax = fig.subplots()
    levels = [k - 0.5 for k in range(n_classes + 1)]
    ax.contourf(gx, gy, z, levels=levels, cmap=cmap, alpha=0.25)
    ax.contour(gx, gy, z, levels=levels[1:-1], colors="k", linewidths=0.8)
    for k in range(n_classes):
        points = [p for p, t in zip(X, y) if t == k]
        if points:
            ax.scatter([p[0] for p in points], [p[1] for p in points], s=14,
                       color=CLASS_COLOURS[k % len(CLASS_COLOURS)], edgecolors="k",
                       linewidths=0.4, label=f"class {k}")
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="x0", ylabel="x1",
           title=title or "decision boundary")
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path)


def plot_gradient_flow(runs: Mapping[str, object], path: PathLike, title: str = "") -> Path:
    """Per-layer gradient norms of one or more training runs, side by side.

    ``runs`` maps a name ("sigmoid, Xavier" ...) to a :class:`nn.History`.  Left:
    the L2 norm of each layer's gradient in the first epoch (log scale): a line that
    falls towards the input layer is a vanishing gradient.  Right: the first
    layer's gradient norm over the epochs.
    """
    fig = _figure(figsize=(10, 3.8))
    ax_layers, ax_time = fig.subplots(1, 2)
    for index, (name, history) in enumerate(runs.items()):
        norms = _field(history, "grad_norms")
        if not norms or not norms[0]:
            raise ValueError(f"plot_gradient_flow: run {name!r} recorded no gradient norms")
        colour = CLASS_COLOURS[index % len(CLASS_COLOURS)]
        first = [max(n, 1e-30) for n in norms[0]]
        ax_layers.plot(range(1, len(first) + 1), first, marker="o", color=colour, label=name)
        ax_time.plot(_field(history, "epochs"), [max(n[0], 1e-30) for n in norms],
                     color=colour, label=name)
    from matplotlib.ticker import MaxNLocator

    ax_layers.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_time.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_layers.set_yscale("log")
    ax_layers.set(xlabel="layer (1 = next to the input)", ylabel="gradient L2 norm (log)",
                  title="gradient norm per layer, epoch 1")
    ax_time.set_yscale("log")
    ax_time.set(xlabel="epoch", ylabel="first layer's gradient norm (log)",
                title="first layer over training")
    for ax in (ax_layers, ax_time):
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_confusion_matrix(matrix: Sequence[Sequence[int]], path: PathLike,
                          title: str = "") -> Path:
    """Counts of (true class, predicted class); the diagonal is what the model got right."""
    n = len(matrix)
    fig = _figure(figsize=(0.5 * n + 2.5, 0.5 * n + 2))
    ax = fig.subplots()
    ax.imshow(matrix, cmap="Blues")
    top = max(max(row) for row in matrix) or 1
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                        color="white" if count > top / 2 else "black")
    ax.set(xticks=range(n), yticks=range(n), xlabel="predicted", ylabel="true",
           title=title or "confusion matrix")
    total = sum(map(sum, matrix))
    right = sum(matrix[i][i] for i in range(n))
    ax.set_xlabel(f"predicted   ({right}/{total} = {100 * right / max(total, 1):.1f}% right)")
    return _save(fig, path)

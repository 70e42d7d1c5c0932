"""Live training on a 2-D toy data set, like TensorFlow Playground: the classroom's
``?train=moons`` lesson (and circles, spiral, xor), natively or in the browser.

>>> playground = Playground("moons", sizes=[8, 8], activation="tanh", lr=0.05, seed=0)
>>> first = playground.state()
>>> later = playground.step(30)           # 30 mini-batch steps of nn's own training loop
>>> later["step"], later["loss"] < first["loss"]
(30, True)
>>> playground.boundary_svg().startswith("<svg ")
True
>>> playground.to_query()
'train=moons&sizes=8,8&activation=tanh&lr=0.05&batch=16&seed=0&optimizer=adam&n=200&noise=0.1'
>>> Playground.from_query("?train=xor&sizes=4&lr=0.1").dataset
'xor'

The training is :func:`nn.fit`'s, piece by piece: the same data generators
(:data:`nn.data.DATASETS`), :class:`nn.MLP`, the cross-entropy loss, the optimizer by
name, the shuffled mini-batches drawn from ``random.Random(seed)`` epoch after epoch,
and fit's batch step (:class:`nn.runs.Run` over :class:`nn.steps.ScalarStep`, with
its divergence guards).  So ``Playground(...).step(k)`` for k a whole number of
epochs leaves the model with the very parameters ``fit(..., epochs=k / batches)``
gives.  Only the driving differs: the page calls :meth:`step` as often as it likes.

Pictures are ``<svg>`` strings, pure Python, cheap enough to redraw every few steps:
:meth:`boundary_svg` (a grid of cells coloured by the model's class probabilities,
the points on top), :meth:`loss_svg` (the whole-data-set loss after each call of
:meth:`step`) and :meth:`gradient_svg` (the network, each edge as wide as its
weight's last gradient, and each layer's mean ``|dL/dw|``).

Every number of :meth:`state` is the engine's: ``loss`` and ``accuracy`` are over
the whole data set (as :func:`nn.evaluate` computes them), ``batch_loss`` is the last
mini-batch's mean loss, ``grad`` each layer's mean ``|dL/dw|`` in that batch.
"""

from __future__ import annotations

import inspect
import itertools
import math
import random
from numbers import Real
from typing import Mapping, Optional, Sequence, Union
from urllib.parse import parse_qsl

from autograd import Value, gc_paused
from nn.data import DATASETS, batches
from nn.losses import LOSSES, softmax
from nn.modules import ACTIVATIONS, MLP
from nn.optim import OPTIMIZERS, make_optimizer
from nn.runs import Run
from nn.steps import ScalarStep

from .lesson_svg import NEGATIVE, POSITIVE, circle, line, mix, polyline, rect, svg_document, text

__all__ = ["Playground", "PlaygroundError", "PLAYGROUND_DATASETS", "QUERY_KEYS",
           "CLASS_COLOURS"]

PLAYGROUND_DATASETS = ("moons", "circles", "spiral", "xor")
# the link's parameter -> Playground's argument, in the order to_query writes them
QUERY_KEYS = {"train": "dataset", "sizes": "sizes", "activation": "activation", "lr": "lr",
              "batch": "batch_size", "seed": "seed", "optimizer": "optimizer", "n": "n",
              "noise": "noise"}
MAX_LAYERS, MAX_WIDTH, MAX_N, MIN_N, MAX_LR, MAX_SEED = 6, 32, 2000, 10, 10.0, 2**32 - 1
MAX_STEPS_PER_CALL = 10_000
CLASS_COLOURS = ("#f59322", "#0877bd", "#2ca02c")  # TensorFlow Playground's orange and blue
WHITE = "#ffffff"


class PlaygroundError(ValueError):
    """A setting the playground cannot use; the message is one line naming it."""


def _fail(name: str, value, need: str) -> PlaygroundError:
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return PlaygroundError(f"playground: {name}={shown} {need}")


def _whole(name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(name, value, f"is not allowed: give a whole number from {low} to {high}")
    return value


def _check_sizes(sizes) -> list[int]:
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise _fail("sizes", sizes, "is not allowed: give the hidden layers' widths, "
                                    "e.g. [8, 8]")
    sizes = list(sizes)
    if len(sizes) > MAX_LAYERS:
        raise _fail("sizes", sizes, f"has {len(sizes)} hidden layers: at most {MAX_LAYERS}")
    return [_whole("sizes", width, 1, MAX_WIDTH) for width in sizes]


class Playground:
    """One training run that the page steps: data, model, optimizer and batch order.

    ``sizes`` are the hidden layers (the output layer has one neuron per class);
    ``activation`` is every hidden layer's; ``optimizer`` is a name of
    :func:`nn.optim.make_optimizer`; ``n`` points of ``dataset`` with its generator's
    ``noise`` (None: the generator's default), made with ``seed``, which also draws the
    initial weights and the batch order.
    """

    def __init__(self, dataset: str = "moons", sizes: Sequence[int] = (8, 8),
                 activation: str = "tanh", lr: float = 0.05, batch_size: int = 16,
                 seed: int = 0, optimizer: str = "adam", n: int = 200,
                 noise: Optional[float] = None):
        if dataset not in PLAYGROUND_DATASETS:
            raise _fail("train", dataset, "is not a data set: choose one of "
                        + ", ".join(PLAYGROUND_DATASETS))
        if activation not in ACTIVATIONS:
            raise _fail("activation", activation, "is not an activation: choose one of "
                        + ", ".join(sorted(ACTIVATIONS)))
        if optimizer not in OPTIMIZERS:
            raise _fail("optimizer", optimizer, "is not an optimizer: choose one of "
                        + ", ".join(sorted(OPTIMIZERS)))
        self.dataset, self.activation, self.optimizer_name = dataset, activation, optimizer
        self.sizes, self.lr = _check_sizes(sizes), _check_lr(lr)
        self.n = _whole("n", n, MIN_N, MAX_N)
        self.batch_size = _whole("batch", batch_size, 1, self.n)
        self.seed = _whole("seed", seed, 0, MAX_SEED)
        if noise is None:  # the data set's own default
            noise = inspect.signature(DATASETS[dataset]).parameters["noise"].default
        if isinstance(noise, bool) or not isinstance(noise, Real) or not 0 <= noise <= 1:
            raise _fail("noise", noise, "is not allowed: give a number from 0 to 1, e.g. 0.1")
        self.noise = float(noise)
        self.X, self.y = DATASETS[dataset](self.n, noise=self.noise, seed=self.seed)
        self.n_classes = max(self.y) + 1
        self.loss = LOSSES["cross_entropy"]
        self.targets = [self.loss.target(label, self.n_classes) for label in self.y]
        self._bounds = _bounds(self.X)
        self.reset()

    # --- training --------------------------------------------------------------------

    def new_model(self) -> MLP:
        """The model at step 0, as ``MLP(2, sizes + [n_classes], activation, seed=seed)``
        with Xavier init (He for ReLU-like activations)."""
        init = "he" if "relu" in self.activation else "xavier"
        return MLP(2, self.sizes + [self.n_classes], activation=self.activation, init=init,
                   seed=self.seed)

    def reset(self) -> dict:
        """Back to step 0: the initial weights, the batch order and an empty loss curve."""
        self.model = self.new_model()
        self.model.train()
        params = self.model.parameters()
        self.optimizer = make_optimizer(self.optimizer_name, params, self.lr)
        self.n_batches = math.ceil(self.n / self.batch_size)
        self._run = Run(model=self.model, params=params,
                        step=ScalarStep(self.model, self.loss, penalty=None),
                        optimizer=self.optimizer, loss=self.loss, clip_value=None,
                        clip_norm=None, classify=True, progress=False, epochs=0,
                        n_batches=self.n_batches, X_train=self.X)
        self._batches = self._batch_stream(random.Random(self.seed))
        self.steps, self.epoch, self.batch_loss, self.layer_norms = 0, 0, None, []
        self.last_batch: list[int] = []  # the rows of the last step's mini-batch
        self.curve: list[tuple[int, float]] = []
        return self._record()

    def _batch_stream(self, rng: random.Random):
        """fit's batches, epoch after epoch, from one generator seeded like fit's."""
        labelled = list(zip(self.targets, self.y, range(self.n)))
        for epoch in itertools.count(1):
            for batch, (xb, tb) in enumerate(batches(self.X, labelled, self.batch_size,
                                                     rng=rng), 1):
                yield epoch, batch, xb, tb

    def step(self, k: int = 1) -> dict:
        """Train ``k`` mini-batch steps; returns :meth:`state`.  A step that diverges
        raises :class:`nn.TrainingDivergedError` with the last good weights kept."""
        _whole("k", k, 1, MAX_STEPS_PER_CALL)
        with gc_paused():
            for _ in range(k):
                self.epoch, batch, xb, tb = next(self._batches)
                self.batch_loss, _, self.layer_norms = self._run.batch(self.epoch, batch,
                                                                       xb, tb)
                self.last_batch = [index for _, _, index in tb]
                self.steps += 1
        return self._record()

    def _record(self) -> dict:
        state = self.state()
        self.curve.append((self.steps, state["loss"]))
        return state

    def set_lr(self, lr: float) -> None:
        """A new learning rate from the next step on, keeping the weights and the
        optimizer's state (as TensorFlow Playground's menu does while it trains)."""
        self.lr = self.optimizer.lr = _check_lr(lr)

    def outputs(self, X: Sequence[Sequence[float]]) -> list[list[float]]:
        """The model's scores per row, pure Python (no graph)."""
        return [self.model.forward_data(x) for x in X]

    def state(self) -> dict:
        """``{"step", "epoch", "loss", "accuracy", "batch_loss", "grad"}`` now."""
        outputs = self.outputs(self.X)
        total = math.fsum(self.loss.example([Value(o) for o in out], t).data
                          for out, t in zip(outputs, self.targets))
        right = sum(self.loss.predict(out) == label for out, label in zip(outputs, self.y))
        return {"step": self.steps, "epoch": self.epoch, "loss": total / self.n,
                "accuracy": right / self.n, "batch_loss": self.batch_loss,
                "grad": self.mean_abs_grads()}

    def mean_abs_grads(self) -> list[float]:
        """Each layer's mean ``|dL/dw|`` (weights and biases) of the last step."""
        if not self.steps:
            return [0.0 for _ in self.model.layers]
        return [math.fsum(abs(p.grad) for p in layer.parameters()) / len(layer.parameters())
                for layer in self.model.layers]

    # --- the link ----------------------------------------------------------------------

    def settings(self) -> dict:
        return {"dataset": self.dataset, "sizes": list(self.sizes),
                "activation": self.activation, "lr": self.lr, "batch_size": self.batch_size,
                "seed": self.seed, "optimizer": self.optimizer_name, "n": self.n,
                "noise": self.noise}

    def to_query(self) -> str:
        """The lesson's link parameters, e.g. ``train=moons&sizes=8,8&...&n=200``."""
        settings = self.settings()
        values = {"train": self.dataset, "sizes": ",".join(map(str, self.sizes)),
                  "lr": repr(self.lr), "noise": repr(self.noise)}  # repr: the very float
        return "&".join(f"{key}={values.get(key, settings[name])}"
                        for key, name in QUERY_KEYS.items())

    @classmethod
    def from_query(cls, query: Union[str, Mapping[str, str]]) -> "Playground":
        """A playground from a link's query (``"?train=moons&lr=0.05"`` or a dict of
        strings); a missing parameter keeps its default.  Anything it cannot use is a
        :class:`PlaygroundError` of one line naming the parameter."""
        if isinstance(query, str):
            pairs = parse_qsl(query[1:] if query.startswith("?") else query,
                              keep_blank_values=True)
        elif isinstance(query, Mapping):
            pairs = list(query.items())
        else:
            raise _fail("query", query, "is not a link's query: give a string such as "
                                        "'train=moons&lr=0.05'")
        arguments: dict = {}
        for key, value in pairs:
            if key not in QUERY_KEYS:
                raise _fail(str(key)[:20], value, "is not a setting of the training lesson: use "
                            + ", ".join(QUERY_KEYS))
            if QUERY_KEYS[key] in arguments:
                raise _fail(key, value, "is given twice: give each setting once")
            arguments[QUERY_KEYS[key]] = _parse(key, value if isinstance(value, str) else
                                                _rejected(key, value))
        return cls(**arguments)

    # --- pictures --------------------------------------------------------------------

    def _repr_html_(self) -> str:
        """In Jupyter: the boundary, the gradient flow and the loss curve side by side."""
        pictures = (self.boundary_svg(), self.gradient_svg(), self.loss_svg())
        return ('<div style="display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start">'
                + "".join(pictures) + "</div>")

    def boundary_svg(self, cells: int = 30, size: float = 300) -> str:
        """The plane in ``cells`` x ``cells`` squares, each coloured by the model's class
        probabilities there (pale where it is unsure), the data points on top; the last
        step's mini-batch is ringed in black."""
        _whole("cells", cells, 2, 200)
        x0, x1, y0, y1 = self._bounds
        side = size / cells
        centres = [[x0 + (x1 - x0) * (i + 0.5) / cells, y1 - (y1 - y0) * (j + 0.5) / cells]
                   for j in range(cells) for i in range(cells)]
        parts = []
        for index, scores in enumerate(self.outputs(centres)):
            j, i = divmod(index, cells)
            parts.append(rect(i * side, j * side, side + 0.05, side + 0.05,
                              self._cell_colour(softmax(scores))))
        in_batch = set(self.last_batch)
        for index, ((px, py), label) in enumerate(zip(self.X, self.y)):
            ring = "#000000" if index in in_batch else "#ffffff"
            parts.append(circle((px - x0) / (x1 - x0) * size, (y1 - py) / (y1 - y0) * size,
                                3.2, CLASS_COLOURS[label], f'stroke="{ring}" stroke-width="1"'))
        return svg_document(size, size, parts, kind="boundary",
                            title=f"decision boundary at step {self.steps}")

    def _cell_colour(self, probabilities: list[float]) -> str:
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        floor = 1.0 / len(probabilities)
        confidence = (probabilities[best] - floor) / (1.0 - floor)
        return mix(WHITE, CLASS_COLOURS[best], 0.1 + 0.45 * confidence)

    def loss_svg(self, width: float = 300, height: float = 120) -> str:
        """The whole data set's loss after each :meth:`step` call, from step 0."""
        left, bottom, top = 40.0, height - 20.0, 10.0
        steps = [s for s, _ in self.curve]
        losses = [value for _, value in self.curve]
        high, last = max(max(losses), 1e-12), max(steps[-1], 1)
        points = [(left + (width - left - 8) * s / last, bottom - (bottom - top) * v / high)
                  for s, v in self.curve]
        parts = [line(left, top, left, bottom, "#999999", 1),
                 line(left, bottom, width - 8, bottom, "#999999", 1),
                 text(left - 4, top + 8, f"{high:.3g}", 10, "end"),
                 text(left - 4, bottom, "0", 10, "end"),
                 text(width - 8, height - 4, f"step {self.steps}", 10, "end"),
                 text(left, height - 4, f"loss {losses[-1]:.4f}", 10)]
        if len(points) == 1:
            points.append((width - 8, points[0][1]))
        parts.append(polyline(points, "#333333"))
        return svg_document(width, height, parts, kind="loss",
                            title=f"loss over {self.steps} steps")

    def gradient_svg(self, width: float = 360, height: float = 240) -> str:
        """The network: an edge per weight, as wide as its last ``|dL/dw|`` (widest: the
        largest gradient), coloured by the weight's sign; under each layer its mean
        ``|dL/dw|``.  Vanishing gradients show as hair-thin edges near the input."""
        widths = [2] + [len(layer.neurons) for layer in self.model.layers]
        gap_x = (width - 40) / (len(widths) - 1)
        bottom = height - 30

        def position(column: int, row: int) -> tuple[float, float]:
            count = widths[column]
            return 20 + column * gap_x, 12 + (bottom - 24) * (row + 0.5) / count

        largest = max([abs(w.grad) for layer in self.model.layers for neuron in layer.neurons
                       for w in neuron.w] + [1e-300])
        parts = []
        for column, layer in enumerate(self.model.layers, 1):
            for row, neuron in enumerate(layer.neurons):
                xb, yb = position(column, row)
                for source, weight in enumerate(neuron.w):
                    xa, ya = position(column - 1, source)
                    parts.append(line(xa, ya, xb, yb,
                                      POSITIVE if weight.data >= 0 else NEGATIVE,
                                      0.3 + 5.0 * abs(weight.grad) / largest))
        radius = min(6.0, (bottom - 24) / max(widths) / 2 - 0.5)  # wide layers: no overlap
        for column, count in enumerate(widths):
            for row in range(count):
                x, y = position(column, row)
                parts.append(circle(x, y, radius, "#ffffff", 'stroke="#555555" stroke-width="1.2"'))
        for column, mean in enumerate(self.mean_abs_grads(), 1):
            x, _ = position(column, 0)
            parts.append(text(x, bottom + 10, f"L{column}", 10, "middle"))
            parts.append(text(x, bottom + 22, f"{mean:.2g}", 10, "middle",
                              f'data-layer="L{column}" data-mean-abs-grad="{mean!r}"'))
        parts.append(text(2, bottom + 22, "|dL/dw|", 10))
        return svg_document(width, height, parts, kind="gradient",
                            title=f"gradient flow at step {self.steps}")


def _check_lr(lr) -> float:
    if isinstance(lr, bool) or not isinstance(lr, Real) or not 0 < lr <= MAX_LR:
        raise _fail("lr", lr, f"is not allowed: give a learning rate above 0 and at most "
                              f"{MAX_LR:g}, e.g. 0.05")
    return float(lr)


def _rejected(key: str, value) -> str:
    raise _fail(key, value, "is not text: a link's values are strings")


def _parse(key: str, value: str):
    """One link value as Playground's argument."""
    if key in ("train", "activation", "optimizer"):
        return value
    if key == "sizes":
        if not value.strip():
            return []
        parts = value.split(",")
        if len(parts) > MAX_LAYERS or not all(p.strip().isascii() and p.strip().isdigit()
                                              for p in parts):
            raise _fail("sizes", value, "is not allowed: give up to "
                        f"{MAX_LAYERS} hidden layer widths from 1 to {MAX_WIDTH}, e.g. 8,8")
        return [min(int(p), MAX_WIDTH + 1) if len(p.strip()) <= 6 else MAX_WIDTH + 1
                for p in parts]
    if key in ("lr", "noise"):
        example = "a learning rate such as 0.05" if key == "lr" else "a noise such as 0.1"
        try:
            number = float(value)
        except ValueError:
            raise _fail(key, value, f"is not a number: give {example}") from None
        if not math.isfinite(number):
            raise _fail(key, value, f"is not a finite number: give {example}")
        return number
    text_value = value.strip()
    if not (text_value.isascii() and text_value.isdigit()) or len(text_value) > 12:
        raise _fail(key, value, "is not a whole number")
    return int(text_value)


def _bounds(X: Sequence[Sequence[float]]) -> tuple[float, float, float, float]:
    """A square view around the points with a margin, so circles stay round."""
    xs, ys = [p[0] for p in X], [p[1] for p in X]
    middle_x, middle_y = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys)) / 2 * 1.15 + 1e-9
    return middle_x - half, middle_x + half, middle_y - half, middle_y + half


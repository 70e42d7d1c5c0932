"""Mini-batches through the compiled tape: what ``fit(..., compile=True)`` runs.

The per-example part of training, "model + loss on one example", is traced once
(:func:`autograd.tape.compile`) and replayed over each mini-batch as numpy arrays;
the mean over the batch is the tape's ``weights=1/B``.  Numbers and gradients are
the scalar engine's (to rounding), only faster.

>>> from nn import MLP
>>> from nn.losses import LOSSES
>>> model = MLP(2, [8, 1], seed=0)
>>> batch_loss = CompiledLoss(model, LOSSES["hinge"], [0.5, -0.2], 1.0)
>>> mean, outputs = batch_loss.forward([[0.5, -0.2], [1.0, 2.0]], [1.0, -1.0])
>>> outputs.shape                  # one row per example, one column per model output
(2, 1)
>>> model.zero_grad(); batch_loss.backward()   # d(mean loss)/dp into each p.grad

Targets that are class indices (cross_entropy, multi_margin) pick a different
logit per class, so there is one tape per class, each replayed on its rows.
Float targets (hinge, mse, bce, regression) are an input of a single tape.  A
loss that reads ``.data`` only for a constant shift declares it
(``loss.reads_data_for_shift``, cross entropy's max logit); its tapes accept the
read and verify themselves against the scalar engine on their first batch.

Dropout in training mode compiles when its masks come from a
:class:`~nn.masks.DropoutMasks` (``masks=``, what ``fit`` passes): each mask is then
an input of the tape, one per dropped unit, and every batch draws its own, in the
scalar engine's order.  Without one, a model with Dropout in training mode (decided
by the modules' state) is refused with :class:`~autograd.tape.TapeTraceError`
at the start, before any training.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

from .losses import LOSSES, Loss
from .masks import DropoutMasks, training_dropouts

__all__ = ["CompiledLoss", "ArrayBatchLoss"]



class CompiledLoss:
    """The mean loss of a mini-batch and its gradients, through compiled tapes."""

    def __init__(self, model: Callable, loss: Loss, example_x: Sequence[float],
                 example_target: Any, masks: Optional[DropoutMasks] = None):
        self.model, self.loss = model, loss
        self.params = model.parameters()
        self.example_x = [float(v) for v in example_x]
        self.masks, self.n_masks = _mask_inputs(model, self.example_x, masks)
        self.by_class = isinstance(example_target, int) and not isinstance(example_target, bool)
        self.tapes: dict = {}
        self.last: list = []  # (tape, batch size) of the last forward
        if not self.by_class:
            self.tapes[None] = self._compile(lambda x, m, t: self._example(x, t, m),
                                             (self.example_x, [1.0] * self.n_masks,
                                              example_target))
        else:
            self._tape_for(example_target)

    def _example(self, x, target, mask_inputs) -> list:
        if self.n_masks:  # each Dropout call takes its factors from the tape's inputs
            with self.masks.feeding(mask_inputs):
                return self._outputs_and_loss(x, target)
        return self._outputs_and_loss(x, target)

    def _outputs_and_loss(self, x, target) -> list:
        out = self.model(x)
        outputs = list(out) if isinstance(out, (list, tuple)) else [out]
        return [self.loss.example(outputs if len(outputs) > 1 else outputs[0], target),
                *outputs]

    def _compile(self, fn, example):
        from autograd.tape import compile

        return compile(fn, example, self.params,
                       allow_data_reads=getattr(self.loss, "reads_data_for_shift", False))

    def _tape_for(self, target: int):
        if target not in self.tapes:
            self.tapes[target] = self._compile(lambda x, m: self._example(x, target, m),
                                               (self.example_x, [1.0] * self.n_masks))
        return self.tapes[target]

    def forward(self, xb: Sequence[Sequence[float]], targets: Sequence,
                params: Any = None) -> tuple:
        """``(mean loss as a float, model outputs of shape (B, n_outputs))``; ``params``:
        an array of parameter values to use instead of the Values' ``.data``."""
        import numpy as np

        X = np.asarray(xb, dtype=float)
        size = len(X)
        M = self.masks.draw(size) if self.n_masks else np.zeros((size, 0))
        self.last = []
        if not self.by_class:
            out = self.tapes[None].forward(X, M, np.asarray(targets, dtype=float),
                                           params=params)
            self.last.append((self.tapes[None], size))
        else:
            labels = np.asarray(targets)
            out = np.empty((size, len(self._tape_for(int(labels[0])).graph.outputs)))
            for label in np.unique(labels).tolist():
                rows = np.flatnonzero(labels == label)
                tape = self._tape_for(int(label))
                out[rows] = tape.forward(X[rows], M[rows], params=params).reshape(len(rows), -1)
                self.last.append((tape, size))
        return float(out[:, 0].mean()), out[:, 1:]

    def backward(self, scale: float = 1.0) -> None:
        """Add ``scale * d(mean loss)/dp`` into each parameter's ``.grad``."""
        for p, g in zip(self.params, self.gradients(scale).tolist()):
            p.grad += g

    def gradients(self, scale: float = 1.0):
        """``scale * d(mean loss)/dp`` of the last forward, as an array."""
        import numpy as np

        total = np.zeros(len(self.params))
        for tape, size in self.last:
            weights = np.zeros(len(tape.graph.outputs))
            weights[0] = scale / size  # the loss column; the outputs get no gradient
            total += tape.gradients(weights=weights[None, :])
        return total


class ArrayBatchLoss:
    """The mean loss of a batch and its gradient as arrays, from a parameter vector.

    The loss is fused: one tape of the model's outputs (the same for every class,
    planned once; an MLP or Sequential compiled layer by layer), then the loss and its
    gradient in numpy (:data:`nn.compiled_layers.ARRAY_LOSSES`: cross entropy's
    log-sum-exp and ``softmax - onehot``, mse, bce, hinge, multi_margin), which seeds
    the tape's backward.  A loss without an array form runs its traced per-example
    graph (:class:`CompiledLoss`).  The numbers are the scalar engine's to rounding
    (tests/test_tape.py, tests/test_array_losses.py).

    >>> import numpy as np
    >>> from nn import MLP
    >>> from nn.losses import LOSSES
    >>> model = MLP(2, [4, 3], seed=0)
    >>> batch_loss = ArrayBatchLoss(model, LOSSES["cross_entropy"], [0.5, -0.2], 2)
    >>> theta = np.array([p.data for p in model.parameters()])
    >>> mean, outputs, grad = batch_loss([[0.5, -0.2], [1.0, 2.0]], [2, 0], theta)
    >>> outputs.shape, grad.shape
    ((2, 3), (27,))
    """

    def __init__(self, model: Callable, loss: Loss, example_x: Sequence[float],
                 example_target: Any, masks: Optional[DropoutMasks] = None):
        from .compiled_layers import ARRAY_LOSSES, layer_tape

        self.params = model.parameters()
        # (a Loss of one's own, even one named "mse", keeps its own example: traced)
        self.fused = loss.name in ARRAY_LOSSES and LOSSES.get(loss.name) is loss
        if self.fused:
            from autograd.tape import compile

            self.rows_of = ARRAY_LOSSES[loss.name]

            example_x = [float(v) for v in example_x]
            self.masks, self.n_masks = _mask_inputs(model, example_x, masks)

            def logits(x, mask_inputs):
                if not self.n_masks:
                    return _outputs(model(x))
                with self.masks.feeding(mask_inputs):
                    return _outputs(model(x))

            # an MLP or Sequential compiles layer by layer (nn.compiled_layers): no trace
            self.tape = layer_tape(model) if not self.n_masks else None
            if self.tape is None:
                self.tape = compile(logits, (example_x, [1.0] * self.n_masks), self.params)
        else:
            self.compiled = CompiledLoss(model, loss, example_x, example_target, masks)

    def __call__(self, xb: Sequence[Sequence[float]], targets: Sequence, theta) -> tuple:
        """``(mean loss, outputs of shape (B, n_outputs), d(mean loss)/d theta)``."""
        import numpy as np

        if not self.fused:
            mean, outputs = self.compiled.forward(xb, targets, params=theta)
            return mean, outputs, self.compiled.gradients()
        size = len(xb)
        M = self.masks.draw(size) if self.n_masks else np.zeros((size, 0))
        logits = self.tape.forward(np.asarray(xb, dtype=float), M, params=theta)
        logits = logits.reshape(size, -1)
        losses, seeds = self.rows_of(np, logits, targets)   # each row's, and d/d outputs
        seeds /= size
        # (the mean as numpy's mean computes it: the sum, then one division)
        return float(losses.sum() / size), logits, self.tape.gradients(weights=seeds)


def _outputs(out) -> list:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _mask_inputs(model: Callable, example_x: list, masks: Optional[DropoutMasks]
                 ) -> tuple:
    """``(masks, how many mask inputs an example needs)``.  Dropout in training mode
    draws a new mask per call, and a tape would freeze one: without a mask source
    it is refused, decided by the modules' state so the answer never depends on the
    draws."""
    dropouts = training_dropouts(model)
    if not dropouts:
        return None, 0
    if masks is None or any(d.masks is not masks for d in dropouts):
        from autograd.tape import TapeTraceError

        raise TapeTraceError(
            f"compile=True cannot replay {dropouts[0]!r} in training mode on its own: it "
            "draws a new mask for every example, and a tape replays one traced graph for "
            "every row. fit(compile=True) feeds the masks in as inputs of the tape; "
            "elsewhere call model.eval() before compiling.")
    return masks, masks.count_slots(model, example_x)

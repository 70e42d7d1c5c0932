"""What one ``fit`` run keeps while it trains, for each engine: the batch step's
guards, clipping and optimizer (:class:`Run` on the Values, :class:`ArrayRun` on a
parameter vector), the fallbacks on divergence, and early stopping.

``nn.train.fit`` is the loop; this module is what the loop calls.  Its names are
internal except :class:`History` and :class:`TrainingDivergedError`, which
:mod:`nn.train` exports.

>>> history = History()
>>> history.to_dict()["epochs"]
[]
"""

from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass, field
from typing import Optional

from autograd import OpError

from .optim import clip_grad_norm_, clip_grad_norm_array, clip_grad_value_, clip_grad_value_array
from .steps import NonFiniteLoss

__all__ = ["History", "TrainingDivergedError", "Run", "ArrayRun", "EarlyStopping",
           "Snapshots"]


class TrainingDivergedError(ValueError):
    """The loss, a gradient or a parameter became NaN or infinite during ``fit``.

    ``.epoch`` and ``.batch`` say where (both from 1); ``.history`` holds the
    epochs completed before; the model keeps the parameters from before that batch.
    """

    def __init__(self, message: str, epoch: int, batch: int, history: "History"):
        super().__init__(message)
        self.epoch, self.batch, self.history = epoch, batch, history


@dataclass
class History:
    """Per-epoch records of a ``fit`` run (lists indexed by epoch - 1)."""

    epochs: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    grad_norms: list = field(default_factory=list)   # per epoch: one L2 norm per layer
    seconds: list = field(default_factory=list)
    best_epoch: Optional[int] = None
    stopped_early: bool = False
    stop_reason: str = ""

    def to_dict(self) -> dict:
        """Plain lists and numbers, ready for ``json.dump``."""
        return asdict(self)


def layer_grad_norms(model) -> list[float]:
    return [math.sqrt(math.fsum(p.grad * p.grad for p in layer.parameters()))
            for layer in getattr(model, "layers", [])]


def progress_bar(total: int, enabled: bool):
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="batch", leave=False, dynamic_ncols=True, file=sys.stderr)


class Snapshots:
    """The parameter values to fall back on when a batch diverges: ``before`` this
    batch's step, and ``last_good`` (the start of the last step whose loss was finite)."""

    def __init__(self, params: list):
        self.params = params
        self.last_good = self.before = [p.data for p in params]

    def start_batch(self) -> None:
        self.before = [p.data for p in self.params]

    def batch_done(self) -> None:
        self.last_good = self.before

    def restore(self, values: list) -> None:
        for p, value in zip(self.params, values):
            p.data = value


class Run:
    """One ``fit`` run's batch step, the same for every engine: the engine's step,
    then the guards, clipping and the optimizer.  On a non-finite loss, gradient or
    parameter it restores the last good parameters and raises TrainingDivergedError."""

    def __init__(self, model, params, step, optimizer, loss, clip_value, clip_norm,
                 classify, progress, epochs, n_batches, X_train):
        self.model, self.params, self.step, self.optimizer = model, params, step, optimizer
        self.X_train = X_train
        self.loss, self.clip_value, self.clip_norm = loss, clip_value, clip_norm
        self.classify, self.epochs, self.n_batches = classify, epochs, n_batches
        self.history, self.snapshots = History(), Snapshots(params)
        self.bar = progress_bar(epochs * n_batches, progress)

    def __enter__(self) -> "Run":
        return self

    def use_rows(self, rows: list) -> list:
        """This epoch's (augmented) training rows, which the batches are taken from."""
        if len(rows) != len(self.X_train) or (rows and len(rows[0]) != len(self.X_train[0])):
            raise ValueError(f"fit(augment=...) returned {len(rows)} rows for "
                             f"{len(self.X_train)} training rows; return one row of the same "
                             "length for each")
        return rows

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()

    def batch(self, epoch: int, batch: int, xb: list, tb: list) -> tuple:
        """``(mean loss, correct predictions, grad norm per layer)`` after one step."""
        snapshots, params = self.snapshots, self.params
        snapshots.start_batch()
        try:
            mean, outputs = self.step(xb, [t for t, _, _ in tb])
        except NonFiniteLoss as error:
            raise self.diverged(epoch, batch, str(error), snapshots.last_good) from None
        except OpError as error:
            raise self.diverged(epoch, batch, f"the loss could not be computed ({error})",
                                snapshots.last_good) from None
        bad = next((p.grad for p in params if not math.isfinite(p.grad)), None)
        if bad is not None:
            raise self.diverged(epoch, batch, f"a gradient is {bad}", snapshots.before)
        if self.clip_value is not None:
            clip_grad_value_(params, self.clip_value)
        if self.clip_norm is not None:
            clip_grad_norm_(params, self.clip_norm)
        norms = layer_grad_norms(self.model)
        self.optimizer.step()
        bad = next((p.data for p in params if not math.isfinite(p.data)), None)
        if bad is not None:
            raise self.diverged(epoch, batch, f"the update made a parameter {bad}",
                                snapshots.before)
        snapshots.batch_done()
        correct = (sum(self.loss.predict(o) == label for o, (_, label, _) in zip(outputs, tb))
                   if self.classify else 0)
        self.advance_bar(epoch, mean)
        return mean, correct, norms

    def advance_bar(self, epoch: int, mean: float) -> None:
        if self.bar is not None:
            self.bar.set_description(f"epoch {epoch}/{self.epochs}", refresh=False)
            self.bar.set_postfix(loss=f"{mean:.4f}", refresh=False)
            self.bar.update(1)

    def sync(self) -> None:
        """The scalar run keeps its parameters in the Values: nothing to do."""

    def forget(self) -> None:
        """Nothing outlives a scalar run."""

    def reload(self) -> None:
        """The Values are the parameters: nothing to read back."""

    def diverged(self, epoch: int, batch: int, what: str, fallback: list
                 ) -> TrainingDivergedError:
        self.snapshots.restore(fallback)
        self.history.stop_reason = (
            f"training stopped at epoch {epoch}, batch {batch} of {self.n_batches}: {what}. "
            "The last parameters that gave a finite loss are kept. Try a smaller learning "
            f"rate (now {self.optimizer.lr}), gradient clipping (clip_norm=1.0) or "
            "standardized inputs.")
        return TrainingDivergedError(self.history.stop_reason, epoch, batch, self.history)


class ArrayRun(Run):
    """Compiled training: the parameters live in one float64 vector ``theta`` (in the
    order of ``model.parameters()``; each layer a contiguous slice), and the batch
    step is arrays from end to end: the tapes' gradients, penalties, guards, clipping
    and the optimizer's array form.  No parameter Value is touched in the batch loop;
    :meth:`sync` writes ``theta`` (and the last gradients) into the Values when
    someone looks: each epoch's end, a divergence, and the end of ``fit``."""

    def __init__(self, model, params, step, *rest):
        import numpy as np

        from autograd.tape.errors import all_finite  # numpy is needed only here
        from autograd.tape.readers import as_slice

        super().__init__(model, params, step, *rest)
        self.np, self.all_finite = np, all_finite
        self.theta = np.array([p.data for p in params], dtype=float)
        self.grad = np.zeros_like(self.theta)
        self.last_good = self.theta.copy()
        self.X = np.asarray(self.X_train, dtype=float)  # batches are gathers of its rows
        position = {id(p): i for i, p in enumerate(params)}
        # each layer's entries of theta: a slice (a view, no gather) when contiguous
        self.layer_index = [as_slice([position[id(p)] for p in layer.parameters()])
                            for layer in getattr(model, "layers", [])]

    def batch(self, epoch: int, batch: int, xb: list, tb: list) -> tuple:
        np, theta = self.np, self.theta
        before = theta.copy()
        indexes = [i for _, _, i in tb]
        try:
            mean, total, outputs, grad = self.step(self.X[indexes], [t for t, _, _ in tb],
                                                   theta)
        except OpError as error:
            raise self.diverged(epoch, batch, f"the loss could not be computed ({error})",
                                self.last_good) from None
        if not math.isfinite(total):
            raise self.diverged(epoch, batch, f"the loss is {total}", self.last_good)
        if not self.all_finite(grad):
            bad = grad[~np.isfinite(grad)][0]
            raise self.diverged(epoch, batch, f"a gradient is {bad}", before, grad)
        if self.clip_value is not None:
            clip_grad_value_array(grad, self.clip_value)
        if self.clip_norm is not None:
            clip_grad_norm_array(grad, self.clip_norm)
        norms = [math.sqrt(float(np.dot(grad[ix], grad[ix]))) for ix in self.layer_index]
        self.grad = grad
        self.optimizer.step_arrays(theta, grad)
        if not self.all_finite(theta):
            bad = theta[~np.isfinite(theta)][0]
            raise self.diverged(epoch, batch, f"the update made a parameter {bad}", before)
        self.last_good = before
        correct = 0
        if self.classify:
            if outputs.shape[1] > 1 and self.loss.name in ("cross_entropy", "multi_margin"):
                labels = np.array([label for _, label, _ in tb])
                correct = int((outputs.argmax(axis=1) == labels).sum())
            else:
                correct = sum(self.loss.predict(o) == label
                              for o, (_, label, _) in zip(outputs.tolist(), tb))
        self.advance_bar(epoch, mean)
        return mean, correct, norms

    def use_rows(self, rows: list) -> list:
        self.X = self.np.asarray(super().use_rows(rows), dtype=float)
        return rows

    def sync(self) -> None:
        for p, value, g in zip(self.params, self.theta.tolist(), self.grad.tolist()):
            p.data, p.grad = value, g

    def forget(self) -> None:
        """After fit, the Values are the parameters again (early stopping may have
        restored them): nothing stays in the vector."""

    def reload(self) -> None:
        self.theta[:] = [p.data for p in self.params]

    def diverged(self, epoch: int, batch: int, what: str, fallback, grad=None
                 ) -> TrainingDivergedError:
        self.theta[:] = fallback
        if grad is not None:
            self.grad = grad
        self.sync()
        return super().diverged(epoch, batch, what, [p.data for p in self.params])


class EarlyStopping:
    """Tracks the best monitored loss (validation, else training) and its weights."""

    def __init__(self, params: list, patience: Optional[int], validating: bool):
        self.params, self.patience, self.validating = params, patience, validating
        self.best_loss, self.best_params, self.waited = math.inf, None, 0

    def should_stop(self, epoch: int, record: dict, history: History) -> bool:
        monitored = record["val_loss"] if self.validating else record["train_loss"]
        if monitored < self.best_loss:
            self.best_loss, self.waited, history.best_epoch = monitored, 0, epoch
            if self.patience is not None:  # only a restore reads them
                self.best_params = [p.data for p in self.params]
            return False
        self.waited += 1
        if self.patience is None or self.waited < self.patience:
            return False
        history.stopped_early = True
        history.stop_reason = (f"early stopping at epoch {epoch}: no better "
                               f"{'validation' if self.validating else 'training'} loss for "
                               f"{self.patience} epochs; restored the weights of epoch "
                               f"{history.best_epoch}")
        return True

    def restore_best(self) -> None:
        if self.patience is not None and self.best_params is not None:
            for p, value in zip(self.params, self.best_params):
                p.data = value

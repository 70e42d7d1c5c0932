"""The training loop: ``fit`` runs the whole backprop recipe on the scalar engine.

>>> from nn import MLP
>>> from nn.data import make_moons
>>> X, y = make_moons(100, noise=0.1, seed=0)
>>> model = MLP(2, [16, 16, 2], init="he", seed=0)
>>> history = fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=0.02,
...               epochs=3, batch_size=16, val_split=0.2, seed=0, progress=False)
>>> sorted(history.to_dict())[:4]
['best_epoch', 'epochs', 'grad_norms', 'lr']
>>> 0.0 <= accuracy(y, predict(model, X)) <= 1.0
True

One step of training is, for each example of a mini-batch, "model + loss on one
example" (:func:`example_loss`), then the mean over the batch, ``backward()`` and
the optimizer's ``step()``.  Keeping the per-example part separate is what lets a
compiled tape replay it over a whole batch of arrays later.
"""

from __future__ import annotations

import math
import random
import sys
import time
from numbers import Integral, Real
from typing import Callable, Optional, Sequence, Union

from autograd import Value, gc_paused

from .data import batches, train_test_split
from .losses import LOSSES, Loss, softmax
from .masks import feeding_masks
from .modules import activate_data
from .optim import LRScheduler, Optimizer, make_optimizer
from .runs import ArrayRun, EarlyStopping, History, Run, TrainingDivergedError
from .steps import ArrayStep, CompiledStep, ScalarStep, example_loss, make_penalty
from .validate import check_labels, check_rows

__all__ = ["fit", "evaluate", "predict", "predict_proba", "accuracy", "confusion_matrix",
           "example_loss", "History", "TrainingDivergedError", "DEFAULT_LR"]

# A sensible first learning rate for each optimizer name (tune from here).
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adam": 0.01, "adamw": 0.01}


# --- model + loss on one example -----------------------------------------------------


def _as_loss(loss: Union[str, Loss]) -> Loss:
    if isinstance(loss, Loss):
        return loss
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(sorted(LOSSES))}")
    return LOSSES[loss]


def _output_list(out) -> list:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _outputs_data(model, x: Sequence[float]) -> list[float]:
    """Model outputs as floats; uses the graph-free path when the model has one."""
    if hasattr(model, "forward_data"):
        return model.forward_data(x)
    return [o.data for o in _output_list(model(x))]


def _all_outputs(model, X: Sequence[Sequence[float]]) -> list[list[float]]:
    """Every row's outputs: on arrays, layer by layer, when numpy is there and the model
    is an MLP or Sequential (nn.compiled_layers); else row by row, graph-free."""
    from .compiled_layers import batch_outputs

    outputs = batch_outputs(model, X)
    return outputs if outputs is not None else [_outputs_data(model, x) for x in X]


def _n_outputs(model, x0: Sequence[float]) -> int:
    if hasattr(model, "nouts"):
        return model.nouts[-1]
    return len(_output_list(model(x0)))


def _plain_labels(y: Sequence) -> list:
    """numpy's integer labels as Python ints, so ``y = np.array([0, 1])`` classifies."""
    return [int(t) if isinstance(t, Integral) and not isinstance(t, bool) else t for t in y]


def _is_classification(y: Sequence) -> bool:
    return all(isinstance(t, int) and not isinstance(t, bool) for t in y)


def _targets(loss: Loss, y: Sequence, n_outputs: int, classify: bool) -> list:
    if not classify:
        return list(y)
    if loss.multi_output and n_outputs < 2:
        raise ValueError(f"loss {loss.name!r} needs one output per class, but the model has "
                         f"{n_outputs}; end the model with a layer of n_classes neurons")
    if loss.multi_output and max(y) >= n_outputs:
        raise ValueError(f"labels go up to {max(y)} but the model has only {n_outputs} "
                         f"outputs; give the last layer {max(y) + 1} neurons")
    if loss.name in ("bce", "hinge") and (n_outputs != 1 or set(y) - {0, 1}):
        raise ValueError(f"loss {loss.name!r} is for two classes labelled 0/1 with one model "
                         f"output (got {n_outputs} outputs, labels {sorted(set(y))[:5]}); "
                         "use cross_entropy for more classes")
    return [loss.target(t, n_outputs) for t in y]


# --- inference -------------------------------------------------------------------------


def _eval_mode(model):
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    return was_training


def predict(model, X: Sequence[Sequence[float]], loss: Union[str, Loss] = "cross_entropy"
            ) -> list[int]:
    """The predicted class of each row (argmax, or the sign of a single output)."""
    loss = _as_loss(loss)
    _check_rows(X, "predict", model=model)
    was_training = _eval_mode(model)
    try:
        return [loss.predict(out) for out in _all_outputs(model, X)]
    finally:
        if was_training:
            model.train()


def predict_proba(model, X: Sequence[Sequence[float]],
                  loss: Union[str, Loss] = "cross_entropy") -> list[list[float]]:
    """Class probabilities per row: softmax for cross_entropy, sigmoid for bce."""
    loss = _as_loss(loss)
    if loss.name not in ("cross_entropy", "bce"):
        raise ValueError(f"loss {loss.name!r} does not give probabilities; "
                         "only cross_entropy and bce models do")
    _check_rows(X, "predict_proba", model=model)
    was_training = _eval_mode(model)
    try:
        out = []
        for x in X:
            scores = _outputs_data(model, x)
            if loss.name == "bce":
                p = activate_data("sigmoid", scores[0])  # the table's stable sigmoid
                out.append([1.0 - p, p])
            else:
                out.append(softmax(scores))
        return out
    finally:
        if was_training:
            model.train()


def accuracy(y_true: Sequence[int], y_pred: Sequence[int]) -> float:
    """The share of correct predictions.

    >>> accuracy([0, 1, 1, 2], [0, 1, 0, 2])
    0.75
    """
    if len(y_true) != len(y_pred) or not y_true:
        raise ValueError(f"accuracy: {len(y_true)} labels and {len(y_pred)} predictions; "
                         "need the same number, at least one")
    return sum(t == p for t, p in zip(y_true, y_pred)) / len(y_true)


def confusion_matrix(y_true: Sequence[int], y_pred: Sequence[int],
                     n_classes: Optional[int] = None) -> list[list[int]]:
    """``matrix[true][predicted]`` counts, as scikit-learn's function.

    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 0, 2])
    [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"confusion_matrix: {len(y_true)} labels and {len(y_pred)} "
                         "predictions; need the same number")
    n = n_classes or (max(list(y_true) + list(y_pred)) + 1)
    matrix = [[0] * n for _ in range(n)]
    for t, p in zip(y_true, y_pred):
        matrix[t][p] += 1
    return matrix


def evaluate(model, X: Sequence[Sequence[float]], y: Sequence,
             loss: Union[str, Loss] = "cross_entropy") -> dict:
    """``{"loss": mean loss, "accuracy": share correct (None for regression)}``, in eval
    mode and without building the model's graph."""
    loss = _as_loss(loss)
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(f"evaluate: X has {len(X)} rows and y {len(y)} labels; "
                         "need the same number, at least one")
    y = _check_data(model, loss, X, _plain_labels(y), "evaluate")
    classify = _is_classification(y)
    was_training = _eval_mode(model)
    try:
        outputs = _all_outputs(model, X)
    finally:
        if was_training:
            model.train()
    for row, out in enumerate(outputs):
        if not all(math.isfinite(o) for o in out):
            raise ValueError(f"evaluate: the model's output for row {row} is {out}, not "
                             "finite; its parameters are too large for these inputs "
                             "(did training diverge? lower the learning rate)")
    targets = _targets(loss, y, len(outputs[0]), classify)
    rows = None
    if LOSSES.get(loss.name) is loss and (classify or not loss.multi_output):
        from .compiled_layers import loss_rows

        rows = loss_rows(loss.name, outputs, targets)  # on arrays: the same formula
    total = math.fsum(rows) if rows is not None else math.fsum(
        loss.example([Value(o) for o in out] if len(out) > 1 else Value(out[0]), t).data
        for out, t in zip(outputs, targets))
    result = {"loss": total / len(X), "accuracy": None}
    if classify:
        result["accuracy"] = accuracy(y, [loss.predict(out) for out in outputs])
    return result


# --- the loop ----------------------------------------------------------------------------


def _check_rows(X: Sequence[Sequence[float]], who: str, what: str = "data",
                model=None) -> None:
    """The shared row check (:func:`nn.validate.check_rows`) at the model's input width."""
    check_rows(X, who, what, width=getattr(model, "nin", None))


def _check_data(model, loss: Loss, X: Sequence, y: Sequence, who: str,
                what: str = "data") -> list:
    """Rows and labels through the shared checks (:mod:`nn.validate`), before either
    engine sees them: the compiled tape would otherwise train on a label of 0.5 that
    the scalar loss refuses.  Returns the labels as the loss takes them."""
    _check_rows(X, who, what, model)
    return check_labels(y, who, loss.name, _n_outputs(model, X[0]), what)


def _rows(X):
    """The rows as a list, except a numpy matrix, which stays one (checked in one call,
    gathered into batches without a copy per row)."""
    return X if type(X).__module__ == "numpy" and getattr(X, "ndim", 0) == 2 else list(X)


def _split(X, y, val_split, validation_data, classify: bool, seed, check) -> tuple:
    """``(X_train, y_train, X_val, y_val)``; at least one training row."""
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError(f"fit(validation_data={validation_data!r:.40}): give a pair "
                            "(X_val, y_val)")
        X_val, y_val = list(validation_data[0]), _plain_labels(validation_data[1])
        if len(X_val) != len(y_val):
            raise ValueError(f"fit: validation_data has {len(X_val)} rows and {len(y_val)} "
                             "labels; need the same number")
        if len(X_val):
            y_val = check(X_val, y_val, "validation data")
        X_train, y_train = _rows(X), list(y)
    elif val_split:
        X_train, X_val, y_train, y_val = train_test_split(
            X, y, test_size=val_split, stratify=classify, seed=seed)
    else:
        X_train, y_train, X_val, y_val = _rows(X), list(y), [], []
    if not len(X_train):
        raise ValueError(f"fit(val_split={val_split!r}): holding out that share of "
                         f"{len(X)} rows leaves no row to train on; use a smaller val_split "
                         "or more data")
    return X_train, y_train, list(X_val), list(y_val)


# --- the engine: one row per way of running a batch's step ---------------------------------


def _array_step(model, loss: Loss, l1: float, l2: float, example: tuple, masks) -> ArrayStep:
    return ArrayStep(model, loss, l1, l2, *example, masks)


def _compiled_step(model, loss: Loss, l1: float, l2: float, example: tuple,
                   masks) -> CompiledStep:
    return CompiledStep(model, loss, make_penalty(l1, l2), *example, masks)


def _scalar_step(model, loss: Loss, l1: float, l2: float, example: tuple, masks) -> ScalarStep:
    return ScalarStep(model, loss, make_penalty(l1, l2))


# (compile, and the optimizer has an array form) -> (the step's maker, the run's class)
ENGINES = {
    (True, True): (_array_step, ArrayRun),  # the tape; parameters in one float64 vector
    (True, False): (_compiled_step, Run),  # the tape; the optimizer steps the Values
    (False, False): (_scalar_step, Run),  # the scalar engine, a graph per example
}


def fit(model, X: Sequence[Sequence[float]], y: Sequence,
        loss: Union[str, Loss] = "cross_entropy",
        optimizer: Union[str, Optimizer] = "adam", lr: Optional[float] = None,
        epochs: int = 10, batch_size: int = 32, val_split: float = 0.0,
        validation_data: Optional[tuple[Sequence, Sequence]] = None,
        early_stopping: Optional[int] = None, seed: Optional[int] = 0,
        progress: bool = True, l1: float = 0.0, l2: float = 0.0,
        weight_decay: float = 0.0, clip_norm: Optional[float] = None,
        clip_value: Optional[float] = None,
        scheduler: Optional[Union[LRScheduler, Callable[[Optimizer], LRScheduler]]] = None,
        on_epoch: Optional[Callable[[dict], None]] = None, compile: bool = False,
        augment: Optional[Callable[[list, int], list]] = None) -> History:
    """Train ``model`` on ``(X, y)`` with mini-batches; returns a :class:`History`.

    - ``loss``: cross_entropy (one output per class), bce (one logit, labels 0/1),
      hinge, multi_margin or mse (also for regression, with float targets).
    - ``optimizer``: a name (sgd, momentum, nesterov, adam, adamw; ``lr`` defaults to
      :data:`DEFAULT_LR`) or an :class:`~nn.optim.Optimizer` over ``model.parameters()``.
    - ``val_split``: hold out this share of ``(X, y)`` (stratified) for validation,
      unless ``validation_data=(X_val, y_val)`` is given.
    - ``early_stopping=patience``: stop after that many epochs without a lower
      validation loss (training loss without validation data) and restore the best
      weights.
    - ``l1``/``l2`` add penalties to the loss; ``weight_decay`` goes to the optimizer;
      ``clip_norm``/``clip_value`` clip gradients before each step.
    - ``scheduler``: an LR schedule (or a function of the optimizer that makes one),
      stepped once per epoch.
    - ``compile=True`` replays each mini-batch on the compiled tape
      (:mod:`nn.steps`, :mod:`autograd.tape`, needs numpy): the scalar engine's
      numbers, many times faster.  The parameters then live in one float64 vector,
      updated by the optimizer's array form; the Values are written back at each
      epoch's end (before validation and ``on_epoch``), on divergence and at the end
      (a custom optimizer without an array form steps the Values instead).
    - Dropout in training mode draws its masks from a generator seeded by ``seed``
      (:mod:`nn.masks`), example by example in a fixed order, and both engines draw
      the same ones: with the same ``seed``, ``compile=True`` and ``compile=False``
      train on the same masks and give the same losses and weights.  The tape gets
      the masks as inputs, so a new mask per row and per batch costs no retracing.
    - ``augment(X_train, epoch)``: the rows to train on in that epoch (for example
      :func:`chainrule.train_recipe.shift_images`); labels and order stay those of
      ``X_train``.  Validation data is never augmented.
    - NaN or infinite numbers in the data raise ValueError naming the row and column.
      A non-finite loss, gradient or parameter raises :class:`TrainingDivergedError`
      naming the epoch and batch; the model keeps the last good parameters.
    """
    loss = _as_loss(loss)
    _check_settings(optimizer, lr, l1, l2, scheduler, epochs, early_stopping)
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(f"fit: X has {len(X)} rows and y {len(y)} labels; "
                         "need the same number, at least one")
    y = _check_data(model, loss, X, _plain_labels(y), "fit")
    classify = _is_classification(y)
    X_train, y_train, X_val, y_val = _split(
        X, y, val_split, validation_data, classify, seed,
        lambda X_val, y_val, what: _check_data(model, loss, X_val, y_val, "fit", what))
    targets = _targets(loss, y_train, _n_outputs(model, X_train[0]), classify)
    params = model.parameters()
    optimizer = _optimizer(optimizer, params, lr, weight_decay)
    if scheduler is not None and not isinstance(scheduler, LRScheduler):
        scheduler = scheduler(optimizer)
    if hasattr(model, "train"):
        model.train()
    # Every training Dropout reads its masks from one seeded source until fit returns.
    with feeding_masks(model, seed) as masks:
        make_step, run_type = ENGINES[bool(compile), bool(compile and optimizer.supports_arrays)]
        step = make_step(model, loss, l1, l2, (X_train[0], targets[0]), masks)
        n_batches = math.ceil(len(X_train) / batch_size) if batch_size >= 1 else 0
        run = run_type(model, params, step, optimizer, loss, clip_value, clip_norm, classify,
                       progress, epochs, n_batches, X_train)
        rng, stopper = random.Random(seed), EarlyStopping(params, early_stopping, bool(X_val))
        # Training only builds graphs, which hold no cycles: keep the collector out of the
        # way (measured: it made the forward pass about 4x slower) and restore it after.
        with gc_paused(), run:
            for epoch in range(1, epochs + 1):
                started = time.perf_counter()
                loss_sum, correct, layer_norms = 0.0, 0, []
                rows = X_train if augment is None else run.use_rows(augment(X_train, epoch))
                for batch, (xb, tb) in enumerate(
                        batches(rows, list(zip(targets, y_train, range(len(X_train)))),
                                batch_size, rng=rng), 1):
                    mean, hits, norms = run.batch(epoch, batch, xb, tb)
                    loss_sum, correct = loss_sum + mean * len(xb), correct + hits
                    layer_norms.append(norms)
                run.sync()  # the Values, for evaluate(), on_epoch and early stopping
                record = _end_epoch(run.history, model, loss, epoch, loss_sum / len(X_train),
                                    correct / len(X_train) if classify else None,
                                    X_val, y_val, optimizer.lr, layer_norms,
                                    time.perf_counter() - started)
                if run.bar is None and progress:
                    print(_epoch_line(record, epochs), file=sys.stderr, flush=True)
                if on_epoch is not None:
                    on_epoch(record)
                    run.reload()  # the callback may have changed the Values
                if scheduler is not None:
                    scheduler.step()
                if stopper.should_stop(epoch, record, run.history):
                    break
            stopper.restore_best()
        run.forget()
        return run.history


def _check_settings(optimizer, lr, l1, l2, scheduler, epochs, early_stopping) -> None:
    """fit's arguments of the wrong kind, refused before any work (not as an
    AttributeError mid-epoch, or a NaN penalty reported as divergence)."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit(epochs={epochs!r}): train for at least one epoch")
    if early_stopping is not None and (isinstance(early_stopping, bool)
                                       or not isinstance(early_stopping, int)
                                       or early_stopping < 1):
        raise ValueError(f"fit(early_stopping={early_stopping!r}): the patience is a "
                         "number of epochs, at least 1 (or None to turn it off)")
    if not isinstance(optimizer, str) and not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"fit(optimizer={optimizer!r:.40}): give a name such as 'adam' or "
                        "'sgd', or an optimizer built over model.parameters()")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, Real)):
        raise TypeError(f"fit(lr={lr!r:.40}): the learning rate is a number such as 0.01")
    for name, strength in (("l1", l1), ("l2", l2)):
        if isinstance(strength, bool) or not isinstance(strength, Real) \
                or not 0.0 <= strength < math.inf:
            raise ValueError(f"fit({name}={strength!r:.40}): a penalty's strength is a finite "
                             "number >= 0, such as 1e-4 (0 turns it off)")
    if scheduler is not None and not isinstance(scheduler, LRScheduler) \
            and not callable(scheduler):
        raise TypeError(f"fit(scheduler={scheduler!r:.40}): give an LR schedule, or a "
                        "function of the optimizer that makes one")


def _optimizer(optimizer: Union[str, Optimizer], params: list, lr: Optional[float],
               weight_decay: float) -> Optimizer:
    if isinstance(optimizer, str):
        name = optimizer.lower()
        rate = lr if lr is not None else DEFAULT_LR.get(name, 0.01)
        return make_optimizer(name, params, rate, weight_decay=weight_decay)
    if lr is not None or weight_decay:
        raise ValueError("fit: lr and weight_decay go to the optimizer you built; "
                         "pass them to its constructor instead")
    return optimizer


def _end_epoch(history: History, model, loss: Loss, epoch: int, train_loss: float,
               train_accuracy: Optional[float], X_val, y_val, lr: float,
               layer_norms: list, seconds: float) -> dict:
    val = evaluate(model, X_val, y_val, loss) if X_val else {"loss": None, "accuracy": None}
    norms = ([math.fsum(col) / len(col) for col in zip(*layer_norms)] if layer_norms else [])
    record = {"epoch": epoch, "train_loss": train_loss, "train_accuracy": train_accuracy,
              "val_loss": val["loss"], "val_accuracy": val["accuracy"], "lr": lr,
              "grad_norms": norms, "seconds": seconds}
    history.epochs.append(epoch)
    history.train_loss.append(train_loss)
    history.train_accuracy.append(train_accuracy)
    history.val_loss.append(val["loss"])
    history.val_accuracy.append(val["accuracy"])
    history.lr.append(lr)
    history.grad_norms.append(norms)
    history.seconds.append(seconds)
    return record


def _epoch_line(record: dict, epochs: int) -> str:
    """``epoch  3/20  loss 0.4123  acc 81.2%  val_loss 0.3990  val_acc 85.0%  (1.2 s)``"""
    parts = [f"epoch {record['epoch']:3d}/{epochs}", f"loss {record['train_loss']:.4f}"]
    if record["train_accuracy"] is not None:
        parts.append(f"acc {record['train_accuracy']:.1%}")
    if record["val_loss"] is not None:
        parts.append(f"val_loss {record['val_loss']:.4f}")
    if record["val_accuracy"] is not None:
        parts.append(f"val_acc {record['val_accuracy']:.1%}")
    parts.append(f"({record['seconds']:.1f} s)")
    return "  ".join(parts)

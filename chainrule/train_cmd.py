"""``chainrule train``: the whole backprop recipe on a data set, from the command line.

    $ chainrule train --dataset moons --out runs/moons
    $ chainrule train --dataset digits --hidden 32 --epochs 12 --out runs/digits

Splits the data (train / validation / test, stratified), standardizes it with
statistics of the training split only, trains an MLP with ``nn.fit`` and writes
``OUT/metrics.json`` (history, final accuracies, timings), ``OUT/model.json``
(loadable with ``nn.load`` and ``chainrule predict``) and, when matplotlib is
installed, ``OUT/loss.png``, ``OUT/gradient_flow.png``, ``OUT/decision_boundary.png``
(2-D data) and ``OUT/confusion_matrix.png`` (more than two classes).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from chainrule.common import CommandError, load_splits

__all__ = ["add_arguments", "run", "DATASET_DEFAULTS", "load_splits", "write_json"]

# Per-data-set defaults, each checked to reach >= 98% test accuracy (97% on digits);
# the README's training section shows the runs.  Flags given on the command line win.
DATASET_DEFAULTS = {
    "moons": dict(samples=300, noise=0.1, hidden="16,16", lr=0.02, epochs=40, batch_size=16),
    "circles": dict(samples=300, noise=0.05, hidden="16,16", lr=0.02, epochs=40,
                    batch_size=16),
    "spiral": dict(samples=300, noise=0.05, hidden="16,16", lr=0.02, epochs=80, batch_size=16),
    "xor": dict(samples=300, noise=0.05, hidden="16,16", lr=0.02, epochs=40, batch_size=16),
    "blobs": dict(samples=300, noise=1.0, hidden="8", lr=0.02, epochs=20, batch_size=16),
    # digits overfits within a few epochs (train 100%, test ~96%); a small L2 penalty
    # is worth about one point of test accuracy
    "digits": dict(samples=None, noise=None, hidden="32", lr=0.005, epochs=20, batch_size=16,
                   l2=5e-4),
}
COMMON_DEFAULTS = dict(activation="relu", loss="cross_entropy", optimizer="adam",
                       val_split=0.2, test_split=0.2, early_stopping=10, seed=0,
                       scale="standard", l1=0.0, l2=0.0)


def add_arguments(parser) -> None:
    parser.add_argument("--dataset", choices=sorted(DATASET_DEFAULTS), default="moons",
                        help="data set (default: moons); digits needs the 'digits' extra")
    parser.add_argument("--samples", type=int, help="points to generate (toy data sets)")
    parser.add_argument("--noise", type=float, help="noise of the generated points "
                        "(cluster std for blobs)")
    parser.add_argument("--hidden", help="hidden layer sizes, e.g. 32,16")
    parser.add_argument("--activation", choices=["relu", "leaky_relu", "tanh", "sigmoid",
                                                 "linear"], help="hidden activation "
                        "(default: relu)")
    parser.add_argument("--init", help="weight init: uniform, xavier or he (default: he "
                        "for relu-like activations, xavier otherwise)")
    parser.add_argument("--loss", choices=["cross_entropy", "bce", "hinge", "multi_margin",
                                           "mse"], help="loss (default: cross_entropy)")
    parser.add_argument("--optimizer", choices=["sgd", "momentum", "nesterov", "adam",
                                                "adamw"], help="optimizer (default: adam)")
    parser.add_argument("--lr", type=float, help="learning rate")
    parser.add_argument("--epochs", type=int, help="passes over the training split")
    parser.add_argument("--batch-size", type=int, help="examples per step")
    parser.add_argument("--val-split", type=float, help="validation share (default: 0.2)")
    parser.add_argument("--test-split", type=float, help="held-out test share (default: 0.2)")
    parser.add_argument("--early-stopping", type=int, metavar="P", help="stop after P epochs "
                        "without a better validation loss, keep the best weights "
                        "(default: 10; 0 turns it off)")
    parser.add_argument("--dropout", type=float, default=0.0, help="dropout after each "
                        "hidden layer (default: 0)")
    parser.add_argument("--weight-decay", type=float, default=0.0, help="optimizer weight "
                        "decay (decoupled for adamw)")
    parser.add_argument("--l1", type=float, help="L1 penalty coefficient (default: 0)")
    parser.add_argument("--l2", type=float, help="L2 penalty coefficient (default: 0; "
                        "5e-4 for digits)")
    parser.add_argument("--clip-norm", type=float, help="clip the gradient's L2 norm")
    parser.add_argument("--scale", choices=["standard", "minmax", "none"],
                        help="input scaling fitted on the training split (default: standard)")
    parser.add_argument("--seed", type=int, help="seed of data, split, init and batches "
                        "(default: 0)")
    parser.add_argument("--out", default="train-output", help="output folder "
                        "(default: train-output)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--compile", action="store_true", help="replay each batch on the "
                        "compiled tape (needs numpy): same numbers, much faster")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")


def resolve(args) -> dict:
    """The settings of a run: command-line flags over per-data-set defaults."""
    settings = dict(COMMON_DEFAULTS)
    settings.update(DATASET_DEFAULTS[args.dataset])
    for key in ("samples", "noise", "hidden", "activation", "loss", "optimizer", "lr",
                "epochs", "batch_size", "val_split", "test_split", "early_stopping", "seed",
                "scale", "init", "l1", "l2"):
        value = getattr(args, key, None)
        if value is not None:
            settings[key] = value
    settings["dataset"] = args.dataset
    try:
        settings["hidden_sizes"] = [int(h) for h in str(settings["hidden"]).split(",") if h]
    except ValueError:
        raise CommandError(f"--hidden {settings['hidden']!r}: give layer sizes as ints "
                           "separated by commas, e.g. 32,16") from None
    if any(h < 1 for h in settings["hidden_sizes"]):
        raise CommandError(f"--hidden {settings['hidden']!r}: every size must be at least 1")
    if not settings.get("init"):
        relu_like = settings["activation"] in ("relu", "leaky_relu")
        settings["init"] = "he" if relu_like else "xavier"
    for key, low in (("epochs", 1), ("batch_size", 1), ("early_stopping", 0)):
        if not isinstance(settings[key], int) or settings[key] < low:
            raise CommandError(f"--{key.replace('_', '-')} {settings[key]}: must be an int "
                               f">= {low}")
    if settings["samples"] is not None and settings["samples"] < 10:
        raise CommandError(f"--samples {settings['samples']}: generate at least 10 points")
    settings.pop("hidden")
    return settings


def write_json(path: Path, document) -> None:
    """Write JSON atomically (temp file + os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=1, allow_nan=False)
            out.write("\n")
        os.replace(temp_name, path)
    except BaseException:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
        raise


def _has_tqdm() -> bool:
    # Without tqdm, fit's fallback progress is one line per epoch, which the
    # command already prints itself.
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def _printer():
    try:
        from tqdm import tqdm
    except ImportError:
        return lambda line: print(line, flush=True)
    return lambda line: tqdm.write(line, file=sys.stdout)


def run(args) -> int:
    from nn import MLP, TrainingDivergedError, confusion_matrix, evaluate, fit, predict
    from nn.data import MinMaxScaler, StandardScaler
    from nn.train import _epoch_line

    settings = resolve(args)
    out = Path(args.out)
    X_train, X_val, X_test, y_train, y_val, y_test = load_splits(settings)
    scaler = None
    if settings["scale"] != "none":
        scaler = (StandardScaler() if settings["scale"] == "standard" else MinMaxScaler())
        scaler.fit(X_train)
        X_train, X_val, X_test = (scaler.transform(X_train), scaler.transform(X_val),
                                  scaler.transform(X_test))
    n_classes = max(y_train + y_val + y_test) + 1
    loss = settings["loss"]
    if loss in ("bce", "hinge"):
        if n_classes != 2:
            raise CommandError(f"--loss {loss} is for two classes, but {settings['dataset']} "
                               f"has {n_classes}; use --loss cross_entropy")
        n_outputs = 1
    else:
        n_outputs = n_classes
    sizes = settings["hidden_sizes"] + [n_outputs]
    model = MLP(len(X_train[0]), sizes, activation=settings["activation"],
                init=settings["init"], dropout=args.dropout, seed=settings["seed"])
    print(f"training MLP({len(X_train[0])}, {sizes}) {settings['activation']}/"
          f"{settings['init']} on {settings['dataset']}: {len(X_train)} train, "
          f"{len(X_val)} validation, {len(X_test)} test; {loss}, {settings['optimizer']} "
          f"lr {settings['lr']}, batch {settings['batch_size']}, "
          f"{len(model.parameters())} parameters", flush=True)
    say = _printer()
    epochs = settings["epochs"]
    started, cpu_started = time.perf_counter(), time.process_time()
    diverged = None
    try:
        history = fit(model, X_train, y_train, loss=loss, optimizer=settings["optimizer"],
                      lr=settings["lr"], epochs=epochs, batch_size=settings["batch_size"],
                      validation_data=(X_val, y_val) if X_val else None,
                      early_stopping=settings["early_stopping"] or None,
                      seed=settings["seed"], progress=not args.no_progress and _has_tqdm(),
                      l1=settings["l1"], l2=settings["l2"], weight_decay=args.weight_decay,
                      clip_norm=args.clip_norm, compile=getattr(args, "compile", False),
                      on_epoch=lambda record: say(_epoch_line(record, epochs)))
    except TrainingDivergedError as error:
        history, diverged = error.history, error
        print(f"chainrule train: {error}", file=sys.stderr)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    if history.stop_reason and not diverged:
        print(history.stop_reason)

    parts = {"train": (X_train, y_train), "test": (X_test, y_test)}
    if X_val:
        parts["val"] = (X_val, y_val)
    try:
        results = {name: evaluate(model, X, y, loss) for name, (X, y) in parts.items()}
        matrix = confusion_matrix(y_test, predict(model, X_test, loss), n_classes)
    except ValueError as error:
        if not diverged:
            raise
        print(f"chainrule train: {error}", file=sys.stderr)  # diverged: nothing to score
        results = {name: {"loss": None, "accuracy": None} for name in parts}
        matrix = []
    metrics = {
        "settings": {k: v for k, v in settings.items()},
        "accuracy": {k: v["accuracy"] for k, v in results.items()},
        "loss": {k: v["loss"] for k, v in results.items()},
        "confusion_matrix_test": matrix,
        "train_seconds": seconds,
        "train_cpu_seconds": cpu_seconds,
        "seconds_per_epoch": seconds / max(len(history.epochs), 1),
        "epochs_run": len(history.epochs),
        "stopped": str(diverged) if diverged else history.stop_reason,
        "history": history.to_dict(),
    }
    write_json(out / "metrics.json", metrics)
    metadata = {"dataset": settings["dataset"], "loss": loss, "n_classes": n_classes,
                "scaler": scaler.to_dict() if scaler else None, "settings": settings,
                "test_accuracy": results["test"]["accuracy"]}
    model.save(out / "model.json", metadata=metadata)

    def percent(value):
        return "n/a" if value is None else f"{value:.1%}"

    accuracy_text = ", ".join(f"{k} {percent(v['accuracy'])}" for k, v in results.items()
                              if k != "test")
    print(f"test accuracy {percent(results['test']['accuracy'])} ({accuracy_text}) after "
          f"{len(history.epochs)} epochs in {seconds:.1f} s "
          f"({seconds / max(len(history.epochs), 1):.1f} s per epoch, "
          f"{cpu_seconds:.1f} s of CPU)")
    written = [out / "metrics.json", out / "model.json"]
    if not args.no_plots:
        written += _plots(out, model, history, settings, scaler, matrix, loss)
    print("wrote " + ", ".join(str(p) for p in written))
    return 1 if diverged else 0


def _plots(out: Path, model, history, settings, scaler, matrix, loss) -> list:
    from visualize.plots import (
        plot_confusion_matrix,
        plot_decision_boundary,
        plot_gradient_flow,
        plot_history,
        plotting_available,
    )

    if not plotting_available():
        print("plots skipped: matplotlib is not installed "
              "(pip install 'chainrule[plot]')")
        return []
    if not history.epochs:
        return []
    name = settings["dataset"]
    paths = [plot_history(history, out / "loss.png", title=f"{name}: loss and accuracy"),
             plot_gradient_flow({f"{name}, {settings['activation']}/{settings['init']}":
                                 history}, out / "gradient_flow.png")]
    if name != "digits":
        X_train, X_val, X_test, y_train, y_val, y_test = load_splits(settings)
        paths.append(plot_decision_boundary(
            model, X_train + X_val + X_test, y_train + y_val + y_test,
            out / "decision_boundary.png", loss=loss,
            transform=scaler.transform if scaler else None,
            title=f"{name}: decision boundary (all points)"))
    if len(matrix) > 2:  # more than two classes
        paths.append(plot_confusion_matrix(matrix, out / "confusion_matrix.png",
                                           title=f"{name}: test confusion matrix"))
    return paths

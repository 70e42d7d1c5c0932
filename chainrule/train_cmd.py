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

import random
import sys
import time
from pathlib import Path

from autograd.install_check import install_command
from chainrule.common import (
    MAX_SAMPLES,
    CommandError,
    RunFailed,
    float_between,
    fraction,
    int_between,
    load_splits,
    positive_float,
    size_list,
)
from chainrule.run_files import choose_paths, prepare_out, signals_deferred, write_json
from chainrule.train_recipe import CNN_RECIPE, IDX_DEFAULTS, PIXEL_PEAK

__all__ = ["add_arguments", "run", "DATASET_DEFAULTS", "load_splits", "write_json"]

# Per-data-set defaults, each checked to reach >= 98% test accuracy (97% on digits);
# docs/training.md shows the runs.  Flags given on the command line win.
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


# Bounds on what one run may ask for: beyond them a run is a typo or a resource bomb.
MAX_EPOCHS = 100_000
MAX_HIDDEN = 4096
MAX_LR = 1000.0
MAX_NOISE = 100.0
MAX_PENALTY = 1000.0  # --l1, --l2, --weight-decay: beyond it the penalty is all there is
MAX_SEED = 2**32 - 1


def add_arguments(parser) -> None:
    parser.add_argument("--dataset", choices=sorted(DATASET_DEFAULTS), default="moons",
                        help="data set (default: moons); digits needs the 'digits' extra")
    parser.add_argument("--samples", type=int_between(10, MAX_SAMPLES),
                        help="points to generate (toy data sets)")
    parser.add_argument("--noise", type=float_between(0.0, MAX_NOISE),
                        help="noise of the generated points (cluster std for blobs)")
    parser.add_argument("--hidden", help="hidden layer sizes, e.g. 32,16 ('' for none: a "
                        "linear model)")
    parser.add_argument("--activation", choices=["relu", "leaky_relu", "tanh", "sigmoid",
                                                 "linear"], help="hidden activation "
                        "(default: relu)")
    parser.add_argument("--init", choices=["uniform", "xavier", "he"], help="weight init "
                        "(default: he for relu-like activations, xavier otherwise)")
    parser.add_argument("--loss", choices=["cross_entropy", "bce", "hinge", "multi_margin",
                                           "mse"], help="loss (default: cross_entropy)")
    parser.add_argument("--optimizer", choices=["sgd", "momentum", "nesterov", "adam",
                                                "adamw"], help="optimizer (default: adam)")
    parser.add_argument("--lr", type=float_between(0.0, MAX_LR, low_inclusive=False),
                        help="learning rate")
    parser.add_argument("--epochs", type=int_between(1, MAX_EPOCHS),
                        help="passes over the training split")
    parser.add_argument("--batch-size", type=int_between(1, MAX_SAMPLES),
                        help="examples per step")
    parser.add_argument("--val-split", type=fraction, help="validation share (default: 0.2)")
    parser.add_argument("--test-split", type=fraction,
                        help="held-out test share (default: 0.2)")
    parser.add_argument("--early-stopping", type=int_between(0, MAX_EPOCHS), metavar="P",
                        help="stop after P epochs without a better validation loss, keep "
                        "the best weights (default: 10; 0 turns it off)")
    parser.add_argument("--dropout", type=fraction, default=0.0, help="dropout after each "
                        "hidden layer (default: 0)")
    parser.add_argument("--weight-decay", type=float_between(0.0, MAX_PENALTY),
                        help="optimizer weight decay (decoupled for adamw; default: 0, 0.01 "
                        "with --model cnn)")
    parser.add_argument("--l1", type=float_between(0.0, MAX_PENALTY),
                        help="L1 penalty coefficient (default: 0)")
    parser.add_argument("--l2", type=float_between(0.0, MAX_PENALTY), help="L2 penalty coefficient "
                        "(default: 0; 5e-4 for digits)")
    parser.add_argument("--clip-norm", type=positive_float,
                        help="clip the gradient's L2 norm")
    parser.add_argument("--scale", choices=["standard", "minmax", "pixels", "none"],
                        help="input scaling fitted on the training split (default: standard; "
                        "pixels divides by the brightest pixel: 16 for digits, 255 for IDX)")
    parser.add_argument("--data", metavar="DIR", help="train on a folder of MNIST-format IDX "
                        "files (train-images-idx3-ubyte.gz ..., t10k-* as the test split)")
    parser.add_argument("--model", choices=["mlp", "cnn"], help="mlp (default), or cnn: the "
                        "digits recipe's conv 3x3 24, max-pool, conv 3x3 48, max-pool, linear, "
                        "with its training flags as defaults (see docs/layers.md)")
    parser.add_argument("--schedule", choices=["none", "cosine"], help="learning-rate "
                        "schedule per epoch (default: none; cosine with --model cnn)")
    parser.add_argument("--augment", choices=["none", "shift"], help="shift: each epoch, "
                        "half the training images move one pixel (default: none; shift "
                        "with --model cnn)")
    parser.add_argument("--seed", type=int_between(0, MAX_SEED), help="seed of data, split, "
                        "init and batches (default: 0)")
    parser.add_argument("--out", default="train-output", help="output folder "
                        "(default: train-output)")
    parser.add_argument("--overwrite", action="store_true", help="replace OUT/model.json "
                        "even when it scored better than this run")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--compile", action="store_true", help="replay each batch on the "
                        "compiled tape (needs numpy): same numbers, much faster")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")


def resolve(args) -> dict:
    """The settings of a run: command-line flags over per-data-set defaults."""
    settings = dict(COMMON_DEFAULTS)
    data = getattr(args, "data", None)
    settings.update(IDX_DEFAULTS if data else DATASET_DEFAULTS[args.dataset])
    settings.update(model="mlp", schedule="none", augment="none", weight_decay=0.0)
    if getattr(args, "model", None) == "cnn":
        settings.update(CNN_RECIPE)
    for key in ("samples", "noise", "hidden", "activation", "loss", "optimizer", "lr",
                "epochs", "batch_size", "val_split", "test_split", "early_stopping", "seed",
                "scale", "init", "l1", "l2", "model", "schedule", "augment", "weight_decay"):
        value = getattr(args, key, None)
        if value is not None:
            settings[key] = value
    settings["dataset"] = "idx" if data else args.dataset
    if data:
        settings["data"] = str(data)
    # "" is no hidden layer (a linear model); "4,,4" is a typo, not 4,4
    settings["hidden_sizes"] = size_list(
        "--hidden", settings["hidden"], MAX_HIDDEN, 100,
        usage="give layer sizes as ints separated by commas, e.g. 32,16 "
              "(or '' for no hidden layer)")
    if settings["val_split"] + settings["test_split"] >= 1:
        raise CommandError(f"--val-split {settings['val_split']:g} and --test-split "
                           f"{settings['test_split']:g} leave no data for training; keep "
                           "their sum below 1, e.g. 0.2 and 0.2")
    if settings["test_split"] <= 0:
        raise CommandError("--test-split 0: the test split needs some rows; give e.g. 0.2")
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
    from chainrule.train_recipe import RecipeError, cnn, image_shape, shift_images
    from nn import MLP, TrainingDivergedError, fit
    from nn.data import MinMaxScaler, PixelScaler, StandardScaler
    from nn.optim import CosineAnnealingLR
    from nn.train import _epoch_line

    settings = resolve(args)
    out = Path(args.out)
    prepare_out(out)
    X_train, X_val, X_test, y_train, y_val, y_test = load_splits(settings)
    if not X_train or not X_test:
        raise CommandError(f"{len(X_train)} training and {len(X_test)} test rows: use more "
                           "--samples or smaller --val-split/--test-split")
    scaler = None
    if settings["scale"] != "none":
        scaler = {"standard": StandardScaler, "minmax": MinMaxScaler,
                  "pixels": lambda: PixelScaler(PIXEL_PEAK.get(settings["dataset"], 255.0))
                  }[settings["scale"]]()
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
    widths = [len(X_train[0])] + sizes
    n_parameters = sum((a + 1) * b for a, b in zip(widths, widths[1:]))
    from nn.model_file import MAX_PARAMETERS  # the most a model (and its file) holds

    if settings["model"] == "mlp" and n_parameters > MAX_PARAMETERS:
        raise CommandError(f"--hidden {','.join(map(str, settings['hidden_sizes']))}: "
                           f"{n_parameters:,} parameters; a chainrule model holds at most "
                           f"{MAX_PARAMETERS:,}, use smaller layers")
    try:
        shape = image_shape(settings, len(X_train[0])) if settings["model"] == "cnn" \
            or settings["augment"] != "none" else None
        model = cnn(shape, n_outputs, settings["seed"]) if settings["model"] == "cnn" else None
    except RecipeError as error:
        raise CommandError(str(error)) from None
    if model is not None:
        described = f"the CNN {model!r}"
    else:
        model = MLP(len(X_train[0]), sizes, activation=settings["activation"],
                    init=settings["init"], dropout=args.dropout, seed=settings["seed"])
        described = f"MLP({len(X_train[0])}, {sizes}) {settings['activation']}/{settings['init']}"
    augment = None
    if settings["augment"] == "shift":
        augment = lambda X, epoch: shift_images(  # noqa: E731
            X, shape, random.Random(settings["seed"] * 100_003 + epoch))
    schedule = None
    if settings["schedule"] == "cosine":
        schedule = lambda optimizer: CosineAnnealingLR(  # noqa: E731
            optimizer, T_max=settings["epochs"])
    print(f"training {described} on {settings['dataset']}: {len(X_train)} train, "
          f"{len(X_val)} validation, {len(X_test)} test; {loss}, {settings['optimizer']} "
          f"lr {settings['lr']}, batch {settings['batch_size']}, "
          f"{len(model.parameters())} parameters", flush=True)
    say = _printer()
    epochs = settings["epochs"]
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        history = fit(model, X_train, y_train, loss=loss, optimizer=settings["optimizer"],
                      lr=settings["lr"], epochs=epochs, batch_size=settings["batch_size"],
                      validation_data=(X_val, y_val) if X_val else None,
                      early_stopping=settings["early_stopping"] or None,
                      seed=settings["seed"], progress=not args.no_progress and _has_tqdm(),
                      l1=settings["l1"], l2=settings["l2"],
                      weight_decay=settings["weight_decay"], scheduler=schedule, augment=augment,
                      clip_norm=args.clip_norm, compile=getattr(args, "compile", False),
                      on_epoch=lambda record: say(_epoch_line(record, epochs)))
    except TrainingDivergedError as error:
        # Never in model.json: keep any model there, and put this run's last finite
        # parameters and its record under names of their own.
        raise RunFailed(_save_diverged(out, model, error, settings, scaler, loss, n_classes,
                                       time.perf_counter() - started,
                                       time.process_time() - cpu_started)) from None
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    if history.stop_reason:
        print(history.stop_reason)
    return _report_and_write(args, out, model, history, settings, scaler, loss, n_classes,
                             (X_train, X_val, X_test, y_train, y_val, y_test),
                             seconds, cpu_seconds)


def _save_diverged(out, model, error, settings, scaler, loss, n_classes, seconds,
                   cpu_seconds) -> str:
    """Write a diverged run's record (and its last finite parameters, when they are);
    returns the one line that says what was kept and written."""
    record = out / "metrics.diverged.json"
    with signals_deferred():  # the record and the model beside it are one write
        return _write_diverged(out, record, model, error, settings, scaler, loss, n_classes,
                               seconds, cpu_seconds)


def _write_diverged(out, record, model, error, settings, scaler, loss, n_classes, seconds,
                    cpu_seconds) -> str:
    write_json(record, _metrics(settings, None, [], error.history, seconds, cpu_seconds,
                                str(error)))
    written = f"the record to {record}"
    try:
        model.save(out / "model.diverged.json", metadata={
            "dataset": settings["dataset"], "loss": loss, "n_classes": n_classes,
            "scaler": scaler.to_dict() if scaler else None, "settings": settings,
            "diverged": str(error)})
        written = f"the last finite parameters to {out / 'model.diverged.json'} and " + written
    except ValueError:  # parameters that are not finite cannot be saved: the record says why
        pass
    kept = (f"{out / 'model.json'} is kept as it was" if (out / "model.json").exists()
            else "no model.json is written")
    return f"training diverged, so {kept}; wrote {written}. {error}"


def _metrics(settings, results, matrix, history, seconds, cpu_seconds, stopped) -> dict:
    results = results or {}
    epochs_run = len(history.epochs) if history else 0
    return {
        "settings": dict(settings),
        "accuracy": {k: v["accuracy"] for k, v in results.items()},
        "loss": {k: v["loss"] for k, v in results.items()},
        "confusion_matrix_test": matrix,
        "train_seconds": seconds,
        "train_cpu_seconds": cpu_seconds,
        "seconds_per_epoch": seconds / max(epochs_run, 1),
        "epochs_run": epochs_run,
        "stopped": stopped,
        "history": history.to_dict() if history else None,
    }


def _report_and_write(args, out, model, history, settings, scaler, loss, n_classes, splits,
                      seconds, cpu_seconds) -> int:
    from nn import confusion_matrix, evaluate, predict

    X_train, X_val, X_test, y_train, y_val, y_test = splits
    parts = {"train": (X_train, y_train), "test": (X_test, y_test)}
    if X_val:
        parts["val"] = (X_val, y_val)
    results = {name: evaluate(model, X, y, loss) for name, (X, y) in parts.items()}
    matrix = confusion_matrix(y_test, predict(model, X_test, loss), n_classes)
    metrics = _metrics(settings, results, matrix, history, seconds, cpu_seconds,
                       history.stop_reason)
    score = results["test"]["accuracy"]
    metadata = {"dataset": settings["dataset"], "loss": loss, "n_classes": n_classes,
                "scaler": scaler.to_dict() if scaler else None, "settings": settings,
                "test_accuracy": score}

    model_path, metrics_path, kept_note = choose_paths(out, settings["dataset"], score,
                                                       args.overwrite)
    # The run's files (metrics, model, plots) are one write: a Ctrl-C or SIGTERM that
    # comes now is acted on after the last of them, so the folder is wholly this run's.
    with signals_deferred():
        write_json(metrics_path, metrics)
        model.save(model_path, metadata=metadata)
        written = [metrics_path, model_path]
        if not args.no_plots and kept_note is None:
            written += _plots(out, model, history, settings, scaler, matrix, loss)

    def percent(value):
        return "n/a" if value is None else f"{value:.1%}"

    accuracy_text = ", ".join(f"{k} {percent(v['accuracy'])}" for k, v in results.items()
                              if k != "test")
    epochs_run = max(len(history.epochs), 1)
    print(f"test accuracy {percent(score)} ({accuracy_text}) after "
          f"{len(history.epochs)} epochs in {seconds:.1f} s "
          f"({seconds / epochs_run:.1f} s per epoch, {cpu_seconds:.1f} s of CPU)")
    print("wrote " + ", ".join(str(p) for p in written))
    if kept_note:
        print(kept_note)
    return 0


def _plots(out: Path, model, history, settings, scaler, matrix, loss) -> list:
    from visualize.plots import (
        plot_confusion_matrix,
        plot_decision_boundary,
        plot_gradient_flow,
        plot_history,
        plotting_available,
    )

    if not plotting_available():
        print(f"plots skipped: matplotlib is not installed ({install_command('plot')})")
        return []
    if not history.epochs:
        return []
    name = settings["dataset"]
    paths = [plot_history(history, out / "loss.png", title=f"{name}: loss and accuracy"),
             plot_gradient_flow({f"{name}, {settings['activation']}/{settings['init']}":
                                 history}, out / "gradient_flow.png")]
    if len(model.parameters()) and settings.get("model") != "cnn" and \
            name not in ("digits", "idx"):
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

"""``chainrule predict MODEL.json``: inference with a model saved by ``chainrule train``.

    $ chainrule predict runs/moons/model.json --point 0.5,-0.3 --point 1.8,0.1
    $ chainrule predict runs/moons/model.json --csv points.csv
    $ chainrule predict runs/digits/model.json --evaluate

Each input row is scaled with the training split's statistics stored in the model
file, then the class (and, for cross_entropy and bce models, the probabilities) is
printed, one line per row (``--json`` prints JSON lines).  ``--evaluate`` rebuilds
the held-out test split from the settings stored in the file and reports accuracy.
"""

from __future__ import annotations

import json
import math

from chainrule.common import MAX_SAMPLES, CommandError, load_splits, one_line
from chainrule.rows import parse_row, read_csv

__all__ = ["add_arguments", "run", "read_metadata"]


def add_arguments(parser) -> None:
    parser.add_argument("model", metavar="MODEL", help="a model.json written by "
                        "`chainrule train` or model.save()")
    parser.add_argument("--point", action="append", default=[], metavar="X0,X1,...",
                        help="one input row as comma-separated numbers (repeatable; write "
                        "--point=-1,2 when the first number is negative)")
    parser.add_argument("--csv", metavar="FILE", help="rows of numbers, one input per line "
                        "('-' reads standard input); a header line is skipped")
    parser.add_argument("--evaluate", action="store_true", help="report accuracy on the "
                        "test split of the data set the model was trained on")
    parser.add_argument("--json", action="store_true", help="print one JSON object per row")


KNOWN_LOSSES = ("cross_entropy", "bce", "hinge", "multi_margin", "mse")
# nn's own limit for a model file; the largest model `chainrule train` makes (250,000
# parameters, nn.model_file.MAX_PARAMETERS) is about 7 MB.
MAX_MODEL_BYTES = 16 * 2**20


def _fail(path, problem: str) -> CommandError:
    return CommandError(f"model file {path}: {problem}; re-create it with `chainrule train`")


def _finite_list(value, width: int) -> bool:
    return (isinstance(value, list) and len(value) == width
            and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                    and math.isfinite(v) for v in value))


def read_metadata(path: str, model) -> tuple:
    """``(loss, scaler)`` from a loaded model's metadata, each checked: a NaN offset in a
    scaler or an unknown loss never reaches a prediction."""
    from nn.data import scaler_from_dict

    meta = getattr(model, "metadata", None) or {}
    if not isinstance(meta, dict):
        raise _fail(path, f"metadata is a {type(meta).__name__}, not an object")
    loss = meta.get("loss", "cross_entropy")
    if loss not in KNOWN_LOSSES:
        raise _fail(path, f"metadata names the loss {one_line(repr(loss), 60)}, not one of "
                          f"{', '.join(KNOWN_LOSSES)}")
    state = meta.get("scaler")
    if state is None:
        return loss, None
    if not (isinstance(state, dict) and state.get("kind") in ("standard", "minmax")
            and _finite_list(state.get("offset"), model.nin)
            and _finite_list(state.get("scale"), model.nin)
            and all(v != 0 for v in state["scale"])):
        raise _fail(path, f"its scaler is not {model.nin} finite offsets and {model.nin} "
                          "finite non-zero scales of kind standard or minmax")
    return loss, scaler_from_dict(state)


def _settings_problem(settings) -> str | None:
    """What makes stored training settings unusable for rebuilding the split, if anything."""
    from nn.data import DATASETS

    def number(key, low, high, kind=(int, float)):
        value = settings.get(key)
        return (type(value) in kind and not isinstance(value, bool)
                and math.isfinite(value) and low <= value <= high)

    if not isinstance(settings, dict):
        return f"settings are a {type(settings).__name__}, not an object"
    if settings.get("dataset") not in (*DATASETS, "digits"):
        return f"unknown data set {one_line(repr(settings.get('dataset')), 40)}"
    if settings.get("samples") is not None and not number("samples", 10, MAX_SAMPLES, (int,)):
        return f"samples must be a whole number from 10 to {MAX_SAMPLES}"
    if settings.get("noise") is not None and not number("noise", 0, 100):
        return "noise must be a number from 0 to 100"
    if not number("seed", 0, 2**63, (int,)):
        return "seed must be a whole number >= 0"
    if not (number("val_split", 0, 1) and number("test_split", 0, 1)
            and settings["test_split"] > 0 and settings["val_split"] + settings["test_split"] < 1):
        return "val_split and test_split must be shares with test_split > 0 and a sum below 1"
    return None


def _test_split(path, meta: dict):
    """The held-out test split rebuilt from the settings in the file, checked first."""
    settings = meta.get("settings")
    if not settings:
        raise CommandError(f"{path} holds no training settings, so its test split "
                           "cannot be rebuilt; it was not written by `chainrule train`")
    problem = _settings_problem(settings)
    if problem:
        raise _fail(path, f"its training settings cannot rebuild the test split: {problem}")
    try:
        splits = load_splits(settings)
    except (KeyError, TypeError, ValueError) as error:
        raise _fail(path, f"its training settings cannot rebuild the test split "
                          f"({type(error).__name__}: {one_line(error, 80)})") from None
    return splits


def _check_width(path, model, rows, what: str) -> None:
    if rows and len(rows[0]) != model.nin:
        raise _fail(path, f"{what} has {len(rows[0])} features but the model takes "
                          f"{model.nin}")


def _load_model(path: str):
    """nn.load, after refusing what is not a regular file of sane size (/dev/zero)."""
    import os

    import nn

    try:
        status = os.stat(path)
    except OSError:
        status = None  # nn.load names the problem
    if status is not None and os.path.isdir(path):
        raise CommandError(f"{path}: that is a folder; give a model.json file")
    if status is not None and not os.path.isfile(path):
        raise _fail(path, "is not a regular file")
    if status is not None and status.st_size > MAX_MODEL_BYTES:
        raise _fail(path, f"is {status.st_size} bytes; a model file holds at most "
                          f"{MAX_MODEL_BYTES}")
    try:
        return nn.load(path)
    except nn.ModelFileError:
        raise
    except (ValueError, RecursionError, MemoryError) as error:
        # e.g. JSON nested thousands deep, an integer thousands of digits long
        raise _fail(path, f"cannot be read ({type(error).__name__}: "
                          f"{one_line(error, 120)})") from None


def run(args) -> int:
    from nn.train import predict, predict_proba

    model = _load_model(args.model)
    loss, scaler = read_metadata(args.model, model)

    if args.evaluate:
        _, _, X_test, _, _, y_test = _test_split(args.model, model.metadata)
        _check_width(args.model, model, X_test, f"the {model.metadata['settings']['dataset']} "
                     "data set of its settings")
        rows = scaler.transform(X_test) if scaler else X_test
        correct = sum(p == t for p, t in zip(predict(model, rows, loss), y_test))
        print(f"{model.metadata['settings']['dataset']} test split: {correct}/{len(y_test)} "
              f"correct, accuracy {correct / len(y_test):.1%}")
        if not args.point and not args.csv:
            return 0

    rows = [parse_row(text, "--point") for text in args.point]
    if args.csv:
        from_csv = read_csv(args.csv)
        if not from_csv:  # "1;2" or binary junk on one line reads as a header, not as data
            raise CommandError(f"--csv {args.csv}: no rows of numbers (an empty file, or one "
                               "line without numbers, which is read as a header); give one "
                               "row per input, numbers separated by commas, e.g. 0.5,-1.2")
        rows += from_csv
    if not rows:
        raise CommandError("no input rows: give --point X0,X1,... or --csv FILE "
                           "(or --evaluate)")
    for index, row in enumerate(rows, start=1):
        if len(row) != model.nin:
            raise CommandError(f"input row {index} ({one_line(_text(row), 60)}) has "
                               f"{len(row)} numbers but the model takes {model.nin}")
    scaled = scaler.transform(rows) if scaler else rows
    for index, row in enumerate(scaled, start=1):
        try:
            outputs = model.forward_data(row)
        except (ValueError, OverflowError):  # the table's ops refuse an infinite result
            outputs = [math.inf]
        if not all(math.isfinite(o) for o in outputs):
            raise CommandError(f"input row {index} ({one_line(_text(rows[index - 1]), 60)}) "
                               "is so far from the training data that the model's outputs "
                               "overflow; give inputs on the scale it was trained on")
    classes = predict(model, scaled, loss)
    probabilities = (predict_proba(model, scaled, loss)
                     if loss in ("cross_entropy", "bce") else [None] * len(rows))
    for row, label, probs in zip(rows, classes, probabilities):
        if args.json:
            print(json.dumps({"input": row, "class": label, "probabilities": probs}))
        else:
            text = f"{_text(row)} -> class {label}"
            if probs is not None:
                text += f"  (p = {probs[label]:.3f})"
            print(text)
    return 0


def _text(row: list[float]) -> str:
    return ",".join(f"{v:g}" for v in row)

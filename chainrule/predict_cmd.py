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

import csv
import json
import math
import sys

from chainrule.common import MAX_SAMPLES, CommandError, load_splits, one_line

__all__ = ["add_arguments", "run"]


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


# A CSV line longer than this is not a row of model inputs (the csv module's own limit
# is 128 KiB per field; we say so before it does, with the line number).
MAX_FIELD = 100_000
KNOWN_LOSSES = ("cross_entropy", "bce", "hinge", "multi_margin", "mse")


def _numbers(cells: list[str], where: str) -> list[float]:
    """Cells -> finite floats, or a CommandError naming the place and the column."""
    row = []
    for column, cell in enumerate(cells, start=1):
        try:
            number = float(cell)
        except ValueError:
            raise CommandError(f"{where}, column {column}: {one_line(cell, 40)!r} is not a "
                               "number; give numbers separated by commas, e.g. 0.5,-1.2"
                               ) from None
        if not math.isfinite(number):
            raise CommandError(f"{where}, column {column}: {cell.strip()} is not a finite "
                               "number; every input must be a real value")
        row.append(number)
    return row


def _parse_row(text: str, where: str) -> list[float]:
    return _numbers([cell for cell in text.split(",") if cell.strip()], f"{where} {text!r}")


def _read_csv(name: str) -> list[list[float]]:
    handle = sys.stdin if name == "-" else open(name, newline="", encoding="utf-8")
    rows: list[list[float]] = []
    reader = csv.reader(handle)
    old_limit = csv.field_size_limit(MAX_FIELD)
    try:
        for cells in reader:
            number = reader.line_num
            if not cells or not "".join(cells).strip():
                continue
            if number == 1 and not any(_is_number(cell) for cell in cells):
                continue  # a header such as x0,x1
            rows.append(_numbers(cells, f"--csv {name}, line {number}"))
    except csv.Error as error:
        raise CommandError(f"--csv {name}, line {reader.line_num}: {error} (a field may hold "
                           f"at most {MAX_FIELD} characters); give rows of numbers") from None
    except UnicodeDecodeError:
        raise CommandError(f"--csv {name}: not UTF-8 text; give a CSV file of numbers"
                           ) from None
    finally:
        csv.field_size_limit(old_limit)
        if handle is not sys.stdin:
            handle.close()
    return rows


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _fail(path, problem: str) -> CommandError:
    return CommandError(f"model file {path}: {problem}; re-create it with `chainrule train`")


def _finite_list(value, width: int) -> bool:
    return (isinstance(value, list) and len(value) == width
            and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                    and math.isfinite(v) for v in value))


def read_metadata(path, model):
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


def _test_split(path, meta: dict):
    """The held-out test split rebuilt from the settings in the file, checked first."""
    from nn.data import DATASETS

    settings = meta.get("settings")
    if not settings:
        raise CommandError(f"{path} holds no training settings, so its test split "
                           "cannot be rebuilt; it was not written by `chainrule train`")
    try:
        samples = settings.get("samples")
        numbers_ok = (
            settings["dataset"] in DATASETS
            and (samples is None or (type(samples) is int and 10 <= samples <= MAX_SAMPLES))
            and type(settings["seed"]) is int
            and all(type(settings[k]) in (int, float) and math.isfinite(settings[k])
                    for k in ("val_split", "test_split"))
            and (settings["noise"] is None or (type(settings["noise"]) in (int, float)
                                               and 0 <= settings["noise"] <= 100)))
        if not numbers_ok:
            raise TypeError("out of range")
        return load_splits(settings)
    except CommandError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise _fail(path, f"its training settings cannot rebuild the test split "
                          f"({type(error).__name__}: {one_line(error, 80)})") from None


def run(args) -> int:
    import nn
    from nn.train import predict, predict_proba

    try:
        model = nn.load(args.model)
    except nn.ModelFileError:
        raise
    except (ValueError, RecursionError, MemoryError) as error:
        # e.g. JSON nested thousands deep, an integer thousands of digits long
        raise _fail(args.model, f"cannot be read ({type(error).__name__}: "
                                f"{one_line(error, 120)})") from None
    loss, scaler = read_metadata(args.model, model)

    if args.evaluate:
        _, _, X_test, _, _, y_test = _test_split(args.model, model.metadata)
        rows = scaler.transform(X_test) if scaler else X_test
        correct = sum(p == t for p, t in zip(predict(model, rows, loss), y_test))
        print(f"{model.metadata['settings']['dataset']} test split: {correct}/{len(y_test)} "
              f"correct, accuracy {correct / len(y_test):.1%}")
        if not args.point and not args.csv:
            return 0

    rows = [_parse_row(text, "--point") for text in args.point]
    if args.csv:
        rows += _read_csv(args.csv)
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

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

from chainrule.common import CommandError, load_splits

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


def _parse_row(text: str, where: str) -> list[float]:
    try:
        row = [float(cell) for cell in text.split(",") if cell.strip()]
    except ValueError:
        raise CommandError(f"{where} {text!r}: give numbers separated by commas, "
                           "e.g. 0.5,-1.2") from None
    if not all(math.isfinite(v) for v in row):
        raise CommandError(f"{where} {text!r}: every number must be finite")
    return row


def _read_csv(name: str) -> list[list[float]]:
    handle = sys.stdin if name == "-" else open(name, newline="", encoding="utf-8")
    rows = []
    try:
        for number, cells in enumerate(csv.reader(handle), start=1):
            if not cells or not "".join(cells).strip():
                continue
            try:
                rows.append([float(c) for c in cells])
            except ValueError:
                if number == 1 and not rows:
                    continue  # a header
                raise CommandError(f"--csv {name}, line {number}: {cells!r} is not a row of "
                                   "numbers") from None
    finally:
        if handle is not sys.stdin:
            handle.close()
    return rows


def run(args) -> int:
    import nn
    from nn.data import scaler_from_dict
    from nn.train import predict, predict_proba

    model = nn.load(args.model)
    meta = getattr(model, "metadata", {}) or {}
    loss = meta.get("loss", "cross_entropy")
    scaler = scaler_from_dict(meta["scaler"]) if meta.get("scaler") else None

    if args.evaluate:
        settings = meta.get("settings")
        if not settings:
            raise CommandError(f"{args.model} holds no training settings, so its test split "
                               "cannot be rebuilt; it was not written by `chainrule train`")
        _, _, X_test, _, _, y_test = load_splits(settings)
        rows = scaler.transform(X_test) if scaler else X_test
        correct = sum(p == t for p, t in zip(predict(model, rows, loss), y_test))
        print(f"{settings['dataset']} test split: {correct}/{len(y_test)} correct, accuracy "
              f"{correct / len(y_test):.1%}")
        if not args.point and not args.csv:
            return 0

    rows = [_parse_row(text, "--point") for text in args.point]
    if args.csv:
        rows += _read_csv(args.csv)
    if not rows:
        raise CommandError("no input rows: give --point X0,X1,... or --csv FILE "
                           "(or --evaluate)")
    for row in rows:
        if len(row) != model.nin:
            raise CommandError(f"input {row} has {len(row)} numbers but the model takes "
                               f"{model.nin}")
    scaled = scaler.transform(rows) if scaler else rows
    classes = predict(model, scaled, loss)
    probabilities = (predict_proba(model, scaled, loss)
                     if loss in ("cross_entropy", "bce") else [None] * len(rows))
    for row, label, probs in zip(rows, classes, probabilities):
        if args.json:
            print(json.dumps({"input": row, "class": label, "probabilities": probs}))
        else:
            text = f"{','.join(f'{v:g}' for v in row)} -> class {label}"
            if probs is not None:
                text += f"  (p = {probs[label]:.3f})"
            print(text)
    return 0

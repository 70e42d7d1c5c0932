"""Input rows for ``chainrule predict``: ``--point 0.5,-1`` and ``--csv FILE``, checked.

Every number must be finite; a bad one is reported with its line and column, so
``nan`` never reaches a model.  Reading is bounded: a line, a field and the number
of rows have limits, so ``--csv /dev/zero`` or a 10 GB field is one clear error, not
a machine out of memory.

>>> parse_row("0.5, -1.2", "--point")
[0.5, -1.2]
"""

from __future__ import annotations

import csv
import math
import sys

from chainrule.common import CommandError, one_line

__all__ = ["parse_row", "read_csv", "MAX_FIELD", "MAX_LINE", "MAX_ROWS"]

# Rows of model inputs are short; anything past these is not a row of inputs (the csv
# module's own field limit is 128 KiB; we say so before it does, with the line number).
MAX_FIELD = 100_000
MAX_LINE = 1_000_000
MAX_ROWS = 1_000_000


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


def parse_row(text: str, where: str) -> list[float]:
    return _numbers([cell for cell in text.split(",") if cell.strip()], f"{where} {text!r}")


def read_csv(name: str) -> list[list[float]]:
    """The rows of numbers in a CSV file (``-`` is standard input); a first line without
    any number is a header and skipped."""
    if name == "-" and (sys.stdin is None or sys.stdin.closed):
        raise CommandError("--csv -: standard input is closed; pipe the rows in "
                           "(... | chainrule predict MODEL --csv -) or give a file name")
    try:
        # utf-8-sig: a byte-order mark (Excel's "CSV UTF-8") is not part of the first number
        handle = sys.stdin if name == "-" else open(name, newline="", encoding="utf-8-sig")
    except IsADirectoryError:
        raise CommandError(f"--csv {name}: that is a folder; give a CSV file") from None
    rows: list[list[float]] = []
    reader = csv.reader(_bounded_lines(handle, name))
    old_limit = csv.field_size_limit(MAX_FIELD)
    try:
        for cells in reader:
            number = reader.line_num
            if not cells or not "".join(cells).strip():
                continue
            if number == 1 and not any(_is_number(cell) for cell in cells):
                continue  # a header such as x0,x1
            if len(rows) == MAX_ROWS:
                raise CommandError(f"--csv {name}: more than {MAX_ROWS} rows; split the "
                                   "file")
            rows.append(_numbers(cells, f"--csv {name}, line {number}"))
    except csv.Error as error:
        raise CommandError(f"--csv {name}, line {reader.line_num}: {error} (a field may "
                           f"hold at most {MAX_FIELD} characters); give rows of numbers"
                           ) from None
    except UnicodeDecodeError:
        raise CommandError(f"--csv {name}: not UTF-8 text; give a CSV file of numbers"
                           ) from None
    except OSError as error:  # standard input closed under us, a read error
        raise CommandError(f"--csv {name}: cannot be read ({error.strerror or error}); "
                           "give a readable file, or pipe the rows in") from None
    finally:
        csv.field_size_limit(old_limit)
        if handle is not sys.stdin:
            handle.close()
    return rows


def _bounded_lines(handle, name: str):
    """The file's lines, refusing one longer than MAX_LINE (``/dev/zero`` has no end)."""
    number = 0
    while True:
        line = handle.readline(MAX_LINE + 1)
        if not line:
            return
        number += 1
        if number == 1 and line.startswith("\ufeff"):  # a byte-order mark, on stdin too
            line = line[1:]
        if len(line) > MAX_LINE:
            raise CommandError(f"--csv {name}, line {number}: longer than {MAX_LINE} "
                               "characters; give rows of numbers")
        yield line


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True

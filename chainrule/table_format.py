"""Tables in the formats lecture notes need: text, Markdown, LaTeX, CSV and JSON.

>>> print(render_tables([("gradients", ["name", "grad"], [["x", "-3.0"]])], "md"))
**gradients**
<BLANKLINE>
| name | grad |
|---|---|
| x | -3.0 |
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from typing import Sequence

from autograd.trace import table_text

__all__ = ["FORMATS", "render_tables", "Table", "terminal_width"]

FORMATS = ("text", "md", "latex", "csv", "json")
Table = tuple  # (title, header, rows): rows are lists of strings, one per header cell

# Every character LaTeX gives a meaning in running text, as the command that prints it;
# < > | are not special but print as other glyphs in the default (OT1) font encoding.
_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
          "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
          "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
          "|": r"\textbar{}"}
# Markdown: every character that can start emphasis, code, a link, an HTML tag or entity,
# a table cell, strikethrough or (on GitHub) math is backslash-escaped, so ``a*b*c`` stays
# text instead of becoming a<em>b</em>c.  CommonMark lets any ASCII punctuation be escaped.
_MARKDOWN_SPECIAL = set("\\`*_[]<>|~#&$!^{}")


def _one_line(text) -> str:
    """A cell is one line in every format: line breaks become spaces."""
    return " ".join(str(text).splitlines())


def terminal_width() -> int:
    """The terminal's columns (``$COLUMNS``), or 100 when the output is not a terminal."""
    return max(40, shutil.get_terminal_size((100, 24)).columns)


def _text(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    table = table_text(header, rows, width=terminal_width() - 2)   # wrapped to fit
    return "\n".join([title, *("  " + line for line in table.splitlines())])


def _md_text(text) -> str:
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in _one_line(text))


def _md(title, header, rows) -> str:
    def cells(row):
        return "| " + " | ".join(_md_text(c) for c in row) + " |"
    return "\n".join([f"**{_md_text(title)}**", "", cells(header), "|" + "---|" * len(header),
                      *(cells(r) for r in rows)])


def _latex_cell(text: str) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in _one_line(text))


def _latex(title, header, rows) -> str:
    def cells(row):
        return " & ".join(_latex_cell(c) for c in row) + r" \\"
    return "\n".join([f"% {_one_line(title)}", r"\begin{tabular}{" + "l" * len(header) + "}",
                      r"\hline", cells(header), r"\hline", *(cells(r) for r in rows),
                      r"\hline", r"\end{tabular}"])


def render_tables(tables: Sequence[Table], fmt: str) -> str:
    """All ``tables`` as one document in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not known: use one of {', '.join(FORMATS)}")
    if fmt == "json":
        return json.dumps({title: [dict(zip(header, row)) for row in rows]
                           for title, header, rows in tables}, indent=2)
    if fmt == "csv":
        out = io.StringIO()
        # every field quoted: QUOTE_MINIMAL leaves a lone carriage return bare, which
        # ends the row for a reader
        writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        for title, header, rows in tables:
            writer.writerow(["table", *header])
            writer.writerows([title, *row] for row in rows)
        return out.getvalue().rstrip("\n")
    render = {"text": _text, "md": _md, "latex": _latex}[fmt]
    return "\n\n".join(render(*table) for table in tables)

"""--format md / latex / csv: any name or expression comes out as the characters it is.

Oracles: a Markdown renderer (mistune, with GFM tables, strikethrough and math) turns
the Markdown into HTML, and every cell's text must be the original; LaTeX is read back
by a strict reader that knows only the standard ways to print a special character;
CSV is read back by Python's csv module.
"""

from __future__ import annotations

import csv
import html.parser
import io

import mistune  # a test dependency (the [test] extra): the Markdown oracle
from hypothesis import given
from hypothesis import strategies as st

from chainrule.cli import main
from chainrule.table_format import render_tables

# printable text, with every character Markdown or LaTeX gives a meaning to over-represented
SPECIALS = "\\`*_[]<>|~#&$!^{}%()+-.=:\"'@"
hostile = st.text(st.one_of(st.sampled_from(SPECIALS + " \n"),
                            st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp",
                                                                "Co", "Cn"))),
                  min_size=1, max_size=12)


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


def _plain(text: str) -> str:
    return " ".join(text.split())


class _Cells(html.parser.HTMLParser):
    """The text of each <th>/<td> and of each <strong>, in order; counts every other tag."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cells, self.tags, self._open = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag in ("th", "td", "strong"):
            self._open = []
        elif tag not in ("table", "thead", "tbody", "tr", "p"):
            self.tags.append(tag)

    def handle_endtag(self, tag):
        if tag in ("th", "td", "strong") and self._open is not None:
            self.cells.append(_plain("".join(self._open)))
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open.append(data)


def _markdown_cells(text: str):
    render = mistune.create_markdown(plugins=["table", "strikethrough", "math", "url"])
    parser = _Cells()
    parser.feed(render(text))
    return parser.cells, parser.tags


@given(title=hostile, cells=st.lists(hostile, min_size=2, max_size=2))
def test_markdown_cells_render_as_the_characters_they_are(title, cells):
    out = render_tables([(title, ["name", "value"], [cells])], "md")
    found, tags = _markdown_cells(out)
    assert tags == [], (out, tags)                    # no <em>, <code>, <a>, <del>, math...
    assert found == [_plain(title), "name", "value", *map(_plain, cells)], out


def test_a_product_is_not_emphasis_in_markdown():
    found, tags = _markdown_cells(render_tables([("d(a*b*c)", ["node"], [["a*b*c"]])], "md"))
    assert tags == [] and found == ["d(a*b*c)", "node", "a*b*c"]


# How LaTeX prints each special character (the LaTeX manual's list), and nothing else.
_LATEX_PRINTS = {r"\#": "#", r"\$": "$", r"\%": "%", r"\&": "&", r"\_": "_", r"\{": "{",
                 r"\}": "}", r"\textbackslash{}": "\\", r"\textasciitilde{}": "~",
                 r"\textasciicircum{}": "^", r"\textless{}": "<", r"\textgreater{}": ">",
                 r"\textbar{}": "|"}
_LATEX_RAW_SPECIALS = set("#$%&_{}~^\\<>|")


def _read_latex_row(line: str) -> list[str]:
    """One tabular row back to its cells; fails on any special character left bare."""
    assert line.endswith(r" \\"), line
    line, cells, cell, i = line[:-3], [], [], 0
    while i < len(line):
        if line.startswith(" & ", i):
            cells.append("".join(cell))
            cell, i = [], i + 3
            continue
        if line[i] == "\\":
            escape = next((e for e in _LATEX_PRINTS if line.startswith(e, i)), None)
            assert escape, f"unknown command at {line[i:i + 20]!r} in {line!r}"
            cell.append(_LATEX_PRINTS[escape])
            i += len(escape)
            continue
        assert line[i] not in _LATEX_RAW_SPECIALS, f"bare {line[i]!r} in {line!r}"
        cell.append(line[i])
        i += 1
    cells.append("".join(cell))
    return cells


@given(title=hostile, cells=st.lists(hostile, min_size=2, max_size=2))
def test_latex_escapes_every_special_character(title, cells):
    out = render_tables([(title, ["name", "value"], [cells])], "latex")
    lines = out.splitlines()
    assert lines[0] == f"% {_one_line(title)}"          # a title stays one comment line
    assert lines[1] == r"\begin{tabular}{ll}" and lines[-1] == r"\end{tabular}"
    rows = [_read_latex_row(line) for line in lines[2:-1] if line != r"\hline"]
    assert rows == [["name", "value"], [_one_line(c) for c in cells]]


@given(cells=st.lists(st.text(max_size=10), min_size=2, max_size=2))
def test_csv_quotes_so_every_cell_reads_back(cells):
    out = render_tables([("t,\"1\"", ["name", "value"], [cells])], "csv")
    assert list(csv.reader(io.StringIO(out))) == [["table", "name", "value"],
                                                  ["t,\"1\"", *cells]]


def test_trace_markdown_of_a_product_renders_without_emphasis(capsys):
    assert main(["trace", "a*b*c", "a=2", "b=3", "c=4", "--format", "md"]) == 0
    found, tags = _markdown_cells(capsys.readouterr().out)
    assert tags == [] and "a*b*c" in found
    assert main(["trace", "a*b*c", "a=2", "b=3", "c=4", "--format", "latex"]) == 0
    out = capsys.readouterr().out
    for line in out.splitlines():
        if line.endswith(r" \\"):
            _read_latex_row(line)

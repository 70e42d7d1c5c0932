"""No function in autograd/ or nn/ is longer than 80 lines, docstrings aside.

A function that does not fit on a screen or two does more than one thing; the
engine and the library should read like micrograd's lecture (DESIGN.md, Habits).
Lines are counted with ``ast``: from the ``def`` (decorators excluded) to the last
line of the body, less the lines of the function's own docstring.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "nn")
LIMIT = 80


def function_lengths(source: str) -> list[tuple[str, int, int]]:
    """``(qualified name, first line, length less the docstring)`` for every function."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                length = child.end_lineno - child.lineno + 1
                body = child.body
                if (body and isinstance(body[0], ast.Expr)
                        and isinstance(body[0].value, ast.Constant)
                        and isinstance(body[0].value.value, str)):
                    length -= body[0].end_lineno - body[0].lineno + 1
                found.append((name, child.lineno, length))
                visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


def long_functions(limit: int = LIMIT) -> list[str]:
    out = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for name, line, length in function_lengths(path.read_text(encoding="utf-8")):
                if length > limit:
                    out.append(f"{path.relative_to(ROOT)}:{line} {name} is {length} lines")
    return out


def test_no_function_in_the_engine_or_nn_is_over_80_lines():
    too_long = long_functions()
    assert not too_long, ("functions over 80 lines (docstrings aside); split them into named "
                          "steps:\n" + "\n".join(too_long))


@pytest.mark.parametrize("body_lines, docstring_lines, expected", [
    (81, 0, True), (80, 0, False), (79, 30, False)])
def test_the_count_leaves_out_the_docstring(body_lines, docstring_lines, expected):
    doc = ['    """'] + ["    text"] * max(docstring_lines - 2, 0) + ['    """'] \
        if docstring_lines else []
    source = "\n".join(["def f():", *doc] + ["    x = 1"] * (body_lines - 1)) + "\n"
    ((name, _, length),) = function_lengths(source)
    assert (length > LIMIT) is expected, (name, length)

"""Terminal tables fit 100 columns, lose no word to wrapping, and bracket d(...)/d(...)
the same way for every parent that is not a plain name."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from autograd import parse
from autograd.trace import backward_steps, forward_table
from chainrule.cli import main

EXPRESSIONS = [
    ("tanh(x*w + b)", ["x=2", "w=-3", "b=6.88"]),
    ("sigmoid(w1*x1 + w2*x2 + b)", ["w1=1", "x1=2", "w2=-1", "x2=0.5", "b=0.1"]),
    ("log(1 + exp(a*b)) - a/b", ["a=1.5", "b=2"]),
    ("x*x + tanh(x)", ["x=0.5"]),
]


@pytest.mark.parametrize("expression, bindings", EXPRESSIONS)
def test_trace_fits_a_terminal_of_100_columns(expression, bindings, capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert main(["trace", expression, *bindings]) == 0
    out = capsys.readouterr().out
    too_wide = [line for line in out.splitlines() if len(line) > 100]
    assert too_wide == [], too_wide[0]


@pytest.mark.parametrize("expression, bindings", EXPRESSIONS)
def test_wrapping_keeps_every_word(expression, bindings):
    values = {b.split("=")[0]: float(b.split("=")[1]) for b in bindings}
    root = parse(expression).build(values)
    for table in (backward_steps(root), forward_table(root)):
        assert Counter(table.text(60).split()) == Counter(str(table).split())


def test_network_tables_fit_100_columns(capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert main(["network", "--sizes", "3,4,2", "--input", "1,-2,0.5", "--target",
                 "1,0"]) == 0
    assert max(len(line) for line in capsys.readouterr().out.splitlines()) <= 100


def test_every_derivative_of_a_compound_parent_has_brackets():
    trace = backward_steps(parse("x*x + tanh(x)").build({"x": 0.5}))
    derivatives = [c._derivative() for step in trace for c in step.contributions]
    assert "d(x*x + tanh(x))/d(tanh(x))" in derivatives
    for text in derivatives:
        denominator = text.split(")/d", 1)[1]
        assert denominator.isidentifier() or (denominator.startswith("(")
                                              and denominator.endswith(")")), text
    assert re.search(r"/dtanh", str(trace)) is None

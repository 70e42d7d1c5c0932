"""``chainrule gradcheck``: the table on stdout; exit 0 pass, 1 mismatch, 2 bad input."""

import math

import pytest
from hypothesis import given, settings

from autograd import Op, register_op, unregister_op
from autograd.strategies import expressions
from chainrule.cli import main


def run(capsys, *argv):
    code = main(["gradcheck", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_correct_expression_passes(capsys):
    code, out, err = run(capsys, "tanh(x*w + b)", "x=0.5", "w=-1.5", "b=0.25")
    assert code == 0 and err == ""
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:5]}
    assert set(rows) == {"x", "w", "b"}
    # d/db tanh(x*w + b) = 1 - tanh(x*w + b)^2, by hand
    assert float(rows["b"][2]) == pytest.approx(1 - math.tanh(0.5 * -1.5 + 0.25) ** 2,
                                                rel=1e-9)
    assert all(row[-1] == "ok" for row in rows.values())
    assert out.splitlines()[-1] == "PASSED: all 3 inputs match"


def test_a_wrong_derivative_exits_1(capsys):
    register_op(Op(name="badsq", symbol="badsq", arity=1, forward=lambda m, a: a * a,
                   derivatives=(lambda m, out, a: a,), formulas=("a",)))
    try:
        code, out, _ = run(capsys, "badsq(x) + y", "x=2", "y=1")
    finally:
        unregister_op("badsq")
    assert code == 1
    assert "MISMATCH" in out and out.splitlines()[-1].startswith("FAILED")


def test_a_kink_inside_the_graph_exits_1(capsys):
    code, out, _ = run(capsys, "relu(x) - relu(-x)", "x=0")
    assert code == 1 and "MISMATCH" in out


def test_a_kink_is_reported_not_failed(capsys):
    code, out, _ = run(capsys, "relu(x) * y", "x=0", "y=2")
    assert code == 0
    assert "not differentiable here" in out and "NOT DIFFERENTIABLE" in out


@pytest.mark.parametrize("argv, words", [
    (["x +", "x=1"], "syntax error"),
    (["__import__('os')"], "not allowed"),
    (["x*y", "x=1"], "no value for y"),
    (["x*y", "x=1", "y=abc"], "not a number"),
    (["x*y", "x=1", "y=2", "z=3"], "z is not in the expression"),
    (["x*y", "x=1", "x=2", "y=2"], "given twice"),
    (["x", "x1"], "NAME=VALUE"),
    (["2 + 3"], "no variables"),
    (["log(x)", "x=-1"], "log"),
    (["log(x)", "--random", "3", "--range", "-3", "-1"], "no point inside the domain"),
    (["x", "--random", "2", "--range", "1", "1"], "LOW < HIGH"),
    (["x", "x=inf"], "finite"),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert words in err and len(err.strip().splitlines()) == 1
    assert err.startswith("chainrule gradcheck: error:")


def test_random_points_are_reproducible_and_in_the_domain(capsys):
    first = run(capsys, "log(x) * y**2", "--random", "20", "--seed", "7")
    second = run(capsys, "log(x) * y**2", "--random", "20", "--seed", "7")
    other = run(capsys, "log(x) * y**2", "--random", "20", "--seed", "8")
    assert first == second and first[1] != other[1]
    code, out, _ = first
    assert code == 0
    lines = out.splitlines()
    points = [line for line in lines if line.startswith("point ")]
    assert len(points) == 20
    for line in points:
        x = float(line.split("x=")[1].split(",")[0])
        assert 0 < x <= 3                     # log's domain, inside the default range
    assert lines[-1].endswith("20 passed, 0 not differentiable, 0 failed")


def test_random_keeps_given_variables_fixed(capsys):
    code, out, _ = run(capsys, "x * w", "w=2.5", "--random", "5")
    assert code == 0
    assert all("w=2.5:" in line for line in out.splitlines() if line.startswith("point "))


def test_random_reports_a_mismatch(capsys):
    register_op(Op(name="badsq", symbol="badsq", arity=1, forward=lambda m, a: a * a,
                   derivatives=(lambda m, out, a: a,), formulas=("a",)))
    try:
        code, out, _ = run(capsys, "badsq(x)", "--random", "4", "--range", "1", "2")
    finally:
        unregister_op("badsq")
    assert code == 1
    assert out.splitlines()[-1].endswith("0 passed, 0 not differentiable, 4 failed")
    assert out.count("MISMATCH") >= 4


@settings(max_examples=25)
@given(expressions(max_variables=2))
def test_random_graphs_pass_from_the_command_line(case):
    expression, point = case
    text = expression.formula()
    from autograd import parse

    names = parse(text).variables
    values = [f"{n}={v!r}" for n, v in zip(expression.variables, point) if n in names]
    # "--" ends the options, so a formula that starts with "-" is not read as one
    assert main(["gradcheck", "--", text, *values]) == 0

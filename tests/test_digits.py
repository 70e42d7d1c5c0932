"""One rounding rule (``number_digits`` / ``--digits``): tables, pictures, panels, frames.

Oracle for the rounding itself: Python's decimal module, rounding the float's exact
value to N significant digits.  The pages and frames are checked against each other
and against the tables: a number a student sees is written the same everywhere.
"""

from __future__ import annotations

import decimal
import json
import re
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import format_number, number_digits, parse
from chainrule.cli import main
from nn import MLP
from visualize import network_stepper_html, step_frames, stepper_html
from visualize.network import network_frames


@given(x=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
       .filter(lambda v: not float(v).is_integer()),
       digits=st.integers(1, 12))
def test_format_number_rounds_to_the_digits_asked(x, digits):
    with number_digits(digits):
        text = format_number(x)
    exact = decimal.Context(prec=digits, rounding=decimal.ROUND_HALF_EVEN).plus(
        decimal.Decimal(x))
    assert decimal.Decimal(text) == exact, (x, digits, text)


def test_the_setting_is_restored_and_per_thread():
    seen = []
    with number_digits(3):
        worker = threading.Thread(target=lambda: seen.append(format_number(1.786453)))
        worker.start()
        worker.join()
        assert format_number(1.786453) == "1.79"
    assert seen == ["1.78645"] and format_number(1.786453) == "1.78645"
    with pytest.raises(ValueError, match="digits=0: give a whole number of significant"):
        with number_digits(0):
            pass
    with pytest.raises(ValueError, match="digits=True"):
        with number_digits(True):
            pass


def _steps(page: str) -> list:
    return json.loads(re.search(r'id="steps-data"[^>]*>(.*?)</script>', page, re.S).group(1))


@pytest.mark.parametrize("digits", [3, 6])
def test_picture_and_panel_write_each_grad_the_same(digits):
    # The picture's record said "grad 1.7864" where the panel said 1.78645.
    root = parse("sigmoid(w1*x1 + w2*x2 + b)").build(
        {"w1": 1.3, "x1": 2.1, "w2": -1.7, "x2": 0.53, "b": 0.11})
    with number_digits(digits):
        steps = _steps(stepper_html(root))
    backward = [s for s in steps if s["mode"] == "backward"]
    assert backward
    for step in backward:
        own = step["set"][0]              # this node's grad as the picture writes it
        number = own[2].removeprefix("grad ")
        assert number in step["lines"][0], (own, step["lines"][0])   # the panel's number
        assert len(number.lstrip("-").replace(".", "").lstrip("0").rstrip("0")) <= digits


def test_digits_reach_the_tables_the_frames_and_the_network_pictures(tmp_path, capsys):
    frames = tmp_path / "frames"
    assert main(["trace", "tanh(x*w + b)", "x=2", "w=-3", "b=6.8813735870195432",
                 "--digits", "3", "--frames", str(frames)]) == 0
    out = capsys.readouterr().out
    assert "0.707" in out and "0.706" not in out and "0.707107" not in out
    texts = " ".join(p.read_text() for p in sorted(frames.iterdir()))
    assert "grad 0.5" in texts and "0.500000" not in texts and "0.4999" not in texts
    with number_digits(3):
        page = network_stepper_html(MLP(2, [3, 1], activation="tanh", seed=0), [1.0, -2.0],
                                    target=1.0)
        frame = network_frames(MLP(2, [3, 1], activation="tanh", seed=0), [1.0, -2.0],
                               target=1.0)[-1]
    picture_numbers = re.findall(r"(?:w|dL/dw) (-?[\d.]+(?:e-?\d+)?)<", frame)
    assert picture_numbers
    for number in picture_numbers:
        assert len(number.lstrip("-").replace(".", "").lstrip("0")) <= 3, number
    assert "target = 1.0" in page          # the loss box shows the target's value
    assert all(n in page for n in picture_numbers)
    code = main(["network", "--input", "1,2", "--digits", "0"])
    assert code == 2
    assert "--digits: 0 is out of range; give a whole number from 1 to 17" in \
        capsys.readouterr().err


def test_frames_have_the_progress_colours_and_a_legend():
    frames = step_frames(parse("tanh(x*w + b)").build({"x": 2.0, "w": -3.0, "b": 6.88}))
    last, first = frames[-1], frames[0]
    assert 'id="legend"' in first and "grad final" in first and "not reached yet" in first
    assert 'fill="#f5f5f5"' in first            # step 1: the inputs are not reached yet
    assert 'fill="#c8e6c9"' in last             # the last step: earlier nodes are final


def test_the_pages_progress_colours_are_draw_steps():
    # draw_step (the README's step picture) is the older, separate drawing of the same
    # states: the page and its frames must colour every node as it does
    from autograd.trace import backward_steps
    from visualize import draw_step
    from visualize.stepper import expression_steps
    root = parse("sigmoid(w1*x1 + w2*x2 + b) * w1").build(
        {"w1": 1.0, "x1": 2.0, "w2": -1.0, "x2": 0.5, "b": 0.1})
    trace = backward_steps(root)
    backward = [s for s in expression_steps(trace) if s["mode"] == "backward"]
    for k, step in enumerate(backward, 1):
        source = draw_step(trace, k).source
        states = {}
        for line in source.splitlines():
            found = re.search(r'class=(\w+)', line), re.search(r'id="?(node-\d+)', line)
            if all(found) and found[0].group(1) != "current":
                states[found[1].group(1)] = found[0].group(1)
        assert states == step["state"], k

"""Hostile sweep, visualize: every drawing entry point given something that is not a
Value, and a step number of the wrong kind.

They raised AttributeError "'float' object has no attribute '_prev'" or "unhashable
type: 'list'" from inside the graph walk; now one TypeError that says what to pass.
"""

import warnings

import pytest

from autograd import Value
from autograd.trace import backward_steps, forward_table
from visualize import (
    draw_annotated,
    draw_graph,
    draw_step,
    expression_stepper,
    render,
    step_frames,
    stepper_html,
    to_svg,
)

NOT_VALUES = [3.0, None, "loss", b"x", object()]


@pytest.mark.parametrize("thing", NOT_VALUES + [[Value(1.0)], (Value(1.0),)])
@pytest.mark.parametrize("entry", [draw_graph, to_svg, stepper_html, expression_stepper,
                                   step_frames, backward_steps, forward_table,
                                   lambda root: draw_step(root, 1),
                                   lambda root: render(root, "never-written.svg")])
def test_a_drawing_of_something_that_is_not_a_value_says_what_to_pass(entry, thing, tmp_path,
                                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError, match=r"is not a Value: pictures, traces and gradients start "
                                        r"from the Value a computation ends in"):
        entry(thing)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("roots", [[3.0], [Value(1.0), None], "y"])
def test_draw_annotated_names_a_non_value_among_its_roots(roots):
    with pytest.raises(TypeError, match="is not a Value"):
        draw_annotated(roots)


@pytest.mark.parametrize("step", [1.5, "1", True, None])
def test_a_step_that_is_not_a_whole_number_is_named(step):
    x = Value(2.0, "x")
    y = (x * x).tanh()
    with pytest.raises(TypeError, match=r"draw_step\(step=.*\): the step is a whole number"):
        draw_step(y, step)


def test_every_step_of_a_small_graph_still_draws():
    x = Value(2.0, "x")
    y = (x * x).tanh()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sources = [draw_step(y, step).source for step in range(1, len(backward_steps(y)) + 1)]
    assert len(sources) == 3 and all("digraph" in source for source in sources)

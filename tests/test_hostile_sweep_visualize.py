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


@pytest.mark.parametrize("bad, error, message", [
    (float("nan"), ValueError, "input 2 is nan; give finite numbers"),
    (float("inf"), ValueError, "input 2 is inf; give finite numbers"),
    ("a", TypeError, "input 2 is 'a', not a number"),
    (None, TypeError, "input 2 is None, not a number"),
    (True, TypeError, "input 2 is True, not a number"),
])
@pytest.mark.parametrize("entry", ["draw_network", "draw_network_diagram",
                                   "network_stepper_html", "neuron_table"])
def test_a_network_picture_names_a_bad_input_by_position(entry, bad, error, message):
    """They said 'Value(nan): ...' or 'could not convert string to float' from inside."""
    import nn
    import visualize

    model = nn.MLP(2, [3, 1], seed=0)
    call = getattr(nn if entry == "neuron_table" else visualize, entry)
    who = {"draw_network": "draw_network", "neuron_table": "neuron_table"}.get(entry, "network")
    with pytest.raises(error, match=rf"^{who}: {message}"):
        call(model, [0.5, bad])


@pytest.mark.parametrize("target", [float("nan"), "1", [0.5, None]])
def test_a_network_pictures_bad_target_is_named(target):
    import nn
    from visualize import network_stepper_html

    with pytest.raises((TypeError, ValueError), match=r"^network: target"):
        network_stepper_html(nn.MLP(2, [3, 1], seed=0), [0.5, 1.0], target=target)


def _writers(tmp_path):
    """Each way visualize and the CLI write a page, a frame or a plot: name -> (path,
    write).  They used Path.write_text or savefig, not the one atomic writer."""
    import nn
    from chainrule.cli import main
    from visualize import expression_stepper, write_stepper
    from visualize.plots import plot_history

    x = Value(2.0, "x")
    y = (x * x).tanh()
    history = nn.fit(nn.MLP(2, [2], seed=0), [[0.0, 1.0], [1.0, 0.0]], [0, 1], epochs=1,
                     progress=False)
    frames = tmp_path / "frames"
    return {
        "StepperPage.save": (tmp_path / "p.html",
                             lambda p: expression_stepper(y).save(p)),
        "write_stepper": (tmp_path / "w.html", lambda p: write_stepper(y, p)),
        "plot_history": (tmp_path / "loss.png", lambda p: plot_history(history, p)),
        "network --html": (tmp_path / "n.html",
                           lambda p: main(["network", "--input", "1,2", "--html", str(p)])),
        "trace --frames": (frames / "step-001.svg",
                           lambda p: main(["trace", "x*x", "x=1", "--frames", str(frames)])),
    }


@pytest.mark.parametrize("name", ["StepperPage.save", "write_stepper", "plot_history",
                                  "network --html", "trace --frames"])
def test_every_page_frame_and_plot_is_written_whole_or_not_at_all(name, tmp_path,
                                                                   monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    from nn import model_file

    path, write = _writers(tmp_path)[name]
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"the previous file")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(model_file.os, "fsync", disk_full)
    try:
        write(path)
    except OSError:
        pass
    capsys.readouterr()
    assert path.read_bytes() == b"the previous file"
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
    monkeypatch.undo()
    write(path)
    assert path.read_bytes() != b"the previous file" and path.stat().st_size > 100

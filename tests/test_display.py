"""visualize registers Value's Jupyter display through autograd's hook (issue 9 §3)."""

from __future__ import annotations

import doctest

import pytest

import visualize.display
from autograd.expr import build
from visualize import register_display_hooks, value_html, value_stepper, value_svg
from visualize.display import value_png


def test_docstring_examples_run():
    assert doctest.testmod(visualize.display).failed == 0


def test_import_visualize_fills_autograd_s_three_display_hooks():
    from autograd.display import display_hook
    for kind, fn in (("svg", value_svg), ("html", value_html), ("png", value_png),
                     ("stepper", value_stepper)):
        assert display_hook(kind) is fn
    y = build("tanh(x*w + b)", x=1.0, w=0.5, b=0.1)
    y.backward()
    assert "<svg" in y._repr_svg_() and "local" in y._repr_svg_()
    assert y._repr_html_().startswith("<div") and "<svg" in y._repr_html_()
    assert 'max-width:100%' in y._repr_html_()              # a wide graph fits the cell
    page = y.stepper(title="a neuron")
    assert "a neuron" in str(page) and "<iframe" in page._repr_html_()


def test_registering_again_is_harmless():
    register_display_hooks()
    assert build("x*x", x=2.0)._repr_svg_().lstrip().startswith("<?xml")


def test_displays_never_raise_in_a_notebook(monkeypatch):
    monkeypatch.setattr(visualize.display, "to_svg", lambda dot: 1 / 0)
    monkeypatch.setattr(visualize.display, "to_png", lambda dot: 1 / 0)
    y = build("x*x", x=2.0)
    assert value_svg(y) is None and value_html(y) is None and value_png(y) is None


def test_stepper_page_is_self_contained_inline():
    html = value_stepper(build("x*w", x=2.0, w=3.0))._repr_html_()
    assert html.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in html
    assert "src=" not in html.replace("srcdoc=", "")



def test_a_value_a_stepper_and_a_network_show_a_png_where_svg_is_not_trusted():
    import io

    Image = pytest.importorskip("PIL.Image")
    from nn import MLP
    from visualize import Picture, Stepper, draw_network_diagram
    y = build("tanh(x*w + b)", x=1.0, w=0.5, b=0.1)
    y.backward()
    network = MLP(2, [3, 1], activation="tanh", seed=0)
    for png in (y._repr_png_(), y.stepper()._repr_html_() and y.stepper().preview()._repr_png_(),
                Stepper(network, [1.0, -2.0], target=1.0).preview()._repr_png_(),
                draw_network_diagram(network, [1.0, -2.0], target=1.0)._repr_png_()):
        picture = Image.open(io.BytesIO(png))
        assert picture.format == "PNG" and picture.width > 300 and picture.height > 100
    assert isinstance(y.stepper().preview(), Picture)

"""Pictures of computation graphs: DOT, SVG and PNG with data and grads on every node.

>>> from autograd import Value
>>> x = Value(3.0, "x"); y = x * x; y.backward()
>>> "grad 6.0000" in draw_graph(y).source
True
"""

from nn.engine_check import require_chainrule_engine as _require_chainrule_engine

_require_chainrule_engine()  # first: is `autograd` chainrule's engine? One line if not

from .annotated import GraphTooLargeWarning, draw_annotated, draw_network, draw_step
from .digit_pad import DigitPadError, classify, to_digits_8x8
from .display import register_display_hooks, value_html, value_stepper, value_svg
from .drawing import (
    RendererNotFound,
    draw_graph,
    find_dot,
    get_renderer,
    node_label,
    render,
    set_renderer,
    to_png,
    to_svg,
)
from .network import NetworkDiagram, Stepper, draw_network_diagram, network_stepper_html
from .page import StepperPage
from .picture import Picture
from .playground import Playground, PlaygroundError
from .stepper import expression_stepper, step_frames, stepper_html, write_stepper

__all__ = ["draw_graph", "render", "to_svg", "to_png", "Picture", "find_dot", "node_label",
           "RendererNotFound", "set_renderer", "get_renderer",
           "draw_annotated", "draw_step", "draw_network", "GraphTooLargeWarning",
           "stepper_html", "write_stepper", "step_frames", "expression_stepper", "StepperPage",
           "draw_network_diagram", "NetworkDiagram", "Stepper", "network_stepper_html",
           "value_svg", "value_html", "value_stepper", "register_display_hooks"]
# the classroom's training and digits lessons (pure Python, for the browser as well)
__all__ += ["Playground", "PlaygroundError", "to_digits_8x8", "classify", "DigitPadError"]

# Jupyter shows a Value through hooks autograd offers and visualize fills in (svg, html,
# stepper), so autograd never imports visualize.
register_display_hooks()

"""chainrule's engine: a scalar reverse-mode autograd built on one table of ops.

>>> from autograd import Value
>>> x = Value(2.0, "x")
>>> y = (x * x + 1).log()
>>> y.backward()
>>> round(x.grad, 6)        # d/dx log(x^2 + 1) = 2x / (x^2 + 1)
0.8
"""

from pathlib import Path as _Path

from .expr import ExprError, Expression, parse
from .functional import grad, hessian, hvp
from .gradcheck import (
    GradcheckError,
    GradcheckResult,
    InputCheck,
    gradcheck,
    gradgradcheck,
    graph_function,
)
from .graph import nodes_and_edges, topological_order
from .notation import format_number, number_digits
from .ops import (
    OPS,
    SCALAR_MATH,
    Op,
    OpDomainError,
    OpError,
    OpOverflowError,
    OpZeroDivisionError,
    register_op,
    unregister_op,
)
from .trace import (
    BackwardStep,
    BackwardTrace,
    Contribution,
    ForwardRow,
    ForwardTable,
    backward_steps,
    forward_table,
)
from .value import (
    Value,
    gc_paused,
    is_grad_enabled,
    local_derivatives,
    no_grad,
    register_display_hook,
)

__all__ = [
    "Value",
    "format_number",
    "number_digits",
    "OPS",
    "Op",
    "SCALAR_MATH",
    "OpError",
    "OpDomainError",
    "OpOverflowError",
    "OpZeroDivisionError",
    "register_op",
    "unregister_op",
    "local_derivatives",
    "no_grad",
    "is_grad_enabled",
    "gc_paused",
    "register_display_hook",
    "topological_order",
    "nodes_and_edges",
    "parse",
    "Expression",
    "ExprError",
    "forward_table",
    "backward_steps",
    "ForwardRow",
    "ForwardTable",
    "BackwardStep",
    "BackwardTrace",
    "Contribution",
    "gradcheck",
    "gradgradcheck",
    "grad",
    "hessian",
    "hvp",
    "GradcheckResult",
    "GradcheckError",
    "InputCheck",
    "graph_function",
]


# What nn, visualize and the command line look for to tell this engine from another
# project's package named 'autograd' (nn/engine_check.py).
__engine__ = "chainrule"

from .install_check import warn_if_installed_over as _warn_if_installed_over  # noqa: E402

_warn_if_installed_over(_Path(__file__).parent)


def __getattr__(name: str):
    # The compiled tape (autograd.tape) needs numpy, an optional extra ("fast"), so it is
    # imported on first use rather than here; that is also why __all__ leaves it out
    # (a star import would pull numpy in).  ``from autograd import compile_tape`` works.
    if name in ("Tape", "compile_tape", "TapeTraceError", "TapeMismatchError"):
        from . import tape

        return getattr(tape, name)
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")

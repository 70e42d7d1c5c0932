"""chainrule's engine: a scalar reverse-mode autograd built on one table of ops.

>>> from autograd import Value
>>> x = Value(2.0, "x")
>>> y = (x * x + 1).log()
>>> y.backward()
>>> round(x.grad, 6)        # d/dx log(x^2 + 1) = 2x / (x^2 + 1)
0.8
"""

from .graph import nodes_and_edges, topological_order
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
from .value import Value, gc_paused, is_grad_enabled, local_derivatives, no_grad

__all__ = [
    "Value",
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
    "topological_order",
    "nodes_and_edges",
]

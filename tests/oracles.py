"""Independent references for every op of the table, written from the mathematics
rather than from autograd/ops.py: mpmath (any precision) and PyTorch (float64).

A new op with no entry here fails the suite (tests/test_ops_oracles.py and
tests/test_gradients.py check it): adding an op means adding its reference too.
"""

import mpmath
import torch


def _tensor(x):
    """A constant operand (a plain float) as a float64 tensor, for torch's binary functions."""
    return x if isinstance(x, torch.Tensor) else torch.tensor(x, dtype=torch.float64)


def close(engine: float, reference, rel: float = 1e-9, abs_: float = 1e-12) -> bool:
    """``engine`` equals the oracle's ``reference`` within ``abs_ + rel * |reference|``."""
    return abs(engine - float(reference)) <= abs_ + rel * abs(float(reference))


# op name -> the op computed in mpmath from its definition
MP_REFERENCE = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a: -a,
    "pow": lambda a, n: mpmath.power(a, n),
    "rpow": lambda c, a: mpmath.exp(a * mpmath.log(c)),
    "powv": lambda a, b: mpmath.exp(b * mpmath.log(a)),
    "exp": mpmath.exp,
    "log": mpmath.log,
    "tanh": mpmath.tanh,
    "sigmoid": lambda a: 1 / (1 + mpmath.exp(-a)),
    "relu": lambda a: a if a > 0 else mpmath.mpf(0),
    "leaky_relu": lambda a: a if a > 0 else a / 100,
    "abs": lambda a: abs(a),
    "softplus": lambda a: mpmath.log(1 + mpmath.exp(a)),
    "log_sigmoid": lambda a: -mpmath.log(1 + mpmath.exp(-a)),
    "sqrt": mpmath.sqrt,
    "sin": mpmath.sin,
    "cos": mpmath.cos,
    "minimum": lambda a, b: min(a, b),
    "maximum": lambda a, b: max(a, b),
    "clamp": lambda a, lo, hi: min(max(a, lo), hi),
}

# op name -> (torch function, or None where torch has no equivalent)
TORCH_REFERENCE = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a: -a,
    "pow": lambda a, n: a ** n,
    "rpow": lambda c, a: c ** a,
    "powv": lambda a, b: a ** b,
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "leaky_relu": lambda a: torch.nn.functional.leaky_relu(a, 0.01),
    "abs": lambda a: a.abs(),
    "softplus": lambda a: torch.nn.functional.softplus(a),
    "log_sigmoid": lambda a: torch.nn.functional.logsigmoid(a),
    "sqrt": lambda a: a.sqrt(),
    "sin": lambda a: a.sin(),
    "cos": lambda a: a.cos(),
    "minimum": lambda a, b: torch.minimum(_tensor(a), _tensor(b)),
    "maximum": lambda a, b: torch.maximum(_tensor(a), _tensor(b)),
    "clamp": lambda a, lo, hi: torch.clamp(_tensor(a), min=_tensor(lo), max=_tensor(hi)),
}

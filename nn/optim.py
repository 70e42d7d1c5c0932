"""Optimizers, gradient clipping and learning-rate schedules, shaped like ``torch.optim``.

Each update rule is PyTorch's, written out for scalars (tests/test_nn_optim.py runs
both on the same gradients and compares the parameter trajectories).

>>> from autograd import Value
>>> w = Value(1.0)
>>> opt = SGD([w], lr=0.1, momentum=0.9)
>>> for _ in range(2):
...     opt.zero_grad()
...     loss = w * w          # d loss / dw = 2w
...     loss.backward()
...     opt.step()
>>> round(w.data, 4)          # 1 - 0.2 = 0.8, then buf = 0.9*2 + 1.6 = 3.4, 0.8 - 0.34
0.46
"""

from __future__ import annotations

import math
from typing import Iterable, Optional, Sequence

from autograd import Value

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "OPTIMIZERS",
    "make_optimizer",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grad_norm",
    "clip_grad_value",
    "clip_grad_norm_array",
    "clip_grad_value_array",
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
]


def _check_positive(name: str, value: float, allow_zero: bool = True) -> None:
    ok = value >= 0 if allow_zero else value > 0
    if not isinstance(value, (int, float)) or not ok or not math.isfinite(value):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}={value!r}: must be a finite number {bound}")


class Optimizer:
    """Holds the parameters and the learning rate; subclasses define ``step()``."""

    def __init__(self, params: Iterable[Value], lr: float):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list; "
                             "pass model.parameters()")
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(f"{type(self).__name__}: parameter {p!r} is not a Value; "
                                "pass model.parameters()")
        _check_positive("lr", lr)
        self.lr = float(lr)
        self.initial_lr = self.lr
        self.steps = 0

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 (grads accumulate across backward() calls)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    # Array form: the same rule on a float64 vector of every parameter (in the order of
    # ``params``) and its gradient, updated in place.  Compiled training keeps the
    # parameters in such a vector; the state (momentum buffers, moments) is shared with
    # ``step()``, so the two forms continue each other's trajectory.
    supports_arrays = False

    def step_arrays(self, theta, grad) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no array form; compiled "
                                  "training uses the scalar step() for it")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr}, {len(self.params)} parameters)"


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

    As ``torch.optim.SGD``: ``g = grad + wd * p``; ``buf = g`` on the first step,
    then ``buf = momentum * buf + (1 - dampening) * g``; the step is ``buf`` (or
    ``g + momentum * buf`` with Nesterov); ``p -= lr * step``.

    >>> w = Value(2.0); w.grad = 1.0
    >>> SGD([w], lr=0.5).step(); w.data
    1.5
    """

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(params, lr)
        _check_positive("momentum", momentum)
        _check_positive("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"SGD(nesterov=True, momentum={momentum}, dampening={dampening}): "
                             "Nesterov momentum needs momentum > 0 and dampening 0")
        self.momentum, self.dampening = float(momentum), float(dampening)
        self.nesterov, self.weight_decay = nesterov, float(weight_decay)
        self.buffers: list[Optional[float]] = [None] * len(self.params)

    def step(self) -> None:
        lr, momentum, wd = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g = p.grad
            if wd:
                g = g + wd * p.data
            if momentum:
                buf = self.buffers[i]
                buf = g if buf is None else momentum * buf + (1.0 - self.dampening) * g
                self.buffers[i] = buf
                g = g + momentum * buf if self.nesterov else buf
            p.data -= lr * g
        self.steps += 1

    supports_arrays = True

    def step_arrays(self, theta, grad) -> None:
        """:meth:`step` on arrays: ``theta`` (updated in place) and its gradient.

        >>> import numpy as np
        >>> theta = np.array([2.0]); SGD([Value(2.0)], lr=0.5).step_arrays(theta, np.ones(1))
        >>> theta
        array([1.5])
        """
        import numpy as np

        lr, momentum, wd = self.lr, self.momentum, self.weight_decay
        g = grad + wd * theta if wd else grad
        if momentum:
            buffers = self.buffers
            if not isinstance(buffers, np.ndarray) and any(b is None for b in buffers):
                self.buffers = np.array(g, dtype=float)  # the first step: buf = g
            else:
                self.buffers = momentum * np.asarray(buffers) + (1.0 - self.dampening) * g
            g = g + momentum * self.buffers if self.nesterov else self.buffers
        theta -= lr * g
        self.steps += 1


class Adam(Optimizer):
    """Adam (Kingma and Ba), as ``torch.optim.Adam``: L2 weight decay added to the grad.

    >>> w = Value(1.0); w.grad = 3.0
    >>> Adam([w], lr=0.1).step(); round(w.data, 6)   # the first step moves by ~lr
    0.9
    """

    decoupled = False

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: Sequence[float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False):
        super().__init__(params, lr)
        beta1, beta2 = betas
        for name, beta in (("betas[0]", beta1), ("betas[1]", beta2)):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{type(self).__name__}: {name}={beta!r} must be in [0, 1)")
        _check_positive("eps", eps)
        _check_positive("weight_decay", weight_decay)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.weight_decay, self.amsgrad = float(weight_decay), amsgrad
        n = len(self.params)
        self.exp_avg = [0.0] * n
        self.exp_avg_sq = [0.0] * n
        self.max_exp_avg_sq = [0.0] * n

    def step(self) -> None:
        self.steps += 1
        lr, beta1, beta2, eps, wd = self.lr, self.beta1, self.beta2, self.eps, self.weight_decay
        step_size = lr / (1.0 - beta1 ** self.steps)
        bias_correction2_sqrt = math.sqrt(1.0 - beta2 ** self.steps)
        for i, p in enumerate(self.params):
            g = p.grad
            if wd:
                if self.decoupled:
                    p.data *= 1.0 - lr * wd
                else:
                    g = g + wd * p.data
            m = self.exp_avg[i] = self.exp_avg[i] + (g - self.exp_avg[i]) * (1.0 - beta1)
            v = self.exp_avg_sq[i] = self.exp_avg_sq[i] * beta2 + (1.0 - beta2) * g * g
            if self.amsgrad:
                v = self.max_exp_avg_sq[i] = max(self.max_exp_avg_sq[i], v)
            p.data -= step_size * m / (math.sqrt(v) / bias_correction2_sqrt + eps)

    supports_arrays = True

    def step_arrays(self, theta, grad) -> None:
        """:meth:`step` on arrays: ``theta`` (updated in place) and its gradient.

        >>> import numpy as np
        >>> theta = np.array([1.0]); Adam([Value(1.0)], lr=0.1).step_arrays(theta, np.array([3.0]))
        >>> theta.round(6)
        array([0.9])
        """
        import numpy as np

        self.steps += 1
        lr, beta1, beta2, eps, wd = self.lr, self.beta1, self.beta2, self.eps, self.weight_decay
        step_size = lr / (1.0 - beta1 ** self.steps)
        bias_correction2_sqrt = math.sqrt(1.0 - beta2 ** self.steps)
        g = grad
        if wd:
            if self.decoupled:
                theta *= 1.0 - lr * wd
            else:
                g = g + wd * theta
        # In place, each product and sum in step()'s order (so the same roundings):
        # m + (g - m) * (1 - beta1), v * beta2 + (1 - beta2) * g * g, and
        # theta - step_size * m / (sqrt(v) / bias_correction2_sqrt + eps).
        m, v = self._state_array("exp_avg"), self._state_array("exp_avg_sq")
        a, b = np.subtract(g, m), np.multiply(g, 1.0 - beta2)
        a *= 1.0 - beta1
        m += a
        b *= g
        v *= beta2
        v += b
        if self.amsgrad:
            v = np.maximum(self._state_array("max_exp_avg_sq"), v,
                           out=self.max_exp_avg_sq)
        np.sqrt(v, out=b)
        b /= bias_correction2_sqrt
        b += eps
        np.multiply(m, step_size, out=a)
        a /= b
        theta -= a

    def _state_array(self, name: str):
        """The state ``name`` as a float64 array that the array step updates in place
        (a list until the first array step; ``step()`` indexes either)."""
        import numpy as np

        state = getattr(self, name)
        if not isinstance(state, np.ndarray) or state.dtype != np.float64:
            state = np.array(state, dtype=float)
            setattr(self, name, state)
        return state


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter), as ``torch.optim.AdamW``:
    ``p *= 1 - lr * weight_decay`` before the Adam step.  Default weight_decay 0.01.

    >>> w = Value(1.0); w.grad = 0.0
    >>> AdamW([w], lr=0.1, weight_decay=0.5).step(); w.data   # decay only: 1 - 0.05
    0.95
    """

    decoupled = True

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: Sequence[float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


OPTIMIZERS = {"sgd": SGD, "momentum": SGD, "nesterov": SGD, "adam": Adam, "adamw": AdamW}


def make_optimizer(name: str, params: Iterable[Value], lr: float,
                   weight_decay: float = 0.0) -> Optimizer:
    """An optimizer by name: sgd, momentum (0.9), nesterov (0.9), adam or adamw.

    >>> make_optimizer("nesterov", [Value(0.0)], lr=0.1)
    SGD(lr=0.1, 1 parameters)
    """
    key = name.lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of "
                         f"{', '.join(sorted(OPTIMIZERS))}")
    if key == "momentum":
        return SGD(params, lr, momentum=0.9, weight_decay=weight_decay)
    if key == "nesterov":
        return SGD(params, lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    return OPTIMIZERS[key](params, lr=lr, weight_decay=weight_decay)


# --- gradient clipping --------------------------------------------------------------


def clip_grad_norm_(params: Iterable[Value], max_norm: float) -> float:
    """Scale all grads together so their L2 norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: the factor is ``max_norm / (norm + 1e-6)``,
    applied only when below 1.  Returns the norm before clipping.

    >>> a, b = Value(0.0), Value(0.0); a.grad, b.grad = 3.0, 4.0
    >>> clip_grad_norm_([a, b], 1.0), round(a.grad, 4), round(b.grad, 4)
    (5.0, 0.6, 0.8)
    """
    _check_positive("max_norm", max_norm)
    params = list(params)
    total = math.sqrt(math.fsum(p.grad * p.grad for p in params))
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p in params:
            p.grad *= coef
    return total


def clip_grad_value_(params: Iterable[Value], clip_value: float) -> None:
    """Clamp each grad to ``[-clip_value, clip_value]``, as PyTorch's function.

    >>> a = Value(0.0); a.grad = -7.0
    >>> clip_grad_value_([a], 2.0); a.grad
    -2.0
    """
    _check_positive("clip_value", clip_value)
    for p in params:
        p.grad = min(max(p.grad, -clip_value), clip_value)


clip_grad_norm = clip_grad_norm_
clip_grad_value = clip_grad_value_


def clip_grad_norm_array(grad, max_norm: float) -> float:
    """:func:`clip_grad_norm_` on a gradient array (scaled in place); returns the norm.

    >>> import numpy as np
    >>> g = np.array([3.0, 4.0]); clip_grad_norm_array(g, 1.0), g.round(4).tolist()
    (5.0, [0.6, 0.8])
    """
    _check_positive("max_norm", max_norm)
    total = math.sqrt(math.fsum((grad * grad).tolist()))
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        grad *= coef
    return total


def clip_grad_value_array(grad, clip_value: float) -> None:
    """:func:`clip_grad_value_` on a gradient array, in place.

    >>> import numpy as np
    >>> g = np.array([-7.0, 1.0]); clip_grad_value_array(g, 2.0); g.tolist()
    [-2.0, 1.0]
    """
    _check_positive("clip_value", clip_value)
    import numpy as np

    np.clip(grad, -clip_value, clip_value, out=grad)


# --- learning-rate schedules ------------------------------------------------------------


class LRScheduler:
    """Sets ``optimizer.lr`` from the epoch count; call ``step()`` once per epoch."""

    def __init__(self, optimizer: Optimizer):
        self.optimizer = optimizer
        self.base_lr = optimizer.initial_lr
        self.last_epoch = 0

    def lr_at(self, epoch: int) -> float:  # pragma: no cover - subclasses override it
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_last_lr(self) -> list[float]:
        return [self.optimizer.lr]


class StepLR(LRScheduler):
    """``lr = base_lr * gamma ** (epoch // step_size)``, as ``torch.optim.lr_scheduler.StepLR``.

    >>> opt = SGD([Value(0.0)], lr=1.0); sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> for _ in range(4): sched.step()
    >>> opt.lr
    0.25
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        super().__init__(optimizer)
        if not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR(step_size={step_size!r}): must be a positive int")
        self.step_size, self.gamma = step_size, gamma

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """``lr = base_lr * gamma ** epoch``.

    >>> opt = SGD([Value(0.0)], lr=1.0); sched = ExponentialLR(opt, gamma=0.5); sched.step()
    >>> opt.lr
    0.5
    """

    def __init__(self, optimizer: Optimizer, gamma: float):
        super().__init__(optimizer)
        self.gamma = gamma

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** epoch


class CosineAnnealingLR(LRScheduler):
    """``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``.

    >>> opt = SGD([Value(0.0)], lr=1.0); sched = CosineAnnealingLR(opt, T_max=2)
    >>> sched.step(); opt.lr
    0.5
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):  # noqa: N803
        super().__init__(optimizer)
        if not isinstance(T_max, int) or T_max < 1:
            raise ValueError(f"CosineAnnealingLR(T_max={T_max!r}): must be a positive int")
        self.T_max, self.eta_min = T_max, eta_min

    def lr_at(self, epoch: int) -> float:
        return self.eta_min + (self.base_lr - self.eta_min) * (
            1 + math.cos(math.pi * epoch / self.T_max)) / 2

"""Optimizers, clipping and schedules against torch.optim (oracle: PyTorch float64).

Property: fed the same gradients, each optimizer walks the same parameter
trajectory as PyTorch's optimizer of the same name, step after step, within 1e-10
relative.  The gradients depend on the parameters (a fixed random quadratic plus a
fixed noise sequence), so a wrong rule drifts away after a few steps.
"""

import math
import random

import pytest
import torch

from autograd import Value
from nn.optim import (
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    ExponentialLR,
    StepLR,
    clip_grad_norm_,
    clip_grad_norm_array,
    clip_grad_value_,
    clip_grad_value_array,
    make_optimizer,
)

N_PARAMS, N_STEPS = 5, 40


def _gradient(params, step, rng_table):
    """A gradient that depends on the parameters: d/dp of sum(c_i p_i^2) + noise."""
    return [2 * (1 + i) * 0.3 * p + rng_table[step][i] for i, p in enumerate(params)]


def _trajectories(ours_factory, theirs_factory):
    rng = random.Random(7)
    start = [rng.uniform(-2, 2) for _ in range(N_PARAMS)]
    noise = [[rng.gauss(0, 0.5) for _ in range(N_PARAMS)] for _ in range(N_STEPS)]

    params = [Value(x) for x in start]
    opt = ours_factory(params)
    leaf = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    topt = theirs_factory([leaf])
    ours, theirs = [], []
    for step in range(N_STEPS):
        opt.zero_grad()
        for p, g in zip(params, _gradient([p.data for p in params], step, noise)):
            p.grad = g
        opt.step()
        ours.append([p.data for p in params])

        topt.zero_grad()
        leaf.grad = torch.tensor(_gradient(leaf.detach().tolist(), step, noise),
                                 dtype=torch.float64)
        topt.step()
        theirs.append(leaf.detach().tolist())
    return ours, theirs


CASES = {
    "sgd": (lambda p: SGD(p, lr=0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
    "sgd_momentum_dampening_wd": (
        lambda p: SGD(p, lr=0.03, momentum=0.9, dampening=0.1, weight_decay=0.01),
        lambda p: torch.optim.SGD(p, lr=0.03, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    "sgd_nesterov": (
        lambda p: SGD(p, lr=0.03, momentum=0.8, nesterov=True, weight_decay=0.001),
        lambda p: torch.optim.SGD(p, lr=0.03, momentum=0.8, nesterov=True,
                                  weight_decay=0.001)),
    "adam": (lambda p: Adam(p, lr=0.05), lambda p: torch.optim.Adam(p, lr=0.05, foreach=False)),
    "adam_wd_betas": (
        lambda p: Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1,
                                   foreach=False)),
    "adam_amsgrad": (
        lambda p: Adam(p, lr=0.05, amsgrad=True),
        lambda p: torch.optim.Adam(p, lr=0.05, amsgrad=True, foreach=False)),
    "adamw": (lambda p: AdamW(p, lr=0.05), lambda p: torch.optim.AdamW(p, lr=0.05,
                                                                        foreach=False)),
    "adamw_strong_decay": (
        lambda p: AdamW(p, lr=0.05, weight_decay=0.5),
        lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.5, foreach=False)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_trajectory_matches_torch(case):
    ours, theirs = _trajectories(*CASES[case])
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for x, y in zip(a, b):
            assert math.isclose(x, y, rel_tol=1e-10, abs_tol=1e-12), (case, step, a, b)
    # the test is not vacuous: the parameters really moved
    assert max(abs(x - y) for x, y in zip(ours[0], ours[-1])) > 0.05


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adam", "adamw"])
def test_named_optimizers_reduce_a_quadratic(name):
    w = Value(3.0)
    opt = make_optimizer(name, [w], lr=0.05)
    for _ in range(200):
        opt.zero_grad()
        (w * w).backward()
        opt.step()
    assert abs(w.data) < 0.3


@pytest.mark.parametrize("max_norm", [0.1, 1.0, 100.0])
def test_clip_grad_norm_matches_torch(max_norm):
    grads = [0.5, -2.0, 3.0, 0.25]
    params = [Value(0.0) for _ in grads]
    for p, g in zip(params, grads):
        p.grad = g
    leaf = torch.zeros(len(grads), dtype=torch.float64, requires_grad=True)
    leaf.grad = torch.tensor(grads, dtype=torch.float64)
    total = clip_grad_norm_(params, max_norm)
    expected_total = torch.nn.utils.clip_grad_norm_([leaf], max_norm)
    assert total == pytest.approx(expected_total.item(), rel=1e-12)
    assert [p.grad for p in params] == pytest.approx(leaf.grad.tolist(), rel=1e-12)


def test_clip_grad_value_matches_torch():
    grads = [0.5, -2.0, 3.0, 0.25]
    params = [Value(0.0) for _ in grads]
    for p, g in zip(params, grads):
        p.grad = g
    leaf = torch.zeros(len(grads), dtype=torch.float64, requires_grad=True)
    leaf.grad = torch.tensor(grads, dtype=torch.float64)
    clip_grad_value_(params, 1.0)
    torch.nn.utils.clip_grad_value_([leaf], 1.0)
    assert [p.grad for p in params] == leaf.grad.tolist()


@pytest.mark.parametrize("make", [
    (lambda o: StepLR(o, step_size=3, gamma=0.5),
     lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
    (lambda o: ExponentialLR(o, gamma=0.9),
     lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)),
    (lambda o: CosineAnnealingLR(o, T_max=10, eta_min=0.001),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001)),
])
def test_schedules_match_torch(make):
    ours_make, theirs_make = make
    opt = SGD([Value(1.0)], lr=0.1)
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched, tsched = ours_make(opt), theirs_make(topt)
    for _ in range(10):
        topt.step()
        sched.step()
        tsched.step()
        assert opt.lr == pytest.approx(tsched.get_last_lr()[0], rel=1e-12)


def test_bad_settings_are_explained():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov momentum needs momentum > 0"):
        SGD([Value(0.0)], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"betas\[1\]=1.0 must be in \[0, 1\)"):
        Adam([Value(0.0)], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        make_optimizer("rmsprop", [Value(0.0)], lr=0.1)


def _array_trajectory(ours_factory, switch_at=None):
    """The same run as _trajectories, with the optimizer's array form on a vector
    (from step ``switch_at`` on, when given: the scalar form before it)."""
    import numpy as np

    rng = random.Random(7)
    start = [rng.uniform(-2, 2) for _ in range(N_PARAMS)]
    noise = [[rng.gauss(0, 0.5) for _ in range(N_PARAMS)] for _ in range(N_STEPS)]
    params = [Value(x) for x in start]
    opt = ours_factory(params)
    theta, path = np.array(start), []
    for step in range(N_STEPS):
        grad = np.array(_gradient(theta.tolist(), step, noise))
        if switch_at is not None and step < switch_at:
            for p, g in zip(params, grad.tolist()):
                p.grad = g
            opt.step()
            theta = np.array([p.data for p in params])
        else:
            opt.step_arrays(theta, grad)
        path.append(theta.tolist())
    return path


@pytest.mark.parametrize("switch_at", [None, 7])
@pytest.mark.parametrize("case", sorted(CASES))
def test_array_form_follows_the_scalar_form_and_torch(case, switch_at):
    scalar, theirs = _trajectories(*CASES[case])
    arrays = _array_trajectory(CASES[case][0], switch_at)
    for step, (a, s, t) in enumerate(zip(arrays, scalar, theirs)):
        for x, y, z in zip(a, s, t):
            assert math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-14), (case, step, a, s)
            assert math.isclose(x, z, rel_tol=1e-10, abs_tol=1e-12), (case, step, a, t)


@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_array_clipping_equals_the_scalar_clipping(max_norm):
    import numpy as np

    rng = random.Random(3)
    grads = [rng.gauss(0, 3) for _ in range(9)]
    params = [Value(0.0) for _ in grads]
    for p, g in zip(params, grads):
        p.grad = g
    norm = clip_grad_norm_(params, max_norm)
    array = np.array(grads)
    assert math.isclose(clip_grad_norm_array(array, max_norm), norm, rel_tol=1e-12)
    np.testing.assert_allclose(array, [p.grad for p in params], rtol=1e-12, atol=0)
    clip_grad_value_(params, 0.3)
    clip_grad_value_array(array, 0.3)
    assert array.tolist() == [p.grad for p in params]
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm_array(array, -1.0)

"""Every loss against PyTorch's loss of the same name, in float64 (oracle: torch).

Property: for random outputs and targets, the loss value and the gradient with
respect to every output agree with ``torch.nn.functional`` within 1e-9 relative
(both sides are float64; only rounding differs).
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd import Value
from nn.losses import (
    LOSSES,
    bce_with_logits_example,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    log_softmax,
    mse_loss,
    multi_margin_loss,
    softmax,
)

F = torch.nn.functional

finite = st.floats(-20, 20, allow_nan=False)


def _close(a, b, tol=1e-9):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def _check(values, ours, theirs):
    """ours: Value loss built on ``values``; theirs: torch scalar on a leaf tensor."""
    ours.backward()
    leaf, loss = theirs
    loss.backward()
    assert _close(ours.data, loss.item()), (ours.data, loss.item())
    for v, g in zip(values, leaf.grad.reshape(-1).tolist()):
        assert _close(v.grad, g), (v.grad, g)


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=6))
def test_mse_matches_torch(pairs):
    outs = [Value(o) for o, _ in pairs]
    targets = [t for _, t in pairs]
    leaf = torch.tensor([o for o, _ in pairs], dtype=torch.float64, requires_grad=True)
    _check(outs, mse_loss(outs, targets),
           (leaf, F.mse_loss(leaf, torch.tensor(targets, dtype=torch.float64))))


@given(st.lists(st.tuples(st.floats(-1000, 1000), st.sampled_from([0.0, 1.0])),
                min_size=1, max_size=6))
def test_bce_with_logits_matches_torch(pairs):
    outs = [Value(o) for o, _ in pairs]
    targets = [t for _, t in pairs]
    leaf = torch.tensor([o for o, _ in pairs], dtype=torch.float64, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(leaf, torch.tensor(targets, dtype=torch.float64))
    _check(outs, binary_cross_entropy_with_logits(outs, targets), (leaf, loss))


@given(st.lists(st.tuples(st.floats(1e-6, 1 - 1e-6), st.floats(0, 1)), min_size=1, max_size=6))
def test_bce_on_probabilities_matches_torch(pairs):
    outs = [Value(o) for o, _ in pairs]
    targets = [t for _, t in pairs]
    leaf = torch.tensor([o for o, _ in pairs], dtype=torch.float64, requires_grad=True)
    loss = F.binary_cross_entropy(leaf, torch.tensor(targets, dtype=torch.float64))
    _check(outs, binary_cross_entropy(outs, targets), (leaf, loss))


def test_bce_on_saturated_probabilities_is_clamped_like_torch():
    outs = [Value(0.0), Value(1.0)]
    loss = binary_cross_entropy(outs, [1.0, 0.0])
    expected = F.binary_cross_entropy(torch.tensor([0.0, 1.0], dtype=torch.float64),
                                      torch.tensor([1.0, 0.0], dtype=torch.float64))
    assert loss.data == pytest.approx(expected.item()) == 100.0


@st.composite
def logits_and_targets(draw, scale=20.0):
    classes = draw(st.integers(2, 5))
    n = draw(st.integers(1, 4))
    rows = draw(st.lists(st.lists(st.floats(-scale, scale), min_size=classes,
                                  max_size=classes), min_size=n, max_size=n))
    targets = draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n))
    return rows, targets


@given(logits_and_targets(scale=1000.0))
def test_cross_entropy_matches_torch_even_for_huge_logits(case):
    rows, targets = case
    outs = [[Value(z) for z in row] for row in rows]
    leaf = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    loss = F.cross_entropy(leaf, torch.tensor(targets))
    _check([v for row in outs for v in row], cross_entropy(outs, targets), (leaf, loss))


@given(logits_and_targets())
def test_multi_margin_matches_torch(case):
    rows, targets = case
    outs = [[Value(z) for z in row] for row in rows]
    leaf = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    loss = F.multi_margin_loss(leaf, torch.tensor(targets))
    _check([v for row in outs for v in row], multi_margin_loss(outs, targets), (leaf, loss))


@given(st.lists(st.tuples(finite, st.sampled_from([-1.0, 1.0])), min_size=1, max_size=6))
def test_hinge_matches_torch_clamped_margin(pairs):
    # torch has no binary hinge loss by this name; its definition is clamp(1 - y*s, min=0).mean()
    assume(all(abs(1 - y * s) > 1e-9 for s, y in pairs))
    outs = [Value(s) for s, _ in pairs]
    leaf = torch.tensor([s for s, _ in pairs], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([t for _, t in pairs], dtype=torch.float64)
    loss = torch.clamp(1 - y * leaf, min=0).mean()
    _check(outs, hinge_loss(outs, [t for _, t in pairs]), (leaf, loss))


@given(st.lists(st.one_of(finite, st.just(0.0)), min_size=1, max_size=6))
def test_penalties_match_torch_norms(weights):
    # |w| at exactly 0: the abs op's slope is 0 there, torch's subgradient
    params = [Value(w) for w in weights]
    leaf = torch.tensor(weights, dtype=torch.float64, requires_grad=True)
    loss = 0.3 * leaf.abs().sum() + 0.2 * (leaf * leaf).sum()
    ours = l1_penalty(params, 0.3) + l2_penalty(params, 0.2)
    _check(params, ours, (leaf, loss))


def test_softmax_and_log_softmax_agree_with_torch():
    logits = [1000.0, -1000.0, 999.0]
    expected = F.log_softmax(torch.tensor(logits, dtype=torch.float64), 0).tolist()
    assert [v.data for v in log_softmax([Value(z) for z in logits])] == pytest.approx(expected)
    assert softmax(logits) == pytest.approx([math.exp(e) for e in expected])


def test_losses_explain_shape_mistakes():
    with pytest.raises(ValueError, match="2 outputs and 1 targets"):
        mse_loss([Value(1.0), Value(2.0)], [1.0])
    with pytest.raises(ValueError, match="target 3 is not a class index for 2 logits"):
        cross_entropy([[Value(1.0), Value(2.0)]], [3])
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        binary_cross_entropy([Value(1.5)], [1.0])
    with pytest.raises(ValueError, match="single output"):
        binary_cross_entropy_with_logits([[Value(1.0), Value(2.0)]], [1.0])


def test_registry_predictions_follow_each_loss_convention():
    assert LOSSES["bce"].predict([0.2]) == 1 and LOSSES["bce"].predict([-0.2]) == 0
    assert LOSSES["mse"].predict([0.4]) == 0 and LOSSES["mse"].predict([0.1, 0.7]) == 1
    assert LOSSES["cross_entropy"].predict([0.1, 3.0, -2.0]) == 1
    assert LOSSES["hinge"].target(0, 1) == -1.0 and LOSSES["hinge"].target(1, 1) == 1.0


# --- no branch on .data: the compiled tape is the oracle ----------------------------
# compile() refuses a function that reads .data of a traced value (TapeTraceError), so a
# tape traced at ONE logit that then matches torch at logits of both signs and of
# +-800 proves the loss is a plain graph of ops, the same for every input.

def _tape(fn, example):
    from autograd.tape import compile

    return compile(fn, example)  # allow_data_reads=False: a .data read would raise here


def test_bce_with_logits_is_one_graph_for_every_logit():
    tape = _tape(bce_with_logits_example, (2.0, 1.0))
    logits = [-800.0, -40.0, -1.5, 0.0, 0.25, 3.0, 40.0, 800.0]
    targets = [1.0, 0.0, 1.0, 0.3, 0.0, 1.0, 1.0, 0.0]
    expected = F.binary_cross_entropy_with_logits(
        torch.tensor(logits, dtype=torch.float64), torch.tensor(targets, dtype=torch.float64),
        reduction="none").tolist()
    got = tape.forward(np.array(logits), np.array(targets)).tolist()
    for ours, theirs in zip(got, expected):
        assert _close(ours, theirs), (got, expected)


def test_l1_penalty_is_one_graph_for_every_sign():
    tape = _tape(lambda w: l1_penalty([w], 0.5), (1.0,))
    weights = [-3.0, -1e-300, 0.0, 2.5]
    assert tape.forward(np.array(weights)).tolist() == [0.5 * abs(w) for w in weights]


def test_clamped_log_is_one_graph_above_and_below_the_floor():
    from nn.losses import _clamped_log

    tape = _tape(lambda p: _clamped_log(p), (0.5,))
    probabilities = [0.0, 1e-50, 1e-30, 0.5, 1.0]
    expected = torch.clamp(torch.log(torch.tensor(probabilities, dtype=torch.float64)),
                           min=-100).tolist()
    assert tape.forward(np.array(probabilities)).tolist() == pytest.approx(expected, rel=1e-12)


def test_only_cross_entropy_declares_a_data_read():
    assert {name for name, loss in LOSSES.items() if loss.reads_data_for_shift} == \
        {"cross_entropy"}

"""Karpathy's micrograd lecture (nn-zero-to-hero, lectures/micrograd), cell by cell, on
chainrule's Value: the constructor calls, the manual backprop with _backward(), the
topological sort, and re-running backward().  The expected numbers are the ones the
lecture prints and PyTorch gives (checked here with torch)."""

import math

import pytest
import torch

from autograd import Value


def neuron():
    """The lecture's neuron cell, verbatim."""
    # inputs x1,x2
    x1 = Value(2.0, label='x1')
    x2 = Value(0.0, label='x2')
    # weights w1,w2
    w1 = Value(-3.0, label='w1')
    w2 = Value(1.0, label='w2')
    # bias of the neuron
    b = Value(6.8813735870195432, label='b')
    # x1*w1 + x2*w2 + b
    x1w1 = x1*w1; x1w1.label = 'x1*w1'  # noqa: E702
    x2w2 = x2*w2; x2w2.label = 'x2*w2'  # noqa: E702
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'  # noqa: E702
    n = x1w1x2w2 + b; n.label = 'n'  # noqa: E702
    o = n.tanh(); o.label = 'o'  # noqa: E702
    return locals()


def torch_neuron_grads():
    """The lecture's PyTorch cell: the grads of x1, w1, x2, w2 and b.

    ``torch.Tensor([...])`` is float32 before ``.double()``, so b = 6.88137358... is
    rounded to float32 there: its grads agree with ours to about 3e-7, not 1e-12.
    """
    x1 = torch.Tensor([2.0]).double(); x1.requires_grad = True  # noqa: E702
    x2 = torch.Tensor([0.0]).double(); x2.requires_grad = True  # noqa: E702
    w1 = torch.Tensor([-3.0]).double(); w1.requires_grad = True  # noqa: E702
    w2 = torch.Tensor([1.0]).double(); w2.requires_grad = True  # noqa: E702
    b = torch.Tensor([6.8813735870195432]).double(); b.requires_grad = True  # noqa: E702
    n = x1*w1 + x2*w2 + b
    o = torch.tanh(n)
    o.backward()
    return {name: t.grad.item() for name, t in
            (("x1", x1), ("w1", w1), ("x2", x2), ("w2", w2), ("b", b))}


def grads(cell):
    return {name: cell[name].grad for name in ("x1", "w1", "x2", "w2", "b")}


def test_the_lecture_graph_of_L_and_its_hand_derived_grads():
    a = Value(2.0, label='a')
    b = Value(-3.0, label='b')
    c = Value(10.0, label='c')
    e = a*b; e.label = 'e'  # noqa: E702
    d = e + c; d.label = 'd'  # noqa: E702
    f = Value(-2.0, label='f')
    L = d * f; L.label = 'L'  # noqa: E702
    assert L.data == -8.0
    L.backward()
    assert (a.grad, b.grad, c.grad, d.grad, e.grad, f.grad) == (6.0, -4.0, -2.0, -2.0, -2.0, 4.0)


def test_manual_backprop_with_underscore_backward_cell_by_cell():
    cell = neuron()
    o, n, b = cell["o"], cell["n"], cell["b"]
    x1w1x2w2, x2w2, x1w1 = cell["x1w1x2w2"], cell["x2w2"], cell["x1w1"]
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    o.grad = 1.0
    o._backward()
    assert n.grad == pytest.approx(0.5)  # do/dn = 1 - o**2
    n._backward()
    assert (x1w1x2w2.grad, b.grad) == pytest.approx((0.5, 0.5))
    b._backward()  # a leaf: nothing to do, as in micrograd
    x1w1x2w2._backward()
    assert (x1w1.grad, x2w2.grad) == pytest.approx((0.5, 0.5))
    x2w2._backward()
    x1w1._backward()
    assert grads(cell) == pytest.approx(torch_neuron_grads(), rel=1e-6)
    assert grads(cell) == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5})


def test_topological_sort_then_underscore_backward_in_reverse():
    cell = neuron()
    o = cell["o"]
    topo = []
    visited = set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(o)
    o.grad = 1.0
    for node in reversed(topo):
        node._backward()
    assert grads(cell) == pytest.approx(torch_neuron_grads(), rel=1e-6)


def test_re_running_the_backward_cell_gives_pytorchs_numbers():
    cell = neuron()
    cell["o"].backward()
    once = grads(cell)
    assert once == pytest.approx(torch_neuron_grads(), rel=1e-6)
    cell["o"].backward()  # the lecture's cell run again: leaves add one more gradient
    assert grads(cell) == pytest.approx({k: 2 * v for k, v in once.items()}, rel=1e-12)
    assert cell["n"].grad == pytest.approx(0.5)  # inner nodes: recomputed, still 0.5


def test_tanh_written_with_exp_and_division_gives_the_same_grads():
    cell = neuron()
    n = cell["n"]
    e = (2*n).exp()
    o = (e - 1) / (e + 1)
    o.label = 'o'
    o.backward()
    assert o.data == pytest.approx(cell["o"].data, rel=1e-12)
    assert grads(cell) == pytest.approx(torch_neuron_grads(), rel=1e-6)


def test_the_bug_cells_a_node_used_twice():
    a = Value(3.0, label='a')
    b = a + a; b.label = 'b'  # noqa: E702
    b.backward()
    assert a.grad == 2.0
    a = Value(-2.0, label='a')
    b = Value(3.0, label='b')
    d = a * b; d.label = 'd'  # noqa: E702
    e = a + b; e.label = 'e'  # noqa: E702
    f = d * e; f.label = 'f'  # noqa: E702
    f.backward()
    assert (a.grad, b.grad) == (-3.0, -8.0)


def test_operations_with_plain_numbers_from_the_second_half():
    a = Value(2.0)
    b = Value(4.0)
    assert (a + 1).data == 3.0 and (1 + a).data == 3.0 and (2 * a).data == 4.0
    assert (a - b).data == -2.0 and (a / b).data == 0.5
    assert a.exp().data == pytest.approx(math.exp(2.0))
    assert (a ** 2).data == 4.0


# --- the constructor, as the lecture's Value class calls it ----------------------------


def test_micrograd_constructor_positionally():
    a, b = Value(2.0, label='a'), Value(-3.0, label='b')
    out = Value(a.data + b.data, (a, b), '+')
    assert out._op == "add" and out._prev == (a, b) and out.label == ''
    out = Value(a.data * b.data, (a, b), '*', 'ab')
    assert out._op == "mul" and out.label == 'ab'
    t = math.tanh(a.data)
    out = Value(t, (a,), 'tanh')
    out.backward()
    assert a.grad == pytest.approx(1 - t**2)


@pytest.mark.parametrize("make, op, parents", [
    (lambda a, b: Value(a.data - b.data, (a, b), '-'), "sub", 2),
    (lambda a, b: Value(-a.data, (a,), '-'), "neg", 1),
    (lambda a, b: Value(a.data / b.data, (a, b), '/'), "div", 2),
    (lambda a, b: Value(math.exp(a.data), (a,), 'exp'), "exp", 1),
    (lambda a, b: Value(max(a.data, 0.0), (a,), 'ReLU'), "relu", 1),
    (lambda a, b: Value(a.data ** b.data, (a, b), '**'), "powv", 2),
    (lambda a, b: Value(a.data + b.data, (a, b), 'add'), "add", 2),
])
def test_micrograd_op_symbols_map_to_the_table(make, op, parents):
    a, b = Value(2.0), Value(4.0)
    out = make(a, b)
    assert out._op == op and len(out._prev) == parents


def test_micrograds_power_symbol_carries_its_exponent():
    a = Value(3.0, label='a')
    out = Value(a.data ** 2, (a,), '**2')
    assert out._op == "pow" and out._prev[0] is a and out._prev[1].data == 2.0
    out.backward()
    assert a.grad == 6.0


@pytest.mark.parametrize("args, kwargs, message", [
    ((2.0, [1.0]), {}, "not a Value"),
    ((2.0, (1.0, 2.0), '+'), {}, "not a Value"),
    ((2.0, 5), {}, "tuple of Values"),
    ((2.0, None), {}, "tuple of Values"),
    ((2.0, (), '+'), {}, "no _children"),
    ((2.0, "a", "+"), {}, "either a label"),
    ((2.0, "a"), {"label": "b"}, "either a label"),
    ((2.0,), {"label": 3}, "label must be text"),
])
def test_anything_else_in_those_places_is_a_type_error_at_construction(args, kwargs, message):
    with pytest.raises(TypeError, match=message):
        Value(*args, **kwargs)


def test_an_unknown_op_or_wrong_arity_is_a_type_error_at_construction():
    a, b = Value(1.0), Value(2.0)
    with pytest.raises(TypeError,
                       match=r"no op of the table is written 'frobnicate'.*known: .*tanh"):
        Value(1.0, (a,), 'frobnicate')
    with pytest.raises(TypeError, match="with 1 operand"):
        Value(3.0, (a,), '+')
    with pytest.raises(TypeError, match="with 3 operand"):
        Value(3.0, (a, b, a), '*')
    with pytest.raises(TypeError, match="_op must be text"):
        Value(3.0, (a, b), None)
    with pytest.raises(TypeError, match="exponent 'x' is not a number"):
        Value(1.0, (a,), '**x')

"""nn.Sequential and its layers (Linear, Conv2d, MaxPool2d, Flatten, Dropout, activations).

Oracle: PyTorch in float64.  The same weights in ``torch.nn`` modules must give the
forward values and the parameter gradients of the scalar engine to 1e-10, for
hypothesis-drawn shapes, paddings, strides and inputs; one SGD step of ``fit`` (both
engines) must land on PyTorch's weights.
"""


import random

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import OPS, SCALAR_MATH
from nn.layers import ACTIVATION_LAYERS, sequential_from_architecture

ACTIVATION_NAMES = sorted(name for name in ACTIVATION_LAYERS if name != "Softplus")


@st.composite
def conv_nets(draw):
    """A random conv net: Conv2d (padding, stride) -> activation -> [MaxPool2d] ->
    [Conv2d] -> Flatten -> Linear, with its input shape and a few random examples."""
    cin = draw(st.integers(1, 2))
    h, w = draw(st.integers(3, 7)), draw(st.integers(3, 7))
    seed = draw(st.integers(0, 10_000))
    k = draw(st.integers(1, 3))
    padding = draw(st.integers(0, 1))
    stride = draw(st.integers(1, 2))
    assume_fits = h + 2 * padding >= k and w + 2 * padding >= k
    if not assume_fits:
        k = 1
    cout = draw(st.integers(1, 3))
    layers = [nn.Conv2d(cin, cout, k, stride=stride, padding=padding, seed=seed),
              ACTIVATION_LAYERS[draw(st.sampled_from(ACTIVATION_NAMES))]()]
    oh = (h + 2 * padding - k) // stride + 1
    ow = (w + 2 * padding - k) // stride + 1
    channels = cout
    if draw(st.booleans()) and oh >= 2 and ow >= 2:
        pool_k = 2
        pool_stride = draw(st.sampled_from([None, 1]))
        layers.append(nn.MaxPool2d(pool_k, stride=pool_stride))
        s = pool_stride or pool_k
        oh, ow = (oh - pool_k) // s + 1, (ow - pool_k) // s + 1
    if draw(st.booleans()):
        layers += [nn.Conv2d(channels, 2, 1, seed=seed + 1), nn.ReLU()]
        channels = 2
    nout = draw(st.integers(1, 3))
    layers += [nn.Flatten(), nn.Linear(channels * oh * ow, nout, seed=seed + 2)]
    model = nn.Sequential(*layers, input_shape=(cin, h, w))
    rng = random.Random(seed)
    X = [[rng.uniform(-2, 2) for _ in range(cin * h * w)] for _ in range(draw(st.integers(1, 3)))]
    return model, X


def scalar_outputs_and_grads(model, X):
    model.zero_grad()
    outputs, total = [], None
    for x in X:
        out = model(x)
        out = out if isinstance(out, list) else [out]
        outputs.append([o.data for o in out])
        row = sum((o * (i + 1) for i, o in enumerate(out[1:], 1)), out[0])
        total = row if total is None else total + row
    total.backward()
    return outputs, [p.grad for p in model.parameters()]


def torch_outputs_and_grads(net, X, input_shape):
    batch = torch.tensor(X, dtype=torch.float64).reshape(len(X), *input_shape)
    out = net(batch)
    weights = torch.arange(1, out.shape[1] + 1, dtype=torch.float64)
    (out * weights).sum().backward()
    grads = [g for p in net.parameters() for g in p.grad.flatten().tolist()]
    return out.tolist(), grads


@given(conv_nets())
def test_conv_nets_give_pytorchs_values_and_gradients(case):
    model, X = case
    net = nn.to_torch(model)
    ours, our_grads = scalar_outputs_and_grads(model, X)
    theirs, their_grads = torch_outputs_and_grads(net, X, model.input_shape)
    assert len(our_grads) == len(their_grads)
    for a, b in zip(sum(ours, []), sum(theirs, [])):
        assert a == pytest.approx(b, abs=1e-10)
    for a, b in zip(our_grads, their_grads):
        assert a == pytest.approx(b, abs=1e-10)


@given(conv_nets())
def test_from_torch_reads_every_layer_back(case):
    model, X = case
    net = nn.to_torch(model)
    with torch.no_grad():  # new weights in PyTorch, read back by from_torch
        for p in net.parameters():
            p.mul_(-0.5).add_(0.125)
    back = nn.from_torch(net, input_shape=model.input_shape)
    theirs, _ = torch_outputs_and_grads(net, X, model.input_shape)
    for x, row in zip(X, theirs):
        assert back.forward_data(x) == pytest.approx(row, abs=1e-10)


def test_parameters_follow_pytorchs_order_and_row_major_weights():
    model = nn.Sequential(nn.Conv2d(2, 3, 2, seed=0), nn.Flatten(), nn.Linear(12, 2, seed=1),
                          input_shape=(2, 3, 3))
    net = nn.to_torch(model)
    flat = [v for p in net.parameters() for v in p.detach().flatten().tolist()]
    assert [p.data for p in model.parameters()] == flat
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["0.weight[0,0,0,0]", "0.weight[0,0,0,1]", "0.weight[0,0,1,0]"]
    assert names[24:27] == ["0.bias[0]", "0.bias[1]", "0.bias[2]"]
    assert names[-1] == "2.bias[1]" and len(names) == 2 * 3 * 4 + 3 + 12 * 2 + 2


def test_max_pool_sends_a_ties_gradient_to_the_first_maximum_as_pytorch():
    model = nn.Sequential(nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1, 1, seed=0),
                          input_shape=(1, 2, 2))
    x = [nn.layers.Value(v) for v in [0.5, 0.5, -1.0, 0.5]]
    model(x).backward()
    t = torch.tensor([0.5, 0.5, -1.0, 0.5], dtype=torch.float64, requires_grad=True)
    out = nn.to_torch(model)(t.reshape(1, 1, 2, 2))
    out.sum().backward()
    assert [v.grad for v in x] == t.grad.tolist()


def test_activation_layers_are_the_ops_tables_activation_rows():
    rows = {name for name, row in OPS.items() if row.activation}
    assert {cls.op for cls in ACTIVATION_LAYERS.values()} == rows
    assert nn.LeakyReLU.op == "leaky_relu" and nn.ReLU.op == "relu"
    for cls in ACTIVATION_LAYERS.values():
        out = cls()([0.7, -0.3])
        assert [o.data for o in out] == [float(OPS[cls.op].forward(SCALAR_MATH, v))
                                         for v in (0.7, -0.3)]


@pytest.mark.parametrize("engine", [False, True], ids=["scalar", "compiled"])
def test_one_sgd_step_of_fit_equals_pytorchs(engine):
    model = nn.Sequential(nn.Conv2d(1, 2, 3, stride=2, padding=1, seed=3), nn.ReLU(),
                          nn.MaxPool2d(2, stride=1), nn.Flatten(), nn.Linear(8, 3, seed=4),
                          input_shape=(1, 5, 5))
    net = nn.to_torch(model)
    rng = random.Random(7)
    X = [[rng.uniform(-1, 1) for _ in range(25)] for _ in range(4)]
    y = [0, 2, 1, 2]
    nn.fit(model, X, y, optimizer="sgd", lr=0.1, epochs=1, batch_size=4, progress=False,
           compile=engine)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = torch.nn.functional.cross_entropy(
        net(torch.tensor(X, dtype=torch.float64).reshape(4, 1, 5, 5)), torch.tensor(y))
    loss.backward()
    optimizer.step()
    theirs = [v for p in net.parameters() for v in p.detach().flatten().tolist()]
    assert [p.data for p in model.parameters()] == pytest.approx(theirs, abs=1e-10)


def test_save_and_load_keep_every_layer(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 2, padding=1, seed=0), nn.Tanh(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Dropout(0.25), nn.Linear(8, 2, seed=1),
                          nn.Sigmoid(), input_shape=(1, 3, 3))
    path = tmp_path / "model.json"
    model.save(path, metadata={"classes": ["a", "b"]})
    back = nn.load(path)
    assert repr(back) == repr(model)
    assert [p.data for p in back.parameters()] == [p.data for p in model.parameters()]
    x = [0.1 * i for i in range(9)]
    assert back.forward_data(x) == model.forward_data(x)
    assert back.metadata == {"classes": ["a", "b"]}


def test_a_damaged_sequential_file_is_one_clear_error(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2, seed=0), nn.ReLU(), nn.Linear(2, 1, seed=0))
    path = tmp_path / "model.json"
    model.save(path)
    text = path.read_text()
    path.write_text(text.replace('"Linear"', '"Linnear"', 1))
    with pytest.raises(nn.ModelFileError, match="layer 0 has type 'Linnear'"):
        nn.load(path)
    path.write_text(text.replace('"2.bias[0]"', '"2.bias[9]"'))
    with pytest.raises(nn.ModelFileError, match="has no parameter 2.bias"):
        nn.load(path)


def test_from_architecture_refuses_unknown_layers():
    with pytest.raises(ValueError, match="layer 1 has type 'Conv3d'"):
        sequential_from_architecture({"input_shape": [2], "layers": [
            {"type": "Flatten"}, {"type": "Conv3d"}]})


@pytest.mark.parametrize("build, message", [
    (lambda: nn.Sequential(nn.Conv2d(1, 2, 3)), "needs input_shape"),
    (lambda: nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(8, 1), input_shape=(1, 4, 4)),
     r"put nn.Flatten\(\) before it"),
    (lambda: nn.Sequential(nn.Conv2d(2, 2, 3), nn.Flatten(), input_shape=(1, 4, 4)),
     r"takes \(C=2, H, W\) images but gets shape \(1, 4, 4\)"),
    (lambda: nn.Sequential(nn.Conv2d(1, 2, 5), nn.Flatten(), input_shape=(1, 4, 4)),
     "smaller than the 5x5 kernel"),
    (lambda: nn.Sequential(nn.Conv2d(1, 2, 3), input_shape=(1, 4, 4)),
     r"end with nn.Flatten\(\)"),
    (lambda: nn.Conv2d(1, 2, 3, padding=-1), "padding must be an int >= 0"),
])
def test_bad_shapes_are_one_clear_error(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_a_wrong_input_length_names_the_shape():
    model = nn.Sequential(nn.Conv2d(1, 1, 2), nn.Flatten(), input_shape=(1, 3, 3))
    with pytest.raises(ValueError, match=r"input_shape \(1, 3, 3\) takes 9 numbers but got 4"):
        model([0.0] * 4)


def test_from_torch_needs_an_input_shape_for_a_convolution():
    with pytest.raises(ValueError, match="needs input_shape"):
        nn.from_torch(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 2), torch.nn.Flatten()))
    with pytest.raises(ValueError, match="groups, dilation"):
        nn.from_torch(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 2, dilation=2)),
                      input_shape=(1, 5, 5))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_from_torch_refuses_a_non_finite_conv_weight_by_its_full_index(bad):
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(),
                              torch.nn.Linear(8, 2)).double()
    with torch.no_grad():
        net[0].weight[1, 0, 2, 1] = bad
    with pytest.raises(ValueError, match=rf"^from_torch: the weight 0\.weight\[1,0,2\]\[1\] "
                                         rf"is {bad}, not a finite number"):
        nn.from_torch(net, input_shape=(1, 4, 4))
    with torch.no_grad():
        net[0].weight[1, 0, 2, 1] = 0.5
        net[2].bias[1] = bad
    with pytest.raises(ValueError, match=rf"the bias 2\.bias\[1\] is {bad}"):
        nn.from_torch(net, input_shape=(1, 4, 4))


def test_linear_only_torch_models_still_come_back_as_mlps():
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    assert isinstance(nn.from_torch(net), nn.MLP)
    assert isinstance(nn.from_torch(net, input_shape=(2,)), nn.Sequential)


def test_chainrule_export_rebuilds_a_conv_net_in_three_lines(tmp_path, capsys):
    from chainrule.cli import main

    model = nn.Sequential(nn.Conv2d(1, 2, 3, stride=2, padding=1, seed=0), nn.LeakyReLU(),
                          nn.MaxPool2d(2, stride=1), nn.Flatten(), nn.Linear(8, 2, seed=1),
                          input_shape=(1, 5, 5))
    model.save(tmp_path / "model.json")
    assert main(["export", str(tmp_path / "model.json"), "--torch",
                 str(tmp_path / "model.pt")]) == 0
    checkpoint = torch.load(tmp_path / "model.pt")
    net = torch.nn.Sequential(*(getattr(torch.nn, name)(*args)
                                for name, args in checkpoint["modules"])).double()
    net.load_state_dict(checkpoint["state_dict"])
    x = [0.1 * i - 1 for i in range(25)]
    got = net(torch.tensor(x, dtype=torch.float64).reshape(1, 1, 5, 5))[0].tolist()
    assert got == pytest.approx(model.forward_data(x), abs=1e-12)


class _Untouchable(list):
    def __iter__(self):
        raise AssertionError("a weight list was scanned for modules")


def test_train_and_eval_do_not_scan_weight_lists_for_modules():
    # the weights are Values only: scanning 100,000 of them per train()/eval() and per
    # dropout search was a third of a second of a Fashion-MNIST fit
    from nn import MLP
    from nn.layers import Dropout, Linear, Sequential
    model = Sequential(Linear(3, 2, seed=0), Dropout(0.5), Linear(2, 1, seed=1))
    mlp = MLP(3, [2, 1], seed=0)
    model.modules[0].weight = _Untouchable(model.modules[0].weight)
    mlp.layers[0].neurons[0].w = _Untouchable(mlp.layers[0].neurons[0].w)
    model.eval()
    mlp.eval()
    assert not model.modules[1].training and not mlp.training
    model.train()
    assert model.modules[1].training

"""nn.to_torch / nn.from_torch: the way out to PyTorch and back.

Oracles: the scalar engine's outputs and gradients for the same model (to_torch must
give PyTorch modules that compute them, float64, to 1e-12); a PyTorch Sequential's
own forward (from_torch must give an MLP that computes it).
"""

import random
import sys
import textwrap

import pytest
import torch

from nn import MLP, from_torch, to_torch

ACTIVATION_SETS = [["relu", "linear"], ["tanh", "sigmoid", "linear"],
                   ["leaky_relu", "relu", "tanh"]]


def _scalar_outputs_and_grads(model, X):
    model.zero_grad()
    outputs = []
    total = None
    for x in X:
        out = model(x)
        out = out if isinstance(out, list) else [out]
        outputs.append([o.data for o in out])
        row = sum(out[1:], out[0])
        total = row if total is None else total + row
    total.backward()
    return outputs, [p.grad for p in model.parameters()]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("activations", ACTIVATION_SETS, ids="-".join)
def test_to_torch_computes_the_same_outputs_and_gradients(activations, seed):
    rng = random.Random(seed)
    sizes = [rng.randint(1, 5) for _ in activations]
    model = MLP(3, sizes, activation=activations, init="he", seed=seed)
    X = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(6)]
    want_out, want_grads = _scalar_outputs_and_grads(model, X)
    net = to_torch(model)
    assert all(p.dtype == torch.float64 for p in net.parameters())
    out = net(torch.tensor(X, dtype=torch.float64))
    out.sum().backward()
    assert torch.allclose(out, torch.tensor(want_out, dtype=torch.float64),
                          rtol=1e-12, atol=1e-14)
    got_grads = []
    for linear in (m for m in net if isinstance(m, torch.nn.Linear)):
        for row, bias in zip(linear.weight.grad.tolist(), linear.bias.grad.tolist()):
            got_grads += row + [bias]  # chainrule's order: a neuron's weights, then its bias
    assert got_grads == pytest.approx(want_grads, rel=1e-12, abs=1e-14)


def test_from_torch_reads_a_float32_sequential_and_round_trips():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Dropout(0.1),
                              torch.nn.Linear(6, 5), torch.nn.LeakyReLU(0.01),
                              torch.nn.Dropout(0.1), torch.nn.Linear(5, 2)).eval()
    model = from_torch(net)
    assert [layer.activation for layer in model.layers] == ["tanh", "leaky_relu", "linear"]
    assert model.dropout.p == 0.1 and not model.training
    X = torch.randn(7, 4).double()
    want = net.double()(X)
    got = torch.tensor([model.forward_data(row) for row in X.tolist()], dtype=torch.float64)
    assert torch.allclose(got, want, rtol=1e-12, atol=1e-14)
    again = to_torch(model).eval()
    assert torch.allclose(again(X), want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("layers, named", [
    (lambda: [torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 1)],
     r"layer 1 \(BatchNorm1d"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.LeakyReLU(0.2)], r"layer 1 .*slope 0.2"),
    (lambda: [torch.nn.ReLU(), torch.nn.Linear(2, 3)], r"layer 0 \(ReLU\(\)\) comes before"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)], r"layer 1 .* takes 4 inputs"),
    (lambda: [torch.nn.Linear(2, 3, bias=False)], r"layer 0 .*no bias"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.ReLU()], r"layer 2 \(ReLU"),
])
def test_from_torch_names_the_layer_it_cannot_convert(layers, named):
    with pytest.raises(ValueError, match=named):
        from_torch(torch.nn.Sequential(*layers()))
    with pytest.raises(ValueError, match="not a torch.nn.Sequential"):
        from_torch(torch.nn.Conv1d(1, 1, 1))


def test_a_missing_torch_is_one_clear_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    for call in (lambda: to_torch(MLP(2, [1], seed=0)), lambda: from_torch(object())):
        with pytest.raises(ImportError, match=r"pip install '\.\[torch\]' in your chainrule"):
            call()


def test_the_docstring_examples_run():
    import doctest

    import nn.torch_bridge

    result = doctest.testmod(nn.torch_bridge, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_chainrule_export_writes_a_checkpoint_that_three_lines_rebuild(tmp_path, capsys):
    from chainrule.cli import main
    from nn import save

    model = MLP(3, [5, 4, 2], activation=["leaky_relu", "tanh", "linear"], init="he", seed=1,
                dropout=0.5)  # the three lines must end in eval mode: no dropout at random
    save(model, tmp_path / "model.json", metadata={"loss": "cross_entropy"})
    assert main(["export", str(tmp_path / "model.json"), "--torch",
                 str(tmp_path / "out" / "model.pt")]) == 0
    assert "wrote" in capsys.readouterr().out

    # the three lines exactly as chainrule.export_cmd's docstring gives them
    import chainrule.export_cmd

    doc = chainrule.export_cmd.__doc__
    lines = doc[doc.index("rebuild the network::") + len("rebuild the network::"):]
    lines = textwrap.dedent(lines.split("\n\n")[1]).replace(
        '"digits.pt"', repr(str(tmp_path / "out" / "model.pt")))
    scope = {"torch": torch}
    exec(lines, scope)  # torch.load's weights_only default: plain data
    net, checkpoint = scope["net"], scope["checkpoint"]

    assert [type(m).__name__ for m in net].count("Dropout") == 2 and not net.training
    X = [[0.3, -1.2, 2.0], [1.0, 0.0, -0.5]]
    want = torch.tensor([model.eval().forward_data(x) for x in X], dtype=torch.float64)
    assert torch.allclose(net(torch.tensor(X, dtype=torch.float64)), want, rtol=1e-12)
    assert checkpoint["metadata"]["loss"] == "cross_entropy"


def test_chainrule_export_refuses_bad_input_in_one_line(tmp_path, capsys):
    from chainrule.cli import main
    from nn import save

    save(MLP(2, [1], seed=0), tmp_path / "model.json")
    cases = [(["export", str(tmp_path / "missing.json"), "--torch", str(tmp_path / "m.pt")],
              "missing.json"),
             (["export", str(tmp_path / "model.json"), "--torch", str(tmp_path)],
              "that is a folder"),
             (["export", str(tmp_path / "model.json")], "--torch")]
    for argv, named in cases:
        capsys.readouterr()
        try:
            code = main(argv)
        except SystemExit as stop:  # argparse's own error
            code = stop.code
        err = capsys.readouterr().err
        assert code == 2 and named in err and err.count("\n") == 1, (argv, err)


def test_every_file_chainrule_writes_gets_the_mode_the_umask_gives(tmp_path, capsys):
    # mkstemp makes 0600 files; a model, a metrics file, a checkpoint or a picture is no
    # secret, so each gets what open() would give it under the user's umask.
    import os

    from autograd import Value
    from chainrule.cli import main
    from chainrule.run_files import write_json
    from nn import save
    from visualize import render

    previous = os.umask(0o027)
    try:
        save(MLP(2, [3, 1], seed=0), tmp_path / "model.json")
        write_json(tmp_path / "metrics.json", {"loss": 0.5})
        render(Value(2.0, "x") * 3, tmp_path / "graph.svg")
        assert main(["export", str(tmp_path / "model.json"), "--torch",
                     str(tmp_path / "model.pt")]) == 0
    finally:
        os.umask(previous)
    for name in ("model.json", "metrics.json", "graph.svg", "model.pt"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o640, name


# --- Dropout where it was, in the mode it was (issue 20, item 8) ------------------------

L, R, D = torch.nn.Linear, torch.nn.ReLU, torch.nn.Dropout
MISPLACED_DROPOUT = [
    ([L(2, 3), R(), D(0.5), L(3, 3), R(), L(3, 1)], r"Dropout at layer 2 but none after the "
     r"hidden layer 3"),                                  # after the first hidden layer only
    ([L(2, 3), R(), D(0.5), L(3, 1), D(0.5)], r"layer 4 .* after the output layer 3"),
    ([L(2, 3), D(0.5), torch.nn.Sigmoid(), L(3, 1)], r"the Dropout at layer 1 comes before the "
     r"activation at layer 2 \(Sigmoid\(\)\)"),
    ([L(2, 3), R(), D(0.5), D(0.5), L(3, 1)], r"layer 3 .* second Dropout after layer 0"),
    ([L(2, 3), R(), D(0.2), L(3, 3), R(), D(0.5), L(3, 1)],
     r"Dropout layers with different p \[0.2, 0.5\]"),
]


@pytest.mark.parametrize("layers, named", MISPLACED_DROPOUT)
def test_from_torch_refuses_a_dropout_placement_the_mlp_cannot_represent(layers, named):
    with pytest.raises(ValueError, match=rf"^from_torch: {named}"):
        from_torch(torch.nn.Sequential(*layers))


def test_from_torch_refuses_dropout_modes_that_differ():
    net = torch.nn.Sequential(L(2, 3), R(), D(0.5), L(3, 3), R(), D(0.5), L(3, 1)).eval()
    net[2].train()
    with pytest.raises(ValueError, match="some Dropout layers are in training mode"):
        from_torch(net)


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_from_torch_keeps_the_dropout_and_its_mode(mode):
    torch.manual_seed(0)
    net = torch.nn.Sequential(L(2, 4), torch.nn.Tanh(), D(0.3), L(4, 4), R(), D(0.3),
                              L(4, 2), D(0.0)).double()  # p=0 is the identity, anywhere
    getattr(net, mode)()
    model = from_torch(net)
    assert model.dropout.p == 0.3 and model.training is (mode == "train")
    assert [m.__class__.__name__ for m in to_torch(model)].count("Dropout") == 2
    if mode == "eval":  # then both compute the same function
        x = [0.25, -1.5]
        theirs = net(torch.tensor([x], dtype=torch.float64))[0].tolist()
        assert max(abs(a - b) for a, b in zip(model.forward_data(x), theirs)) < 1e-12


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("tensor", ["weight", "bias"])
def test_from_torch_refuses_a_non_finite_weight_naming_the_tensor_and_index(bad, tensor):
    net = torch.nn.Sequential(L(2, 3), R(), L(3, 2))
    with torch.no_grad():
        if tensor == "weight":
            net[2].weight[1, 2] = bad
        else:
            net[2].bias[1] = bad
    where = r"2\.weight\[1\]\[2\]" if tensor == "weight" else r"2\.bias\[1\]"
    with pytest.raises(ValueError, match=rf"^from_torch: the {tensor} {where} is {bad}, not a "
                                         "finite number"):
        from_torch(net)  # before: imported, and predict answered class 0 for every input

"""nn.to_torch / nn.from_torch: the way out to PyTorch and back.

Oracles: the scalar engine's outputs and gradients for the same model (to_torch must
give PyTorch modules that compute them, float64, to 1e-12); a PyTorch Sequential's
own forward (from_torch must give an MLP that computes it).
"""

import random
import sys

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

    model = MLP(3, [5, 4, 2], activation=["leaky_relu", "tanh", "linear"], init="he", seed=1)
    save(model, tmp_path / "model.json", metadata={"loss": "cross_entropy"})
    assert main(["export", str(tmp_path / "model.json"), "--torch",
                 str(tmp_path / "out" / "model.pt")]) == 0
    assert "wrote" in capsys.readouterr().out

    checkpoint = torch.load(tmp_path / "out" / "model.pt")  # weights_only: plain data
    net = torch.nn.Sequential(*(getattr(torch.nn, name)(*args)
                                for name, args in checkpoint["modules"])).double()
    net.load_state_dict(checkpoint["state_dict"])

    X = [[0.3, -1.2, 2.0], [1.0, 0.0, -0.5]]
    want = torch.tensor([model.forward_data(x) for x in X], dtype=torch.float64)
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

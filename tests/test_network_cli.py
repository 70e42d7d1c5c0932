"""``chainrule network`` and ``--format``: tables checked against PyTorch, files, errors."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cli_fuzz import EXAMPLES, check, flag_list

from chainrule.cli import main

DOCS = Path(__file__).resolve().parent.parent / "docs"
ARGV = ["--sizes", "2,3,1", "--activation", "tanh", "--input", "1,-2", "--target", "1",
        "--loss", "mse", "--seed", "0"]


def run(command, *argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([command, *argv])
        except SystemExit as exit_:
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def torch_network():
    """The same 2-3-1 tanh network in PyTorch, weights read from chainrule's model."""
    from nn import MLP
    model = MLP(2, [3, 1], activation=["tanh", "tanh"], seed=0)
    W = [torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64,
                      requires_grad=True) for layer in model.layers]
    b = [torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                      requires_grad=True) for layer in model.layers]
    a = torch.tensor([1.0, -2.0], dtype=torch.float64)
    zs = []
    for Wl, bl in zip(W, b):
        z = Wl @ a + bl
        z.retain_grad()
        zs.append(z)
        a = torch.tanh(z)
    loss = ((a - 1.0) ** 2).sum()
    loss.backward()
    return W, b, zs, loss


def test_json_tables_match_pytorch():
    code, out, err = run("network", *ARGV, "--format", "json")
    assert code == 0, err
    tables = json.loads(out)
    W, b, zs, loss = torch_network()
    assert float(tables["loss"][0]["value"]) == pytest.approx(loss.item(), rel=1e-5)
    backward = {r["neuron"]: r for r in tables["backward pass: one row per neuron, output "
                                                "layer first"]}
    for layer in (1, 2):
        for j in range(len(zs[layer - 1])):
            row = backward[f"L{layer}.N{j + 1}"]
            assert float(row["dL/dz = dL/da * act'(z)"]) == pytest.approx(
                zs[layer - 1].grad[j].item(), rel=1e-5)
    grads = {r["parameter"]: float(r["dL/dparameter"])
             for r in tables["gradient of every parameter"]}
    for layer in (1, 2):
        for j in range(W[layer - 1].shape[0]):
            for k in range(W[layer - 1].shape[1]):
                assert grads[f"L{layer}.N{j + 1}.w{k + 1}"] == pytest.approx(
                    W[layer - 1].grad[j, k].item(), rel=1e-5, abs=1e-9)
            assert grads[f"L{layer}.N{j + 1}.b"] == pytest.approx(
                b[layer - 1].grad[j].item(), rel=1e-5, abs=1e-9)


def test_text_output_names_every_neuron_and_parameter():
    code, out, _ = run("network", *ARGV)
    assert code == 0
    for name in ("L1.N1", "L1.N3", "L2.N1", "L1.N2.w2", "L2.N1.b", "act'(z)", "dL/da"):
        assert name in out
    assert "#" not in out


def _csv_tables_are_rectangular(text: str) -> bool:
    width, tables, rows = None, 0, list(csv.reader(io.StringIO(text)))
    for row in rows:
        if row[0] == "table":
            width, tables = len(row), tables + 1
        elif len(row) != width:
            return False
    return tables >= 3 and len(rows) > tables


@pytest.mark.parametrize("fmt, check_text", [
    ("md", lambda t: t.startswith("**forward pass") and t.count("|---|") >= 3),
    ("latex", lambda t: t.count(r"\begin{tabular}") == t.count(r"\end{tabular}") >= 3),
    ("csv", _csv_tables_are_rectangular),
])
def test_every_format_prints_the_tables(fmt, check_text):
    for command, argv in (("network", ARGV), ("trace", ["tanh(x*w + b)", "x=2", "w=-3",
                                                         "b=6.88"])):
        code, out, err = run(command, *argv, "--format", fmt)
        assert code == 0, err
        assert check_text(out), (command, fmt, out[:300])
        assert "#" not in out.replace(r"\#", "").replace("\"table\",\"#\"", "").replace("| # |", "")


def test_trace_json_has_the_gradients():
    code, out, _ = run("trace", "tanh(x*w + b)", "x=2", "w=-3", "b=6.88", "--format", "json")
    grads = {r["input"]: float(r["gradient"]) for r in json.loads(out)["gradients of "
                                                                      "tanh(x*w + b)"]}
    local = 1 - torch.tanh(torch.tensor(0.88)).item() ** 2
    assert grads["x"] == pytest.approx(-3 * local, rel=1e-5)


def test_writes_the_diagram_the_stepper_and_frames(tmp_path):
    svg, html, frames = tmp_path / "net.svg", tmp_path / "net.html", tmp_path / "frames"
    code, out, err = run("network", *ARGV, "--svg", str(svg), "--html", str(html),
                         "--frames", str(frames))
    assert code == 0, err
    ET.fromstring(svg.read_text())
    page = html.read_text()
    assert page.count("<svg") == 1 and "quiz-toggle" in page
    assert len(list(frames.iterdir())) == page.count('"mode": ')
    assert f"wrote {svg}" in out


def test_a_layer_wider_than_the_picture_draws_writes_every_frame(tmp_path):
    # 9 neurons: the picture draws 7 and a "+ 2 more" box, which the steps of the
    # other two light up (this was KeyError: 'n-1-8')
    frames = tmp_path / "frames"
    code, out, err = run("network", "--sizes", "2,9,1", "--input", "1,2", "--target", "1",
                         "--frames", str(frames))
    assert code == 0, err
    written = sorted(frames.iterdir())
    assert len(written) == 2 + 9 + 1 + 2 * 10
    lit = [f.name for f in written if 'stroke="#e65100"' in
           "".join(ET.tostring(g, encoding="unicode") for g in ET.fromstring(f.read_text()).iter()
                   if g.get("id") == "more-1")]
    assert len(lit) >= 2                       # L1.N8 and L1.N9 forward, and backward


@pytest.mark.parametrize("argv, needle", [
    (["--sizes", "2,x,1"], "--sizes '2,x,1': give the input count"),
    (["--sizes", "2,0"], "each size must be 1 to 64"),
    (["--input", "1"], "--input has 1 numbers but --sizes 2,3,1 starts with 2 inputs"),
    (["--input", "1,nan"], "nan is not a finite number"),
    (["--activation", "swish"], "--activation 'swish' is not known"),
    (["--loss", "hinge"], "--loss 'hinge' is not known"),
    (["--target", "1,2"], "--target has 2 numbers but the network has 1 outputs"),
    (["--format", "xml"], "--format 'xml' is not known"),
    (["--seed", "x"], "--seed 'x': give a whole number"),
])
def test_bad_input_is_one_line_and_exit_2(argv, needle):
    base = dict(zip(ARGV[::2], ARGV[1::2]))
    base.update(dict(zip(argv[::2], argv[1::2])))
    code, out, err = run("network", *[t for pair in base.items() for t in pair])
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.data())
def test_network_argv(data):
    flags = data.draw(flag_list({
        "--sizes": ["2,3,1", "1,1", "3,8,8,2", "64,64", "2,-1"], "--input": ["1,-2", "1"],
        "--conv": ["5x5,3x3", "1x2,1x1", "3x3,4x4", "x"],
        "--activation": ["tanh", "relu", "sigmoid", "nope"], "--target": ["1", "1,2"],
        "--loss": ["mse", "none", "x"], "--seed": ["0", "-3"],
        "--format": ["text", "md", "latex", "csv", "json", "yaml"]}, max_size=6))
    check(["network", *flags])


def test_the_readme_section_shows_real_output(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # the width tests/test_docs.py runs the pages at
    import re
    import shlex

    from readme_text import page_section
    text = page_section("networks.md", "Backprop through a network")
    block = re.search(r"```console\n\$ (.*?)\n(.*?)```", text, re.S)
    argv = shlex.split(block.group(1))
    assert argv[:2] == ["chainrule", "network"]
    code, out, _ = run(*argv[1:])
    assert code == 0 and out.rstrip("\n") == block.group(2).rstrip("\n")
    pictures = re.findall(r"\]\(([^)]+\.(?:svg|png))\)", text)
    assert len(pictures) >= 4
    for picture in pictures:
        assert (DOCS / picture).is_file(), picture


IMAGE = "0,0,1,0,0,0,1,1,0,0,0,0,1,0,0,0,0,1,0,0,0,1,1,1,0"
CONV = ["--conv", "5x5,3x3", "--input", IMAGE, "--target", "1", "--seed", "0"]


def test_conv_tables_match_pytorch():
    from nn.layers import Conv2d, Flatten, Linear, Sequential, Tanh
    code, out, err = run("network", *CONV, "--format", "json")
    assert code == 0, err
    tables = json.loads(out)
    model = Sequential(Conv2d(1, 1, 3, seed=0), Tanh(), Flatten(), Linear(9, 1, seed=1),
                       input_shape=(1, 5, 5))
    conv, linear = model.modules[0], model.modules[-1]
    w = torch.tensor([v.data for v in conv.weight], dtype=torch.float64,
                     requires_grad=True)
    b = torch.tensor([conv.bias[0].data], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([float(v) for v in IMAGE.split(",")], dtype=torch.float64)
    z = torch.nn.functional.conv2d(x.reshape(1, 1, 5, 5), w.reshape(1, 1, 3, 3), b)
    z.retain_grad()
    out_t = torch.tanh(z).flatten() @ torch.tensor([v.data for v in linear.weight],
                                                   dtype=torch.float64) + linear.bias[0].data
    loss = (out_t - 1.0) ** 2
    loss.backward()
    assert float(tables["loss"][0]["value"]) == pytest.approx(loss.item(), rel=1e-5)
    forward = tables["forward pass: one row per output position"]
    assert [float(r["z = b + w.patch"]) for r in forward] == pytest.approx(
        z.flatten().tolist(), rel=1e-5, abs=1e-9)
    backward = tables["backward pass: dL/dz at each output position"]
    assert [float(r["dL/dz"]) for r in backward] == pytest.approx(z.grad.flatten().tolist(),
                                                                  rel=1e-5, abs=1e-9)
    grads = [r for r in tables[next(t for t in tables if t.startswith("gradient of every "
                                                                       "kernel weight"))]]
    assert [float(r["dL/dparameter"]) for r in grads] == pytest.approx(
        w.grad.tolist() + b.grad.tolist(), rel=1e-5, abs=1e-9)
    assert grads[0]["sum over positions"].count("*") == 9


def test_conv_writes_the_diagram_the_stepper_and_frames(tmp_path):
    svg, html, frames = tmp_path / "conv.svg", tmp_path / "conv.html", tmp_path / "frames"
    code, out, err = run("network", *CONV, "--svg", str(svg), "--html", str(html),
                         "--frames", str(frames))
    assert code == 0, err
    assert ET.fromstring(svg.read_text()) is not None
    page = html.read_text()
    assert "a convolution: a 3x3 kernel on a 5x5 image" in page
    assert len(list(frames.iterdir())) == page.count('"mode": ')
    assert out.startswith("network     conv 3x3 on a 5x5 image, tanh, Flatten, Linear(9, 1)")


def test_conv_limits_are_the_pictures():
    from chainrule import network_cmd
    from visualize import conv_network
    assert (network_cmd.MAX_IMAGE, network_cmd.MAX_KERNEL) == \
        (conv_network.MAX_IMAGE, conv_network.MAX_KERNEL)


@pytest.mark.parametrize("argv, needle", [
    (["--conv", "5x5"], "--conv '5x5': give the image and the kernel as HxW,KxK"),
    (["--conv", "5x5,3x2"], "a square kernel"),
    (["--conv", "9x9,3x3"], "an image of at most 8x8"),
    (["--conv", "3x3,5x5"], "that fits in it"),
    (["--conv", "5x5,0x0"], "--conv '5x5,0x0'"),
    (["--conv", "５x5,3x3"], "give the image and the kernel as HxW,KxK"),
    (["--input", "1,2"], "--input has 2 numbers but --conv 5x5,3x3 takes a 5x5 image: "
                         "give 25 pixels"),
    (["--target", "1,2"], "--target has 2 numbers but the network has 1 outputs"),
    (["--sizes", "2,3,1"], "--conv and --sizes both describe the network: give one"),
])
def test_conv_bad_input_is_one_line_and_exit_2(argv, needle):
    base = dict(zip(CONV[::2], CONV[1::2]))
    base.update(dict(zip(argv[::2], argv[1::2])))
    code, out, err = run("network", *[t for pair in base.items() for t in pair])
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, err

"""``chainrule trace``: the printed record, the files it writes, and one-line errors."""

from __future__ import annotations

import contextlib
import io
import math
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st
from readme_text import page_section

from chainrule.cli import main
from chainrule.trace_cmd import parse_bindings


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["trace", *argv])
        except SystemExit as exit_:  # argparse's own errors
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_trace_prints_forward_backward_and_every_gradient(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")      # a wide terminal: every formula on one line
    code, out, err = run("tanh(x*w + b)", "x=2", "w=-3", "b=6.88")
    assert code == 0 and err == ""
    assert "forward pass" in out and "backward pass" in out
    assert "d(x*w)/dx = w = -3.0" in out
    # the gradients, checked against the hand derivation d tanh(u) = 1 - tanh(u)^2
    local = 1 - math.tanh(2 * -3 + 6.88) ** 2
    grads = dict(line.strip().split(" = ") for line in out.split("gradients of")[1]
                 .splitlines()[1:] if line.strip())
    assert float(grads["d/dx"]) == pytest.approx(-3 * local, rel=1e-5)
    assert float(grads["d/dw"]) == pytest.approx(2 * local, rel=1e-5)
    assert float(grads["d/db"]) == pytest.approx(local, rel=1e-5)


def test_trace_writes_svg_html_and_frames(tmp_path):
    svg, html, frames = tmp_path / "g.svg", tmp_path / "s.html", tmp_path / "frames"
    code, out, err = run("(a + b)**2 / c", "a=1", "b=2", "c=3", "--svg", str(svg),
                         "--html", str(html), "--frames", str(frames))
    assert code == 0, err
    root = ET.fromstring(svg.read_text())
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any(t.startswith("local") for t in texts) and any(t.startswith("flows") for t in texts)
    files = sorted(frames.iterdir())
    assert [f.name for f in files] == [f"step-{k:03d}.svg" for k in range(1, 8)]
    assert all(ET.fromstring(f.read_text()).tag.endswith("svg") for f in files)
    page = html.read_text()  # one picture, restyled per step: 7 backward steps
    assert page.count("<svg") == 1 and page.count('"mode": "backward"') == 7
    assert f"wrote {svg}" in out and f"wrote {html}" in out


@pytest.mark.parametrize("argv, needle", [
    (["tanh(x*w + b)", "x=2", "w=-3"], "no value for b"),
    (["tanh(x*w + b)", "x=2"], "no value for w, b"),
    (["x.y", "x=1"], "attribute access"),
    (["__import__('os').system('true')"], "not allowed"),
    (["tanh(x", "x=1"], "syntax error at column 5"),
    (["x + 1", "x=abc"], "'abc' is not a number"),
    (["x + 1", "x"], "not NAME=VALUE"),
    (["x + 1", "1x=2"], "not a variable name"),
    (["x + 1", "x=1", "x=2"], "given twice"),
    (["x + 1", "x=1", "y=2"], "y is not in 'x + 1'"),
    (["x + 1", "x=nan"], "not a finite number"),
    (["x + 1", "x=inf"], "not a finite number"),
    (["log(x)", "x=-1"], "log() of -1.0 is undefined"),
    (["1/x", "x=0"], "divisor is zero"),
    (["exp(x)", "x=1000"], "overflows"),
    (["x" + "+x" * 600, "x=1"], "limit is 1000"),
    (["x + 1", "x=1", "--svg", "graph.txt"], "end the file name with one of"),
    ([], "required: EXPR"),
])
def test_bad_input_is_one_line_on_stderr_and_exit_2(argv, needle):
    code, out, err = run(*argv)
    assert code == 2
    assert out == ""  # nothing half-printed before the error
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("chainrule")
    assert needle in lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [["--", "-log(sigmoid(z))", "z=0.3"],
                                  ["-log(sigmoid(z))", "z=0.3"]])
def test_an_expression_starting_with_minus_works(argv):
    code, out, err = run(*argv)
    assert code == 0, err
    sigmoid = 1 / (1 + math.exp(-0.3))
    assert f"d/dz = {-(1 - sigmoid):.6g}" in out
    code, _, err = run("-log(z)")
    assert code == 2 and "no value for z" in err


def test_frames_into_a_file_is_refused(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    code, out, err = run("x*2", "x=1", "--frames", str(target))
    assert code == 2 and "that is a file" in err and out == ""


@given(st.text(max_size=40), st.lists(st.text(max_size=12), max_size=3))
def test_fuzzed_command_lines_end_in_output_or_one_line_error(expression, bindings):
    code, out, err = run("--", expression, *bindings)
    assert code in (0, 2)
    if code == 2:
        assert len(err.splitlines()) == 1 and "Traceback" not in err
    else:
        assert "gradients of" in out


def test_a_real_process_prints_no_traceback():
    result = subprocess.run([sys.executable, "-m", "chainrule", "trace", "log(x)", "x=-1"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    ok = subprocess.run([sys.executable, "-m", "chainrule", "trace", "a*b + a", "a=2", "b=-3"],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "d/da = -2.0" in ok.stdout and "d/db = 2.0" in ok.stdout


def test_parse_bindings():
    assert parse_bindings(["x=2", " w = -3e-1 "]) == {"x": 2.0, "w": -0.3}


def test_the_readme_section_shows_real_output(monkeypatch):
    """The first console block of the user guide's trace section is exactly what the
    command prints."""
    monkeypatch.setenv("COLUMNS", "200")  # the width tests/test_docs.py runs the pages at
    import re
    import shlex
    text = page_section("guide.md", "Backprop step by step")
    block = re.search(r"```console\n\$ (.*?)\n(.*?)```", text, re.S)
    argv = shlex.split(block.group(1))
    assert argv[:2] == ["chainrule", "trace"]
    code, out, _ = run(*argv[2:])
    assert code == 0
    assert out.rstrip("\n") == block.group(2).rstrip("\n")

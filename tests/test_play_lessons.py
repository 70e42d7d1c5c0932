"""The classroom page's Python (chainrule.classroom), natively: the tables are what
``chainrule trace`` / ``chainrule network`` print (run as a separate process), the
gradients are PyTorch's in float64, and a link survives a round trip through the page.
And ``chainrule play``: it serves the built folder on 127.0.0.1 with the types a browser
needs, or says in one line to run ``make site``."""

from __future__ import annotations

import doctest
import math
import os
import subprocess
import sys
import urllib.request
from urllib.parse import parse_qsl

import pytest

import chainrule.classroom as lessons
from chainrule.classroom import expression_lesson, lesson, network_lesson

torch = pytest.importorskip("torch")


def native(*argv) -> str:
    result = subprocess.run([sys.executable, "-m", "chainrule", *argv], capture_output=True,
                            text=True, timeout=120, env=dict(os.environ, COLUMNS="100"))
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(autouse=True)
def columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")


def test_the_docstring_examples_hold():
    result = doctest.testmod(lessons)
    assert result.attempted >= 4 and result.failed == 0


EXPRESSIONS = [
    ("tanh(x*w + b)", {"x": 2.0, "w": -3.0, "b": 6.88},
     lambda x, w, b: torch.tanh(x * w + b)),
    ("log(x)*y + exp(-x*y)/(1 + y**2)", {"x": 1.5, "y": -0.5},
     lambda x, y: torch.log(x) * y + torch.exp(-x * y) / (1 + y ** 2)),
    ("sigmoid(a)*relu(a - c) + a**3", {"a": 0.7, "c": 0.2},
     lambda a, c: torch.sigmoid(a) * torch.relu(a - c) + a ** 3),
]


@pytest.mark.parametrize("expr, values, oracle", EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_an_expression_lesson_is_chainrule_trace_with_pytorchs_gradients(expr, values, oracle):
    link = "&".join([f"expr={expr.replace('+', '%2B')}"] + [f"{k}={v}" for k, v in values.items()])
    result = expression_lesson(link)
    assert result["ok"], result["error"]
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for k, v in values.items()}
    oracle(**leaves).backward()
    got = {name: float(full) for name, full, _ in result["gradients"]}
    assert sorted(got) == sorted(values)
    for name, leaf in leaves.items():
        assert math.isclose(got[name], leaf.grad.item(), rel_tol=1e-12, abs_tol=1e-12), name
    argv = ["trace", expr] + [f"{k}={v}" for k, v in values.items()]
    assert result["tables"]["text"].rstrip() == native(*argv).rstrip()
    for fmt in ("md", "latex"):
        assert result["tables"][fmt] == native(*argv, "--format", fmt)
    assert result["stepper"].startswith("<!DOCTYPE html>") and "steps-data" in result["stepper"]
    assert parse_qsl(result["link"]) == [("expr", expr)] + [(k, str(v)) for k, v in values.items()]
    assert lesson(result["link"])["link"] == result["link"]          # the link round-trips


def test_a_network_lesson_is_chainrule_network_with_its_defaults_filled_in():
    result = network_lesson("net=2,3,1&input=1,-2&target=0.5&seed=0")
    assert result["ok"], result["error"]
    assert dict(parse_qsl(result["link"])) == {"net": "2,3,1", "input": "1,-2",
                                               "target": "0.5", "activation": "tanh",
                                               "seed": "0", "loss": "mse"}
    flags = ["network", "--sizes", "2,3,1", "--input", "1,-2", "--target", "0.5", "--seed", "0"]
    assert result["tables"]["text"].rstrip() == native(*flags).rstrip()
    assert result["tables"]["md"] == native(*flags, "--format", "md")
    names = [row[0] for row in result["gradients"]]
    assert names[:3] == ["L1.N1.w1", "L1.N1.w2", "L1.N1.b"] and names[-1] == "L2.N1.b"
    table = result["tables"]["md"]
    for name, full, shown in result["gradients"]:   # the tables print the same numbers
        assert f"| {name} |" in table and f"| {shown} |" in table, name
        assert float(full) == pytest.approx(float(shown), rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("link, says", [
    ("net=2,3,1", "give the network's input"),
    ("net=2,3,1&input=1,-2&colour=red", "colour= is not a network setting"),
    ("net=2,3,1&input=1,2,3", "--input has 3 numbers"),
    ("net=2,3,1&input=1,-2&activation=swish", "--activation 'swish' is not known"),
    ("expr=", "give an expression"),
    ("expr=log(x)&x=-1", "log() of -1.0 is undefined"),
    ("expr=x*y&x=1", "y"),
    ("frobnicate=1", "the link names no lesson"),
])
def test_a_bad_link_is_one_line_saying_what_to_change(link, says):
    result = lesson(link)
    assert not result["ok"] and says in result["error"], result["error"]
    assert "\n" not in result["error"] and "Traceback" not in result["error"]


def lesson_links() -> list:
    """Every classroom link of docs/classroom.md and of the course's first cells."""
    import html
    import re
    from pathlib import Path
    docs = Path(__file__).resolve().parent.parent / "docs"
    pages = [docs / "classroom.md", *sorted((docs / "course").glob("*.ipynb"))]
    found = []
    for page in pages:
        text = page.read_text(encoding="utf-8").replace('\\"', '"')
        links = re.findall(r'href="(?:\.\./)?play/\?([^"]*)"', text)
        found += [(page.name, html.unescape(q)) for q in links]
    return found


def test_every_classroom_link_of_the_docs_and_the_course_opens_its_lesson():
    links = lesson_links()
    chapters = {name for name, _ in links if name.endswith(".ipynb")}
    assert len(chapters) >= 10 and len(links) >= 14
    for page, query in links:
        result = lesson(query)
        assert result["ok"], f"{page}: ?{query}: {result['error']}"


def start_play(*args):
    process = subprocess.Popen([sys.executable, "-m", "chainrule", "play", "--no-browser",
                                "--port", "0", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    return process


def test_chainrule_play_serves_the_folder_on_127_0_0_1_with_browser_types(tmp_path):
    play = tmp_path / "play"
    (play / "pyodide").mkdir(parents=True)
    (play / "index.html").write_text("<!doctype html><title>classroom</title>")
    (play / "pyodide" / "pyodide.asm.mjs").write_text("export const a = 1;")
    (play / "pyodide" / "pyodide.asm.wasm").write_bytes(b"\0asm\1\0\0\0")
    process = start_play("--dir", str(tmp_path))
    try:
        line = process.stdout.readline()
        assert line.startswith("serving the classroom at http://127.0.0.1:"), line
        url = line.split(" at ")[1].split()[0]
        with urllib.request.urlopen(url, timeout=10) as page:
            assert b"<title>classroom</title>" in page.read()
        for name, kind in (("pyodide/pyodide.asm.mjs", "text/javascript"),
                           ("pyodide/pyodide.asm.wasm", "application/wasm")):
            with urllib.request.urlopen(url + name, timeout=10) as response:
                assert response.headers["Content-Type"] == kind, name
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("args, says", [
    ([], "--dir site: site/play/index.html is missing: build the classroom with `make site`"),
    (["--dir", "elsewhere"], "elsewhere/play/index.html is missing"),
    (["--port", "70000", "--dir", "."], "--port 70000: give a port from 1 to 65535"),
])
def test_chainrule_play_without_a_built_site_says_to_run_make_site(tmp_path, args, says):
    (tmp_path / "play").mkdir()
    (tmp_path / "play" / "index.html").write_text("")
    here = os.environ.get("PYTHONPATH")   # a checkout run: keep it importable from tmp_path
    env = dict(os.environ, **({"PYTHONPATH": os.path.abspath(here)} if here else {}))
    result = subprocess.run([sys.executable, "-m", "chainrule", "play", "--no-browser", *args],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1

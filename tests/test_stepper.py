"""The stepper page: self-contained HTML, checked as text and driven in headless Chromium."""

from __future__ import annotations

import doctest
import json
import re
import time

import pytest

import visualize.stepper
from autograd.expr import build
from autograd.notation import format_number
from autograd.trace import backward_steps
from visualize import stepper_html, write_stepper

EXPRESSION = "tanh(x*w + b) * x"
VALUES = dict(x=2.0, w=-3.0, b=6.88)


def _page():
    return stepper_html(build(EXPRESSION, **VALUES), title=EXPRESSION)


def test_docstring_examples_run():
    assert doctest.testmod(visualize.stepper).failed == 0


def _steps(page):
    data = re.search(r'<script type="application/json" id="steps-data"[^>]*>(.*?)</script>',
                     page, re.S).group(1)
    return json.loads(data)


def test_page_has_one_picture_and_walks_forward_then_every_backward_step():
    page = _page()
    trace = backward_steps(build(EXPRESSION, **VALUES))
    assert page.count("<svg") == 1                     # laid out once
    steps = _steps(page)
    modes = [s["mode"] for s in steps]
    backward = [s for s in steps if s["mode"] == "backward"]
    assert modes == sorted(modes, key=lambda m: m != "forward")   # forward first
    assert len(backward) == len(trace) == 7
    for shown, step in zip(backward, trace):
        assert f"node-{step.index}" == shown["focus"][0]
        assert step.upstream_text() in shown["lines"][0]
        for c in step.contributions:
            assert c.formula_text() in shown["lines"]
    # the quiz asks, per parent, the local derivative and the amount passed back
    quiz = backward[1]["quiz"]
    c = trace[1].contributions[0]
    assert quiz[0]["answer"] == c.local and quiz[1]["answer"] == c.amount


def test_a_700_character_expression_lays_out_once_quickly_and_stays_small():
    names = [f"v{k}" for k in range(40)]
    text = " + ".join(f"tanh({n}*{n} + 1)" for n in names)
    assert len(text) >= 700
    start = time.monotonic()
    page = stepper_html(build(text, **{n: 0.1 * k for k, n in enumerate(names)}))
    assert time.monotonic() - start < 30
    assert page.count("<svg") == 1 and len(page.encode()) < 3_000_000


def test_page_is_self_contained():
    page = _page()
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    # nothing is fetched: no src/href attributes, no imports, no url(...)
    assert not re.search(r"\s(src|href)\s*=", page)
    assert "@import" not in page and "url(" not in page
    assert "<!DOCTYPE svg" not in page and "<?xml" not in page


def test_labels_cannot_break_out_of_the_page():
    from autograd import Value
    a = Value(1.0, "</script><script>alert(1)</script>")
    out = a * 2.0
    page = stepper_html(out, title="<b>title</b>")
    assert "<script>alert(1)" not in page
    assert "&lt;b&gt;title" in page


def test_too_big_graphs_are_refused_with_a_reason():
    from autograd import Value
    total = Value(0.0, "s")
    for k in range(200):
        total = total + Value(float(k))
    with pytest.raises(ValueError, match="stops at 300"):
        stepper_html(total)


def test_write_stepper_writes_utf8(tmp_path):
    path = write_stepper(build(EXPRESSION, **VALUES), tmp_path / "deep" / "page.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_frames_come_from_one_layout_and_follow_the_backward_steps():
    import xml.etree.ElementTree as ET

    from visualize import step_frames
    trace = backward_steps(build(EXPRESSION, **VALUES))
    svg = "{http://www.w3.org/2000/svg}"
    calls = []
    real = visualize.stepper.to_svg
    visualize.stepper.to_svg = lambda dot: calls.append(1) or real(dot)
    try:
        frames = step_frames(trace)
    finally:
        visualize.stepper.to_svg = real
    # laid out once per direction (left to right, top to bottom: the better is kept),
    # never once per step
    assert len(calls) == 2 and len(frames) == len(trace)
    for frame, step in zip(frames, trace):
        root = ET.fromstring(frame)
        node = next(g for g in root.iter(f"{svg}g") if g.get("id") == f"node-{step.index}")
        box = node.find(f"{svg}polygon")
        assert box.get("fill") == "#ffd54f"                   # this step's node is lit
        texts = [t.text for t in node.iter(f"{svg}text")]
        assert texts[-1] == f"grad {format_number(step.upstream)}"   # final, as the panel rounds
    last = [t.text for t in ET.fromstring(frames[-1]).iter(f"{svg}text")]
    first = [t.text for t in ET.fromstring(frames[0]).iter(f"{svg}text")]
    assert sum(t.startswith("flows") for t in last if t) > sum(
        t.startswith("flows") for t in first if t)           # labels fill in

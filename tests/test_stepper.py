"""The stepper page: self-contained HTML, checked as text and driven in headless Chromium."""

from __future__ import annotations

import doctest
import json
import os
import re
import time
from pathlib import Path

import pytest

import visualize.stepper
from autograd.expr import build
from autograd.trace import backward_steps
from visualize import stepper_html, write_stepper

CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
EXPRESSION = "tanh(x*w + b) * x"
VALUES = dict(x=2.0, w=-3.0, b=6.88)


def _page():
    return stepper_html(build(EXPRESSION, **VALUES), title=EXPRESSION)


def test_docstring_examples_run():
    assert doctest.testmod(visualize.stepper).failed == 0


def test_page_holds_one_frame_and_one_row_per_step():
    page = _page()
    trace = backward_steps(build(EXPRESSION, **VALUES))
    assert page.count('<div class="frame"') == len(trace) == 7
    data = re.search(r'<script type="application/json" id="steps-data">(.*?)</script>', page,
                     re.S).group(1)
    rows = json.loads(data)
    assert [r["node"] for r in rows] == [s.node for s in trace]
    assert [r["upstream"] for r in rows] == [s.upstream for s in trace]
    assert rows[-1]["upstream_text"] == trace[-1].upstream_text()  # x: two paths


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


# --- in a real browser -------------------------------------------------------------------


def _chromium_or_skip():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing and could not be installed "
                    "(make chromium runs: apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is missing: pip install -e '.[test]'")
    return sync_playwright


@pytest.fixture(scope="module")
def browser():
    sync_playwright = _chromium_or_skip()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _state(page):
    """What the page shows now: counter, highlighted node's text, upstream, frames shown."""
    return page.evaluate("""() => {
        const shown = document.querySelectorAll('#frames .frame.shown');
        const current = shown.length ? shown[0].querySelector('g.node.current') : null;
        return {
            counter: document.getElementById('counter').textContent,
            shown: shown.length,
            step: shown.length ? shown[0].dataset.step : null,
            node_id: current ? current.id : null,
            node_text: current ? Array.from(current.querySelectorAll('text'))
                                     .map(t => t.textContent).join(' ') : null,
            upstream: document.getElementById('upstream').textContent,
            name: document.getElementById('node-name').textContent,
            rows: document.querySelectorAll('#contributions li').length,
            rows_text: document.getElementById('contributions').textContent,
        };
    }""")


@pytest.mark.browser
def test_stepping_in_chromium_moves_the_highlight_and_the_gradient(browser, tmp_path):
    trace = backward_steps(build(EXPRESSION, **VALUES))
    path = write_stepper(build(EXPRESSION, **VALUES), tmp_path / "stepper.html",
                         title=EXPRESSION)
    page = browser.new_page(viewport={"width": 1400, "height": 800})
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())

    def expect_step(k):
        state = _state(page)
        step = trace[k - 1]
        assert state["counter"] == f"step {k} / {len(trace)}"
        assert state["shown"] == 1 and state["step"] == str(k)
        assert state["node_id"] == f"node-{step.index}"       # the highlighted node ...
        assert step.node in state["node_text"]               # ... is this step's node
        assert state["name"] == step.node
        assert state["upstream"] == step.upstream_text()     # the shown gradient
        assert state["rows"] == max(1, len(step.contributions))
        for c in step.contributions:
            assert c.formula_text() in state["rows_text"]
        return state

    first = expect_step(1)
    page.click("#next")
    second = expect_step(2)
    assert second["node_id"] != first["node_id"]
    # the gradient shown moves from the seed 1.0 to d/dtanh = x = 2.0
    assert float(first["upstream"].split()[0]) == 1.0
    assert float(second["upstream"].split()[0]) == 2.0
    for k in range(3, len(trace) + 1):  # arrow keys walk the rest
        page.keyboard.press("ArrowRight")
        expect_step(k)
    assert page.is_disabled("#next")
    last = _state(page)
    assert last["name"] == "x" and last["upstream"].count(" + ") == 1  # two paths reach x
    page.keyboard.press("ArrowLeft")
    expect_step(len(trace) - 1)
    page.click("#prev")
    expect_step(len(trace) - 2)

    page.click("#play")  # Play walks on by itself and stops at the last step
    # (polled from here: the page's own CSP forbids the eval that wait_for_function needs)
    deadline = time.monotonic() + 15
    seen = set()
    while time.monotonic() < deadline:
        seen.add(_state(page)["counter"])
        if f"step {len(trace)} / {len(trace)}" in seen:
            break
        page.wait_for_timeout(100)
    assert f"step {len(trace)} / {len(trace)}" in seen
    assert len(seen) >= 2  # it passed through the steps in between
    expect_step(len(trace))
    assert errors == []
    assert requests == [path.as_uri()]  # the page fetched nothing else
    page.close()

"""The stepper: one self-contained HTML page that walks through the backward pass.

>>> from autograd.expr import build
>>> page = stepper_html(build("a*b + a", a=2.0, b=-3.0), title="a*b + a")
>>> page.count('class="frame"'), "http://" in page.split("<svg")[0]
(4, False)

Every step is pre-rendered as an inline SVG (the visited node highlighted, see
:func:`visualize.annotated.draw_step`) and the backward table's rows are embedded as
JSON; a few lines of inline JavaScript switch between them.  Prev / Next buttons,
the left and right arrow keys and a Play button move through the steps; the page
loads nothing from anywhere (its Content-Security-Policy forbids it).
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Union

from autograd import Value
from autograd.trace import STEP_HEADER, BackwardTrace, backward_steps, format_number, forward_table

from .annotated import LAYOUT_BUDGET, draw_step, layout_cost
from .drawing import to_svg

__all__ = ["stepper_html", "write_stepper", "step_frames", "MAX_STEPPER_NODES"]

MAX_STEPPER_NODES = 300  # one picture per node: beyond this the page gets unwieldy


def step_frames(source: Union[Value, BackwardTrace]) -> list[str]:
    """One SVG (text) per backward step, step 1 first."""
    trace = source if isinstance(source, BackwardTrace) else _trace(source)
    return [to_svg(draw_step(trace, k)) for k in range(1, len(trace) + 1)]


def _trace(root: Value) -> BackwardTrace:
    trace = backward_steps(root)
    if len(trace) > MAX_STEPPER_NODES:
        raise ValueError(f"the graph has {len(trace)} nodes; the stepper draws one picture per "
                         f"node and stops at {MAX_STEPPER_NODES}: step through a smaller "
                         "expression, or draw the whole graph with draw_network/draw_annotated")
    cost = layout_cost(trace.nodes)
    if cost > LAYOUT_BUDGET:
        raise ValueError(f"the graph has {len(trace)} nodes with many long edges (layout cost "
                         f"{cost} > {LAYOUT_BUDGET}); drawing every step would take minutes: "
                         "step through a smaller expression")
    return trace


def _inline(svg: str) -> str:
    """An SVG document as an element to put inside HTML (no prolog, doctype or comments)."""
    svg = re.sub(r"<\?xml.*?\?>", "", svg, flags=re.S)
    svg = re.sub(r"<!DOCTYPE.*?>", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    return svg.strip()


_STYLE = """
body { font-family: system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif;
       margin: 1.2em; color: #222; }
h1 { font-size: 1.3em; margin: 0 0 .4em 0; }
h1 code { background: #f3f3f3; padding: .1em .3em; border-radius: 4px; }
.controls { display: flex; gap: .5em; align-items: center; margin-bottom: .6em; }
button { font-size: 1em; padding: .3em .9em; cursor: pointer; }
#counter { font-weight: 600; margin-left: .6em; }
main { display: flex; gap: 1.2em; align-items: flex-start; }
#frames { flex: 1 1 auto; min-width: 0; overflow: auto; border: 1px solid #ddd; border-radius: 6px;
          padding: .4em; }
#frames svg { max-width: none; height: auto; }
.frame { display: none; }
.frame.shown { display: block; }
aside { flex: 0 0 380px; line-height: 1.5; }
aside ol { padding-left: 1.4em; font-size: .92em; }
aside li { margin: .5em 0; padding-bottom: .4em; border-bottom: 1px solid #e3e3e3; }
aside li .flow { color: #555; }
aside li .formula { color: #b23c17; }
.mono, aside li { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.big { font-size: 1.2em; font-weight: 600; }
details pre { background: #fafafa; border: 1px solid #eee; padding: .6em; overflow: auto; }
.hint { color: #666; font-size: .9em; }
"""

_SCRIPT = """
(function () {
  var steps = JSON.parse(document.getElementById("steps-data").textContent);
  var frames = document.querySelectorAll("#frames .frame");
  var current = 0, timer = null;
  function text(id, value) { document.getElementById(id).textContent = value; }
  function show(k) {
    current = Math.max(0, Math.min(steps.length - 1, k));
    for (var i = 0; i < frames.length; i++) {
      frames[i].classList.toggle("shown", i === current);
    }
    var s = steps[current];
    text("counter", "step " + s.step + " / " + steps.length);
    text("step-number", s.step);
    text("node-name", s.node);
    text("node-op", s.op === "input" ? "input (a leaf)" : s.op + ": " + s.formula);
    text("node-value", s.value_text);
    text("upstream", s.upstream_text);
    var body = document.getElementById("contributions");
    while (body.firstChild) { body.removeChild(body.firstChild); }
    var rows = s.contributions.length ? s.contributions :
      [{formula: s.op === "input" ? "a leaf: its grad is final" : "no parents",
        passed: "", parent: "", update: ""}];
    rows.forEach(function (c) {
      var item = document.createElement("li");
      var lines = [c.formula];
      if (c.passed) {
        lines.push("passes back " + c.passed + " to " + c.parent);
        lines.push(c.parent + ".grad: " + c.update);
      }
      lines.forEach(function (line, i) {
        var div = document.createElement("div");
        div.textContent = line;
        div.className = i === 0 ? "formula" : "flow";
        item.appendChild(div);
      });
      body.appendChild(item);
    });
    var node = frames[current].querySelector("g.node.current");
    if (node && node.scrollIntoView) {
      node.scrollIntoView({block: "nearest", inline: "center"});
    }
    document.getElementById("prev").disabled = current === 0;
    document.getElementById("next").disabled = current === steps.length - 1;
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    text("play", "\\u25B6 Play");
  }
  function play() {
    if (timer !== null) { stop(); return; }
    if (current === steps.length - 1) { show(0); }
    text("play", "\\u23F8 Pause");
    timer = setInterval(function () {
      if (current >= steps.length - 1) { stop(); } else { show(current + 1); }
    }, 900);
  }
  document.getElementById("prev").addEventListener("click", function () {
    stop(); show(current - 1); });
  document.getElementById("next").addEventListener("click", function () {
    stop(); show(current + 1); });
  document.getElementById("play").addEventListener("click", play);
  document.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight") { stop(); show(current + 1); event.preventDefault(); }
    else if (event.key === "ArrowLeft") { stop(); show(current - 1); event.preventDefault(); }
    else if (event.key === " ") { play(); event.preventDefault(); }
  });
  show(0);
})();
"""


def _row_data(step) -> dict:
    """The step as JSON for the page, its texts taken from the trace's own table rows."""
    data = step.to_dict()
    data["value_text"] = format_number(step.value)
    rows = step.rows()
    for c_data, row in zip(data["contributions"], rows):
        c_data["passed"], c_data["update"] = row[STEP_HEADER.index("passed back")], \
            row[STEP_HEADER.index("parent grad +=")]
    return data


def stepper_html(root: Value, title: str = "") -> str:
    """The stepper page for the graph of ``root`` as one HTML string.

    It traces the backward pass (which resets and fills the graph's grads).
    """
    trace = _trace(root)
    frames = step_frames(trace)
    title = title or trace.steps[0].node
    # \u003c keeps any "<" in a label from opening or closing a tag inside <script>
    steps_json = (json.dumps([_row_data(s) for s in trace])
                  .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
    frame_html = "\n".join(
        f'<div class="frame" data-step="{k}">{_inline(svg)}</div>'
        for k, svg in enumerate(frames, 1))
    forward = html.escape(str(forward_table(root)))
    backward = html.escape(str(trace))
    escaped_title = html.escape(title)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backprop step by step: {escaped_title}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>Backprop step by step: <code>{escaped_title}</code></h1>
<div class="controls">
  <button id="prev" type="button">&#9664; Prev</button>
  <button id="play" type="button">&#9654; Play</button>
  <button id="next" type="button">Next &#9654;</button>
  <span id="counter">step 1 / {len(trace)}</span>
  <span class="hint">(arrow keys step, space plays)</span>
</div>
<main>
<div id="frames">
{frame_html}
</div>
<aside>
  <div>step <span id="step-number">1</span>:
       node <span id="node-name" class="big mono"></span></div>
  <div>computed by <span id="node-op" class="mono"></span>, value
       <span id="node-value" class="mono"></span></div>
  <div>upstream gradient arriving here: <span id="upstream" class="big mono"></span></div>
  <ol id="contributions"></ol>
</aside>
</main>
<details><summary>forward table</summary><pre>{forward}</pre></details>
<details><summary>backward table (every step)</summary><pre>{backward}</pre></details>
<script type="application/json" id="steps-data">{steps_json}</script>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def write_stepper(root: Value, path: Union[str, os.PathLike], title: str = "") -> Path:
    """Write :func:`stepper_html` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    page = stepper_html(root, title=title)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path

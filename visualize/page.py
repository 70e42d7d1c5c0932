"""The classroom page both steppers share: one picture, laid out once, restyled per step.

A page is one SVG plus a list of steps (plain dicts, embedded as JSON).  Each step says

* ``mode``: ``"forward"`` or ``"backward"``; ``title`` and ``lines``: the explanation;
* ``focus``: SVG element ids to highlight (the picture pans to keep them in view);
* ``set``: ``[id, i, text]`` -- replace the ``i``-th ``<text>`` of element ``id``
  (negative ``i`` counts from the end), kept for every later step;
* ``reveal``: element ids hidden until this step (edge labels that fill in);
* ``state``: ``{id: "final" | "reached" | "waiting"}`` -- how far backprop has come
  for each node (green, orange, grey and dashed), the same colours in page and frames;
* ``quiz``: ``[{"prompt": ..., "answer": number, "answer_text": ...}]`` asked before
  the answer shows; ``question`` and ``quiz_title`` replace ``lines`` and ``title`` until then.

The page fits the window (no scrolling), zooms and pans (buttons, wheel, drag, pinch,
keys ``+ - 0``), links to a step as ``page.html#step-5`` and loads nothing from
anywhere: its Content-Security-Policy forbids it, so it works offline and inline in a
notebook (JupyterLab, VS Code) through :class:`StepperPage`.
"""

from __future__ import annotations

import html
import json
import re
from typing import Sequence

from .dot import visible_text

__all__ = ["page_html", "inline_svg", "frames_from_steps", "StepperPage", "QUIZ_TOLERANCE"]

QUIZ_TOLERANCE = 5e-3  # within 0.5% (0.005 for numbers below 1): three digits are right


def inline_svg(svg: str) -> str:
    """An SVG document as an element to put inside HTML (no prolog, doctype or comments)."""
    svg = re.sub(r"<\?xml.*?\?>", "", svg, flags=re.S)
    svg = re.sub(r"<!DOCTYPE.*?>", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    return svg.strip()


def _json_for_script(data) -> str:
    # \u003c keeps any "<" in a label from opening or closing a tag inside <script>
    return (json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


_STYLE = """
html, body { margin: 0; height: 100%; overflow: hidden; }
body { font-family: system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif;
       color: #222; display: flex; flex-direction: column; }
header { padding: .5em 1em .3em 1em; }
h1 { font-size: 1.25em; margin: 0 0 .35em 0; white-space: nowrap; overflow: hidden;
     text-overflow: ellipsis; }
h1 code { background: #f3f3f3; padding: .1em .3em; border-radius: 4px; }
.controls { display: flex; flex-wrap: wrap; gap: .4em; align-items: center; }
button { font-size: 1em; padding: .25em .8em; cursor: pointer; }
#counter { font-weight: 600; margin: 0 .5em; }
#mode { font-weight: 700; padding: .1em .5em; border-radius: 4px; display: inline-block;
        min-width: 5.2em; text-align: center; }  /* forward and backward: no reflow */
#mode.forward { background: #e3f2fd; color: #0d47a1; }
#mode.backward { background: #fbe9e7; color: #bf360c; }
main { flex: 1 1 auto; display: flex; gap: .8em; min-height: 0; padding: 0 1em .8em 1em; }
#picture { flex: 1 1 auto; min-width: 0; border: 1px solid #ddd; border-radius: 6px;
           overflow: hidden; position: relative; touch-action: none; cursor: grab; }
#picture svg { width: 100%; height: 100%; display: block; }
aside { flex: 0 0 clamp(260px, 28vw, 360px); overflow-y: auto; line-height: 1.45;
        font-size: 1.05em; }
#step-title { font-size: 1.3em; font-weight: 700; margin: .2em 0 .4em 0; }
#lines div { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
             margin: .35em 0; padding-bottom: .3em; border-bottom: 1px solid #eee; }
.hint { color: #666; font-size: .85em; }
g.current > polygon, g.current > ellipse, g.current > path {
  stroke: #e65100 !important; stroke-width: 4px; }
g.node.current > polygon, g.node.current > ellipse { fill: #ffd54f !important; }
g.node.state-final > polygon { fill: #c8e6c9; }
g.node.state-reached > polygon { fill: #ffe0b2; }
g.node.state-waiting > polygon { fill: #f5f5f5; stroke: #9e9e9e; stroke-dasharray: 5,2; }
#legend { font-size: .85em; color: #444; margin: .3em 0; }
#legend span { padding: 0 .35em; border-radius: 3px; border: 1px solid #bbb; }
/* an edge with a tooltip keeps its line inside <g><a>: descendants, not children */
g.edge.current path { stroke: #e65100 !important; stroke-width: 3.5px; }
g.edge.current polygon { stroke: #e65100 !important; fill: #e65100 !important; }
g.edge.current text { fill: #bf360c !important; font-weight: 700; }
.pending > text { visibility: hidden; }
#quiz { border: 2px solid #7e57c2; border-radius: 6px; padding: .5em; margin: .5em 0; }
#quiz label { display: block; margin: .3em 0; }
#quiz input { width: 8em; font-size: 1em; }
.right { color: #1b5e20; }
.wrong { color: #6d4c41; }
.mark { font-weight: 600; }
#quiz-result { margin: .3em 0; }
details pre { font-size: .8em; overflow: auto; background: #fafafa; padding: .4em; }
"""

_SCRIPT = r"""
(function () {
  var root = document.currentScript ? document.currentScript.parentNode : document;
  function $(id) { return root.querySelector("#" + id); }
  var steps = JSON.parse($("steps-data").textContent);
  var tolerance = parseFloat($("steps-data").getAttribute("data-tolerance"));
  var picture = $("picture"), svg = picture.querySelector("svg");
  svg.removeAttribute("width"); svg.removeAttribute("height");
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  var base = svg.getAttribute("viewBox").split(/[ ,]+/).map(parseFloat);
  var view = {scale: 1, cx: base[0] + base[2] / 2, cy: base[1] + base[3] / 2};
  function applyView() {
    var w = base[2] / view.scale, h = base[3] / view.scale;
    svg.setAttribute("viewBox", [view.cx - w / 2, view.cy - h / 2, w, h].join(" "));
  }
  function pixelsPerUnit() {
    var r = svg.getBoundingClientRect(), w = base[2] / view.scale, h = base[3] / view.scale;
    return Math.min(r.width / w, r.height / h);
  }
  function zoom(factor) {
    view.scale = Math.max(0.5, Math.min(40, view.scale * factor)); applyView();
  }
  function fit() { view.scale = 1; view.cx = base[0] + base[2] / 2;
                   view.cy = base[1] + base[3] / 2; applyView(); }
  function byId(id) { return svg.querySelector('[id="' + id + '"]'); }
  var originals = {}, hidden = {};
  steps.forEach(function (s) {
    (s.set || []).forEach(function (c) {
      var el = byId(c[0]);
      if (el && !(c[0] in originals)) {
        originals[c[0]] = Array.prototype.map.call(el.querySelectorAll("text"),
                                                   function (t) { return t.textContent; });
      }
    });
    (s.reveal || []).forEach(function (id) { hidden[id] = true; });
  });
  var openingScale = 1;   // set by readableView: keepInView keeps labels SMALLEST px
  var READABLE = 14, SMALLEST = 12;
  function boxOf(ids) {
    var box = null;
    ids.forEach(function (id) {
      var el = byId(id); if (!el) { return; }
      var r = el.getBoundingClientRect();
      box = box ? {l: Math.min(box.l, r.left), r: Math.max(box.r, r.right),
                   t: Math.min(box.t, r.top), b: Math.max(box.b, r.bottom)}
                : {l: r.left, r: r.right, t: r.top, b: r.bottom};
    });
    return box;
  }
  function keepInView(ids) {
    // Centre the box around every element of the step; zoom out only as far as it
    // takes for that box to fit, and never below the readable opening scale: a step
    // too big for that is centred on its node (the first id) instead.
    var pr = picture.getBoundingClientRect(), k = pixelsPerUnit(), box = boxOf(ids);
    function inside(b) { return b.l >= pr.left && b.r <= pr.right && b.t >= pr.top &&
                                b.b <= pr.bottom; }
    if (!box || inside(box)) { return; }
    var grow = Math.max((box.r - box.l) / (0.9 * pr.width), (box.b - box.t) / (0.9 * pr.height));
    var floor = Math.min(view.scale, openingScale * SMALLEST / READABLE);
    if (grow > 1 && view.scale / grow < floor) {
      box = boxOf(ids.slice(0, 1)) || box;       // the node itself, at a readable size
      grow = Math.max((box.r - box.l) / (0.9 * pr.width), (box.b - box.t) / (0.9 * pr.height));
    }
    view.cx += ((box.l + box.r) / 2 - (pr.left + pr.right) / 2) / k;
    view.cy += ((box.t + box.b) / 2 - (pr.top + pr.bottom) / 2) / k;
    if (grow > 1) { view.scale = Math.min(view.scale, Math.max(floor, 1, view.scale / grow)); }
    applyView();
  }
  var current = 0, timer = null, quizOn = false, score = {right: 0, asked: 0}, answered = {};
  function setText(id, value) { var el = $(id); if (el) { el.textContent = value; } }
  function render() {
    var id, i;
    for (id in originals) {
      var texts = byId(id).querySelectorAll("text");   // (originals: found ids only)
      for (i = 0; i < texts.length; i++) { texts[i].textContent = originals[id][i]; }
    }
    for (id in hidden) { var h = byId(id); if (h) { h.classList.add("pending"); } }
    Array.prototype.forEach.call(svg.querySelectorAll(".current"),
                                 function (el) { el.classList.remove("current"); });
    var s = steps[current];
    var quiz = quizOn && s.quiz && s.quiz.length && !answered[current];
    // a quiz question must not show its answer in the picture before it is checked
    for (var k = 0; k <= current - (quiz ? 1 : 0); k++) {
      (steps[k].set || []).forEach(function (c) {
        var el = byId(c[0]); if (!el) { return; }
        var texts = el.querySelectorAll("text");
        var at = c[1] < 0 ? texts.length + c[1] : c[1];
        if (texts[at]) { texts[at].textContent = c[2]; }
      });
      (steps[k].reveal || []).forEach(function (rid) {
        var el = byId(rid); if (el) { el.classList.remove("pending"); } });
    }
    Array.prototype.forEach.call(
      svg.querySelectorAll(".state-final, .state-reached, .state-waiting"), function (el) {
        el.classList.remove("state-final", "state-reached", "state-waiting"); });
    var state = s.state || {};
    for (id in state) { var n = byId(id); if (n) { n.classList.add("state-" + state[id]); } }
    var legend = $("legend"); if (legend) { legend.hidden = !s.state; }
    (s.focus || []).forEach(function (fid) {
      var el = byId(fid); if (el) { el.classList.add("current"); } });
    setText("counter", "step " + (current + 1) + " / " + steps.length);
    var mode = $("mode"); mode.textContent = s.mode; mode.className = s.mode;
    setText("step-title", quiz ? (s.quiz_title || s.title) : s.title);
    var lines = $("lines");
    while (lines.firstChild) { lines.removeChild(lines.firstChild); }
    (quiz ? (s.question || []) : s.lines).forEach(function (line) {
      var div = document.createElement("div"); div.textContent = line; lines.appendChild(div);
    });
    var asked = quizOn && s.quiz && s.quiz.length;
    showQuiz(asked ? s.quiz : null, answered[current]);
    $("prev").disabled = current === 0;
    $("next").disabled = current === steps.length - 1;
    keepInView(s.focus || []);
    if (history.replaceState && location.protocol !== "about:") {
      try { history.replaceState(null, "", "#step-" + (current + 1)); } catch (e) { }
    }
  }
  function showQuiz(questions, answers) {
    // the questions, and once checked the typed answers with a mark beside each
    var box = $("quiz"); box.hidden = !questions;
    var form = $("quiz-fields");
    while (form.firstChild) { form.removeChild(form.firstChild); }
    setText("quiz-result", "");
    $("quiz-result").className = "";
    if (!questions) { return; }
    questions.forEach(function (q, i) {
      var label = document.createElement("label");
      label.textContent = q.prompt + " ";
      var input = document.createElement("input");
      input.type = "text"; input.inputMode = "decimal"; input.id = "quiz-answer-" + i;
      label.appendChild(input);
      if (answers) {
        input.value = answers.typed[i]; input.readOnly = true;
        var mark = document.createElement("span");
        mark.id = "quiz-mark-" + i;
        mark.className = "mark " + (answers.ok[i] ? "right" : "wrong");
        mark.textContent = answers.ok[i] ? " \u2713 right" : " \u2717 it is " + q.answer_text;
        label.appendChild(mark);
      }
      form.appendChild(label);
    });
    $("quiz-check").hidden = !!answers;
    if (answers) {
      var right = answers.ok.filter(Boolean).length;
      var result = $("quiz-result");
      result.textContent = right + " of " + answers.ok.length + " right" +
        (right === answers.ok.length ? "." : ": the worked answer is below.");
      result.className = right === answers.ok.length ? "right" : "wrong";
    }
  }
  function check() {
    var s = steps[current];
    if (!quizOn || !s.quiz || !s.quiz.length || answered[current]) { return; }
    var typed = [], ok = [];
    s.quiz.forEach(function (q, i) {
      var text = $("quiz-answer-" + i).value.trim();
      var number = parseFloat(text.replace(",", "."));
      typed.push(text);
      ok.push(isFinite(number) &&
              Math.abs(number - q.answer) <= tolerance * Math.max(1, Math.abs(q.answer)));
    });
    score.asked += ok.length; score.right += ok.filter(Boolean).length;   // per field
    answered[current] = {typed: typed, ok: ok};
    render();
    setText("score", "score " + score.right + " / " + score.asked);
  }
  function show(k) { current = Math.max(0, Math.min(steps.length - 1, k)); render(); }
  function stop() { if (timer !== null) { clearInterval(timer); timer = null; }
                    setText("play", "\u25B6 Play"); }
  function play() {
    if (timer !== null) { stop(); return; }
    if (current === steps.length - 1) { show(0); }
    setText("play", "\u23F8 Pause");
    timer = setInterval(function () {
      if (current >= steps.length - 1) { stop(); } else { show(current + 1); } }, 1000);
  }
  $("prev").addEventListener("click", function () { stop(); show(current - 1); });
  $("next").addEventListener("click", function () { stop(); show(current + 1); });
  $("play").addEventListener("click", play);
  $("zoom-in").addEventListener("click", function () { zoom(1.25); });
  $("zoom-out").addEventListener("click", function () { zoom(0.8); });
  $("zoom-fit").addEventListener("click", fit);
  $("quiz-check").addEventListener("click", check);
  $("quiz-toggle").addEventListener("change", function (e) {
    // the checkbox never keeps the keys: arrows step and Space plays right after
    quizOn = e.target.checked; answered = {}; e.target.blur(); render(); });
  picture.addEventListener("wheel", function (e) {
    e.preventDefault(); zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15); }, {passive: false});
  var pointers = {}, pinch = null;
  picture.addEventListener("pointerdown", function (e) {
    pointers[e.pointerId] = [e.clientX, e.clientY];
    if (picture.setPointerCapture) { try { picture.setPointerCapture(e.pointerId); } catch (x) { } }
  });
  picture.addEventListener("pointermove", function (e) {
    var last = pointers[e.pointerId]; if (!last) { return; }
    var ids = Object.keys(pointers);
    pointers[e.pointerId] = [e.clientX, e.clientY];
    if (ids.length === 2) {
      var a = pointers[ids[0]], b = pointers[ids[1]];
      var d = Math.hypot(a[0] - b[0], a[1] - b[1]);
      if (pinch) { zoom(d / pinch); }
      pinch = d; return;
    }
    var k = pixelsPerUnit();
    view.cx -= (e.clientX - last[0]) / k; view.cy -= (e.clientY - last[1]) / k; applyView();
  });
  function release(e) { delete pointers[e.pointerId]; pinch = null; }
  picture.addEventListener("pointerup", release);
  picture.addEventListener("pointercancel", release);
  document.addEventListener("keydown", function (event) {
    var target = event.target || {}, tag = (target.tagName || "").toUpperCase();
    var key = event.key, handled = true;
    if (tag === "INPUT" && target.type === "text") {   // an answer field keeps its keys
      if (key === "Enter") { check(); event.preventDefault(); }
      return;
    }
    var control = tag === "BUTTON" || tag === "INPUT" || tag === "SELECT" ||
                  tag === "SUMMARY" || tag === "A";
    if (control && (key === " " || key === "Enter")) { return; }  // the control's own
    if (key === "ArrowRight") { stop(); show(current + 1); }
    else if (key === "ArrowLeft") { stop(); show(current - 1); }
    else if (key === " ") { play(); }
    else if (key === "Enter") { check(); }
    else if (key === "+" || key === "=") { zoom(1.25); }
    else if (key === "-") { zoom(0.8); }
    else if (key === "0") { fit(); }
    else { handled = false; }
    if (handled) { event.preventDefault(); }
  });
  var wanted = /^#step-(\d+)$/.exec(location.hash || "");
  current = wanted ? Math.max(0, Math.min(steps.length - 1, parseInt(wanted[1], 10) - 1)) : 0;
  applyView();
  // A projector needs big text: open at the scale where the labels are READABLE px
  // tall, unless the whole graph fits with labels of at least SMALLEST px (then "fit"
  // is the view).  Zoomed in, keepInView follows the current node; "fit" or 0 shows
  // the whole graph.
  function labelHeights() {
    return Array.prototype.filter.call(svg.querySelectorAll("text"),
      function (t) { return t.textContent.trim(); })
      .map(function (t) { return t.getBoundingClientRect().height; })
      .filter(function (h) { return h > 0; }).sort(function (a, b) { return a - b; });
  }
  function readableView() {
    fit(); openingScale = 1;
    var heights = labelHeights(); if (!heights.length) { return; }
    var median = heights[Math.floor(heights.length / 2)], smallest = heights[0];
    if (median >= SMALLEST - 0.01 && smallest >= 9) { return; }   // (box heights: float noise)
    view.scale = Math.min(40, Math.max(READABLE / median, 10 / smallest));
    openingScale = view.scale;
    applyView();
  }
  readableView();
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { readableView(); render(); }, 100);
  });
  render();
})();
"""


# What the progress colours mean: the page's legend and the frames' legend say the same.
PROGRESS = (("current", "#ffd54f", "this step"), ("final", "#c8e6c9", "grad final"),
            ("reached", "#ffe0b2", "has received grad, not visited yet"),
            ("waiting", "#f5f5f5", "not reached yet"))
PROGRESS_FILL = {state: colour for state, colour, _ in PROGRESS}


def _legend_html() -> str:
    return " ".join(f'<span style="background:{colour}">{html.escape(meaning)}</span>'
                    for _, colour, meaning in PROGRESS)


def _body(svg: str, steps: Sequence[dict], title: str, extra_html: str) -> str:
    return f"""<header>
<h1>Backprop step by step: <code>{html.escape(title)}</code></h1>
<div class="controls">
  <button id="prev" type="button">&#9664; Prev</button>
  <button id="play" type="button">&#9654; Play</button>
  <button id="next" type="button">Next &#9654;</button>
  <span id="counter">step 1 / {len(steps)}</span>
  <span id="mode"></span>
  <button id="zoom-out" type="button" title="zoom out (-)">&minus;</button>
  <button id="zoom-fit" type="button" title="fit the window (0)">fit</button>
  <button id="zoom-in" type="button" title="zoom in (+)">+</button>
  <label><input id="quiz-toggle" type="checkbox"> quiz mode</label>
  <span id="score"></span>
  <span class="hint">arrows step &middot; space plays &middot; + &minus; 0 zoom
    &middot; drag pans</span>
</div>
</header>
<main>
<div id="picture">{inline_svg(svg)}</div>
<aside>
  <div id="step-title"></div>
  <div id="quiz" hidden>
    <div>Your turn: type the numbers, then check.</div>
    <div id="quiz-fields"></div>
    <button id="quiz-check" type="button">Check</button>
  </div>
  <div id="quiz-result"></div>
  <div id="legend" hidden>{_legend_html()}</div>
  <div id="lines"></div>
  {extra_html}
</aside>
</main>
<script type="application/json" id="steps-data" data-tolerance="{QUIZ_TOLERANCE}">
{_json_for_script(list(steps))}</script>
<script>{_SCRIPT}</script>"""


def page_html(svg: str, steps: Sequence[dict], title: str, extra_html: str = "") -> str:
    """The whole self-contained page: the picture ``svg``, stepped through by ``steps``."""
    if not steps:
        raise ValueError("page_html: a stepper page needs at least one step")
    title = visible_text(title)   # refuses a NUL byte, shows control characters
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backprop step by step: {html.escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
{_body(svg, steps, title, extra_html)}
</body>
</html>
"""


def frames_from_steps(svg: str, steps: Sequence[dict], modes: Sequence[str] = ("forward",
                      "backward"), legend: str = "") -> list[str]:
    """The page's steps applied to its one picture, as standalone SVGs (for slides).

    One frame per step whose mode is in ``modes``; each holds every earlier step's
    texts and revealed labels, with this step's focus filled yellow and outlined.
    Nothing is laid out again, so a frame costs no Graphviz run.  A strip below the
    picture is the legend: the page's progress colours, and ``legend`` as a last line.
    """
    import xml.etree.ElementTree as ET

    ns = "http://www.w3.org/2000/svg"
    ET.register_namespace("", ns)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(svg.encode("utf-8"))   # parsed once, edited step by step
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    shapes = {f"{{{ns}}}{tag}" for tag in ("ellipse", "polygon", "path")}
    hidden: dict = {}   # edge id -> its label texts, blanked until a step reveals them
    for step in steps:
        for element_id in step.get("reveal", []):
            texts = by_id[element_id].findall(f"{{{ns}}}text")
            hidden.setdefault(element_id, [(t, t.text) for t in texts])
    for texts in hidden.values():
        for text, _ in texts:
            text.text = ""
    frames = []
    for step in steps:
        for element_id, index, text in step.get("set", []):
            # as the page does: a text the picture does not draw (an edge whose label
            # was left off a crowded picture) is skipped
            texts = list(by_id[element_id].iter(f"{{{ns}}}text")) if element_id in by_id else []
            if -len(texts) <= index < len(texts):
                texts[index].text = text
        for element_id in step.get("reveal", []):
            for text, original in hidden.pop(element_id, []):
                text.text = original
        if step["mode"] not in modes:
            continue
        restore: list = []

        def paint(shape, _restore=restore, **attrs):
            _restore.append((shape, dict(shape.attrib)))
            for name, value in attrs.items():
                shape.set(name.replace("_", "-"), value)

        for element_id, state in step.get("state", {}).items():
            for shape in by_id[element_id].findall(f"{{{ns}}}polygon"):
                paint(shape, fill=PROGRESS_FILL[state],
                      **({"stroke": "#9e9e9e", "stroke_dasharray": "5,2"}
                         if state == "waiting" else {}))
        for element_id in step.get("focus", []):
            found = by_id.get(element_id)    # a leaf has no op oval
            if found is None:
                continue
            # a grid cell (id "a_..." from Graphviz) is filled like a node
            node = found.get("class") == "node" or element_id.startswith("a_")
            # an edge with a tooltip keeps its line inside <g><a>: every descendant
            for shape in found.iter():
                if shape.tag not in shapes:
                    continue
                if node and shape.tag != f"{{{ns}}}path":
                    paint(shape, stroke="#e65100", stroke_width="4", fill="#ffd54f")
                elif not node and shape.tag == f"{{{ns}}}polygon":
                    paint(shape, stroke="#e65100", stroke_width="4", fill="#e65100")
                else:
                    paint(shape, stroke="#e65100", stroke_width="4")
            if not node:
                for text in found.iter(f"{{{ns}}}text"):
                    paint(text, fill="#bf360c", font_weight="bold")
        frames.append(_with_legend(ET.tostring(root, encoding="unicode"),
                                   bool(step.get("state")), legend))
        for shape, attrib in restore:
            shape.attrib.clear()
            shape.attrib.update(attrib)
    return frames


def _with_legend(svg: str, progress: bool, extra: str) -> str:
    """``svg`` with a legend strip below the picture: the colours, as the page shows them."""
    items = [(colour, meaning) for _, colour, meaning in PROGRESS] if progress else \
        [("#ffd54f", "this step")]
    match = re.search(r'<svg[^>]*?width="([\d.]+)pt" height="([\d.]+)pt"'
                      r'[^>]*?viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"', svg)
    if not match:
        return svg
    width, height = float(match.group(1)), float(match.group(2))
    x0, y0, vw, vh = (float(g) for g in match.groups()[2:])
    rows = items + ([(None, extra)] if extra else [])     # one a line: nothing overlaps
    strip = 20 * len(rows) + 10
    longest = max(len(meaning) for _, meaning in rows)
    wide = max(vw, 30 + 7 * longest)                    # Helvetica 13: about 7 pt a letter
    parts = []
    for r, (colour, meaning) in enumerate(rows):
        y, x = y0 + vh + 20 + 20 * r, x0 + 8
        if colour:
            parts.append(f'<rect x="{x:.1f}" y="{y - 12:.1f}" width="16" height="14" '
                         f'fill="{colour}" stroke="#555"/>')
            x += 22
        parts.append(f'<text x="{x:.1f}" y="{y:.1f}" font-family="Helvetica,sans-Serif" '
                     f'font-size="13">{html.escape(meaning)}</text>')
    svg = svg[:match.start()] + match.group(0).replace(
        f'width="{match.group(1)}pt" height="{match.group(2)}pt"',
        f'width="{width * wide / vw:.0f}pt" height="{height + strip:.0f}pt"').replace(
        f'viewBox="{match.group(3)} {match.group(4)} {match.group(5)} {match.group(6)}"',
        f'viewBox="{x0:g} {y0:g} {wide:g} {vh + strip:g}"') + svg[match.end():]
    close = svg.rindex("</svg>")
    return svg[:close] + '<g id="legend">' + "".join(parts) + "</g>\n" + svg[close:]


class StepperPage:
    """A stepper page that shows itself inline in Jupyter (JupyterLab, VS Code).

    The notebook gets the page in a sandboxed ``<iframe srcdoc=...>``: self-contained,
    no external script, and its styles and keys cannot leak into the notebook.
    ``str(page)`` or :meth:`save` give the standalone file.
    """

    def __init__(self, page: str, height: int = 640, preview=None):
        self.html = page
        self.height = height
        self.preview_graph = preview   # a Graphviz drawing of where the steps end

    def preview(self):
        """The picture the steps end at, as a :class:`~visualize.display.Picture` (SVG and
        PNG): it shows wherever the notebook is opened, where the page itself (an
        iframe) needs a trusted notebook."""
        if self.preview_graph is None:
            raise ValueError("this stepper page was made without a preview picture: "
                             "make it with expression_stepper(...) or Stepper(...)")
        from .picture import Picture
        return Picture(self.preview_graph)

    def __str__(self) -> str:
        return self.html

    def save(self, path) -> "StepperPage":
        """Write the page to ``path`` (UTF-8)."""
        from nn.model_file import write_atomically  # the one writer: whole file or none
        write_atomically(path, self.html)
        return self

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
                f'sandbox="allow-scripts" style="width:100%;height:{self.height}px;'
                'border:1px solid #ddd"></iframe>')

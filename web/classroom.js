// The classroom page's glue: load Python (Pyodide) and chainrule, give chainrule a
// renderer (Graphviz in WebAssembly), then draw what chainrule.classroom returns
// and wire the inputs.  Every number, table, step and quiz answer comes from Python;
// nothing here knows how backprop works.
import { loadPyodide } from "./pyodide/pyodide.mjs";
import { instance as vizInstance } from "./viz/viz.js";

const $ = (id) => document.getElementById(id);
const status = (text) => { $("status").textContent = text; };
const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
let lessonJson = null;   // chainrule.classroom.lesson_json
let trainingStep = null; // chainrule.classroom.training_step_json
let classifyStrokes = null;  // chainrule.classroom.digits_json
let current = null;      // the lesson on screen (what Python returned)
let tableFormat = "text";

async function loadPython() {
  const [pyodide, viz] = await Promise.all([
    loadPyodide({ indexURL: new URL("./pyodide/", import.meta.url).href }),
    vizInstance(),
  ]);
  status("installing chainrule…");
  const wheels = await (await fetch("wheels/wheels.json")).json();
  await pyodide.loadPackage(wheels.map((name) => new URL(`wheels/${name}`, location.href).href),
                            { messageCallback: () => {} });
  // the one thing Python cannot do in a page: run `dot`.  This function replaces it.
  pyodide.registerJsModule("classroom_page", {
    render_svg: (dot) => viz.renderString(dot, { format: "svg" }),
  });
  pyodide.runPython(`
import visualize, classroom_page
visualize.set_renderer(classroom_page.render_svg)
from chainrule.classroom import lesson_json, choices_json, training_step_json, digits_json
`);
  lessonJson = pyodide.globals.get("lesson_json");
  trainingStep = pyodide.globals.get("training_step_json");
  classifyStrokes = pyodide.globals.get("digits_json");
  const choices = JSON.parse(pyodide.globals.get("choices_json")());
  const menus = [["net-form", "activation", choices.activations],
                 ["conv-form", "activation", choices.activations],
                 ["train-form", "activation", choices.activations],
                 ["train-form", "train", choices.datasets],
                 ["train-form", "optimizer", choices.optimizers]];
  for (const [form, field, names] of menus) {
    for (const name of names) $(form)[field].add(new Option(name, name));
  }
  window.classroom = { pyodide, viz, choices, secondsToPython: Number(seconds()) };
}

// data-busy="1" while an edit waits for Python: a test (or a screenshot) waits for "0"
const busy = (yes) => { document.documentElement.dataset.busy = yes ? "1" : "0"; };

function show(query) {
  busy(true);
  try { draw(JSON.parse(lessonJson(query))); } finally { busy(false); }
}

function draw(result) {
  history.replaceState(null, "", result.link ? `?${result.link}` : location.pathname);
  for (const link of document.querySelectorAll("#lessons a")) {
    link.classList.toggle("current", link.dataset.lesson === result.lesson);
  }
  const stepping = ["expr", "net", "conv"].includes(result.lesson);
  $("expr-form").hidden = result.lesson !== "expr";
  $("net-form").hidden = result.lesson !== "net";
  $("conv-form").hidden = result.lesson !== "conv";
  $("train-lesson").hidden = result.lesson !== "train";
  $("digits-lesson").hidden = result.lesson !== "digits";
  for (const id of ["gradients", "stepper", "tables"]) if (!stepping) $(id).hidden = true;
  $("gradients").hidden = !stepping;
  if (result.lesson !== "train") pauseTraining();
  fillForm(result);
  showError(result);
  if (!result.ok) return;       // keep the last good picture on screen while typing
  if (result.lesson === "train") return drawTraining(result);
  if (result.lesson === "digits") return drawDigit(result);
  current = result;
  drawGradients(result);
  const stepper = $("stepper");
  stepper.hidden = false;
  for (const id of ["gradients", "tables"]) $(id).classList.remove("quiz");
  stepper.onload = () => hideAnswersInQuizMode(stepper);
  stepper.srcdoc = result.stepper;
  fitStepper();
  $("tables").hidden = false;
  $("command").textContent = result.command;
  drawTables();
  document.title = `${result.title} · chainrule classroom`;
}

function showError(result) {
  $("error").hidden = result.ok;
  $("error").textContent = result.ok ? "" : result.error;
  document.documentElement.dataset.error = result.ok ? "" : result.error;
}

// --- the training lesson: Python trains, this loop only asks for more steps and draws ---
let running = false, stepsPerCall = 2;

function drawTraining(result) {
  const { state } = result;
  $("train-boundary").innerHTML = result.boundary;
  $("train-loss").innerHTML = result.loss_curve;
  $("train-gradients").innerHTML = result.gradient_flow;
  const stats = $("train-stats");
  stats.dataset.step = String(state.step);
  stats.dataset.loss = String(state.loss);
  stats.dataset.accuracy = String(state.accuracy);
  stats.textContent = `step ${state.step} · epoch ${state.epoch} · loss ${state.loss_text}` +
                      ` · accuracy ${state.accuracy_text}`;
  document.title = `${result.title ?? "training"} · chainrule classroom`;
}

function trainLoop() {
  if (!running) return;
  const began = performance.now();
  const result = JSON.parse(trainingStep(stepsPerCall));
  showError(result);
  if (!result.ok) { pauseTraining(); return; }
  drawTraining(result);
  // about ten redraws a second, however fast this machine's Python is
  const took = performance.now() - began;
  stepsPerCall = Math.max(1, Math.min(50, Math.round(stepsPerCall * 100 / Math.max(took, 1))));
  setTimeout(trainLoop, 0);
}

function pauseTraining() {
  running = false;
  $("train-run").innerHTML = "&#9654; Train";
}

function wireTraining() {
  $("train-run").addEventListener("click", () => {
    if (running) return pauseTraining();
    running = true;
    $("train-run").textContent = "❚❚ Pause";
    trainLoop();
  });
  $("train-step").addEventListener("click", () => {
    pauseTraining();
    const result = JSON.parse(trainingStep(1));
    showError(result);
    if (result.ok) drawTraining(result);
  });
  $("train-reset").addEventListener("click", () => { pauseTraining(); show(location.search); });
}

// --- the digits lesson: the pad collects strokes; Python scales, classifies and draws ---
let strokes = [], classifyTimer = null;

function drawDigit(result) {
  $("digit-pixels").innerHTML = result.pixels_svg;
  $("digit-bars").innerHTML = result.bars;
  $("digit-activations").innerHTML = result.activations_svg;
  const answer = $("digit-answer");
  answer.dataset.value = result.digit === null ? "" : String(result.digit);
  answer.dataset.probabilities = JSON.stringify(result.probabilities);
  answer.textContent = result.digit === null ? "draw a digit to see what the model says"
                                             : `the model says ${result.digit}`;
}

function classifyNow() {
  clearTimeout(classifyTimer);
  classifyTimer = null;
  const drawn = JSON.stringify(strokes);
  $("pad").dataset.strokes = drawn;        // what Python was given, for a test to replay
  const result = JSON.parse(classifyStrokes(drawn));
  showError(result);
  if (result.ok) drawDigit(result);
}

function wirePad() {
  const pad = $("pad"), ink = pad.getContext("2d");
  ink.lineWidth = 18; ink.lineCap = "round"; ink.lineJoin = "round"; ink.strokeStyle = "#1b1b1b";
  // in the canvas's own pixels (offsetX is inside its border)
  const at = (event) => [event.offsetX * pad.width / pad.clientWidth,
                         event.offsetY * pad.height / pad.clientHeight];
  let drawing = false;
  pad.addEventListener("pointerdown", (event) => {
    drawing = true;
    pad.setPointerCapture(event.pointerId);
    const point = at(event);
    strokes.push([point]);
    ink.beginPath(); ink.moveTo(...point); ink.lineTo(...point); ink.stroke();
  });
  pad.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const stroke = strokes[strokes.length - 1], point = at(event);
    ink.beginPath(); ink.moveTo(...stroke[stroke.length - 1]); ink.lineTo(...point); ink.stroke();
    stroke.push(point);
    if (!classifyTimer) classifyTimer = setTimeout(classifyNow, 150);   // live, a few times a second
  });
  const end = () => { if (drawing) { drawing = false; classifyNow(); } };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);
  $("pad-clear").addEventListener("click", () => {
    strokes = [];
    ink.clearRect(0, 0, pad.width, pad.height);
    classifyNow();
  });
}

// the stepper fills the window below the controls (it fits its picture to its frame)
function fitStepper() {
  const top = $("stepper").getBoundingClientRect().top + window.scrollY;
  document.documentElement.style.setProperty("--above", `${Math.ceil(top)}px`);
}

function fillForm(result) {
  const form = $(`${result.lesson}-form`);
  if (!form || form.contains(document.activeElement)) return;   // never under the cursor
  const params = new URLSearchParams(result.link);
  if (result.lesson === "digits") return;
  if (result.lesson === "expr") {
    form.expr.value = params.get("expr") ?? "";
    form.values.value = [...params].filter(([k]) => k !== "expr")
                                   .map(([k, v]) => `${k}=${v}`).join(" ");
  } else {
    for (const [key, value] of params) if (form[key]) form[key].value = value;
  }
}

// The strip of gradients above the stepper and the tables below it hold every answer the
// stepper's quiz asks for, so they are hidden while quiz mode is on (data-value stays).
function hideAnswersInQuizMode(stepper) {
  const toggle = stepper.contentDocument && stepper.contentDocument.getElementById("quiz-toggle");
  if (!toggle) return;
  const sync = () => {
    for (const id of ["gradients", "tables"]) $(id).classList.toggle("quiz", toggle.checked);
  };
  toggle.addEventListener("change", sync);
  sync();
}

function drawGradients(result) {
  const box = $("gradients");
  box.replaceChildren();
  for (const [name, value, shown] of result.gradients) {
    const item = document.createElement("span");
    item.className = "grad";
    item.dataset.gradOf = name;
    item.dataset.value = value;        // the full float, as Python's repr
    item.title = `${result.gradient_of} / ∂${name} = ${value}`;
    item.innerHTML = `∂/∂<b></b> = `;
    item.querySelector("b").textContent = name;
    item.append(shown);
    box.append(item);
  }
}

function drawTables() {
  $("table-text").textContent = current.tables[tableFormat];
  for (const button of document.querySelectorAll(".tabs [data-format]")) {
    button.setAttribute("aria-selected", String(button.dataset.format === tableFormat));
  }
}

function queryOf(form) {
  if (form.id === "expr-form") {
    const params = new URLSearchParams({ expr: form.expr.value });
    for (const binding of form.values.value.split(/[\s,;]+/).filter(Boolean)) {
      const [name, ...rest] = binding.split("=");
      params.append(name, rest.join("="));
    }
    return params.toString();
  }
  const params = new URLSearchParams();
  for (const field of form.elements) if (field.name && field.value !== "") params.set(field.name, field.value);
  return params.toString();
}

function wire() {
  let timer = null;
  for (const form of [$("expr-form"), $("net-form"), $("conv-form"), $("train-form")]) {
    form.addEventListener("submit", (event) => event.preventDefault());
    form.addEventListener("input", () => {
      busy(true);
      clearTimeout(timer);
      timer = setTimeout(() => show(queryOf(form)), 400);   // the link follows the typing
    });
  }
  wireTraining();
  wirePad();
  window.addEventListener("resize", fitStepper);
  for (const button of document.querySelectorAll(".tabs [data-format]")) {
    button.addEventListener("click", () => { tableFormat = button.dataset.format; drawTables(); });
  }
  $("copy").addEventListener("click", () => navigator.clipboard?.writeText(current.tables[tableFormat]));
  for (const link of document.querySelectorAll("#lessons a")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      show(new URL(link.href).search);
    });
  }
}

async function main() {
  try {
    await loadPython();
    wire();
    const query = location.search || $("lessons").querySelector("a").getAttribute("href");
    show(query.replaceAll("&amp;", "&"));
    window.classroom.secondsToReady = Number(seconds());
    window.classroom.readyAt = performance.now();   // ms since the page was opened
    status(`ready in ${seconds()} s · Python ${window.classroom.pyodide.version} in this page`);
    document.documentElement.dataset.ready = "1";
  } catch (error) {
    status("could not start");
    $("error").hidden = false;
    $("error").textContent = `the classroom could not start: ${error.message ?? error}`;
    document.documentElement.dataset.error = String(error.message ?? error);
    throw error;
  }
}

main();

// The classroom page's glue: load Python (Pyodide) and chainrule, give chainrule a
// renderer (Graphviz in WebAssembly), then draw what chainrule.play.lessons returns
// and wire the inputs.  Every number, table, step and quiz answer comes from Python;
// nothing here knows how backprop works.
import { loadPyodide } from "./pyodide/pyodide.mjs";
import { instance as vizInstance } from "./viz/viz.js";

const $ = (id) => document.getElementById(id);
const status = (text) => { $("status").textContent = text; };
const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
let lessonJson = null;   // chainrule.play.lessons.lesson_json
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
from chainrule.play.lessons import lesson_json, choices_json
`);
  lessonJson = pyodide.globals.get("lesson_json");
  const choices = JSON.parse(pyodide.globals.get("choices_json")());
  for (const name of choices.activations) {
    $("net-form").activation.add(new Option(name, name));
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
  current = result;
  history.replaceState(null, "", result.link ? `?${result.link}` : location.pathname);
  for (const link of document.querySelectorAll("#lessons a")) {
    link.classList.toggle("current", link.dataset.lesson === result.lesson);
  }
  $("expr-form").hidden = result.lesson !== "expr";
  $("net-form").hidden = result.lesson !== "net";
  fillForm(result);
  $("error").hidden = result.ok;
  $("error").textContent = result.ok ? "" : result.error;
  document.documentElement.dataset.error = result.ok ? "" : result.error;
  if (!result.ok) return;       // keep the last good stepper on screen while typing
  drawGradients(result);
  const stepper = $("stepper");
  stepper.hidden = false;
  stepper.srcdoc = result.stepper;
  fitStepper();
  $("tables").hidden = false;
  $("command").textContent = result.command;
  drawTables();
  document.title = `${result.title} · chainrule classroom`;
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
  if (result.lesson === "expr") {
    form.expr.value = params.get("expr") ?? "";
    form.values.value = [...params].filter(([k]) => k !== "expr")
                                   .map(([k, v]) => `${k}=${v}`).join(" ");
  } else {
    for (const [key, value] of params) if (form[key]) form[key].value = value;
  }
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
  for (const form of [$("expr-form"), $("net-form")]) {
    form.addEventListener("submit", (event) => event.preventDefault());
    form.addEventListener("input", () => {
      busy(true);
      clearTimeout(timer);
      timer = setTimeout(() => show(queryOf(form)), 400);   // the link follows the typing
    });
  }
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

"""The classroom in real Chromium, offline: `make site`'s play/ served on 127.0.0.1, every
other request aborted (and a test fails if one is made), the lessons' numbers checked
against PyTorch in float64 and the tables against native ``chainrule``.

One page, one Pyodide, for the whole module (starting Python in the page is most of the
time): it opens on an expression link, then moves through the lessons by the page's own
links and inputs, the way a class would.  The deep-graph test goes last, since it may
kill the page's interpreter.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

import pytest

pytestmark = pytest.mark.browser
torch = pytest.importorskip("torch")

VIEWPORT = {"width": 1280, "height": 800}
READY_SECONDS = 30
EXPR_LINK = "?expr=tanh(x*w%2Bb)&x=2&w=-3&b=6.88"
GRADIENTS = """() => Object.fromEntries([...document.querySelectorAll('[data-grad-of]')]
    .map(e => [e.dataset.gradOf, parseFloat(e.dataset.value)]))"""


@pytest.fixture(scope="module")
def server(classroom):
    from chainrule.play_cmd import serve
    httpd = serve(classroom.parent, 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def tab(browser, server):
    page = browser.new_page(viewport=VIEWPORT)
    seen = SimpleNamespace(page=page, errors=[], outside=[], ready=None)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))

    def only_this_server(route):
        if route.request.url.startswith(server + "/"):
            route.continue_()
        else:
            seen.outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    start = time.monotonic()
    page.goto(f"{server}/play/{EXPR_LINK}")
    page.wait_for_selector("html[data-ready='1']", timeout=READY_SECONDS * 1000)
    seen.ready = time.monotonic() - start
    yield seen
    page.close()


def assert_clean(tab):
    assert tab.outside == [], f"requests left 127.0.0.1: {tab.outside[:5]}"
    assert tab.errors == [], f"page errors: {tab.errors[:3]}"
    assert tab.page.evaluate("document.documentElement.dataset.error || ''") == ""


def assert_close(got: dict, want: dict, tolerance=1e-9):
    assert sorted(got) == sorted(want)
    for name, value in want.items():
        assert math.isclose(got[name], value, rel_tol=tolerance, abs_tol=tolerance), \
            f"{name}: page {got[name]!r}, PyTorch {value!r}"


def native(*argv) -> str:
    result = subprocess.run([sys.executable, "-m", "chainrule", *argv], capture_output=True,
                            text=True, timeout=120, env=dict(os.environ, COLUMNS="100"))
    assert result.returncode == 0, result.stderr
    return result.stdout


def query(page) -> list:
    return parse_qsl(urlsplit(page.url).query)


def wait_for_gradients(page, names):
    selector = ",".join(f"[data-grad-of='{name}']" for name in names)
    page.wait_for_function(f"document.querySelectorAll(`{selector}`).length === {len(names)}",
                           timeout=20_000)
    page.wait_for_function("document.documentElement.dataset.busy !== '1'", timeout=20_000)


def torch_gradients(function, **values):
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for k, v in values.items()}
    function(**leaves).backward()
    return {k: leaf.grad.item() for k, leaf in leaves.items()}


def test_the_expression_lesson_is_ready_within_30_s_with_pytorchs_gradients(tab):
    assert tab.ready < READY_SECONDS
    want = torch_gradients(lambda x, w, b: torch.tanh(x * w + b), x=2.0, w=-3.0, b=6.88)
    assert_close(tab.page.evaluate(GRADIENTS), want)
    stepper = tab.page.frame_locator("#stepper")
    assert stepper.locator("#counter").text_content().startswith("step 1 / ")
    assert_clean(tab)


def test_its_tables_are_chainrule_traces_in_text_markdown_and_latex(tab):
    page = tab.page
    argv = ["trace", "tanh(x*w+b)", "x=2", "w=-3", "b=6.88"]
    for button, fmt in (("Markdown", "md"), ("LaTeX", "latex"), ("text", "text")):
        page.click(f".tabs button:text-is('{button}')")
        shown = page.text_content("#table-text")
        if fmt == "text":
            assert shown.rstrip() == native(*argv).rstrip()
        else:
            assert shown == native(*argv, "--format", fmt)
    assert_clean(tab)


def test_quiz_mode_asks_before_it_shows_and_checks_the_answer(tab):
    stepper = tab.page.frame_locator("#stepper")
    assert tab.page.locator("#gradients .grad").first.is_visible()
    stepper.locator("#quiz-toggle").check()
    # the strip above the stepper holds every answer: hidden while the quiz asks
    tab.page.wait_for_function(
        "() => getComputedStyle(document.querySelector('#gradients .grad')).display === 'none'",
        timeout=5000)
    assert tab.page.locator("#gradients").get_attribute("class") == "quiz"
    assert not tab.page.locator("#table-text").is_visible()
    for _ in range(40):
        if stepper.locator("#quiz").is_visible():
            break
        stepper.locator("#next").click()
    assert stepper.locator("#quiz").is_visible(), "no quiz question in 40 steps"
    answers = tab.page.frame_locator("#stepper").locator("body").evaluate("""() => {
        const steps = JSON.parse(document.getElementById('steps-data').textContent);
        const k = parseInt(document.getElementById('counter').textContent.split(' ')[1]) - 1;
        return steps[k].quiz.map(q => q.answer);
    }""")
    for i, answer in enumerate(answers):
        stepper.locator(f"#quiz-answer-{i}").fill(repr(answer))
    stepper.locator("#quiz-check").click()
    assert stepper.locator("#quiz-result").text_content().strip()
    assert stepper.locator(".wrong, [class*=wrong]").count() == 0
    stepper.locator("#quiz-toggle").uncheck()
    tab.page.wait_for_function(
        "() => getComputedStyle(document.querySelector('#gradients .grad')).display !== 'none'",
        timeout=5000)
    assert_clean(tab)


def test_editing_the_expression_updates_the_link_and_the_gradients(tab):
    page = tab.page
    page.fill("#expr-form [name=expr]", "log(x)*y + exp(-x*y)/(1 + y**2)")
    page.fill("#expr-form [name=values]", "x=1.5 y=-0.5")
    page.wait_for_function("location.search.includes('log') && "
                           "document.querySelector('[data-grad-of=y]') && "
                           "!document.querySelector('[data-grad-of=w]')", timeout=20_000)
    assert query(page) == [("expr", "log(x)*y + exp(-x*y)/(1 + y**2)"), ("x", "1.5"),
                           ("y", "-0.5")]
    want = torch_gradients(lambda x, y: torch.log(x) * y + torch.exp(-x * y) / (1 + y ** 2),
                           x=1.5, y=-0.5)
    assert_close(page.evaluate(GRADIENTS), want)
    assert_clean(tab)


def test_a_bad_value_is_one_line_from_chainrule_and_the_last_stepper_stays(tab):
    page = tab.page
    page.fill("#expr-form [name=values]", "x=-1.5 y=-0.5")
    page.wait_for_selector("#error:not([hidden])", timeout=20_000)
    message = page.text_content("#error")
    assert "log() of -1.5 is undefined" in message and "\n" not in message.strip()
    assert page.frame_locator("#stepper").locator("#counter").is_visible()
    page.fill("#expr-form [name=values]", "x=1.5 y=-0.5")
    page.wait_for_selector("#error[hidden]", state="attached", timeout=20_000)
    assert tab.errors == [] and tab.outside == []


def network_gradients(sizes, x, target, activation, seed):
    """PyTorch's gradients of ``chainrule network``'s loss, by the tables' names."""
    from nn import MLP, to_torch
    model = to_torch(MLP(sizes[0], sizes[1:], activation=[activation] * (len(sizes) - 1),
                         seed=seed))
    out = model(torch.tensor(x, dtype=torch.float64))
    ((out - torch.tensor(target, dtype=torch.float64)) ** 2).mean().backward()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    names = {}
    for layer, linear in enumerate(linears, 1):
        for neuron in range(linear.out_features):
            for k in range(linear.in_features):
                names[f"L{layer}.N{neuron + 1}.w{k + 1}"] = linear.weight.grad[neuron, k].item()
            names[f"L{layer}.N{neuron + 1}.b"] = linear.bias.grad[neuron].item()
    return names


def test_the_network_lesson_is_chainrule_networks_model_with_pytorchs_gradients(tab):
    page = tab.page
    page.click("#lessons a[data-lesson=net]")
    want = network_gradients([2, 3, 1], [1.0, -2.0], [0.5], "tanh", 0)
    wait_for_gradients(page, want)
    assert_close(page.evaluate(GRADIENTS), want)
    assert dict(query(page)) == {"net": "2,3,1", "input": "1,-2", "target": "0.5",
                                 "activation": "tanh", "seed": "0", "loss": "mse"}
    flags = ["network", "--sizes", "2,3,1", "--input", "1,-2", "--target", "0.5",
             "--activation", "tanh", "--seed", "0"]
    assert page.text_content("#table-text").rstrip() == native(*flags).rstrip()
    assert page.frame_locator("#stepper").locator("#quiz-toggle").is_visible()
    assert_clean(tab)


def test_editing_the_network_updates_the_link_and_the_numbers(tab):
    page = tab.page
    page.fill("#net-form [name=net]", "3,4,2")
    page.fill("#net-form [name=input]", "0.5,-1,2")
    page.fill("#net-form [name=target]", "0.1,-0.3")
    page.select_option("#net-form [name=activation]", "sigmoid")
    page.fill("#net-form [name=seed]", "7")
    want = network_gradients([3, 4, 2], [0.5, -1.0, 2.0], [0.1, -0.3], "sigmoid", 7)
    page.wait_for_function("location.search.includes('seed=7') && "
                           "location.search.includes('sigmoid')", timeout=20_000)
    wait_for_gradients(page, want)
    assert_close(page.evaluate(GRADIENTS), want)
    assert dict(query(page))["net"] == "3,4,2"
    assert_clean(tab)


TRAIN_SECONDS = 60


def test_training_on_moons_halves_its_loss_within_60_s_as_native_python_does(tab):
    from visualize.playground import Playground
    page = tab.page
    page.click("#lessons a[data-lesson=train]")
    page.wait_for_selector("[data-train][data-step='0']", timeout=20_000)
    link = urlsplit(page.url).query
    assert dict(parse_qsl(link))["train"] == "moons"
    first = float(page.get_attribute("[data-train]", "data-loss"))
    native_run = Playground.from_query(link)
    assert first == pytest.approx(native_run.state()["loss"], rel=1e-12)
    page.click("#train-run")
    page.wait_for_function(f"parseFloat(document.querySelector('[data-train]').dataset.loss) "
                           f"<= {first / 2!r}", timeout=TRAIN_SECONDS * 1000)
    page.click("#train-run")                                   # pause
    page.wait_for_function("!document.querySelector('#train-run').textContent.includes('Pause')")
    steps = int(page.get_attribute("[data-train]", "data-step"))
    loss = float(page.get_attribute("[data-train]", "data-loss"))
    assert loss <= first / 2 and steps > 0
    # the page's run is the engine's: the same steps natively give the same loss (Pyodide's
    # libm may differ from this machine's by an ulp, so not bit for bit)
    assert native_run.step(steps)["loss"] == pytest.approx(loss, rel=1e-6)
    for picture in ("boundary", "loss", "gradients"):
        assert page.locator(f"#train-{picture} svg").count() == 1, picture
    page.click("#train-step")
    page.wait_for_selector(f"[data-train][data-step='{steps + 1}']", timeout=20_000)
    # every setting of the link is a field: an edit keeps the others, and restarts the run
    page.fill("#train-form [name=noise]", "0.25")
    page.wait_for_function("location.search.includes('noise=0.25')", timeout=20_000)
    page.wait_for_selector("[data-train][data-step='0']", timeout=20_000)
    edited = dict(parse_qsl(urlsplit(page.url).query))
    assert {k: v for k, v in edited.items() if k != "noise"} == {
        k: v for k, v in parse_qsl(link) if k != "noise"}
    assert_clean(tab)


def test_a_digit_drawn_on_the_pad_is_classified_as_native_python_classifies_it(tab):
    from visualize.digit_pad import classify, to_digits_8x8
    page = tab.page
    page.click("#lessons a[data-lesson=digits]")
    pad = page.locator("#pad")
    pad.wait_for(state="visible", timeout=20_000)
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 100, box["y"] + 60)             # a 7: a bar, then down
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(box["x"] + 100 + 9 * k, box["y"] + 60)
    for k in range(1, 16):
        page.mouse.move(box["x"] + 190 - 5 * k, box["y"] + 60 + 13 * k)
    page.mouse.up()
    page.wait_for_function("document.querySelector('#digit-answer').dataset.value !== ''",
                           timeout=20_000)
    strokes = json.loads(pad.get_attribute("data-strokes"))
    assert len(strokes) == 1 and len(strokes[0]) >= 20
    want = classify(to_digits_8x8(strokes))
    answer = page.locator("#digit-answer")
    assert int(answer.get_attribute("data-value")) == want["digit"]
    got = [float(p) for p in json.loads(answer.get_attribute("data-probabilities"))]
    assert got == pytest.approx(want["probabilities"], rel=1e-9, abs=1e-12)
    assert page.locator("#digit-bars svg [data-digit]").count() == 10
    assert page.locator("#digit-activations svg").count() == 1
    page.click("#pad-clear")
    page.wait_for_function("document.querySelector('#digit-answer').dataset.value === ''")
    assert_clean(tab)


def test_every_module_of_chainrule_imports_in_the_page(tab):
    """No threads, processes or signals needed at import: Pyodide has none to give.  Only
    the modules of optional extras (hypothesis's strategies, numpy's tape) stay out."""
    failures = tab.page.evaluate("""() => window.classroom.pyodide.runPython(`
import importlib, pkgutil, json
failed, count = [], 0
for package in ("autograd", "nn", "visualize", "chainrule"):
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        if info.name.endswith(".__main__"):
            continue                       # importing it runs the command line
        count += 1
        try:
            importlib.import_module(info.name)
        except ImportError as error:       # an optional extra the page does not ship
            if not any(extra in str(error) for extra in ("hypothesis", "numpy")):
                failed.append(f"{info.name}: {type(error).__name__}: {error}")
        except Exception as error:
            failed.append(f"{info.name}: {type(error).__name__}: {error}")
json.dumps({"count": count, "failed": failed})`)""")
    result = json.loads(failures)
    assert result["count"] >= 40 and result["failed"] == [], result["failed"]


def conv_gradients(argv, target):
    """PyTorch's gradients of ``chainrule network --conv``'s loss: the kernel, the bias."""
    from chainrule.cli import build_parser
    from chainrule.network_cmd import conv_model, read_options
    from nn import to_torch
    args = build_parser().parse_args(argv)
    _, x, _, seed = read_options(args)
    model = to_torch(conv_model(args, seed))
    h, w = map(int, args.conv.split(",")[0].split("x"))
    out = model(torch.tensor(x, dtype=torch.float64).reshape(1, 1, h, w))
    ((out - target) ** 2).mean().backward()
    conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    k = conv.kernel_size[0]
    names = {f"w[{i // k},{i % k}]": g for i, g in enumerate(conv.weight.grad.flatten().tolist())}
    return {**names, "b": conv.bias.grad.item()}


def test_the_conv_lesson_is_chainrule_network_conv_with_pytorchs_gradients(tab):
    """Chapter 11's lesson: ?conv= is `chainrule network --conv`, in the page.  (It
    reloads the page, so it runs after the lessons the other tests click through.)"""
    page = tab.page
    pixels = "0,0,1,0,0,0,1,1,0,0,0,0,1,0,0,0,0,1,0,0,0,1,1,1,0"
    page.goto(page.url.split("?")[0] + f"?conv=5x5,3x3&input={pixels}&target=1"
              "&activation=tanh&seed=3")
    page.wait_for_selector("html[data-ready='1']", timeout=30_000)
    argv = ["network", "--conv", "5x5,3x3", "--input", pixels, "--target", "1",
            "--activation", "tanh", "--seed", "3"]
    want = conv_gradients(argv, 1.0)
    wait_for_gradients(page, want)
    assert_close(page.evaluate(GRADIENTS), want)
    assert page.text_content("#table-text").rstrip() == native(*argv).rstrip()
    assert page.is_visible("#conv-form") and not page.is_visible("#net-form")
    page.fill("#conv-form [name=seed]", "4")
    page.wait_for_function("location.search.includes('seed=4')", timeout=20_000)
    wait_for_gradients(page, want)
    assert_close(page.evaluate(GRADIENTS), conv_gradients(argv[:-1] + ["4"], 1.0))
    assert_clean(tab)


def free_chain(tab, depth: int) -> str:
    return tab.page.evaluate("""(depth) => String(window.classroom.pyodide.runPython(`
from autograd import Value
x = Value(1.0, "x"); y = x
for _ in range(${depth}):
    y = y * 1.0
y.backward()
del y                     # the whole chain is freed here
import gc; gc.collect(); str(x.grad) + " freed"`))""", depth)


def test_freeing_a_2000_deep_chain_leaves_the_pages_python_running(tab):
    assert free_chain(tab, 2000) == "1.0 freed"
    assert tab.page.evaluate("window.classroom.pyodide.runPython('1 + 1')") == 2


def test_freeing_a_50000_deep_chain_leaves_the_pages_python_running(tab):
    # CPython's own freeing overflows the WebAssembly stack at about 3,000 nodes
    # (Pyodide 314.0.8, Chromium); Value.__del__ frees iteratively there
    # (autograd.graph.free_below), so the chain goes and the page's Python lives on.
    assert free_chain(tab, 50_000) == "1.0 freed"
    assert tab.page.evaluate("window.classroom.pyodide.runPython('1 + 1')") == 2
    assert_clean(tab)

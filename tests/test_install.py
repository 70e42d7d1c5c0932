"""What users install is what we test: the wheel and the sdist, installed into fresh venvs.

Each file goes into a new virtual environment (never editable), and a smoke set runs from
a folder outside the repository: ``fit(compile=True)``, ``trace --html``, ``train
--compile``, ``predict``, ``network``, ``export``.  A light install (no extras) must work
for the engine, nn and the pictures, and name the extra it lacks for the rest.  Then
HIPS autograd, the other project that installs a package named ``autograd``, goes into
the same environment in both orders.

``make test`` builds the files once (``make dist``) and passes them in ``CHAINRULE_DIST``;
without it, the test builds them itself from the tracked files.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VERSION = re.search(r'__version__ = "([^"]+)"', (ROOT / "chainrule/version.py").read_text())[1]
PACKAGES = ("autograd", "nn", "visualize", "chainrule")
HIPS = "autograd==1.9.1"  # HIPS autograd, as PyPI serves it

pytestmark = pytest.mark.install


def run(args, cwd, check=True, env=None, timeout=600):
    """Run ``args`` outside the repo, with no trace of the checkout on sys.path."""
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("PYTHONPATH", "VIRTUAL_ENV", "CHAINRULE_TEST_INSTALLED")}
    environment.update(env or {})
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                            env=environment, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} exited {result.returncode}:\n{result.stdout}\n"
                             f"{result.stderr}")
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The folder holding this checkout's wheel and sdist."""
    given = os.environ.get("CHAINRULE_DIST")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("dist")
    tree = tmp_path_factory.mktemp("tree")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.split(b"\0")
    for name in filter(None, listed):
        source, target = ROOT / name.decode(), tree / name.decode()
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    run([sys.executable, "-m", "build", "--outdir", out, "."], cwd=tree)
    return out


def artifact(dist: Path, kind: str) -> Path:
    pattern = f"chainrule-{VERSION}-py3-none-any.whl" if kind == "wheel" else \
        f"chainrule-{VERSION}.tar.gz"
    found = list(dist.glob(pattern))
    assert len(found) == 1, f"no {pattern} in {dist}: run make dist"
    return found[0]


def new_venv(path: Path, *requirements) -> Path:
    """A fresh venv at ``path`` with ``requirements`` pip-installed in order; its python."""
    run([sys.executable, "-m", "venv", path], cwd=path.parent)
    python = path / "bin" / "python"
    for requirement in requirements:
        run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
             requirement], cwd=path.parent)
    return python


def test_the_suite_imports_the_installed_package():
    """Under ``make test`` every test imports the installed wheel, never the checkout."""
    if os.environ.get("CHAINRULE_TEST_INSTALLED") != "1":
        pytest.skip("make test runs the suite against the installed wheel "
                    "(CHAINRULE_TEST_INSTALLED=1); this run uses whatever sys.path finds")
    import importlib

    for name in PACKAGES:
        where = Path(importlib.import_module(name).__file__).resolve()
        assert where.parent != ROOT / name, f"{name} was imported from the checkout: {where}"
        assert "site-packages" in where.parts, where
    # and so does a command the tests start from inside the checkout
    shown = run([sys.executable, "-c", "import autograd; print(autograd.__file__)"],
                cwd=ROOT).stdout.strip()
    assert Path(shown).resolve() != ROOT / "autograd" / "__init__.py", shown


SMOKE = """
import numpy as np
from nn import MLP, fit, evaluate
from nn.data import make_moons
X, y = make_moons(80, noise=0.1, seed=0)
model = MLP(2, [8, 2], init="he", seed=0)
history = fit(model, X, y, epochs=5, batch_size=16, lr=0.05, optimizer="adam", seed=0,
              progress=False, compile=True)
import autograd.tape
print("compiled fit", len(history.train_loss), round(evaluate(model, X, y)["accuracy"], 2))
"""

CHECKPOINT = """
import torch
from nn import load
checkpoint = torch.load("m.pt")
net = torch.nn.Sequential(*(getattr(torch.nn, name)(*args)
                            for name, args in checkpoint["modules"])).double().eval()
net.load_state_dict(checkpoint["state_dict"])
model = load("run/model.json")
x = [0.3, -0.2]
ours = [v.data for v in model(x)]
theirs = net(torch.tensor([x], dtype=torch.float64))[0].tolist()
assert max(abs(a - b) for a, b in zip(ours, theirs)) < 1e-12, (ours, theirs)
print("checkpoint matches")
"""


# The sdist's venv goes without torch (30-40 s of installing): its export is checked to
# name the extra, and test_the_sdist_builds_the_wheel_that_was_tested shows that the
# sdist builds the very files of the wheel, whose export runs here with torch.
@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_the_installed_file_runs_every_tool_outside_the_repo(kind, dist, tmp_path):
    file = artifact(dist, kind)
    extras = "[fast,torch]" if kind == "wheel" else "[fast]"
    python = new_venv(tmp_path / "venv", f"{file}{extras}")
    bin_dir = python.parent
    work = tmp_path / "work"
    work.mkdir()
    run([python, "-m", "pip", "check"], cwd=work)
    assert run([bin_dir / "chainrule", "--version"], cwd=work).stdout.strip() == \
        f"chainrule {VERSION}"
    where = run([python, "-c", "import autograd.tape, nn, visualize, chainrule\n"
                 "for m in (autograd.tape, nn, visualize, chainrule): print(m.__file__)"],
                cwd=work).stdout.split()
    assert all(str(tmp_path / "venv") in w for w in where), where

    assert "compiled fit 5" in run([python, "-c", SMOKE], cwd=work).stdout
    traced = run([bin_dir / "chainrule", "trace", "tanh(x*w + b)", "x=2", "w=-3", "b=6.88",
                  "--html", "stepper.html", "--svg", "graph.svg"], cwd=work)
    assert "d/dw = 1.00194" in traced.stdout
    assert "<svg" in (work / "graph.svg").read_text()
    assert "</html>" in (work / "stepper.html").read_text()
    trained = run([bin_dir / "chainrule", "train", "--dataset", "moons", "--compile",
                   "--epochs", "3", "--samples", "100", "--no-progress", "--out", "run"],
                  cwd=work)
    assert "test accuracy" in trained.stdout and (work / "run/model.json").is_file()
    predicted = run([bin_dir / "chainrule", "predict", "run/model.json", "--point", "0,1"],
                    cwd=work)
    assert re.fullmatch(r"0,1 -> class [01]  \(p = [01]\.\d{3}\)\n", predicted.stdout)
    network = run([bin_dir / "chainrule", "network", "--sizes", "2,3,1", "--input", "1,-2",
                   "--target", "1", "--seed", "0", "--svg", "net.svg", "--html", "net.html"],
                  cwd=work)
    assert "L1.N1.w1" in network.stdout and "<svg" in (work / "net.svg").read_text()
    export = run([bin_dir / "chainrule", "export", "run/model.json", "--torch", "m.pt"],
                 cwd=work, check=kind == "wheel")
    if kind == "wheel":
        assert "checkpoint matches" in run([python, "-c", CHECKPOINT], cwd=work).stdout
    else:
        assert export.returncode == 1 and "pip install '.[torch]'" in export.stderr
    assert sorted(p.name for p in work.iterdir()) == sorted(
        ["graph.svg", "net.html", "net.svg", "run", "stepper.html"]
        + (["m.pt"] if kind == "wheel" else []))


def test_the_sdist_builds_the_wheel_that_was_tested(dist, tmp_path):
    """pip's wheel from the sdist holds the same files, byte for byte, as the dist wheel."""
    import zipfile

    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp_path,
         artifact(dist, "sdist")], cwd=tmp_path)
    (rebuilt,) = tmp_path.glob("chainrule-*.whl")

    def contents(path):
        with zipfile.ZipFile(path) as wheel:
            return {n: wheel.read(n) for n in wheel.namelist() if ".dist-info/" not in n}

    assert contents(rebuilt) == contents(artifact(dist, "wheel"))


def test_the_sdist_holds_what_a_build_needs(dist):
    with tarfile.open(artifact(dist, "sdist")) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    tracked = subprocess.run(["git", "ls-files", *PACKAGES], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    missing = [n for n in tracked if n.endswith(".py") and n not in names]
    assert not missing, f"the sdist leaves out {missing}"
    assert {"pyproject.toml", "README.md", "LICENSE"} <= names


def test_a_light_install_draws_and_names_the_extra_it_lacks(dist, tmp_path):
    python = new_venv(tmp_path / "venv", str(artifact(dist, "wheel")))
    chainrule = python.parent / "chainrule"
    work = tmp_path / "work"
    work.mkdir()
    shown = run([python, "-c", "import importlib.util as u\n"
                 "print([m for m in ('numpy', 'torch', 'matplotlib') if u.find_spec(m)])"],
                cwd=work).stdout.strip()
    assert shown == "[]", f"the light install pulled in {shown}"
    traced = run([chainrule, "trace", "x*w", "x=1", "w=2", "--svg", "g.svg"], cwd=work)
    assert "d/dx = 2.0" in traced.stdout and "<svg" in (work / "g.svg").read_text()
    compiled = run([chainrule, "train", "--dataset", "moons", "--compile", "--epochs", "1",
                    "--no-progress", "--out", "run"], cwd=work, check=False)
    lines = compiled.stderr.strip().splitlines()
    assert compiled.returncode == 1 and len(lines) == 1, compiled.stderr
    assert "pip install '.[fast]'" in lines[0] and "bug" not in lines[0]
    demo = run([chainrule, "demo", "--steps", "1", "--out", "demo"], cwd=work)
    assert "pip install '.[plot]'" in demo.stdout
    export = run([chainrule, "export", "nothing.json", "--torch", "m.pt"], cwd=work,
                 check=False)
    assert export.returncode == 1 and export.stderr.count("\n") == 1, export.stderr
    assert "failed: export --torch needs PyTorch" in export.stderr


HIPS_WORKS = ("import autograd.numpy as np\nfrom autograd import grad\n"
              "print(round(grad(np.tanh)(1.0), 6))")


def test_hips_autograd_first_then_chainrule_warns_once_and_names_the_repair(dist, tmp_path):
    python = new_venv(tmp_path / "venv", HIPS, str(artifact(dist, "wheel")))
    work = tmp_path / "work"
    work.mkdir()
    traced = run([python.parent / "chainrule", "trace", "x*w", "x=1", "w=2"], cwd=work)
    assert "d/dx = 2.0" in traced.stdout
    lines = traced.stderr.strip().splitlines()
    assert len(lines) == 1, traced.stderr
    assert "installed over autograd 1.9.1 (HIPS autograd)" in lines[0]
    assert "pip install --force-reinstall autograd" in lines[0]
    once = run([python, "-c", "import autograd, nn, visualize, autograd.gradcheck"], cwd=work)
    assert once.stderr.count("installed over autograd 1.9.1") == 1, once.stderr
    # the repair the warning names gives HIPS back
    run([python, "-m", "pip", "uninstall", "-q", "-y", "chainrule"], cwd=work)
    run([python, "-m", "pip", "install", "-q", "--force-reinstall", "autograd"], cwd=work)
    assert run([python, "-c", HIPS_WORKS], cwd=work).stdout.strip() == "0.419974"


def test_chainrule_first_then_hips_autograd_stops_in_one_line(dist, tmp_path):
    python = new_venv(tmp_path / "venv", str(artifact(dist, "wheel")), HIPS)
    work = tmp_path / "work"
    work.mkdir()
    assert run([python, "-c", HIPS_WORKS], cwd=work).stdout.strip() == "0.419974"
    for args in ([python.parent / "chainrule", "trace", "x*w", "x=1", "w=2"],
                 [python, "-c", "import nn"], [python, "-c", "import visualize"],
                 [python, "-m", "chainrule", "--version"]):
        stopped = run(args, cwd=work, check=False)
        lines = stopped.stderr.strip().splitlines()
        assert stopped.returncode == 1 and len(lines) == 1, (args, stopped.stderr)
        assert "belongs to autograd 1.9.1 (HIPS autograd), not chainrule's engine" in lines[0]
        assert "virtual environment of its own" in lines[0] and "Traceback" not in lines[0]
    # a program that catches it sees an ImportError
    catching = "try:\n import nn\nexcept ImportError as e:\n print(type(e).__name__)"
    caught = run([python, "-c", catching], cwd=work)
    assert caught.stdout.strip() == "AutogradClashError"

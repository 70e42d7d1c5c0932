"""Build the browser classroom into SITE/play/: static files only.

    python web/build.py SITE [--wheel CHAINRULE_WHEEL]

copies the page (web/index.html, classroom.js, classroom.css), the Pyodide core files
and Graphviz in WebAssembly from node_modules/ (installed by ``npm ci`` from the
committed package-lock.json), and the wheels the page installs, listed in
wheels/wheels.json: chainrule's own (``make dist`` builds it; without --wheel, the
checkout is built into one) and the pure-Python ``graphviz`` at the version this Python
runs (fetched once by pip into build/web-wheels/).  The page fetches nothing else, from
anywhere.  `make site` runs this after the docs are built.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ("index.html", "classroom.js", "classroom.css")
# node_modules file -> where the page loads it from (the Pyodide core: the runtime, the
# standard library and the lock file it reads at start; none of its own packages)
NPM_FILES = {
    "pyodide/pyodide.mjs": "pyodide/pyodide.mjs",
    "pyodide/pyodide.asm.mjs": "pyodide/pyodide.asm.mjs",
    "pyodide/pyodide.asm.wasm": "pyodide/pyodide.asm.wasm",
    "pyodide/python_stdlib.zip": "pyodide/python_stdlib.zip",
    "pyodide/pyodide-lock.json": "pyodide/pyodide-lock.json",
    "@viz-js/viz/dist/viz.js": "viz/viz.js",
}
WHEELS = ROOT / "build" / "web-wheels"


def _fail(message: str):
    raise SystemExit(f"web/build.py: {message}")


def graphviz_wheel(folder: Path = WHEELS) -> Path:
    """The ``graphviz`` wheel of the version installed here (pip fetches it once)."""
    version = importlib.metadata.version("graphviz")
    found = sorted(folder.glob(f"graphviz-{version}-*.whl"))
    if not found:
        result = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                                 "--quiet", "--dest", str(folder), f"graphviz=={version}"],
                                capture_output=True, text=True)
        found = sorted(folder.glob(f"graphviz-{version}-*.whl"))
        if result.returncode or not found:
            _fail(f"pip could not fetch the graphviz {version} wheel into {folder}: "
                  f"{(result.stderr.strip().splitlines() or ['no wheel'])[-1]}")
    return found[-1]


def checkout_wheel(folder: Path) -> Path:
    """chainrule's wheel, built from this checkout into ``folder``."""
    result = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                             "--outdir", str(folder), str(ROOT)], capture_output=True, text=True)
    wheels = sorted(folder.glob("chainrule-*.whl"))
    if result.returncode or not wheels:
        _fail(f"building chainrule's wheel failed: {result.stderr.strip()[-500:]}")
    return wheels[-1]


def build(site: Path, wheels: list, node_modules: Path = ROOT / "node_modules") -> Path:
    """Write ``site/play/`` with these wheels; returns that folder."""
    missing = [name for name in NPM_FILES if not (node_modules / name).is_file()]
    if missing:
        _fail(f"{node_modules / missing[0]} is missing: run `npm ci` in the checkout "
              "(make site does)")
    for wheel in wheels:
        if not (wheel.is_file() and wheel.suffix == ".whl"):
            _fail(f"{wheel} is not a wheel: build chainrule's with `make dist`")
    play = site / "play"
    if play.exists():
        shutil.rmtree(play)
    (play / "wheels").mkdir(parents=True)
    for name in PAGE:
        shutil.copy2(ROOT / "web" / name, play / name)
    for source, target in NPM_FILES.items():
        (play / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(node_modules / source, play / target)
    for wheel in wheels:
        shutil.copy2(wheel, play / "wheels" / wheel.name)
    (play / "wheels" / "wheels.json").write_text(json.dumps([w.name for w in wheels]) + "\n")
    return play


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(prog="web/build.py", description=__doc__.split("\n")[0])
    parser.add_argument("site", type=Path, help="the site folder; the classroom goes in play/")
    parser.add_argument("--wheel", type=Path, help="chainrule's wheel (default: build the "
                        "checkout)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        wheel = args.wheel or checkout_wheel(Path(scratch))
        folder = build(args.site, [wheel, graphviz_wheel()])
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    print(f"built {folder}/index.html ({size / 1e6:.1f} MB)")
    return folder


if __name__ == "__main__":
    main()

"""Build the browser classroom into SITE/play/: static files only.

    python web/build.py SITE WHEEL [WHEEL ...]

copies the page (web/index.html, classroom.js, classroom.css), the Pyodide core files
and Graphviz in WebAssembly from node_modules/ (installed by ``npm ci`` from the
committed package-lock.json), and the wheels the page installs (chainrule's own from
``make dist``, and the pure-Python ``graphviz``), listed in wheels/wheels.json.  The page
fetches nothing else, from anywhere.  `make site` runs this after the docs are built.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ("index.html", "classroom.js", "classroom.css")
# node_modules file -> where the page loads it from (the Pyodide core: the runtime, the
# standard library and the lock file it reads at start; no packages of its own)
NPM_FILES = {
    "pyodide/pyodide.mjs": "pyodide/pyodide.mjs",
    "pyodide/pyodide.asm.mjs": "pyodide/pyodide.asm.mjs",
    "pyodide/pyodide.asm.wasm": "pyodide/pyodide.asm.wasm",
    "pyodide/python_stdlib.zip": "pyodide/python_stdlib.zip",
    "pyodide/pyodide-lock.json": "pyodide/pyodide-lock.json",
    "@viz-js/viz/dist/viz.js": "viz/viz.js",
}


def build(site: Path, wheels: list[Path], node_modules: Path = ROOT / "node_modules") -> Path:
    """Write ``site/play/``; returns that folder."""
    missing = [name for name in NPM_FILES if not (node_modules / name).is_file()]
    if missing:
        raise SystemExit(f"web/build.py: {node_modules / missing[0]} is missing: run `npm ci` "
                         "in the checkout (make site does)")
    for wheel in wheels:
        if not (wheel.is_file() and wheel.suffix == ".whl"):
            raise SystemExit(f"web/build.py: {wheel} is not a wheel: build chainrule's with "
                             "`make dist`")
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


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__.strip().splitlines()[2].strip())
    folder = build(Path(sys.argv[1]), [Path(name) for name in sys.argv[2:]])
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    print(f"built {folder}/index.html ({size / 1e6:.1f} MB)")

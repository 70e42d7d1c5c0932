"""How much disk each install of chainrule takes: the light install and each extra.

Each line is a fresh virtual environment with the wheel from ``make dist`` and one
extra, measured as the size of its site-packages less an empty venv's (pip itself).

    $ make dist && .venv/bin/python benchmarks/install_sizes.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = ["", "fast", "plot", "digits", "progress", "torch", "course", "dev", "test"]


def site_packages_bytes(venv: Path) -> int:
    site = next((venv / "lib").glob("python*/site-packages"))
    return sum(f.stat().st_size for f in site.rglob("*") if f.is_file())


def main() -> None:
    wheels = sorted((ROOT / "dist").glob("chainrule-*.whl"))
    if not wheels:
        sys.exit("install_sizes: no wheel in dist/: run make dist first")
    wheel = wheels[-1]
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty"
        subprocess.run([sys.executable, "-m", "venv", empty], check=True)
        baseline = site_packages_bytes(empty)
        print(f"{wheel.name}: site-packages of a fresh venv, less an empty venv's")
        print(f"{'install':<36}{'MB':>8}")
        for extra in EXTRAS:
            venv = Path(tmp) / (extra or "light")
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
            target = f"{wheel}[{extra}]" if extra else str(wheel)
            subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "-q",
                            "--disable-pip-version-check", target], check=True,
                           stderr=subprocess.DEVNULL)
            size = (site_packages_bytes(venv) - baseline) / 1e6
            shown = f"pip install '.[{extra}]'" if extra else "pip install ."
            print(f"{shown:<36}{size:>8.1f}")
            subprocess.run(["rm", "-rf", str(venv)], check=True)


if __name__ == "__main__":
    main()

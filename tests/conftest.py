"""Shared test settings: a fixed hypothesis profile so CI is deterministic and fast.

HYPOTHESIS_PROFILE=dev runs more, random examples locally.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=500, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module, or a skip that says why."""
    from pathlib import Path

    from chromium import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """`make site` once per run, into a temporary folder: the docs (mkdocs, strict; a
    warning fails) and, where npm installed node_modules/, the classroom in play/ with
    the wheel under test (CHAINRULE_DIST's, which `make test` built, else the checkout's).
    tests/test_site.py reads the docs, tests/test_play_browser.py serves the classroom."""
    folder = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                             "--site-dir", str(folder)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr[-4000:]}"
    warnings = [line for line in result.stderr.splitlines()
                if line.startswith(("WARNING", "ERROR"))]
    assert not warnings, "\n".join(warnings)
    if (ROOT / "node_modules" / "pyodide").is_dir():
        dist = os.environ.get("CHAINRULE_DIST")
        wheels = sorted(Path(dist).glob("chainrule-*.whl")) if dist else []
        command = [sys.executable, str(ROOT / "web" / "build.py"), str(folder)]
        command += ["--wheel", str(wheels[-1])] if wheels else []
        built = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert built.returncode == 0, f"web/build.py failed:\n{built.stderr[-4000:]}"
    return folder


@pytest.fixture(scope="session")
def classroom(site) -> Path:
    """The built classroom (site/play/), or a skip that says why."""
    if not (site / "play" / "index.html").is_file():
        pytest.skip("the classroom was not built: node_modules/ is missing (npm ci; "
                    "`make test` runs it where npm can be installed)")
    return site / "play"

"""Docs that cannot go stale.

Every ``$`` command of a ```console block and every ``>>>`` block of README.md and of each
docs/*.md page runs, in page order, in a fresh temporary folder per page, and its output
must be what the page shows.  Timings, addresses and temporary paths are masked on both
sides; ``...`` in a shown output stands for any text.  A long recorded run (a benchmark,
a two-minute training) may be shown only as plain output with its command named in the
prose: a ``$`` line outside a console block is refused, so nothing shown as a command is
silently skipped.
"""

from __future__ import annotations

import doctest
import os
import subprocess
import sys
from pathlib import Path

import pytest
from docs_pages import ROOT, blocks, commands, is_doctest, mask, matches, pages

PAGES = pages()


def tracked_state() -> str:
    """What git sees as changed in the checkout (empty in a clean one)."""
    result = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            cwd=ROOT, capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else ""


class MaskingChecker(doctest.OutputChecker):
    def __init__(self, temp: str):
        self.temp = temp

    def check_output(self, want, got, optionflags):
        return super().check_output(mask(want, self.temp), mask(got, self.temp), optionflags)


def shell_env(folder: Path) -> dict:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["MPLBACKEND"] = "Agg"
    env["COLUMNS"] = "200"
    # A progress bar is drawn on stderr and erased when the run ends (leave=False): what
    # stays on a terminal is the output without it.
    env["TQDM_DISABLE"] = "1"
    env.pop("HYPOTHESIS_PROFILE", None)
    return env


def run_page(path: Path, folder: Path, monkeypatch) -> list[str]:
    """Run the page's examples in ``folder``; one message per difference."""
    # `.venv/bin/chainrule ...` as the README writes it: the venv these tests run in
    (folder / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    monkeypatch.chdir(folder)
    temp = str(folder)
    failures: list[str] = []
    globs: dict = {"__name__": "__docs__"}
    runner = doctest.DocTestRunner(checker=MaskingChecker(temp),
                                   optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    parser = doctest.DocTestParser()
    last_code = 0
    for block in blocks(path):
        where = f"{path.name}, block at line {block.line}"
        lines = block.text.splitlines()
        if block.lang == "console":
            for command, shown in commands(block):
                result = subprocess.run(f"(exit {last_code}); {command}", shell=True,
                                        executable="/bin/bash", cwd=folder, env=shell_env(folder),
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, timeout=600)
                last_code = result.returncode
                want, got = mask(shown, temp), mask(result.stdout, temp)
                if not matches(want, got):
                    failures.append(f"{where}: `$ {command}` printed\n{result.stdout}\n"
                                    f"but the page shows\n{shown}\n")
        elif is_doctest(block):
            test = parser.get_doctest(block.text, globs, where, str(path), block.line)
            before = runner.failures
            out: list[str] = []
            runner.run(test, out=out.append, clear_globs=False)
            globs = test.globs
            if runner.failures != before:
                failures.append("".join(out))
        elif any(line.startswith("$ ") for line in lines):
            failures.append(f"{where}: a '$ ' line in a ```{block.lang or ' '} block is never "
                            "run; make it a ```console block, or show the output alone and "
                            "name the command in the prose")
    return failures


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_every_example_on_the_page_prints_what_the_page_shows(path, tmp_path, monkeypatch):
    before = tracked_state()
    failures = run_page(path, tmp_path, monkeypatch)
    assert not failures, "\n".join(failures)
    assert tracked_state() == before, f"running {path.name}'s examples changed the checkout"


def test_the_pages_have_examples_to_run():
    """A parser that found nothing would pass every page."""
    found = {p.name: [b for b in blocks(p) if b.lang == "console" or is_doctest(b)]
             for p in PAGES}
    assert len(found["README.md"]) >= 6
    assert sum(len(v) for v in found.values()) >= 40


def test_a_dollar_line_outside_a_console_block_is_refused(tmp_path, monkeypatch):
    page = tmp_path / "page.md"
    page.write_text("```\n$ chainrule demo --steps 100000\nslow\n```\n")
    folder = tmp_path / "run"
    folder.mkdir()
    (failure,) = run_page(page, folder, monkeypatch)
    assert "is never run" in failure


def test_a_stale_output_is_caught(tmp_path, monkeypatch):
    page = tmp_path / "page.md"
    page.write_text("```console\n$ echo 1.5 s; echo two\n<time>\n...\n```\n\n"
                    "```console\n$ echo three\nfour\n```\n\n"
                    "```python\n>>> 1 + 1\n3\n\n```\n")
    folder = tmp_path / "run"
    folder.mkdir()
    failures = run_page(page, folder, monkeypatch)
    assert len(failures) == 2
    assert "`$ echo three` printed\nthree" in failures[0]
    assert "1 + 1" in failures[1]



def test_the_committed_pictures_are_what_docs_pictures_py_draws(tmp_path):
    """The pages' examples write under out/; the pictures they show are drawn by
    docs/pictures.py from the same examples, and must say what it draws (the text of every
    label: data, grads, edge annotations, titles; the layout may move between renderers)."""
    import xml.etree.ElementTree as ET

    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import pictures
    finally:
        sys.path.remove(str(ROOT / "docs"))
    written = pictures.draw_all(tmp_path)
    assert len(written) >= 5

    def labels(path):
        return [t.text for t in ET.parse(path).getroot().iter("{http://www.w3.org/2000/svg}text")]

    for path in written:
        committed = ROOT / "docs" / path.name
        if path.suffix == ".svg":
            assert labels(path) == labels(committed), (
                f"docs/{path.name} is stale: run .venv/bin/python docs/pictures.py")
        else:
            assert committed.read_bytes()[:8] == path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"



def test_the_test_count_the_contributing_page_states_is_within_a_tenth():
    import re

    text = (ROOT / "docs" / "contributing.md").read_text(encoding="utf-8")
    stated = int(re.search(r"about ([\d,]+) tests", text).group(1).replace(",", ""))
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                             "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    collected = int(re.search(r"^(\d+) tests? collected", result.stdout, re.M).group(1))
    assert abs(collected - stated) <= collected / 10, (
        f"docs/contributing.md says about {stated} tests; pytest collects {collected}")


def update(path: Path) -> None:
    """Write what each console command prints into the page, for the commands whose shown
    output has no ``...`` (those are kept as written).  Review the diff before committing:
    ``.venv/bin/python tests/test_docs.py docs/guide.md``."""
    import tempfile

    from docs_pages import FENCE

    text = path.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        (folder / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
        last_code, pieces, position = 0, [], 0
        for match in FENCE.finditer(text):
            if match.group("lang") != "console":
                continue
            indent = match.group("indent")
            body = []
            for command, shown in commands(blocks_at(text, match)):
                result = subprocess.run(f"(exit {last_code}); {command}", shell=True,
                                        executable="/bin/bash", cwd=folder, env=shell_env(folder),
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, timeout=600)
                last_code = result.returncode
                output = shown if "..." in shown else result.stdout.rstrip("\n")
                body += [f"$ {command}", *(output.splitlines() if output else [])]
            pieces += [text[position:match.start("body")],
                       "".join(indent + line + "\n" if line else "\n" for line in body)]
            position = match.end("body")
        pieces.append(text[position:])
    new = "".join(pieces)
    path.write_text(new, encoding="utf-8")


def blocks_at(text: str, match):
    from docs_pages import Block
    indent = len(match.group("indent"))
    body = "".join(line[indent:] for line in match.group("body").splitlines(keepends=True))
    return Block(match.group("lang"), body, text.count("\n", 0, match.start()) + 1)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        update(Path(name).resolve())

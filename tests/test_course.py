"""The course (docs/course/*.ipynb) runs, and its committed outputs are current.

Each notebook is executed top to bottom in a fresh kernel (nbclient), in a temporary
working directory so that nothing it writes lands in the repository.  A cell error fails
the test.  Then every code cell's text output (stdout and ``text/plain`` results, with
times, memory addresses and temporary paths masked) must equal what is committed, so the
notebooks a reader sees on the code host are the ones the code gives today.  A picture
output must still be a picture of the same kind.

Run only these tests:        .venv/bin/python -m pytest -m course
Refresh committed outputs:   .venv/bin/python tests/test_course.py [chapter-file ...]
"""

from __future__ import annotations

import base64
import difflib
import re
import sys
import tempfile
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the course extra is not installed: "
                               "pip install -e '.[course]'")
nbclient = pytest.importorskip("nbclient", reason="the course extra is not installed: "
                               "pip install -e '.[course]'")

COURSE = Path(__file__).resolve().parent.parent / "docs" / "course"
NOTEBOOKS = sorted(COURSE.glob("[0-9][0-9]-*.ipynb"))
CELL_TIMEOUT = 600  # seconds; a chapter takes well under a minute on 2 cores

# Volatile bits that may differ between two honest runs, and what they become.
MASKS = [
    (re.compile(r"0x[0-9a-fA-F]{6,}"), "0x<address>"),
    (re.compile(r"/tmp/[^\s'\")]*"), "<tmp>"),
    (re.compile(r"\b\d+(\.\d+)?\s?(s|ms|seconds)\b"), "<time>"),
]


SOLUTION_CODE = re.compile(r"<details>.*?```python\n(.*?)```.*?</details>", re.S)


def solutions(notebook) -> list[str]:
    """The code of each folded solution (the ```python block inside a <details>)."""
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    return SOLUTION_CODE.findall(markdown)


def execute(path: Path, with_solutions: bool = False) -> tuple[object, float]:
    """Run the notebook at ``path`` in a fresh kernel; return (notebook, seconds).

    ``with_solutions`` appends the exercises' solution code as cells, run last, so a
    solution that no longer works fails the test too.
    """
    notebook = nbformat.read(path, as_version=4)
    if with_solutions:
        notebook.cells += [nbformat.v4.new_code_cell(code) for code in solutions(notebook)]
    with tempfile.TemporaryDirectory(prefix="chainrule-course-") as workdir:
        client = nbclient.NotebookClient(
            notebook, timeout=CELL_TIMEOUT, kernel_name="python3", record_timing=False,
            resources={"metadata": {"path": workdir}})
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    return notebook, seconds


def masked(text: str) -> str:
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text


def text_outputs(cell) -> list[str]:
    """What a reader sees as text in a code cell's outputs, masked; pictures by kind."""
    shown = []
    printing = False  # consecutive prints are one text, however the kernel chunked them
    for output in cell.get("outputs", []):
        kind = output["output_type"]
        if kind == "stream" and output["name"] == "stdout":
            if printing:
                shown[-1] += output["text"]
            else:
                shown.append(output["text"])
            printing = True
            continue
        printing = False
        if kind == "stream":
            continue  # stderr: warnings whose wording is not the course's
        elif kind in ("execute_result", "display_data"):
            data = output["data"]
            pictures = sorted(m for m in data if m.startswith("image/"))
            if pictures:
                shown.append(f"<picture: {', '.join(pictures)}>")
            elif "text/plain" in data:
                shown.append(data["text/plain"])
        elif kind == "error":
            shown.append(f"error {output['ename']}: {output['evalue']}")
    return [masked(text) for text in shown]


def code_cells(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_the_course_has_its_chapters():
    titles = [path.name for path in NOTEBOOKS]
    assert len(titles) >= 9, f"expected chapters 1-9 in {COURSE}, found {titles}"
    numbers = [int(name[:2]) for name in titles]
    assert numbers == list(range(1, len(numbers) + 1)), f"chapters out of order: {titles}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_chapter_tells_a_story_and_ends_with_folded_exercises(path):
    notebook = nbformat.read(path, as_version=4)
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    assert markdown and markdown[0].startswith("# "), f"{path.name}: start with a '# ' title"
    text = "\n".join(markdown)
    assert "## Exercises" in text, f"{path.name}: no '## Exercises' section"
    exercises = text.split("## Exercises", 1)[1]
    folded = exercises.count("<details>")
    assert 2 <= folded <= 4, f"{path.name}: {folded} folded solutions; give two or three"
    assert exercises.count("</details>") == folded, f"{path.name}: unclosed <details>"
    for cell in code_cells(notebook):
        assert cell.execution_count is not None, (
            f"{path.name}: a cell was committed without running; refresh the outputs with "
            f"python tests/test_course.py {path.name}")


def test_the_teaching_page_lists_every_chapter_and_shows_chapter_4s_picture():
    page = (COURSE.parent / "teaching.md").read_text(encoding="utf-8")
    section = page.split("\n## The course\n", 1)[1].split("\n## ", 1)[0]
    for path in NOTEBOOKS:
        assert f"(course/{path.name})" in section, f"the Course table lacks {path.name}"
    picture = COURSE / "images" / "boundary-moving.png"
    assert f"({picture.relative_to(COURSE.parent)})" in section
    chapter_4 = nbformat.read(COURSE / "04-an-mlp-and-gradient-descent.ipynb", as_version=4)
    drawn = [base64.b64decode(output["data"]["image/png"])
             for cell in code_cells(chapter_4) if "snapshots.items()" in cell.source
             for output in cell.outputs if "image/png" in output.get("data", {})]
    assert drawn == [picture.read_bytes()], (
        "docs/course/images/boundary-moving.png is not the boundary picture that chapter 4 "
        "draws; copy that cell's output again")


@pytest.mark.course
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_chapter_runs_in_a_fresh_kernel_and_its_outputs_are_current(path):
    committed = nbformat.read(path, as_version=4)
    try:
        fresh, _seconds = execute(path, with_solutions=True)
    except nbclient.exceptions.CellExecutionError as error:
        pytest.fail(f"{path.name} fails when run top to bottom:\n{error}")
    old_cells, new_cells = code_cells(committed), code_cells(fresh)[:len(code_cells(committed))]
    for index, (old, new) in enumerate(zip(old_cells, new_cells), start=1):
        before, after = text_outputs(old), text_outputs(new)
        if before != after:
            diff = "\n".join(difflib.unified_diff(
                "".join(before).splitlines(), "".join(after).splitlines(),
                "committed", "fresh run", lineterm=""))
            pytest.fail(f"{path.name}, code cell {index}: the committed output is stale "
                        f"(refresh: python tests/test_course.py {path.name})\n"
                        f"{new.source[:300]}\n{diff or (before, after)}")


def refresh(paths: list[Path]) -> None:
    """Re-execute notebooks and write them back with their new outputs."""
    for path in paths:
        notebook, seconds = execute(path)
        nbformat.write(notebook, path)
        print(f"{path.name}: ran in {seconds:.1f} s, outputs written")


if __name__ == "__main__":
    chosen = [COURSE / Path(name).name for name in sys.argv[1:]] or NOTEBOOKS
    refresh(chosen)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_chapter_shows_a_picture_without_being_trusted(path):
    # An untrusted notebook (JupyterLab before "trust", GitHub's viewer) shows no SVG and
    # no HTML; a PNG it shows.  nbconvert's HTML is what the docs site and a reader's
    # browser get: the picture must be an <img> there.
    nbconvert = pytest.importorskip("nbconvert")
    notebook = nbformat.read(path, as_version=4)
    pngs = [output for cell in code_cells(notebook) for output in cell.get("outputs", [])
            if "image/png" in output.get("data", {})]
    assert pngs, f"{path.name}: no PNG output; show pictures with visualize.Picture"
    for output in pngs:
        data = output["data"]
        assert base64.b64decode(data["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
    body, _ = nbconvert.HTMLExporter().from_notebook_node(notebook)
    assert re.search(r'<img [^>]*src="data:image/(png|svg\+xml);base64,', body), \
        f"{path.name}: no picture (<img>) in its HTML"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_drawing_has_a_png_beside_its_svg(path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(code_cells(notebook), start=1):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            assert "image/svg+xml" not in data or "image/png" in data, (
                f"{path.name}, code cell {index}: an SVG with no PNG beside it shows as "
                "'<IPython.core.display.SVG object>' until the notebook is trusted")

"""`make site` in a test: the documentation site builds in strict mode (a warning, a broken
link or a missing anchor fails), the API page carries the docstrings, and the course
chapters are pages with their pictures.  Built into a temporary folder, like every
example of the docs."""

from __future__ import annotations

import html
import re
from pathlib import Path

from docs_pages import DOCS

NOTEBOOKS = sorted((DOCS / "course").glob("*.ipynb"))


# `site`: the one build of the run (tests/conftest.py), shared with the classroom's tests.


def text_of(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def test_the_site_has_a_home_page_and_every_docs_page(site):
    assert (site / "index.html").is_file()
    for page in DOCS.glob("*.md"):
        assert (site / f"{page.stem}.html").is_file(), f"{page.name} is not in the site"


def test_the_api_page_shows_value_backwards_docstring(site):
    import autograd

    text = " ".join(text_of(site / "api.html").split())
    first = autograd.Value.backward.__doc__.strip().splitlines()[0].replace("``", "")
    assert " ".join(first.split()) in text
    for name in ("autograd.Value", "autograd.gradcheck.gradcheck", "nn.MLP", "nn.fit",
                 "visualize.render", "visualize.draw_network_diagram"):
        assert f'id="{name}"' in (site / "api.html").read_text(encoding="utf-8"), name
    assert ">>> d.backward(); a.grad, e.grad" in text   # doctests shown as code


def test_every_course_chapter_is_a_page_with_its_pictures(site):
    assert len(NOTEBOOKS) == 11
    for notebook in NOTEBOOKS:
        page = site / "course" / f"{notebook.stem}.html"
        assert page.is_file(), f"{notebook.name} is not in the site"
        source = notebook.read_text(encoding="utf-8")
        drawn = source.count('"image/png"') + source.count('"image/svg+xml"')
        shown = len(re.findall(r'<img[^>]+src="data:image/', page.read_text(encoding="utf-8")))
        shown += page.read_text(encoding="utf-8").count("<svg")
        assert shown >= drawn > 0 or drawn == 0, f"{notebook.name}: {drawn} pictures, {shown} shown"


def test_every_picture_a_page_shows_is_in_the_site(site):
    for page in DOCS.glob("*.md"):
        for picture in re.findall(r"(?:\]\(|src=\")([^)\"#]+\.(?:svg|png))", page.read_text()):
            assert (site / picture).is_file(), f"{page.name} shows {picture}, missing from site/"

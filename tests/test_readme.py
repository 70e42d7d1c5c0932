"""The README is the front door: short, honest about how to run what it installs, and a
map into the site.  Its examples run with every page's in tests/test_docs.py."""

import re

from docs_pages import DOCS, README, ROOT, blocks, is_doctest


def test_the_readme_is_at_most_300_lines():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 300


def test_the_readme_says_how_to_run_the_installed_tools():
    text = README.read_text(encoding="utf-8")
    assert "source .venv/bin/activate" in text
    assert ".venv/bin/python" in text
    console = [b.text for b in blocks(README) if b.lang == "console"]
    assert any(line.startswith("$ .venv/bin/chainrule ") for text in console
               for line in text.splitlines())
    assert "make demo" in text and "make test" in text


def test_the_readme_links_into_every_page_of_the_site_and_each_link_resolves():
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    for link in links:
        if "://" not in link:
            assert (ROOT / link).exists(), f"the README links to {link}, which is not there"
    for page in sorted(DOCS.glob("*.md")):
        if page.name != "index.md":
            assert f"docs/{page.name}" in links, f"the README does not link to docs/{page.name}"


def test_the_readme_shows_one_picture_and_a_tour_with_output():
    text = README.read_text(encoding="utf-8")
    assert len(re.findall(r"!\[[^\]]*\]\(", text)) == 1
    assert sum(is_doctest(b) for b in blocks(README)) >= 4

"""Every ```python block of the README runs as a doctest, in order, sharing names, so
the tour and every section stay true to the code."""

import doctest
import re

from readme_text import README


def test_readme_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the tour's render() writes docs/graph.svg here
    (tmp_path / "docs").mkdir()
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 10
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    parser = doctest.DocTestParser()
    globs: dict = {}
    for k, block in enumerate(blocks):
        test = parser.get_doctest(block, globs, f"README block {k}", str(README), 0)
        runner.run(test, clear_globs=False)
        globs = test.globs  # the next block continues this one
    assert runner.tries > 40
    assert runner.failures == 0

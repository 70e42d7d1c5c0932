# Two commands on a fresh machine:  make demo  and  make test.
# Everything installs into ./.venv; nothing outside it is needed (graphviz-pure
# stands in for a system Graphviz).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: demo test bench lint clean install install-test chromium course site

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml setup.cfg | $(PY)
	$(PIP) install -e '.[plot]'    # the demo draws its decision boundary and loss curve
	@touch $@

$(VENV)/.installed-test: pyproject.toml setup.cfg | $(PY)
	$(PIP) install -e '.[test,fast,dev,plot,digits,progress,course,docs]'   # course: runs the notebooks; docs: builds the site
	@touch $@ $(VENV)/.installed $(VENV)/.installed-docs

$(VENV)/.installed-docs: pyproject.toml setup.cfg | $(PY)
	$(PIP) install -e '.[docs]'
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: $(VENV)/.installed
	$(VENV)/bin/chainrule demo

test: $(VENV)/.installed-test chromium
	$(PY) -m pytest

# The stepper test drives Debian's chromium through Playwright (pip package only; it never
# runs `playwright install`).  If chromium cannot be installed the test says so and skips.
chromium:
	@command -v chromium >/dev/null 2>&1 || apt-get install -y chromium \
		|| (apt-get update && apt-get install -y chromium) \
		|| sudo -n apt-get install -y chromium \
		|| echo "make chromium: could not install chromium; the browser test will be skipped"

# The course (docs/course/): JupyterLab from this project's .venv, so the notebooks import
# the chainrule you have checked out.  `pytest -m course` runs every notebook in a fresh kernel.
# JupyterLab refuses to start as root unless told; containers and CI machines often are root.
course: $(VENV)/.installed-test
	$(VENV)/bin/jupyter lab docs/course/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# The documentation site: docs/*.md, the API from the docstrings, the course notebooks with
# their committed outputs; strict, so a warning or a broken link fails the build.
site: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet
	@echo "built site/index.html"

bench: $(VENV)/.installed-test
	$(PY) benchmarks/demo_step.py
	$(PY) benchmarks/tape_step.py
	$(PY) benchmarks/train_digits.py
	$(PY) benchmarks/digits_accuracy.py
	$(PY) benchmarks/grad_vs_backward.py

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) demo-output build *.egg-info site out .cache

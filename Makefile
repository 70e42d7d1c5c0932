# Two commands on a fresh machine:  make demo  and  make test.
# Everything installs into ./.venv; nothing outside it is needed (graphviz-pure
# stands in for a system Graphviz).
#
# What users install is what we test: chainrule goes into .venv as the wheel that
# `make dist` builds (never an editable install), and `make test` runs the suite against
# that installed wheel (PYTHONSAFEPATH keeps the checkout off sys.path), then installs
# the wheel and the sdist into fresh venvs outside the repo (tests/test_install.py).
# After editing the code, `make test` / `make demo` rebuild and reinstall the wheel;
# for a quick run on the checkout itself: PYTHONPATH=. .venv/bin/python -m pytest tests/x.py

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
# every file that goes into the wheel or the sdist: a change rebuilds them
SOURCES := $(shell git ls-files autograd nn visualize chainrule) pyproject.toml setup.cfg \
	README.md LICENSE
WHEEL = $$(ls dist/chainrule-*.whl | head -1)

.PHONY: demo test bench lint clean install install-test chromium npm course dist site play

$(PY):
	$(PYTHON) -m venv $(VENV)

# the build tools, kept apart from chainrule's own extras
$(VENV)/.tools: | $(PY)
	$(PIP) install 'build>=1.2' 'twine>=5'
	@touch $@

# The wheel and the sdist, built from the tracked files only (a clean tree: nothing
# untracked can slip into a release), the wheel from the sdist, both checked by twine.
dist/.built: $(SOURCES) | $(VENV)/.tools
	rm -rf dist build/clean
	mkdir -p build/clean
	git ls-files -z | tar --null -T - --ignore-failed-read -cf - | tar -xf - -C build/clean
	cd build/clean && $(CURDIR)/$(PY) -m build --outdir $(CURDIR)/dist . >/dev/null
	$(PY) -m twine check --strict dist/*
	@ls -l dist/
	@touch $@

dist: dist/.built

# The light install and the plot extra, which the demo draws with.  No torch: a few tens
# of MB, where the test extras make .venv about 1.7 GB.
$(VENV)/.deps: pyproject.toml dist/.built
	$(PIP) install "$(WHEEL)[plot]"
	@touch $@

$(VENV)/.deps-test: pyproject.toml dist/.built
	$(PIP) install "$(WHEEL)[test,fast,dev,plot,digits,progress,course,docs]"   # course: runs the notebooks; docs: builds the site
	@touch $@ $(VENV)/.deps $(VENV)/.deps-docs

$(VENV)/.deps-docs: pyproject.toml dist/.built
	$(PIP) install "$(WHEEL)[docs]"
	@touch $@

# this build's wheel, in place of whatever chainrule .venv held (same version or not)
$(VENV)/.installed: $(VENV)/.deps dist/.built
	$(PIP) install --force-reinstall --no-deps "$(WHEEL)"
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.deps-test $(VENV)/.installed

demo: install
	$(VENV)/bin/chainrule demo

# CHAINRULE_DIST: tests/test_install.py installs these files into fresh venvs;
# CHAINRULE_TEST_INSTALLED: tests/test_install.py checks the suite imported the wheel.
test: install-test chromium node_modules/.installed
	PYTHONSAFEPATH=1 CHAINRULE_TEST_INSTALLED=1 CHAINRULE_DIST=$(CURDIR)/dist \
		$(PY) -m pytest

# The stepper test drives Debian's chromium through Playwright (pip package only; it never
# runs `playwright install`).  If chromium cannot be installed the test says so and skips.
chromium:
	@command -v chromium >/dev/null 2>&1 || apt-get install -y chromium \
		|| (apt-get update && apt-get install -y chromium) \
		|| sudo -n apt-get install -y chromium \
		|| echo "make chromium: could not install chromium; the browser test will be skipped"

# The browser classroom's web dependencies (Pyodide, Graphviz in WebAssembly), pinned by the
# committed package-lock.json.  npm as chromium is installed; without it the page tests skip.
npm:
	@command -v npm >/dev/null 2>&1 || apt-get install -y npm \
		|| (apt-get update && apt-get install -y npm) \
		|| sudo -n apt-get install -y npm \
		|| echo "make npm: could not install npm; the classroom is not built and its tests skip"

node_modules/.installed: package.json package-lock.json | npm
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error \
		&& touch $@; else echo "no npm: node_modules/ not installed"; fi

# The course (docs/course/): JupyterLab from this project's .venv, so the notebooks import
# the chainrule installed there.  `pytest -m course` runs every notebook in a fresh kernel.
# JupyterLab refuses to start as root unless told; containers and CI machines often are root.
course: install-test
	$(VENV)/bin/jupyter lab docs/course/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# The documentation site: docs/*.md, the API from the docstrings, the course notebooks with
# their committed outputs; strict, so a warning or a broken link fails the build.  Then the
# classroom beside it in site/play/ (web/build.py): static files only, with this build's wheel.
site: $(VENV)/.deps-docs $(VENV)/.installed node_modules/.installed
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet
	@echo "built site/index.html"
	$(PY) web/build.py site --wheel "$(WHEEL)"

# The classroom on 127.0.0.1 (any static server of site/ works as well)
play: site
	$(VENV)/bin/chainrule play --dir site

bench: install-test
	$(PY) benchmarks/demo_step.py
	$(PY) benchmarks/tape_step.py
	$(PY) benchmarks/train_digits.py
	$(PY) benchmarks/digits_accuracy.py
	$(PY) benchmarks/grad_vs_backward.py

lint: install-test
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) demo-output build dist *.egg-info site out .cache node_modules

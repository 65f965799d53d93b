# The IGR companion. `make book` and `make test` set themselves up on a fresh machine.
PYTHON  ?= python3
VENV    ?= .venv
PROFILE ?= largest
FORCE   ?=
HTML    ?= _build/html
PY       = $(VENV)/bin/python
STAMP    = $(VENV)/.installed

.PHONY: all book paper lint test test-slow check-book bench lock clean help fashion-mnist

help:
	@echo "make book                        the published book: every chapter at the largest scale in results/ (re-plotted)"
	@echo "make book PROFILE=smoke          execute every chapter from scratch at small scale into _build/smoke (what CI runs;"
	@echo "                                 its results in _build/smoke/results, never over the committed ones)"
	@echo "make book PROFILE=standin|paper  one profile; computes only what the result store lacks"
	@echo "make book FORCE=1                re-execute every page and recompute every result"
	@echo "make test                        run the pytest suite (under 5 minutes on 2 cores)"
	@echo "make test-slow                   the compile-heavy checks (the ResNet vmap path), run by CI"
	@echo "make check-book [HTML=dir]       open a built book (default _build/html) in headless chromium and check every page"
	@echo "make paper                       same as make book PROFILE=paper (GPU, full data)"
	@echo "make bench                       run the benchmarks"

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# the smoke build computes from scratch into a results root of its own (_build/smoke/results): it never
# rewrites the committed entries, which stay what the published ledger's smoke column reads
RESULTS ?= $(if $(filter smoke,$(PROFILE)),_build/smoke/results,)
book: $(STAMP) fashion-mnist
	$(PY) -m igr_core.book all --profile $(PROFILE) $(if $(FORCE),--force --recompute,) \
	  $(if $(filter smoke,$(PROFILE)),--recompute,) $(if $(RESULTS),--results $(RESULTS),)

paper:
	$(MAKE) book PROFILE=paper

test: $(STAMP) lint
	$(PY) -m pytest -q -n auto --dist loadfile

lint: $(STAMP)
	$(PY) -m ruff check igr_core tests benchmarks
	$(PY) -m ruff format --check igr_core tests benchmarks

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

check-book: $(STAMP)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  (echo "installing Debian's chromium and chromium-driver (apt-get, needs root)"; \
	   apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null)
	$(PY) -m igr_core.book.checkbook $(HTML) --screenshots _build/screenshots

# The offline stand-in for CIFAR-10 (chapters 06, 07): Debian's dataset-fashion-mnist (~30 MB),
# installed when missing and apt-get is there; otherwise the chapters say what to install.
FASHION_DIR = /usr/share/datasets/fashion-mnist
fashion-mnist:
	@test -f $(FASHION_DIR)/train-images-idx3-ubyte.gz || test -n "$$FASHION_MNIST_DIR" || \
	  { command -v apt-get >/dev/null && echo "installing Debian's dataset-fashion-mnist (apt-get, needs root)" && \
	    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 || \
	      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null; }; }; } || \
	  echo "Fashion-MNIST is not installed and apt-get could not install it: chapters 06-07 will say what to do"

bench: $(STAMP)
	$(PY) benchmarks/run.py

lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | { echo "# Exact versions of every package in the environment (the lock)."; \
	  echo "# Regenerate with: make lock  (after changing pyproject.toml). Installed by make with pip -c."; cat; } > constraints.txt

clean:
	rm -rf _build book/executed

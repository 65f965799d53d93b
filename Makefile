# The IGR companion. `make book` and `make test` set themselves up on a fresh machine.
PYTHON  ?= python3
VENV    ?= .venv
PROFILE ?= smoke
FORCE   ?=
PY       = $(VENV)/bin/python
STAMP    = $(VENV)/.installed

.PHONY: all book paper test check-book bench lock clean help

help:
	@echo "make book [PROFILE=smoke|paper] [FORCE=1]  execute changed notebooks (all with FORCE=1), build _build/html"
	@echo "make test                        run the pytest suite"
	@echo "make check-book                  open the built book in headless chromium and check every page"
	@echo "make paper                       same as make book PROFILE=paper (GPU, full data)"
	@echo "make bench                       run the benchmarks"

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(STAMP)

book: $(STAMP)
	$(PY) -m igr_core.book all --profile $(PROFILE) $(if $(FORCE),--force,)

paper:
	$(MAKE) book PROFILE=paper

test: $(STAMP)
	$(PY) -m pytest -q -n auto --dist loadfile

check-book: $(STAMP)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  (echo "installing Debian's chromium and chromium-driver (apt-get, needs root)"; \
	   apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null)
	$(PY) -m igr_core.book.checkbook _build/html --screenshots _build/screenshots

bench: $(STAMP)
	$(PY) benchmarks/run.py

lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | { echo "# Exact versions of every package in the environment (the lock)."; \
	  echo "# Regenerate with: make lock  (after changing pyproject.toml). Installed by make with pip -c."; cat; } > constraints.txt

clean:
	rm -rf _build book/executed

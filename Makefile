# Two commands do everything on a fresh machine (each creates .venv when it is missing):
#   make claims   the main job: the smoke tier of the paper claims, writing reports/smoke/
#   make test     the unit, property and plugin tests
# and make lint runs ruff over the repository, then mypy over repro/ (CI runs it before the tests).
PYTHON ?= python3
VENV ?= .venv
# torch and torchvision must come as a matching pair; these are the builds this project is
# tested with. On another machine: make TORCH="torch torchvision".
TORCH ?= torch==2.14.1 torchvision==0.29.1
# Datasets: ../shared/data when it is there (the offline copies), else torchvision downloads
# into ~/.cache/repro/data. Override with make claims DATA_DIR=/path.
DATA_DIR ?= $(wildcard ../shared/data)
DATA_ARGS = $(if $(DATA_DIR),--data-dir $(DATA_DIR),--download)
PYTEST_ARGS ?=
# Claims run in parallel, one single-threaded CPU run per core (xdist worker): a CPU run's
# numbers depend on its thread count, which is fixed (--cpu-threads, default 1), so any -n gives
# the same numbers. The plugin sends claims that share runs to one worker, costliest first.
# Progress: a line per claim as it ends, and every 30 s a line of epochs done, rate and expected
# end (make claims JOBS=0 PROGRESS="-o log_cli=true --log-cli-level=INFO" also prints a line per
# run as it starts and ends).
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
PROGRESS ?= -v

.PHONY: claims test lint paper-plan seed-bases clean-venv gpu-check

$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet $(TORCH)
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

claims: $(VENV)/.installed
	$(VENV)/bin/pytest claims/ -n $(JOBS) $(DATA_ARGS) $(PROGRESS) $(PYTEST_ARGS)

# Many tests start processes and pytest sessions and wait on them: two at a time, one per core
test: $(VENV)/.installed
	$(VENV)/bin/pytest tests/ -q -n $(JOBS) $(PYTEST_ARGS)

# Rules and settings in pyproject.toml ([tool.ruff], [tool.mypy]); pre-commit runs the same two
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy repro

# The tier at other seed bases (reports/seed-base-<N>/), then every claim whose verdict differs
# from the committed report's (repro.seedbase); run on a store of its own or the default one.
# CLAIMS="claims/test_a.py claims/test_b.py" runs some claim files only, compared on those alone.
BASES ?= 1000 2000
CLAIMS ?= claims/
seed-bases: $(VENV)/.installed
	for b in $(BASES); do \
	  $(VENV)/bin/pytest $(CLAIMS) -n $(JOBS) $(DATA_ARGS) $(PROGRESS) --seed-base $$b \
	    --report reports/seed-base-$$b $(PYTEST_ARGS) || true; done
	$(VENV)/bin/python -m repro.seedbase $(if $(filter-out claims/,$(CLAIMS)),--common) \
	  reports/smoke/results.json $(foreach b,$(BASES),reports/seed-base-$(b)/smoke/results.json)

paper-plan: $(VENV)/.installed
	$(VENV)/bin/pytest claims/ --tier paper --dry-run $(DATA_ARGS)

clean-venv:
	rm -rf $(VENV)

# A first visit to a GPU box not set up for the project: the machine's own python3 (its torch,
# pytest and pytest-xdist), no virtualenv, nothing installed. Device, bench/gpu.py, two shortened
# paper-tier claims on two workers sharing GPU 0, determinism; within 6 minutes, summary in
# $OUT/gpu_check.json (else ./gpu_check.json). Rehearsal on the CPU here, in a minute or two:
#   make gpu-check GPU_PYTHON=.venv/bin/python GPU_CHECK_ARGS=--cpu-dry
GPU_PYTHON ?= python3
GPU_CHECK_ARGS ?=

gpu-check:   ## on a GPU box: the machine's own python3, no virtualenv
	$(GPU_PYTHON) bench/gpu_check.py $(GPU_CHECK_ARGS)

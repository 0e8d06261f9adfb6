# Two commands do everything on a fresh machine (each creates .venv when it is missing):
#   make claims   the main job: the smoke tier of the paper claims, writing reports/smoke/
#   make test     the unit, property and plugin tests
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
# the same numbers. Progress: a line per claim as it ends (make claims JOBS=0 PROGRESS="-o
# log_cli=true --log-cli-level=INFO" prints a line per run as it starts and ends).
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
PROGRESS ?= -v

.PHONY: claims test paper-plan clean-venv

$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet $(TORCH)
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

claims: $(VENV)/.installed
	$(VENV)/bin/pytest claims/ -n $(JOBS) --dist loadfile --no-loadscope-reorder $(DATA_ARGS) $(PROGRESS) $(PYTEST_ARGS)

test: $(VENV)/.installed
	$(VENV)/bin/pytest tests/ -q $(PYTEST_ARGS)

paper-plan: $(VENV)/.installed
	$(VENV)/bin/pytest claims/ --tier paper --dry-run $(DATA_ARGS)

clean-venv:
	rm -rf $(VENV)

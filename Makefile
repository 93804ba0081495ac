# Two commands: `make lab` opens the course, `make test` lints (ruff) and runs every test and notebook.
# `make site` writes the executed lessons as static HTML pages to site/ (open site/index.html).
# Both create .venv with the machine's python3 (3.10+) and install what they need.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall only when the dependency lists change.
STAMP := $(VENV)/.installed

.PHONY: lab test install clean release site

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml requirements-embeddings.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,embeddings]'
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-embeddings.txt
	touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env

release: $(STAMP)
	$(BIN)/kmeans-lessons release notebooks/ --out release/

# The course site: the lessons' stored outputs as pages, the stepper working with no kernel.
site: $(STAMP)
	$(BIN)/python -m kmeans_lessons.site notebooks --out site

clean:
	rm -rf $(VENV) release site .pytest_cache

# outlet-audit: `make run` to try it, `make test` to check it. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
CATALOGS := $(wildcard outlet_audit/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)
export FLASK_APP := wsgi.py

.PHONY: install run test test-postgres lint lock translations-extract help
help:
	@echo "make run    install, migrate, make a development signing chain, load demo data, serve on http://127.0.0.1:5000"
	@echo "make test   install and run every test (SQLite; TEST_DATABASE_URL selects PostgreSQL)"

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $@

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

install: $(STAMP) $(COMPILED)

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask signing dev-chain
	$(BIN)/flask demo load
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Seed big synthetic databases, serve with gunicorn, load with wrk (bench/README.md). ~10 min.
.PHONY: bench
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Refresh the lock file after changing dependencies in pyproject.toml.
lock:
	$(BIN)/pip-compile --quiet --extra dev --allow-unsafe --generate-hashes --strip-extras \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

# Collect new user-visible strings into the catalogs (then translate them in the .po files).
translations-extract: install
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l -k N_ \
		-o outlet_audit/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i outlet_audit/translations/messages.pot -d outlet_audit/translations

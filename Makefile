# wabot: two commands for a new user (`make setup && make run`), `make test` for CI.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY311 ?= python3.11
VENV := .venv
VENV_RASA := .venv-rasa
MODEL := models/casa-navigli.tar.gz

.PHONY: help setup run stop test lint bench soak train kb clean

help:
	@echo "make setup  - both virtual environments, Redis/Chromium packages, Rasa model, KB index"
	@echo "make run    - the whole stack (Redis if none answers, Rasa, actions, hub + simulator)"
	@echo "make stop   - stop a stack started by make run"
	@echo "make test   - the test suite (starts what it needs)"
	@echo "make lint   - ruff + mypy"
	@echo "make bench  - benchmarks, printed as a table (also written to var/bench/)"
	@echo "make soak   - 10 min at 80 msg/s with Redis and Rasa restarts (SOAK_MINUTES, SOAK_RATE)"

setup:
	@bash scripts/setup.sh

train:
	@bash scripts/train.sh

run:
	@$(VENV)/bin/python -m bot.stack

stop:
	@$(VENV)/bin/python -m bot.stack stop

test:
	@$(VENV)/bin/ruff check bot actions facts handoff knowledge_base tests bench
	@$(VENV)/bin/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint:
	@$(VENV)/bin/ruff check bot actions facts handoff knowledge_base tests bench
	@$(VENV)/bin/mypy

bench:
	@$(VENV)/bin/python -m bench $(BENCH_ARGS)

kb:
	@$(VENV)/bin/wabot kb build

clean:
	rm -rf var/run var/log models/*.tar.gz

# N minutes (SOAK_MINUTES, default 10) at R msg/s (SOAK_RATE, default 80) with a Redis and a
# Rasa restart; starts its own stack on HUB_PORT/RASA_PORT/ACTIONS_PORT/REDIS_URL.
soak:
	@$(VENV)/bin/python -m bench.soak $(SOAK_ARGS)

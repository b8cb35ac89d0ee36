.PHONY: check format lint types layers test screenshots bench readme

check: format lint types layers test

format:
	ruff format --check scalptui tests benchmarks scripts

lint:
	ruff check scalptui tests benchmarks scripts

types:
	mypy

layers:
	lint-imports

test:
	python3 -m pytest -q -p no:cacheprovider

readme:
	python3 scripts/config_reference.py --write

screenshots:
	python3 scripts/screenshots.py
	python3 scripts/screenshots.py --venues binanceusdm,bybit,okx

bench:
	for b in benchmarks/bench_*.py; do echo "== $$b"; PYTHONPATH=. python3 $$b || exit 1; done

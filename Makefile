# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Every target bootstraps what is missing first (a project venv, npm packages, the
# solc-js compiler shim); a second run finds the stamps and skips straight to the work.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BROWNIE := $(VENV)/bin/brownie

# brownie and py-solc-x find the solc-js shim `solc-v0.8.28` here instead of downloading.
export SOLCX_BINARY_PATH := $(CURDIR)/tools/solc
# brownie launches anvil from node_modules; the venv's tools come first.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

# The suites check that no anvil left a state folder on disk (tests/conftest.py).
export OFFCHAIN_CHECK_ANVIL_STATES := 1

# brownie's test chain on a free port (brownie-config.yaml reads BROWNIE_PORT): a test run
# never attaches to the user's own `make chain` on 8545, nor to another run's chain. With
# xdist (-n N) each worker launches its own chain on BROWNIE_PORT + its number: N free ports.
BROWNIE_TEST = BROWNIE_PORT=$$($(PY) -c 'from offchain.ports import free_port; print(free_port($(1)))') \
	$(BROWNIE) test

PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
BUILD_STAMP := build/.compiled
BROWSER_STAMP := build/.browser
POSTGRES_STAMP := build/.postgres

.PHONY: setup browser postgres compile test test-contracts test-offchain test-python test-timing test-history test-forge test-forge-pending test-long \
	test-stateful-long test-relay-long coverage mutation demo lint bench chain lock clean

setup: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): pyproject.toml requirements/base.txt requirements/dev.txt requirements/constraints.txt
	@echo "==> Python environment ($(VENV), pinned by requirements/constraints.txt)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check \
		-c requirements/constraints.txt -r requirements/dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@echo "==> npm packages (solc-js, anvil, OpenZeppelin) from package-lock.json"
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's chromium and its driver, for the explorer's browser tests and the demo's
# screenshots: installed once (as root, or through sudo) when either is missing.
browser: $(BROWSER_STAMP)

$(BROWSER_STAMP):
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		echo "==> chromium and chromium-driver (Debian packages) for the explorer's browser tests"; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); mkdir -p $(@D); \
		{ $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
			chromium chromium-driver; } > $(@D)/apt-browser.log 2>&1 \
			|| { tail -n 20 $(@D)/apt-browser.log; exit 1; }; \
	fi
	@mkdir -p $(@D) && touch $@

# Debian's PostgreSQL server, for the event index's tests on its second engine (they start a
# throwaway cluster as the postgres user): installed once when no server is there.
postgres: $(POSTGRES_STAMP)

$(POSTGRES_STAMP):
	@if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
		echo "==> postgresql (Debian package) for the event index's PostgreSQL tests"; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); mkdir -p $(@D); \
		{ $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
			postgresql; } > $(@D)/apt-postgres.log 2>&1 \
			|| { tail -n 20 $(@D)/apt-postgres.log; exit 1; }; \
	fi
	@mkdir -p $(@D) && touch $@

compile: $(BUILD_STAMP)

$(BUILD_STAMP): $(PY_STAMP) $(NODE_STAMP) brownie-config.yaml $(shell find contracts -name '*.sol')
	$(BROWNIE) compile
	@touch $@

# Every suite at once, then the tests that assert a wall-clock budget, alone on the machine.
# Each suite mostly waits (brownie on its chain, the end-to-end tests on chain windows and
# role processes): one after the other, brownie beside forge then the Python suites, 2 cores
# sat a third idle (suites about 12 min 30 s on 1,100 CPU seconds). Output is kept per target.
test: compile $(BROWSER_STAMP) $(POSTGRES_STAMP)
	$(MAKE) --no-print-directory -j3 --output-sync=target test-contracts test-forge test-python
	$(MAKE) --no-print-directory test-timing

# brownie on CONTRACT_WORKERS xdist workers, each with its own chain (more cores: on 2 cores two
# workers beside forge gained nothing, 286 s against 285 s serially, the same suite).
CONTRACT_WORKERS ?= 1
test-contracts: compile
	$(call BROWNIE_TEST,$(CONTRACT_WORKERS)) tests/contracts $(if $(filter-out 1,$(CONTRACT_WORKERS)),-n $(CONTRACT_WORKERS)) --durations=5

# brownie's pytest plugin would start a chain for every session: the Python suites don't need it.
# Three workers (pytest-xdist), each file on one of them (module fixtures are built once): the
# end-to-end tests mostly wait on chain windows, so the other workers' tests fill that time.
# One torch thread a process (OMP_NUM_THREADS, inherited by the roles and the CLI the tests
# start): two workers of two threads each on two cores spin in OpenMP's waits, which more than
# doubled the ML tests' CPU seconds (test_selftrain's two teacher tests: 33 against 16).
TEST_WORKERS ?= 3
TEST_THREADS ?= 1
test-offchain: test-python
	$(MAKE) --no-print-directory test-timing

test-python: compile $(BROWSER_STAMP) $(POSTGRES_STAMP)
	OMP_NUM_THREADS=$(TEST_THREADS) $(PY) -m pytest -p no:pytest-brownie -q -n $(TEST_WORKERS) --dist loadfile -m "not timing and not bench" --durations=15

test-timing: compile
	$(PY) -m pytest -p no:pytest-brownie -q -m "timing and not bench"

# The market flow behind a log-capping provider after 20,000 blocks of history (issue 25):
# several minutes (anvil builds the history slowly), too long for `make test`.
test-history: compile $(BROWSER_STAMP)
	OFFCHAIN_HISTORY_TEST=1 $(PY) -m pytest -p no:pytest-brownie -q tests/e2e/test_market_flow_history.py

# forge itself, not npm's node wrapper (node_modules/.bin/forge), which exits 0 whatever forge
# returns: a failing suite must fail the target.
FORGE = node_modules/@foundry-rs/forge-linux-amd64/bin/forge

# forge's invariant campaigns (tests/forge, foundry.toml): the handlers append each run's
# state-changing calls to build/forge/calls.log, summed here with the wall time. Failures
# replayed from an earlier run (build/forge/failures) are cleared first. $(2): the fewest
# state-changing calls (fewer fails the target); $(3): the goal in seconds (a miss fails it
# when $(4) is "strict", else it is reported: make test's campaign shares the machine with
# the brownie suites, so its time there is not its own).
FORGE_CAMPAIGN = mkdir -p build/forge && rm -rf build/forge/calls.log build/forge/failures && \
	start=$$(date +%s.%N) && $(1) && end=$$(date +%s.%N) && \
	awk -v s=$$start -v e=$$end -v min=$(2) -v goal=$(3) -v strict=$(4) '{n += $$2} END { \
		t = e - s; printf "==> forge: %d state-changing calls in %.0f s (%.0f calls/s)\n", n, t, n / t; \
		if (n < min) { printf "==> NOT met: fewer than %d state-changing calls\n", min; exit 1 } \
		if (t > goal) { printf "==> time goal (%d s) NOT met\n", goal; exit (strict == "strict") } \
		printf "==> goals met: >= %d calls, <= %d s\n", min, goal }' build/forge/calls.log

# The short campaign, with a fixed seed: part of `make test`.
test-forge: setup
	@$(call FORGE_CAMPAIGN,$(FORGE) test,10000,90,report)

# The invariants market v3 (issue 20) and the relay rework (issue 21) will make true: they fail
# on today's contracts (each failure is a counterexample to read), and pass once those land.
test-forge-pending: setup
	FOUNDRY_PROFILE=pending $(FORGE) test

# The long campaign: over a million state-changing calls with a fresh seed. The market's
# suites run the long profile; the registry's and the relay's keep their own sizes (set in
# their files: forge's inline config), with the same fresh seed.
test-long: setup
	@seed=$$(date +%s); echo "==> fuzz seed $$seed"; \
	$(call FORGE_CAMPAIGN,FOUNDRY_PROFILE=long $(FORGE) test --mc TrainingMarket --fuzz-seed $$seed && \
		$(FORGE) test --nmc TrainingMarket --fuzz-seed $$seed,1000000,900,strict)

# The brownie state machine at scale (1,000 sequences, about 80 minutes): its Python reference
# recomputes every credit of every settlement; run it after changing settlement arithmetic.
test-stateful-long: compile
	HYPOTHESIS_PROFILE=long $(BROWNIE_TEST) tests/contracts -m stateful

# forge coverage of the contracts under the forge suites (lcov in build/forge/lcov.info).
coverage: setup
	@mkdir -p build/forge
	FOUNDRY_PROFILE=coverage $(FORGE) coverage --report summary --report lcov \
		--report-file build/forge/lcov.info --no-match-coverage '(tests/|contracts/test/)'

# Mutation score of the market's guard and settlement lines against the forge suites; the
# appeal's sample: MUTANT_TARGETS="contracts/Appeals.sol contracts/AppealRuling.sol" MUTANTS=80.
mutation: setup
	$(PY) tests/forge/mutation.py

# The relay's differential test (Python ledger vs LedgerRelay) over many random forked chains.
test-relay-long: compile
	RELAY_EXAMPLES=200 $(BROWNIE_TEST) tests/contracts/relay/test_differential.py

demo: compile $(BROWSER_STAMP)
	$(PY) -m offchain demo

lint: compile
	$(VENV)/bin/ruff check offchain tests scripts benchmarks
	$(VENV)/bin/ruff format --check offchain tests scripts benchmarks
	$(VENV)/bin/mypy
	$(BROWNIE) compile --all  # slither needs every artifact; brownie's incremental builds can miss libraries
	$(VENV)/bin/slither . --compile-force-framework brownie --ignore-compile \
		--filter-paths "node_modules|contracts/test" --exclude-informational --exclude-low --exclude-optimization

# Gas from receipts (rewrites benchmarks/gas_market.md), then every benchmark table.
bench: compile $(BROWSER_STAMP)
	$(PY) -m pytest -p no:pytest-brownie -q -m bench
	$(BROWNIE_TEST) tests/contracts/market/test_gas.py
	$(BROWNIE_TEST) tests/contracts/relay/test_relay_gas.py
	$(PY) -m benchmarks

# A local chain for brownie scripts and the offchain commands (Ctrl-C stops it);
# `make chain PORT=9545` for another port (then --rpc http://127.0.0.1:9545).
PORT ?= 8545
chain: setup
	anvil --host 127.0.0.1 --port $(PORT) --chain-id 1337 --max-persisted-states 0  # no state folder left on disk (offchain/eth/localchain.py)

# Re-pin the whole Python tree after changing requirements/*.txt.
lock:
	$(PY) -m pip freeze --exclude-editable | grep -v '^offchain' > requirements/constraints.txt

clean:
	rm -rf build cache .hypothesis .pytest_cache .mypy_cache .ruff_cache reports

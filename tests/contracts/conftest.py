"""Shared brownie fixtures: named accounts and deployed contracts."""

import gc
import importlib
import os
import sys
import time
from types import SimpleNamespace

import pytest
from brownie import _config, web3  # not `from brownie._config`: brownie would hash that .so as source
from hashes import ZERO_ADDRESS
from web3.middleware import Web3Middleware

from offchain.eth.localchain import MEMORY_ONLY_HISTORY

# Anvil advances an account's nonce a moment before the mined transaction and its receipt can
# be looked up. brownie reads the nonce first and, when the lookup then finds nothing, calls
# the transaction dropped ("Tx dropped without known replacement"): on a loaded machine one
# test in a few hundred failed so. Looking again for a moment closes that window.
LOOKUPS = ("eth_getTransactionReceipt", "eth_getTransactionByHash")
LOOKUP_RETRIES = 20
LOOKUP_PAUSE_S = 0.05

# brownie's development chain listens on 8545, and brownie attaches to whatever already
# answers there: the user's own `make chain`, or another test run. The Makefile's test
# targets name a free port in BROWNIE_PORT (brownie connects after conftests load; its
# project config cannot set the port: brownie 1.22 fails merging `cmd_settings`).
if os.environ.get("BROWNIE_PORT"):
    _config.CONFIG.networks["development"]["cmd_settings"]["port"] = int(os.environ["BROWNIE_PORT"])
# brownie's anvil writes no block states to disk either (offchain.eth.localchain says why);
# brownie splits `cmd` on spaces and cmd_settings knows no such flag.
_config.CONFIG.networks["development"]["cmd"] = " ".join(["anvil", *MEMORY_ONLY_HISTORY])


def _caller_frames() -> list[SimpleNamespace]:
    frame = sys._getframe(1)
    return [SimpleNamespace(frame=frame), SimpleNamespace(frame=frame.f_back)]


# brownie's Rpc methods (snapshot and revert: twice a test, through the isolation fixture)
# check who called them with inspect.stack(), which reads the source file of every frame
# of pytest's deep stack: about 30 ms a call, 15 % of the contract suites' time. The same
# check, on the two frames it looks at.
# (The module, not brownie.network's `rpc` attribute: that is the Rpc object.)
importlib.import_module("brownie.network.rpc").inspect = SimpleNamespace(stack=_caller_frames)


class _LookUpAgain(Web3Middleware):
    def wrap_make_request(self, make_request):
        def middleware(method, params):
            response = make_request(method, params)
            for _ in range(LOOKUP_RETRIES if method in LOOKUPS else 0):
                if response.get("result") is not None:
                    break
                time.sleep(LOOKUP_PAUSE_S)
                response = make_request(method, params)
            return response

        return middleware


@pytest.fixture(scope="session", autouse=True)
def look_up_transactions_again():
    web3.middleware_onion.add(_LookUpAgain, name="look_up_again")
    yield
    web3.middleware_onion.remove("look_up_again")


@pytest.fixture(autouse=True)
def isolate(fn_isolation):
    # Each test runs against a snapshot of the chain, reverted afterwards:
    # https://eth-brownie.readthedocs.io/en/stable/tests-pytest-intro.html#isolation-fixtures
    # brownie's revert runs a full gc.collect() (so dead contracts' weak references are gone
    # before it notifies them): 0.1 s a test over every object web3, brownie and pytest hold.
    # Objects alive at a test's start are never the garbage it looks for: freeze them.
    gc.freeze()


@pytest.fixture(scope="module", autouse=True)
def thaw_after_module():
    yield
    gc.unfreeze()  # the module's fixtures may be garbage now: brownie's next full collection finds them


@pytest.fixture(scope="session")
def admin(accounts):
    return accounts[0]


@pytest.fixture(scope="module", autouse=True)
def committee_draw(CommitteeDraw, admin):
    # TrainingMarket links the CommitteeDraw library: brownie links the latest deployment of it
    # into every TrainingMarket.deploy, so each module's chain holds one.
    return CommitteeDraw.deploy({"from": admin})


@pytest.fixture(scope="session")
def alice(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def bob(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def market_account(accounts):
    # Stands in for the TrainingMarket in registry tests.
    return accounts[9]


@pytest.fixture(scope="module")
def registry(ModelRegistry, admin, market_account):
    contract = ModelRegistry.deploy(admin, ZERO_ADDRESS, {"from": admin})
    contract.grantRole(contract.MARKET_ROLE(), market_account, {"from": admin})
    return contract

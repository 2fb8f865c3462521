"""Relay fixtures: the Bitcoin vectors, Bitcoin's and the devnet's parameters, deployers."""

import json
import sys
from pathlib import Path

import pytest

from offchain.ledger.block import BlockHeader
from offchain.ledger.params import BITCOIN, DEVNET, ChainParams
from offchain.ledger.pow import bits_work

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(Path(__file__).parent))  # relay_helpers
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "offchain" / "ledger"))  # ledger_helpers


@pytest.fixture(scope="session")
def vectors():
    return json.loads((DATA / "bitcoin_relay_vectors.json").read_text())


NO_RULE = 2**256 - 1


EVM_BLOCK_SECONDS = 12  # the relay's clock advances at most this per EVM block (as offchain/eth/deploy.py)


def consensus(params: ChainParams, min_version: int = 0):
    """ILedgerRelay.Consensus for a chain of offchain/ledger/params.py."""
    warp = NO_RULE if params.max_timewarp_seconds is None else params.max_timewarp_seconds
    return (
        params.retarget_interval,
        params.target_timespan,
        params.pow_limit,
        params.magic,
        warp,
        min_version,
        params.max_future_seconds,
        EVM_BLOCK_SECONDS,
    )


def relay_args(
    params: ChainParams,
    checkpoint: BlockHeader,
    height: int,
    period_start_time: int,
    work: int | None = None,
    confirmations: int = 1,
):
    """Constructor arguments; chain work defaults to the checkpoint's own (work counted from it).
    Bitcoin checkpoints here are past BIP65 (388,381): every header must be version 4 or more."""
    min_version = 4 if params.bip65_height is not None and height >= params.bip65_height else 0
    return (
        checkpoint.serialize(),
        height,
        work or bits_work(checkpoint.bits),
        period_start_time,
        consensus(params, min_version),
        confirmations,
    )


@pytest.fixture(scope="module")
def probe(RelayProbe, admin):
    return RelayProbe.deploy({"from": admin})


@pytest.fixture(scope="session")
def deploy_bitcoin(LedgerRelay, admin):
    def deploy(case, period_start_time=None, confirmations=1):
        checkpoint = BlockHeader.from_hex(case["checkpoint"]["hex"])
        start = BlockHeader.from_hex(case["period_start"]["hex"]).time
        args = relay_args(
            BITCOIN,
            checkpoint,
            case["checkpoint"]["height"],
            start if period_start_time is None else period_start_time,
            confirmations=confirmations,
        )
        return LedgerRelay.deploy(*args, {"from": admin})

    return deploy


@pytest.fixture(scope="session")
def devnet():
    return DEVNET


@pytest.fixture(scope="session")
def deploy_devnet(LedgerRelay, admin):
    """A relay of the devnet from its genesis (confirmations: what verifyTx requires)."""

    def deploy(confirmations=2):
        genesis = BlockHeader.from_hex(DEVNET.genesis_header_hex)
        return LedgerRelay.deploy(
            *relay_args(DEVNET, genesis, 0, genesis.time, confirmations=confirmations), {"from": admin}
        )

    return deploy

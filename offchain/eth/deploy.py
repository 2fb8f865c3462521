"""Deploy the project's contracts from brownie's build output and record them.

The project's one deploy order (relay -> registry -> market -> MARKET_ROLE -> lens), used
by the demo, the tests and scripts/deploy.py (which hands it brownie's connection).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain.eth.client import Client
from offchain.eth.deployments import DeployedContract, Deployment, save_deployment

# TrainingMarket parameters (its constructor's Config); scripts/deploy.py uses the same.
MIN_BOND = 10**18  # wei a validator bonds at least
QUORUM = 2  # attestations that verify a submission
TOLERANCE_BPS = 100  # largest honest |claim - median| and |attestation - median|
FEE_BPS = 500  # validators' share of the reward, paid per attestation within tolerance
SLASH_BPS = 1000  # share of its bond a validator loses per attestation outside tolerance or missing
FORFEIT_BPS = 1000  # share of the job's minimum stake lost by a submission not verified honest >= minimum
MIN_WINDOW = 60  # seconds: the shortest commit, reveal, attest and settle window a job may have
LEDGER_CHAIN = "devnet"  # the ledger deploy_all's LedgerRelay follows, from its genesis
RELAY_CONFIRMATIONS = 2  # confirmations the relay requires of an anchor proof
ZERO_ADDRESS = "0x" + "00" * 20


def market_config(
    min_bond: int = MIN_BOND,
    quorum: int = QUORUM,
    tolerance_bps: int = TOLERANCE_BPS,
    fee_bps: int = FEE_BPS,
    slash_bps: int = SLASH_BPS,
    forfeit_bps: int = FORFEIT_BPS,
    min_window: int = MIN_WINDOW,
) -> tuple[int, int, int, int, int, int, int]:
    """The TrainingMarket constructor's Config tuple."""
    return (min_bond, quorum, tolerance_bps, fee_bps, slash_bps, forfeit_bps, min_window)


def _record(name: str, address: str, block: int) -> DeployedContract:
    return DeployedContract(address=address, block=block, abi=f"build/contracts/{name}.json")


def deploy_all(
    client: Client,
    directory: Path | None = None,
    min_bond: int = MIN_BOND,
    quorum: int = QUORUM,
    tolerance_bps: int = TOLERANCE_BPS,
    fee_bps: int = FEE_BPS,
    min_window: int = MIN_WINDOW,
    ledger_chain: str | None = LEDGER_CHAIN,
    relay_confirmations: int = RELAY_CONFIRMATIONS,
) -> Deployment:
    """Deploy LedgerRelay (from `ledger_chain`'s genesis; None: no relay, anchoring off), then
    ModelRegistry (admin: the sender) with that relay, then TrainingMarket holding the
    registry's MARKET_ROLE (the market creates its Appeals and its SealedExchange), then its
    MarketLens, and write deployments/<chain id>.json.

    The project's one deploy order: scripts/deploy.py (brownie) calls this too."""
    deployment = Deployment(chain_id=client.chain_id)
    relay_address = ZERO_ADDRESS
    if ledger_chain is not None:
        relay, relay_receipt = _deploy_genesis_relay(client, ledger_chain, relay_confirmations)
        relay_address = relay.address
        deployment.contracts["LedgerRelay"] = _record("LedgerRelay", relay.address, relay_receipt["blockNumber"])
    registry, receipt = client.deploy("ModelRegistry", client.address, relay_address)
    config = market_config(min_bond, quorum, tolerance_bps, fee_bps, min_window=min_window)
    market, market_receipt = client.deploy("TrainingMarket", registry.address, config)
    client.transact(registry.functions.grantRole(registry.functions.MARKET_ROLE().call(), market.address))
    lens, lens_receipt = client.deploy("MarketLens", market.address)
    # The market created its SealedExchange (sealed submissions) in its own constructor.
    exchange = str(lens.functions.sealedExchange().call())
    deployment.contracts["ModelRegistry"] = _record("ModelRegistry", registry.address, receipt["blockNumber"])
    deployment.contracts["TrainingMarket"] = _record("TrainingMarket", market.address, market_receipt["blockNumber"])
    deployment.contracts["MarketLens"] = _record("MarketLens", lens.address, lens_receipt["blockNumber"])
    deployment.contracts["SealedExchange"] = _record("SealedExchange", exchange, market_receipt["blockNumber"])
    save_deployment(deployment, directory)
    return deployment


def genesis_relay_args(ledger_chain: str, confirmations: int) -> tuple[bytes, int, int, int, RelayConsensus, int]:
    """LedgerRelay's constructor arguments for a relay of `ledger_chain` (a name of
    offchain/ledger/params.py) checkpointed at its genesis, requiring `confirmations`."""
    from offchain.ledger.block import BlockHeader
    from offchain.ledger.params import chain_params
    from offchain.ledger.pow import bits_work

    params = chain_params(ledger_chain)
    genesis = BlockHeader.from_hex(params.genesis_header_hex)
    consensus = RelayConsensus(  # from genesis: no version floor holds yet
        params.retarget_interval,
        params.target_timespan,
        params.pow_limit,
        params.magic,
        params.max_timewarp_seconds,
        max_future=params.max_future_seconds,
    )
    return genesis.serialize(), 0, bits_work(genesis.bits), genesis.time, consensus, confirmations


def _deploy_genesis_relay(client: Client, ledger_chain: str, confirmations: int) -> tuple[Any, Any]:
    checkpoint, height, work, start, consensus, confirmations = genesis_relay_args(ledger_chain, confirmations)
    return client.deploy("LedgerRelay", checkpoint, height, work, start, consensus.as_tuple(), confirmations)


def deploy_genesis_relay(
    client: Client, ledger_chain: str, confirmations: int, directory: Path | None = None, standalone: bool = False
) -> str:
    """`offchain relay deploy`: a LedgerRelay from `ledger_chain`'s genesis; returns its address.

    It becomes the deployment's LedgerRelay (deploy_relay), unless `standalone`: then it is
    only deployed, and the relayer follows it with `--relay ADDRESS`."""
    if standalone:
        relay, _ = _deploy_genesis_relay(client, ledger_chain, confirmations)
        return str(relay.address)
    deployment = deploy_relay(client, *genesis_relay_args(ledger_chain, confirmations), directory)
    return deployment.contract("LedgerRelay").address


NO_TIMEWARP_RULE = 2**256 - 1  # LedgerRelay's "no BIP94 rule" (Bitcoin mainnet)


def deploy_relay(
    client: Client,
    checkpoint: bytes,
    height: int,
    chain_work: int,
    period_start_time: int,
    consensus: RelayConsensus,
    confirmations: int,
    directory: Path | None = None,
) -> Deployment:
    """Deploy a LedgerRelay from a trusted checkpoint header and the chain's consensus numbers
    (those of offchain/ledger/params.py), and add it to deployments/<chain id>.json.

    Refused (DeploymentError, nothing sent) when that deployment's registry keeps a relay: it
    keeps it for good and the market verifies provenance through it, so a new LedgerRelay in
    the file would only lead the relayer away from the relay that counts."""
    from offchain.eth.deployments import load_deployment
    from offchain.eth.errors import DeploymentError

    try:
        deployment = load_deployment(client.chain_id, directory)
    except DeploymentError:
        deployment = Deployment(chain_id=client.chain_id)
    kept = _kept_relay(client, deployment)
    if kept is not None:
        raise DeploymentError(
            f"the deployment's ModelRegistry keeps the LedgerRelay at {kept} for good (the market verifies "
            "provenance with it): feed that one (offchain relay), or deploy another with --standalone"
        )
    relay, receipt = client.deploy(
        "LedgerRelay", checkpoint, height, chain_work, period_start_time, consensus.as_tuple(), confirmations
    )
    deployment.contracts["LedgerRelay"] = _record("LedgerRelay", relay.address, receipt["blockNumber"])
    save_deployment(deployment, directory)
    return deployment


def _kept_relay(client: Client, deployment: Deployment) -> str | None:
    """The relay the deployment's registry was built with, if it has a registry and the registry a relay."""
    from offchain.eth.registry import RegistryClient

    if "ModelRegistry" not in deployment.contracts:
        return None
    return RegistryClient(client, deployment.contract("ModelRegistry").address).relay_address()


@dataclass(frozen=True)
class RelayConsensus:
    """ILedgerRelay.Consensus: a chain's numbers as offchain/ledger/params.py names them."""

    retarget_interval: int
    target_timespan: int
    pow_limit: int
    magic: bytes
    max_timewarp: int | None = None  # None: no BIP94 rule
    min_version: int = 0  # compared as int32, as Bitcoin Core reads versions
    max_future: int = 2 * 60 * 60  # seconds a header may run ahead of the relay's clock (Bitcoin's 2 hours)
    # The relay's clock advances at most this per EVM block, whatever block.timestamp says: a dev
    # chain's `chain warp` cannot move it. 12 s is Ethereum's slot; the relay trusts the EVM chain
    # not to make blocks faster than real time runs at this rate *and* warp its timestamps.
    evm_block_seconds: int = 12

    def as_tuple(self) -> tuple[int, int, int, bytes, int, int, int, int]:
        warp = NO_TIMEWARP_RULE if self.max_timewarp is None else self.max_timewarp
        return (
            self.retarget_interval,
            self.target_timespan,
            self.pow_limit,
            self.magic,
            warp,
            self.min_version,
            self.max_future,
            self.evm_block_seconds,
        )

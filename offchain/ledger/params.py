"""Chain parameters: Bitcoin mainnet's (for checking real headers) and the bundled devnet's.

The devnet keeps Bitcoin's rules and changes only the numbers: a proof-of-work limit of
2^247 (512 expected hashes, about a millisecond), a retarget every 10 blocks and a
2-second target spacing, so `offchain ledger mine --blocks 50` takes seconds on a laptop and
shows difficulty rising at every retarget. Its limit is also low enough that
`target * 4 * timespan` stays below 2^256, as Bitcoin's arith_uint256 arithmetic assumes.

Timing rules scale with the target timespan. Bitcoin lets a header run 2 hours ahead of the
node's clock, 1/168 of its two-week period; kept unscaled on a 20-second devnet period, one
block per period stamped near now + 7199 s made every next target 4x easier (a time warp).
The rule here: the future limit is at most a tenth of the target timespan, so a block at
the limit eases the next target by at most 10% and cannot compound past that (honest blocks
after it must still be above the median time). The devnet allows one target spacing (2 s).
The classic time warp stamps each period's *first* block far in the past instead (the median
allows it), so the next span, measured from it, looks long; the devnet refuses a period's
first block more than one target spacing below its parent, as BIP94 does on testnet4 with
600 s. (Bitcoin mainnet has no such rule, so `--chain bitcoin` does not apply one.)

Coinbase maturity (Bitcoin: 100 blocks): a block's coinbase is credited to its miner when
the block at `height + coinbase_maturity` is connected (after that block's transactions), so
coins that a reorganisation can erase are never spent onwards. The devnet uses 10 blocks,
one retarget period. Every non-coinbase transaction pays at least `min_fee` (consensus, not
only policy), so an account with nothing in it can send nothing and state is never free.
"""

from __future__ import annotations

from dataclasses import dataclass

from offchain.ledger.errors import StoreError

COIN = 100_000_000  # base units per coin, as Bitcoin's satoshi
MAX_MONEY = 21_000_000 * COIN


@dataclass(frozen=True)
class ChainParams:
    """Consensus numbers of one chain; two nodes agree only if these are equal."""

    name: str
    """Short name used on the command line (`--chain`)."""
    magic: bytes
    """Four bytes mixed into every signature hash: a signature cannot replay on another chain."""
    pow_limit: int
    """The easiest target allowed; also the target of the first blocks."""
    retarget_interval: int
    """Blocks per difficulty period (Bitcoin: 2016)."""
    target_spacing: int
    """Intended seconds between blocks (Bitcoin: 600)."""
    max_future_seconds: int
    """How far a header's time may run ahead of the validating node's clock."""
    genesis_header_hex: str
    """The 80-byte genesis header, hex, as serialized."""
    genesis_hash_hex: str
    """The genesis block hash in display order, checked at import time by the tests."""
    block_reward: int = 50 * COIN
    """Coinbase subsidy before halvings."""
    halving_interval: int = 210_000
    """Blocks between halvings of the subsidy."""
    genesis_block_hex: str = ""
    """The full genesis block (devnet only; Bitcoin's body is not in this ledger's format)."""
    coinbase_maturity: int = 100
    """Blocks after which a coinbase is credited: mined at h, spendable in blocks > h + this."""
    min_fee: int = 0
    """The least fee a non-coinbase transaction may pay (base units)."""
    max_timewarp_seconds: int | None = None
    """BIP94 (testnet4): a period's first block may not be more than this below its parent
    (None: not enforced, as on Bitcoin mainnet)."""
    bip34_height: int | None = None
    """From this height a header's version must be at least 2 (None: no such rule)."""
    bip66_height: int | None = None
    """From this height a header's version must be at least 3."""
    bip65_height: int | None = None
    """From this height a header's version must be at least 4."""

    @property
    def target_timespan(self) -> int:
        """Intended seconds per period: the denominator of a retarget."""
        return self.retarget_interval * self.target_spacing

    def subsidy(self, height: int) -> int:
        """Block reward at `height`, halved every `halving_interval` blocks."""
        halvings = height // self.halving_interval
        return 0 if halvings >= 64 else self.block_reward >> halvings


# Bitcoin mainnet (chainparams.cpp): powLimit = ~uint256(0) >> 32, 2016 blocks, two weeks.
# The genesis header is the well-known block 0 header (hash 000000000019d6...e26f).
BITCOIN = ChainParams(
    name="bitcoin",
    magic=bytes.fromhex("f9beb4d9"),
    pow_limit=(1 << 224) - 1,
    retarget_interval=2016,
    target_spacing=600,
    max_future_seconds=2 * 60 * 60,
    bip34_height=227_931,
    bip66_height=363_725,
    bip65_height=388_381,
    genesis_header_hex=(
        "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd"
        "7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c"
    ),
    genesis_hash_hex="000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
)

# The devnet genesis: a coinbase at height 0 paying the zero address (unspendable: no key
# has it), time 2025-01-01T00:00:00Z, bits at the limit. The nonce was found once with
# `offchain.ledger.genesis.find_devnet_genesis_nonce` and is pinned here; a test re-derives it.
DEVNET_GENESIS_TIME = 1735689600
DEVNET_GENESIS_BITS = 0x1F7FFFFF
DEVNET = ChainParams(
    name="devnet",
    magic=b"OFLD",
    pow_limit=(1 << 247) - 1,
    retarget_interval=10,
    target_spacing=2,
    max_future_seconds=2,  # a tenth of the 20-second period (see the module docstring)
    max_timewarp_seconds=2,  # one target spacing, as testnet4's 600 s
    coinbase_maturity=10,
    min_fee=1_000,
    genesis_header_hex=(
        "0100000000000000000000000000000000000000000000000000000000000000000000004fc6e8ee"
        "1c8c8ae2bae1564544f211b2c0f154bb0af365583475932a2eab341e80857467ffff7f1fec020000"
    ),
    genesis_hash_hex="0023b5fac3ae11d90cd9294a42b899b2401c6c60bdc6ad7cf4f4cc56c42691a3",
    genesis_block_hex=(
        "0100000000000000000000000000000000000000000000000000000000000000000000004fc6e8ee"
        "1c8c8ae2bae1564544f211b2c0f154bb0af365583475932a2eab341e80857467ffff7f1fec020000"
        "0100000000000000000000000000000000000000000000000000000000000000000000f2052a0100"
        "0000"
    ),
)

CHAINS = {"devnet": DEVNET, "bitcoin": BITCOIN}


def chain_params(name: str) -> ChainParams:
    """Look a chain up by name; the error lists the valid choices."""
    try:
        return CHAINS[name]
    except KeyError:
        raise StoreError(f"unknown chain {name!r}; choose one of: {', '.join(sorted(CHAINS))}") from None

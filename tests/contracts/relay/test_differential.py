"""Differential: random devnet chains made by the Python ledger, with forks and reorganisations,
fed to both the ledger and the relay in batches. After every batch the relay's best tip is the
ledger's, every block has the confirmations the ledger gives it, and coinbase proofs are
accepted exactly where the ledger's main chain has them deep enough (and the block's Merkle
depth was proven). Batches include times
that run backwards (median time past, BIP94) and past the clock (the ledger's clock is the
relay's), and branches far easier than the tip (minimum work): a header the ledger refuses,
the relay refuses too, and the ledger accepts nothing the relay refuses.

Examples: RELAY_EXAMPLES (default 3 in `make test`; `make test-relay-long` runs 200).
"""

import os
import tempfile
from pathlib import Path

import brownie
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_helpers import make_block
from relay_helpers import batch, deliver, h32

from offchain.ledger.chain import Chain
from offchain.ledger.errors import ValidationError
from offchain.ledger.params import DEVNET

EXAMPLES = int(os.environ.get("RELAY_EXAMPLES", "3"))
CONFIRMATIONS = 2
FUTURE = 10**6  # a spacing that stamps the batch's first block 100 s past the relay's limit
# One batch: extend the branch ending at tips[choice % len(tips)] by `length` blocks,
# `spacing` seconds apart (1 s makes difficulty rise at the next retarget, 6 s fall; -7 s runs
# back below the median time past, or a period's start below its parent).
BATCH = st.tuples(st.integers(0, 15), st.integers(1, 12), st.sampled_from([1, 2, 3, 6, 1, 2, -7, FUTURE]))


def _ledger_confirmations(chain, entry):
    return chain.tip().height - entry.height + 1 if chain.is_main(entry) else 0


def _check_agreement(relay, chain, blocks, proven):
    tip = chain.tip()
    relay_tip, relay_height, relay_work = relay.bestTip()
    assert (str(relay_tip), int(relay_height)) == (h32(tip.hash), tip.height)
    assert relay_work == tip.chain_work
    for block in blocks:
        entry = chain.get(block.hash)
        expected = _ledger_confirmations(chain, entry)
        assert relay.confirmations(h32(block.hash)) == expected
        coinbase = h32(block.txs[0].txid)
        # Only blocks whose Merkle depth was proven verify a bare txid (no inner node poses as one).
        wanted = expected >= CONFIRMATIONS and block.hash in proven
        assert relay.verifyTx(coinbase, h32(block.hash), 0, []) == wanted
        assert not relay.verifyTx(coinbase, h32(block.hash), 1, [])


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(batches=st.lists(BATCH, min_size=1, max_size=6))
def test_relay_follows_the_python_ledger_through_forks_and_reorgs(deploy_devnet, admin, batches):
    relay = deploy_devnet(CONFIRMATIONS)
    with tempfile.TemporaryDirectory() as folder:
        chain = Chain.open(Path(folder), "devnet", create=True)
        try:
            chain.clock = relay.clock  # the ledger's future limit is measured from the relay's clock
            tips = [chain.tip()]
            blocks, proven = [], set()
            for serial, (choice, length, spacing) in enumerate(batches):
                parent = tips[choice % len(tips)]
                made, refused = [], None
                for k in range(length):
                    step = spacing
                    if spacing == FUTURE:
                        step = 2 if k else relay.clock() + DEVNET.max_future_seconds + 100 - parent.header.time
                    block = make_block(chain, parent, spacing=step, extra_nonce=serial)
                    try:
                        chain.add_block(block)
                    except ValidationError:
                        refused = block
                        break
                    parent = chain.get(block.hash)
                    made.append(block)
                if made:
                    deliver(chain, [], known=blocks + made)
                    tips.append(chain.get(made[-1].hash))
                    blocks.extend(made)
                    relay.submitHeaders(batch([b.header for b in made]), {"from": admin})
                    # One depth proof a batch (the coinbase by its bytes) keeps the test fast.
                    relay.proveMerkleDepth(made[0].txs[0].serialize(), h32(made[0].hash), 0, [], {"from": admin})
                    proven.add(made[0].hash)
                if refused is not None:
                    with brownie.reverts():
                        relay.submitHeaders(batch([refused.header]), {"from": admin})

                _check_agreement(relay, chain, blocks, proven)
        finally:
            chain.close()

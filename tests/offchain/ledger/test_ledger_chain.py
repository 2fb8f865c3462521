"""Fork choice, reorganisations, orphans, mempool, proofs and persistence."""

from __future__ import annotations

from pathlib import Path

from ledger_helpers import ALICE, ALICE_KEY, BOB, extend, fund, make_block

from offchain.ledger import api
from offchain.ledger.chain import Chain
from offchain.ledger.hashing import hash_to_hex
from offchain.ledger.tx import KIND_ANCHOR, KIND_TRANSFER, Transaction, sign


def test_a_longer_branch_reorganises_and_restores_balances_exactly(chain: Chain) -> None:
    fork_point = fund(chain, ALICE)[-1]
    before = chain.store.all_accounts()
    pay = sign(Transaction(kind=KIND_TRANSFER, nonce=0, to=BOB, amount=7 * 10**8, fee=1000), ALICE_KEY, b"OFLD")
    extend(chain, 1, txs=(pay,))
    extend(chain, 2)
    assert chain.account(BOB).balance == 7 * 10**8
    main_tip = chain.tip()

    base = chain.get(fork_point.hash)
    side = extend(chain, 3, parent=base, extra_nonce=1)
    assert chain.tip().hash == main_tip.hash  # 3 blocks do not beat 3 blocks
    # Less work than the tip when they came: only the last (as much work) keeps its body.
    assert [chain.store.raw_block(b.hash) is not None for b in side] == [False, False, True]

    extend(chain, 1, parent=chain.get(side[-1].hash), extra_nonce=1)
    assert chain.tip().hash == main_tip.hash  # the winning branch still lacks two bodies
    for block in side[:2]:  # as sync does: fetch the bodies along the best header's branch
        chain.add_block(block)
    assert chain.tip().height == main_tip.height + 1
    assert chain.account(BOB).balance == 0
    assert chain.account(ALICE).nonce == 0
    assert chain.next_nonce(ALICE) == 1  # the transfer is back in the mempool
    assert len(chain.store.mempool()) == 1

    # Going back: disconnecting the whole side branch restores the fork point's state.
    extend(chain, 3, parent=chain.get(main_tip.hash))
    assert chain.account(BOB).balance == 7 * 10**8
    chain.verify_db()
    assert before  # sanity: accounts existed at the fork point


def test_disconnecting_to_the_fork_point_restores_every_account(chain: Chain) -> None:
    fork = fund(chain, ALICE)[-1]
    snapshot = chain.store.all_accounts()
    pay = sign(Transaction(kind=KIND_TRANSFER, nonce=0, to=BOB, amount=3, fee=1000), ALICE_KEY, b"OFLD")
    extend(chain, 1, txs=(pay,))
    entry = chain.tip()

    with chain.store.transaction():
        chain._disconnect(entry)
        restored = chain.store.all_accounts()
        chain.store.set_meta("tip", fork.hash.hex())
        chain._connect(entry)
        chain.store.set_meta("tip", entry.hash.hex())

    assert restored == snapshot


def test_orphans_wait_for_their_parent(chain: Chain) -> None:
    first = make_block(chain)
    other = Chain.open(chain.store.path.parent.parent / "other", "devnet", create=True)
    other.add_block(first)
    second = make_block(other)

    assert chain.add_block(second) == "orphan"
    assert chain.add_block(first) == "connected"
    assert chain.tip().hash == second.hash
    other.close()


def test_an_anchor_is_mined_and_its_proof_verifies(tmp_path: Path) -> None:
    datadir = tmp_path / "d"
    api.init_chain(datadir)
    digest = bytes(range(32))
    assert len(api.fund(datadir, processes=0)) == 11  # the devnet's maturity is 10 blocks
    assert api.fund(datadir, processes=0) == []

    txid = api.anchor(datadir, digest, "dataset:digits")
    api.mine(datadir, 1, processes=1)
    proof = api.prove(datadir, txid)

    assert proof["txid"] == txid and proof["index"] == 1
    assert api.verify_proof(proof)
    assert api.verify_proof(proof, datadir=datadir)
    assert not api.verify_proof({**proof, "index": 0})
    assert not api.verify_proof({**proof, "merkle_root": proof["txid"]})
    assert not api.verify_proof({**proof, "tx": "00" * 64})


def test_reopening_continues_from_the_same_tip(tmp_path: Path) -> None:
    first = Chain.open(tmp_path, "devnet", create=True)
    extend(first, 4)
    tip = first.tip()
    first.close()

    again = Chain.open(tmp_path)

    assert again.tip() == tip
    assert hash_to_hex(again.verify_db().tip.encode() and tip.hash) == again.verify_db().tip
    again.close()


def test_mining_crosses_retargets_and_rolls_the_extra_nonce(chain: Chain) -> None:
    from offchain.ledger.miner import Miner, mine_blocks

    # 8 nonces an extra nonce against ~512 hashes a devnet block: three blocks without rolling
    # it have a chance of about 4e-6 (256 left it at 6 %, and the test flaked).
    with Miner(processes=1, nonce_space=8) as miner:
        mined = mine_blocks(chain, 3, ALICE, miner)

    assert [m.height for m in mined] == [1, 2, 3]
    coinbases = [chain.block(chain.main_entry(h).hash).txs[0] for h in (1, 2, 3)]  # type: ignore[union-attr]
    assert any(tx.extra_nonce > 0 for tx in coinbases)
    assert KIND_ANCHOR == 2

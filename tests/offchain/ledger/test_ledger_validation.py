"""Tampered blocks and transactions are refused with the rule they break."""

from __future__ import annotations

from dataclasses import replace

import pytest
from ledger_helpers import ALICE, ALICE_KEY, BOB, MINER, MINER_KEY, extend, fund, make_block, solve

from offchain.ledger.block import Block
from offchain.ledger.chain import Chain
from offchain.ledger.errors import (
    BadCoinbase,
    BadMerkleRoot,
    BadNonce,
    BadSignature,
    DoubleSpend,
    DuplicateTransaction,
    InsufficientBalance,
    InvalidProofOfWork,
    MalformedTransaction,
    MutatedMerkleTree,
    TimeTooNew,
    TimeTooOld,
    UnexpectedBits,
    ValidationError,
)
from offchain.ledger.merkle import merkle_root
from offchain.ledger.tx import KIND_ANCHOR, KIND_TRANSFER, Transaction, sign


def transfer(key: bytes, nonce: int, amount: int, to: bytes = BOB, fee: int = 1000) -> Transaction:
    return sign(Transaction(kind=KIND_TRANSFER, nonce=nonce, fee=fee, to=to, amount=amount), key, b"OFLD")


def with_txs(block: Block, txs: tuple[Transaction, ...]) -> Block:
    root, _ = merkle_root([tx.txid for tx in txs])
    return Block(header=solve(replace(block.header, merkle_root=root)), txs=txs)


def test_a_valid_block_is_connected(chain: Chain) -> None:
    assert chain.add_block(make_block(chain)) == "connected"


def test_a_tampered_transaction_breaks_the_merkle_root(chain: Chain) -> None:
    block = make_block(chain)
    forged = replace(block.txs[0], amount=block.txs[0].amount + 1)

    with pytest.raises(BadMerkleRoot):
        chain.add_block(Block(header=block.header, txs=(forged,)))


def test_a_tampered_root_fails_proof_of_work_or_the_root_check(chain: Chain) -> None:
    block = make_block(chain)
    header = replace(block.header, merkle_root=bytes(32))

    with pytest.raises(BadMerkleRoot):
        chain.add_block(Block(header=solve(header), txs=block.txs))
    with pytest.raises((InvalidProofOfWork, BadMerkleRoot)):
        chain.add_block(Block(header=header, txs=block.txs))


def test_tampered_bits_are_unexpected(chain: Chain) -> None:
    block = make_block(chain)
    header = solve(replace(block.header, bits=0x1F3FFFFF))

    with pytest.raises(UnexpectedBits):
        chain.add_block(Block(header=header, txs=block.txs))


def test_a_time_not_above_the_median_is_too_old(chain: Chain) -> None:
    extend(chain, 3)
    block = make_block(chain, spacing=-10)

    with pytest.raises(TimeTooOld):
        chain.add_block(block)


def test_a_time_far_in_the_future_is_too_new(chain: Chain) -> None:
    block = make_block(chain, spacing=10**9)

    with pytest.raises(TimeTooNew):
        chain.add_block(block)


def test_a_duplicated_tail_is_a_mutated_tree_under_the_same_header(chain: Chain) -> None:
    fund(chain, ALICE)
    a, b = transfer(ALICE_KEY, 0, 1), transfer(ALICE_KEY, 1, 1)
    block = make_block(chain, txs=(a, b))  # three txids: the last is paired with itself

    mutated = Block(header=block.header, txs=(*block.txs, b))  # CVE-2012-2459: same root

    assert mutated.compute_merkle_root()[0] == block.header.merkle_root
    with pytest.raises(MutatedMerkleTree):
        chain.add_block(mutated)
    assert chain.add_block(block) == "connected"  # the honest block is not poisoned


def test_a_repeated_transaction_is_a_duplicate(chain: Chain) -> None:
    fund(chain, ALICE)
    a, b = transfer(ALICE_KEY, 0, 1), transfer(ALICE_KEY, 1, 1)
    block = make_block(chain, txs=(a, b))

    with pytest.raises(DuplicateTransaction):
        chain.add_block(with_txs(block, (block.txs[0], a, b, a)))


def test_the_same_nonce_twice_in_a_block_is_a_double_spend(chain: Chain) -> None:
    fund(chain, ALICE)

    block = make_block(chain, txs=(transfer(ALICE_KEY, 0, 1), transfer(ALICE_KEY, 0, 2)))

    with pytest.raises(DoubleSpend):
        chain.add_block(block)


def test_spending_more_than_the_balance_is_refused(chain: Chain) -> None:
    fund(chain, ALICE)
    too_much = chain.account(ALICE).balance + 1

    with pytest.raises(InsufficientBalance):
        chain.add_block(make_block(chain, txs=(transfer(ALICE_KEY, 0, too_much),)))


def test_a_skipped_nonce_is_refused(chain: Chain) -> None:
    fund(chain, ALICE)

    with pytest.raises(BadNonce):
        chain.add_block(make_block(chain, txs=(transfer(ALICE_KEY, 1, 1),)))


def test_a_tampered_signature_is_refused(chain: Chain) -> None:
    fund(chain, ALICE)
    tx = transfer(ALICE_KEY, 0, 1)
    sig = tx.signature
    bad = replace(tx, signature=sig[:10] + bytes([sig[10] ^ 1]) + sig[11:])

    with pytest.raises((BadSignature, InsufficientBalance)):
        chain.add_block(make_block(chain, txs=(bad,)))


def test_a_transaction_signed_for_another_chain_comes_from_someone_else(chain: Chain) -> None:
    fund(chain, ALICE)
    foreign = sign(Transaction(kind=KIND_TRANSFER, to=BOB, amount=1), ALICE_KEY, b"XXXX")

    assert foreign.sender(b"OFLD") != ALICE


def test_a_coinbase_paying_too_much_is_refused(chain: Chain) -> None:
    with pytest.raises(BadCoinbase):
        chain.add_block(make_block(chain, fees=1))


def test_an_anchor_tag_outside_the_alphabet_is_malformed(chain: Chain) -> None:
    tx = sign(Transaction(kind=KIND_ANCHOR, payload=bytes(32), tag="bad tag!"), MINER_KEY, b"OFLD")

    with pytest.raises(MalformedTransaction):
        chain.submit(tx)


def test_no_transaction_kind_serializes_to_64_bytes() -> None:
    sizes = {
        len(Transaction(kind=0).serialize()),
        len(transfer(ALICE_KEY, 0, 1).serialize()),
        *(
            len(sign(Transaction(kind=KIND_ANCHOR, payload=bytes(32), tag="t" * n), ALICE_KEY, b"OFLD").serialize())
            for n in range(1, 33)
        ),
    }
    assert 64 not in sizes


def test_a_refused_block_leaves_balances_untouched(chain: Chain) -> None:
    fund(chain, ALICE)
    before = chain.store.all_accounts()

    with pytest.raises(ValidationError):
        spends = (transfer(ALICE_KEY, 0, 1), transfer(ALICE_KEY, 0, 2))
        chain.add_block(make_block(chain, txs=spends))

    assert chain.store.all_accounts() == before
    assert MINER  # the fixture's miner address exists


def test_signatures_use_the_pinned_libsecp256k1_backend() -> None:
    """The >= 20x block-connect goal rests on coincurve (the benchmark measures the ratio)."""
    from offchain.ledger.tx import signature_backend

    assert signature_backend() == "coincurve"

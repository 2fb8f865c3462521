"""markAnchored: a registered model is marked anchored in the proof-of-work ledger only from an
anchor proof that the registry's own LedgerRelay verifies, and only ever to a stronger anchor: an
earlier one on the same chain, or, while the record is not final (marked less than ANCHOR_DELAY
ago), a main-chain anchor once the recorded block has left the main chain."""

import brownie
import pytest
from brownie import chain
from errors import err
from hashes import ZERO, ZERO_ADDRESS, h
from provenance_helpers import ANCHORER, REORGANISER_KEY, Ledger, deploy_relay, h32, proof

from offchain.ledger.tx import address_of

URI = "file:///model"
MODEL = h("model")


@pytest.fixture
def ledger(tmp_path):
    ledger = Ledger(tmp_path / "ledger")
    yield ledger
    ledger.chain.close()


@pytest.fixture
def relay(LedgerRelay, admin):
    return deploy_relay(LedgerRelay, admin)


@pytest.fixture
def anchored_registry(ModelRegistry, relay, admin, alice):
    registry = ModelRegistry.deploy(admin, relay, {"from": admin})
    registry.register(MODEL, ZERO, h("data"), 9000, URI, {"from": alice})
    return registry


def _anchor(ledger, relay, admin, payloads=(MODEL,), on_top=1):
    block = ledger.anchor(list(payloads))
    ledger.mine(on_top)
    ledger.relay_to(relay, admin)
    return block


def _delay(registry):
    """Let the recorded anchor's delay pass (the EVM clock; a block is mined at the new time)."""
    chain.sleep(registry.ANCHOR_DELAY())
    chain.mine()


def test_a_proven_anchor_marks_the_model(anchored_registry, ledger, relay, admin, bob):
    block = _anchor(ledger, relay, admin)
    height = ledger.chain.get(block.hash).height

    tx = anchored_registry.markAnchored(MODEL, *proof(block, 1), {"from": bob})  # anyone may send it

    marked_at = chain[tx.block_number].timestamp
    work = relay.confirmationWork(h32(block.hash))
    assert list(anchored_registry.anchorOf(MODEL)) == [h32(block.hash), ANCHORER, height, marked_at]
    assert list(tx.events["ModelAnchored"].values()) == [MODEL, h32(block.hash), ANCHORER, height, 2, work]


def test_marking_costs_at_most_106k_gas(anchored_registry, ledger, relay, admin, alice):
    # The goal re-based with issue 21's new per-record state, test_gas.py's rule: a first mark with
    # this file's one-level proof measured 100,053 gas before it. markedAt rides in the Anchor's
    # second slot (address 20 + height 8 + markedAt 4 bytes: no new slot, + 0); the work in the
    # event is the relay's confirmationWork inside provenAnchor (warm slots, one stored record read
    # per difficulty period below the tip) and one more event word: measured + 5,570. 100,053 +
    # 5,570 = 105,623, so 106k.
    block = _anchor(ledger, relay, admin)

    tx = anchored_registry.markAnchored(MODEL, *proof(block, 1), {"from": alice})

    print(f"\nModelRegistry.markAnchored gas used: {tx.gas_used}")
    assert tx.gas_used <= 106_000


def test_a_record_is_final_only_once_its_delay_has_passed(anchored_registry, ledger, relay, admin, alice):
    block = _anchor(ledger, relay, admin)
    tx = anchored_registry.markAnchored(MODEL, *proof(block, 1), {"from": alice})
    assert anchored_registry.ANCHOR_DELAY() == 86_400  # one day: docs/relay.md says why
    assert list(anchored_registry.anchorStatus(MODEL))[3:] == [True, False]  # proven, not final yet

    _delay(anchored_registry)

    assert list(anchored_registry.anchorStatus(MODEL))[3:] == [True, True]
    assert anchored_registry.anchorOf(MODEL)[3] == chain[tx.block_number].timestamp  # the delay runs from here


def test_the_relay_is_fixed_at_construction(anchored_registry, relay):
    assert anchored_registry.relay() == relay.address
    writable = [
        f["name"] for f in anchored_registry.abi if f.get("type") == "function" and "relay" in f["name"].lower()
    ]
    assert writable == ["relay"]  # a view, and nothing sets it


def test_the_payload_of_another_hash_is_refused(anchored_registry, ledger, relay, admin, alice):
    anchored_registry.register(h("other"), ZERO, h("data"), 9000, URI, {"from": alice})
    block = _anchor(ledger, relay, admin, payloads=(h("other"),))

    with brownie.reverts(err("ModelRegistryPayloadMismatch", MODEL, h("other"))):
        anchored_registry.markAnchored(MODEL, *proof(block, 1), {"from": alice})


def test_a_proof_with_too_few_confirmations_is_refused(anchored_registry, ledger, relay, admin, alice):
    block = _anchor(ledger, relay, admin, on_top=0)  # one confirmation, the relay wants two
    txid = h32(block.txs[1].txid)

    with brownie.reverts(err("LedgerRelayUnproven", txid, h32(block.hash))):
        anchored_registry.markAnchored(MODEL, *proof(block, 1), {"from": alice})


def test_a_tampered_transaction_is_refused(anchored_registry, ledger, relay, admin, alice):
    block = _anchor(ledger, relay, admin, payloads=(h("other"),))
    raw, block_hash, index, branch = proof(block, 1)
    forged = raw[:36] + MODEL[2:] + raw[100:]  # the payload (bytes 17..48) swapped for the model's

    with brownie.reverts():
        anchored_registry.markAnchored(MODEL, forged, block_hash, index, branch, {"from": alice})
    assert anchored_registry.anchorOf(MODEL)[0] == ZERO


def test_a_tampered_branch_is_refused(anchored_registry, ledger, relay, admin, alice):
    block = _anchor(ledger, relay, admin)
    raw, block_hash, index, branch = proof(block, 1)
    branch[0] = h32(bytes(32))

    with brownie.reverts(err("LedgerRelayUnproven", h32(block.txs[1].txid), h32(block.hash))):
        anchored_registry.markAnchored(MODEL, raw, block_hash, index, branch, {"from": alice})


def test_an_unregistered_model_cannot_be_marked(anchored_registry, ledger, relay, admin, alice):
    block = _anchor(ledger, relay, admin, payloads=(h("stranger"),))

    with brownie.reverts(err("ModelRegistryUnknownModel", h("stranger"))):
        anchored_registry.markAnchored(h("stranger"), *proof(block, 1), {"from": alice})


def test_re_marking_to_a_later_block_is_refused(anchored_registry, ledger, relay, admin, alice):
    first = _anchor(ledger, relay, admin)
    later = _anchor(ledger, relay, admin)
    anchored_registry.markAnchored(MODEL, *proof(first, 1), {"from": alice})
    height = ledger.chain.get(first.hash).height

    with brownie.reverts(err("ModelRegistryAnchorNotStronger", MODEL, height, height + 2)):
        anchored_registry.markAnchored(MODEL, *proof(later, 1), {"from": alice})
    with brownie.reverts(err("ModelRegistryAnchorNotStronger", MODEL, height, height)):
        anchored_registry.markAnchored(MODEL, *proof(first, 1), {"from": alice})  # the same again


def test_re_marking_to_an_earlier_block_is_allowed(anchored_registry, ledger, relay, admin, alice):
    first = _anchor(ledger, relay, admin)
    later = _anchor(ledger, relay, admin)
    anchored_registry.markAnchored(MODEL, *proof(later, 1), {"from": alice})

    anchored_registry.markAnchored(MODEL, *proof(first, 1), {"from": alice})

    assert anchored_registry.anchorOf(MODEL)[0] == h32(first.hash)


def test_re_marking_is_allowed_once_the_recorded_block_left_the_main_chain(
    anchored_registry, ledger, relay, admin, alice
):
    fork = ledger.chain.tip()
    old = _anchor(ledger, relay, admin)  # height fork+1, one block on top
    marked = anchored_registry.markAnchored(MODEL, *proof(old, 1), {"from": alice})
    _delay(anchored_registry)  # final: only its account re-marks it now
    # A heavier branch from the fork, anchoring the model again higher up: the ledger reorganises.
    side = ledger.mine(2, parent=fork, tag=7)
    ledger.nonce = 0  # the old anchor's transaction is not on this branch
    new = ledger.anchor([MODEL], parent=ledger.chain.get(side[-1].hash))
    ledger.mine(1, parent=ledger.chain.get(new.hash))
    for block in [*side, new]:
        if not ledger.chain.get(block.hash).has_data:
            ledger.chain.add_block(block)
    ledger.relay_to(relay, admin)
    assert relay.confirmations(h32(old.hash)) == 0

    anchored_registry.markAnchored(MODEL, *proof(new, 1), {"from": alice})

    assert anchored_registry.anchorOf(MODEL)[0] == h32(new.hash)
    # The same account's anchor mined again elsewhere keeps the record's finality.
    assert anchored_registry.anchorOf(MODEL)[3] == chain[marked.block_number].timestamp
    assert anchored_registry.anchorStatus(MODEL)[4]


def test_a_registry_without_a_relay_refuses_to_mark(registry, ledger, relay, admin, alice):
    registry.register(MODEL, ZERO, h("data"), 9000, URI, {"from": alice})
    block = _anchor(ledger, relay, admin)

    assert registry.relay() == ZERO_ADDRESS
    with brownie.reverts(err("ModelRegistryNoRelay")):
        registry.markAnchored(MODEL, *proof(block, 1), {"from": alice})


def _deliver(ledger, blocks):
    """Bodies that could not win when they arrived are offered again (a node's have-data rule)."""
    for block in blocks:
        if not ledger.chain.get(block.hash).has_data:
            ledger.chain.add_block(block)


def test_a_reorganiser_is_never_credited_with_a_final_anchor(anchored_registry, ledger, relay, admin, alice, bob):
    ledger.fund_key(REORGANISER_KEY)
    fork = ledger.chain.tip()
    ledger.mine(1)
    honest = _anchor(ledger, relay, admin)  # Alice's anchor at fork + 2, one block on top
    anchored_registry.markAnchored(MODEL, *proof(honest, 1), {"from": alice})
    _delay(anchored_registry)  # it stayed on the main chain for the whole delay: final
    # Bob's heavier branch from the fork holds his own anchor of the (public) hash, lower down.
    theirs = ledger.anchor([MODEL], parent=fork, key=REORGANISER_KEY)
    side = ledger.mine(3, parent=ledger.chain.get(theirs.hash), tag=7)
    _deliver(ledger, [theirs, *side])
    ledger.relay_to(relay, admin)
    assert relay.confirmations(h32(honest.hash)) == 0 and relay.confirmations(h32(theirs.hash)) == 4

    with brownie.reverts(err("ModelRegistryAnchorHeld", MODEL, ANCHORER)):
        anchored_registry.markAnchored(MODEL, *proof(theirs, 1), {"from": bob})

    anchor, confirmations, work, proven, final = anchored_registry.anchorStatus(MODEL)
    assert list(anchor)[:3] == [h32(honest.hash), ANCHORER, fork.height + 2]
    assert (confirmations, work, proven, final) == (0, 0, False, True)  # read live: final, but unproven now


def _bob_reorganises_and_marks_first(registry, ledger, relay, admin, bob):
    """Alice's anchor (fork + 2) is relayed, unmarked; Bob's heavier branch from the fork holds his
    anchor of the (public) hash and he marks it. Returns Alice's block, her chain's top and the fork."""
    ledger.fund_key(REORGANISER_KEY)
    fork = ledger.chain.tip()
    ledger.mine(1)
    honest = ledger.anchor([MODEL])
    (top,) = ledger.mine(1)
    ledger.relay_to(relay, admin)
    theirs = ledger.anchor([MODEL], parent=fork, key=REORGANISER_KEY)
    side = ledger.mine(3, parent=ledger.chain.get(theirs.hash), tag=7)
    _deliver(ledger, [theirs, *side])
    ledger.relay_to(relay, admin)
    registry.markAnchored(MODEL, *proof(theirs, 1), {"from": bob})
    assert relay.confirmations(h32(honest.hash)) == 0
    return honest, top, fork


def _honest_chain_returns(ledger, relay, admin, top):
    back = ledger.mine(3, parent=ledger.chain.get(top.hash))
    _deliver(ledger, back)
    ledger.relay_to(relay, admin)


def test_a_reorganiser_cannot_take_a_final_record_by_moving_it_onto_his_branch_first(
    anchored_registry, ledger, relay, admin, alice, bob
):
    # Two steps, each allowed alone: re-mark Alice's final record with her own anchor mined again on
    # Bob's branch (her account: allowed once her block left), then undercut it there with Bob's
    # lower anchor (an earlier anchor on the same chain). Final means no other account, ever.
    ledger.fund_key(REORGANISER_KEY)
    fork = ledger.chain.tip()
    ledger.mine(1)
    nonce = ledger.nonce
    honest = _anchor(ledger, relay, admin)  # Alice's anchor at fork + 2, one block on top
    anchored_registry.markAnchored(MODEL, *proof(honest, 1), {"from": alice})
    _delay(anchored_registry)
    theirs = ledger.anchor([MODEL], parent=fork, key=REORGANISER_KEY)  # fork + 1
    ledger.nonce = nonce  # Alice's transaction, mined again on Bob's branch at fork + 2
    again = ledger.anchor([MODEL], parent=ledger.chain.get(theirs.hash))
    side = ledger.mine(3, parent=ledger.chain.get(again.hash), tag=7)
    _deliver(ledger, [theirs, again, *side])
    ledger.relay_to(relay, admin)
    anchored_registry.markAnchored(MODEL, *proof(again, 1), {"from": bob})  # her account: allowed

    with brownie.reverts(err("ModelRegistryAnchorHeld", MODEL, ANCHORER)):
        anchored_registry.markAnchored(MODEL, *proof(theirs, 1), {"from": bob})
    assert anchored_registry.anchorOf(MODEL)[:2] == [h32(again.hash), ANCHORER]


def test_a_reorganiser_who_marks_first_loses_the_record_when_the_honest_chain_returns(
    anchored_registry, ledger, relay, admin, alice, bob
):
    honest, top, fork = _bob_reorganises_and_marks_first(anchored_registry, ledger, relay, admin, bob)
    _honest_chain_returns(ledger, relay, admin, top)  # within Bob's delay
    assert relay.confirmations(h32(honest.hash)) == 5

    tx = anchored_registry.markAnchored(MODEL, *proof(honest, 1), {"from": alice})

    marked_at = chain[tx.block_number].timestamp  # Alice's delay starts now: Bob's is not inherited
    assert list(anchored_registry.anchorOf(MODEL)) == [h32(honest.hash), ANCHORER, fork.height + 2, marked_at]
    assert list(anchored_registry.anchorStatus(MODEL))[3:] == [True, False]  # proven, Alice's, not final yet


def test_a_reorganiser_who_held_the_heaviest_chain_for_the_whole_delay_keeps_the_record(
    anchored_registry, ledger, relay, admin, alice, bob
):
    # What the rule cannot do: the majority-of-work assumption, stated as a test. Bob's branch was the
    # relay's main chain for the whole delay (nobody could replace his record), so it is final.
    honest, top, _ = _bob_reorganises_and_marks_first(anchored_registry, ledger, relay, admin, bob)
    _delay(anchored_registry)
    _honest_chain_returns(ledger, relay, admin, top)

    with brownie.reverts(err("ModelRegistryAnchorHeld", MODEL, "0x" + address_of(REORGANISER_KEY).hex())):
        anchored_registry.markAnchored(MODEL, *proof(honest, 1), {"from": alice})
    assert list(anchored_registry.anchorStatus(MODEL))[3:] == [False, True]  # final, and unproven: read live


def test_a_reorganiser_who_marks_during_the_delay_loses_the_record_when_the_honest_chain_returns(
    anchored_registry, ledger, relay, admin, alice, bob
):
    ledger.fund_key(REORGANISER_KEY)
    fork = ledger.chain.tip()
    ledger.mine(1)
    honest = ledger.anchor([MODEL])
    (top,) = ledger.mine(1)
    ledger.relay_to(relay, admin)
    anchored_registry.markAnchored(MODEL, *proof(honest, 1), {"from": alice})  # Alice's delay runs
    # Bob out-mines the honest chain for a moment and marks his own anchor over her pending record.
    theirs = ledger.anchor([MODEL], parent=fork, key=REORGANISER_KEY)
    side = ledger.mine(3, parent=ledger.chain.get(theirs.hash), tag=7)
    _deliver(ledger, [theirs, *side])
    ledger.relay_to(relay, admin)
    anchored_registry.markAnchored(MODEL, *proof(theirs, 1), {"from": bob})
    assert anchored_registry.anchorOf(MODEL)[1] == "0x" + address_of(REORGANISER_KEY).hex()

    _honest_chain_returns(ledger, relay, admin, top)
    anchored_registry.markAnchored(MODEL, *proof(honest, 1), {"from": alice})
    _delay(anchored_registry)

    assert list(anchored_registry.anchorOf(MODEL))[:3] == [h32(honest.hash), ANCHORER, fork.height + 2]
    assert list(anchored_registry.anchorStatus(MODEL))[3:] == [True, True]  # Alice's, proven and final


def test_a_pending_record_on_the_main_chain_is_not_replaced_by_a_later_anchor(
    anchored_registry, ledger, relay, admin, alice, bob
):
    # Front-running a mark with a later anchor of the public hash gains nothing: an earlier anchor
    # on the same chain replaces it, and a later one never replaces a record whose block holds.
    ledger.fund_key(REORGANISER_KEY)
    first = _anchor(ledger, relay, admin)
    later = ledger.anchor([MODEL], key=REORGANISER_KEY)
    ledger.mine(1)
    ledger.relay_to(relay, admin)
    anchored_registry.markAnchored(MODEL, *proof(later, 1), {"from": bob})  # Bob front-runs Alice

    anchored_registry.markAnchored(MODEL, *proof(first, 1), {"from": alice})
    height = ledger.chain.get(first.hash).height

    assert list(anchored_registry.anchorOf(MODEL))[:2] == [h32(first.hash), ANCHORER]
    with brownie.reverts(err("ModelRegistryAnchorNotStronger", MODEL, height, height + 2)):
        anchored_registry.markAnchored(MODEL, *proof(later, 1), {"from": bob})  # pending, but on the main chain


def test_an_anchor_reads_proven_again_when_its_chain_returns(anchored_registry, ledger, relay, admin, alice):
    fork = ledger.chain.tip()
    honest = ledger.anchor([MODEL])
    (top,) = ledger.mine(1)
    ledger.relay_to(relay, admin)
    anchored_registry.markAnchored(MODEL, *proof(honest, 1), {"from": alice})
    assert anchored_registry.anchorStatus(MODEL)[3]
    side = ledger.mine(3, parent=fork, tag=7)
    _deliver(ledger, side)
    ledger.relay_to(relay, admin)
    assert not anchored_registry.anchorStatus(MODEL)[3]

    back = ledger.mine(3, parent=ledger.chain.get(top.hash))
    _deliver(ledger, back)
    ledger.relay_to(relay, admin)

    _, confirmations, work, proven, _ = anchored_registry.anchorStatus(MODEL)
    assert proven and confirmations == 5
    assert work == relay.confirmationWork(h32(honest.hash)) == 5 * relay.confirmationWork(h32(back[-1].hash))

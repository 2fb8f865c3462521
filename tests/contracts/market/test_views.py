import brownie
from brownie import web3
from errors import err
from eth_abi import encode
from hashes import h
from market_helpers import at_time, job_times, post, sealed


def test_phases_follow_the_clock(market, requester):
    job_id, _ = post(market, requester)
    commit, reveal, attest = job_times(market, job_id)
    seen = [market.phase(job_id)]
    for t in (commit, reveal, attest):
        at_time(t)
        brownie.chain.mine()
        seen.append(market.phase(job_id))

    assert seen == [0, 1, 2, 3]  # Open, Revealing, Attesting, Finalizable


def test_a_finalized_job_shows_finalized(market, requester):
    job_id, _ = post(market, requester)
    at_time(job_times(market, job_id)[2])
    market.finalize(job_id, {"from": requester})

    assert market.phase(job_id) == 4


def test_phase_of_an_unknown_job_reverts(market):
    with brownie.reverts(err("TrainingMarketUnknownJob", 1)):
        market.phase(1)


def test_job_of_an_unknown_job_reverts(market):
    with brownie.reverts(err("TrainingMarketUnknownJob", 1)):
        market.job(1)


def test_the_python_commitment_equals_the_contracts(market, alice):
    # Known answer: the contract's own commitmentOf is the reference.
    expected = market.commitmentOf(7, alice, h("model"), 8123, h("salt"))

    assert sealed(7, alice, 8123, model=h("model"), salt=h("salt")) == expected


def test_the_commitment_is_keccak_of_the_abi_encoding(market, alice):
    packed = encode(
        ["uint256", "address", "bytes32", "uint16", "bytes32"],
        [7, alice.address, bytes.fromhex(h("m")[2:]), 1, bytes.fromhex(h("s")[2:])],
    )

    assert market.commitmentOf(7, alice, h("m"), 1, h("s")) == "0x" + web3.keccak(packed).hex().removeprefix("0x")


def test_configuration_views(market, market_registry):
    assert (market.registry(), market.quorum(), market.toleranceBps(), market.feeBps()) == (
        market_registry,
        2,
        100,
        500,
    )
    assert (market.MAX_SUBMISSIONS(), market.MAX_VALIDATORS(), market.minBond()) == (16, 15, 10**18)


def test_attestations_of_an_unrevealed_submission_are_empty(market, alice):
    assert list(market.attestations(1, alice)) == []

import brownie
from brownie import web3
from errors import err
from eth_abi import encode
from hashes import h
from market_helpers import at_time, eval_seal, finalize, job_times, lens_of, post, sealed


def test_phases_follow_the_clock(market, requester):
    job_id, _ = post(market, requester)
    seen = [lens_of(market).phase(job_id)]
    for t in job_times(market, job_id):
        at_time(t)
        brownie.chain.mine()
        seen.append(lens_of(market).phase(job_id))

    assert seen == [0, 1, 2, 3, 6]  # Open, Revealing, Attesting, Settling, Finalizable (no appeal: no vote)


def test_a_finalized_job_shows_finalized(market, requester):
    job_id, _ = post(market, requester)
    at_time(job_times(market, job_id)[3])
    finalize(market, job_id, requester)

    assert lens_of(market).phase(job_id) == 7  # Finalized


def test_phase_of_an_unknown_job_reverts(market):
    with brownie.reverts(err("TrainingMarketUnknownJob", 1)):
        lens_of(market).phase(1)


def test_job_of_an_unknown_job_reverts(market):
    with brownie.reverts(err("TrainingMarketUnknownJob", 1)):
        market.job(1)


def test_the_python_commitment_equals_the_contracts(market, alice):
    # Known answer: the contract's own commitmentOf is the reference.
    expected = lens_of(market).commitmentOf(7, alice, h("model"), 8123, h("salt"))

    assert sealed(7, alice, 8123, model=h("model"), salt=h("salt")) == expected


def test_the_commitment_is_keccak_of_the_abi_encoding(market, alice):
    packed = encode(
        ["uint256", "address", "bytes32", "uint16", "bytes32"],
        [7, alice.address, bytes.fromhex(h("m")[2:]), 1, bytes.fromhex(h("s")[2:])],
    )

    assert lens_of(market).commitmentOf(7, alice, h("m"), 1, h("s")) == "0x" + web3.keccak(packed).hex().removeprefix(
        "0x"
    )


def test_configuration_views(market, market_registry):
    assert (market.registry(), market.MAX_SUBMISSIONS(), market.minBond()) == (market_registry, 16, 10**18)


def test_the_python_evaluation_seal_equals_the_contracts(market):
    assert lens_of(market).evaluationSealOf(h("eval"), h("eval-salt")) == eval_seal()

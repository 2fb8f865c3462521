"""The explorer's read views and command without a browser: a settled job on anvil, read
through Flask's test client, and the command's one-line errors."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from explorer_scenario import EVAL, HONEST_CLAIM, HONEST_MODEL, HOSTILE_URI, REWARD, STAKE, MarketScenario, warp
from flask.testing import FlaskClient

from offchain.cli import main
from offchain.eth.localchain import start_anvil
from offchain.eth.market import deposit_of
from offchain.explorer.app import Sources, create_app
from offchain.explorer.market_records import CREDIT_KINDS
from offchain.explorer.showcase import show_explorer
from offchain.ports import free_port

Settled = tuple[MarketScenario, FlaskClient]


@pytest.fixture(scope="module")
def settled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MarketScenario, FlaskClient]]:
    chain = start_anvil()
    try:
        scenario = MarketScenario(chain.url, tmp_path_factory.mktemp("deployments"))
        scenario.setup()
        scenario.post_job()
        scenario.commit_all()
        scenario.reveal()
        scenario.attest()
        scenario.reveal_attestations()
        scenario.finalize()
        app = create_app(Sources(rpc=chain.url, deployment=scenario.deployment))
        yield scenario, app.test_client()
    finally:
        chain.stop()


def test_each_validators_pay_and_slash_add_up_to_the_settled_totals(settled: Settled) -> None:
    scenario, client = settled
    view = client.application.extensions["explorer"].market
    final = scenario.market.finalized_event(scenario.job_id)
    assert final is not None

    def total(v: object, what: str) -> int:
        return sum(r.amount for r in view.account(v.address).history if r.what == what)  # type: ignore[attr-defined]

    pay = [total(v, "validator fee") for v in scenario.validators]
    slashed = [-total(v, "bond slashed") for v in scenario.validators]

    assert sum(pay) == final.validator_pay > 0
    assert sum(slashed) == final.validator_slashed > 0
    assert slashed == [0, 0, final.validator_slashed]  # only the lazy validator
    assert [scenario.market.validator(v.address).bond for v in scenario.validators] == [
        10**18,
        10**18,
        10**18 - final.validator_slashed,
    ]


def test_every_account_history_matches_what_the_market_credited(settled: Settled) -> None:
    scenario, client = settled
    view = client.application.extensions["explorer"].market

    for who in (scenario.requester, *scenario.validators):
        account = view.account(who.address)
        credited = sum(r.amount for r in account.history if r.what in CREDIT_KINDS)

        assert credited == scenario.market.pending(who.address), who.address
        # Every validator earned fees; this requester is owed its deposit back and nothing more:
        # what its jobs slashed or forfeited is burned, never its (issue 20; v2 credited it the
        # slashed stakes).
        assert credited > 0 if who != scenario.requester else credited == deposit_of(REWARD), who.address


def test_every_workers_owed_rows_match_what_claim_pays(settled: Settled) -> None:
    scenario, client = settled
    job = client.application.extensions["explorer"].market.job(scenario.job_id)
    paid = {s.worker: s.payout for s in scenario.market.submissions(scenario.job_id)}

    for sub in job.submissions:
        owed = sum(amount for _, amount in sub.owed if amount > 0)
        if sub.claimed is not None:  # the winner claimed: the view's payout is zero since
            assert owed == sub.claimed == STAKE + REWARD - REWARD * 500 // 10_000, sub.worker  # stake + prize
        else:
            assert owed == paid[sub.worker] == 0, sub.worker


def test_the_job_page_escapes_a_hostile_uri(settled: Settled) -> None:
    scenario, client = settled

    answer = client.get(f"/jobs/{scenario.job_id}")
    html = answer.get_data(as_text=True)

    assert answer.status_code == 200
    assert "<script>window.__xss" not in html
    assert "&lt;script&gt;window.__xss = 1&lt;/script&gt;" in html
    assert "<b>eval</b>" not in html and "&lt;b&gt;eval&lt;/b&gt;" in html  # the evaluation set's URI
    assert HOSTILE_URI.startswith("http://")
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]


def test_the_jobs_list_derives_the_same_phase_as_the_contract(settled: Settled) -> None:
    scenario, client = settled
    view = client.application.extensions["explorer"].market

    rows, total = view.jobs(view.now())

    assert total == 1
    assert rows[0].phase == scenario.market.phase(scenario.job_id).name.lower() == "finalized"
    assert rows[0].winner == scenario.honest.address and rows[0].submissions == 3


def test_the_accounts_list_names_the_jobs_requester_workers_and_committee_a_page_at_a_time(settled: Settled) -> None:
    scenario, client = settled
    view = client.application.extensions["explorer"].market
    drawn = scenario.market.committee_drawn(scenario.job_id)
    assert drawn is not None

    first = client.get("/accounts").get_data(as_text=True)
    past = client.get("/accounts?page=1").get_data(as_text=True)

    workers = [scenario.honest, scenario.overclaimer, scenario.silent]
    named = [scenario.requester.address, *(w.address for w in workers)]
    assert view.accounts(0) == ([*named, *dict.fromkeys(drawn.seats)], 1)
    assert all(a in first for a in named) and "next</a>" not in first
    assert "1 job, none past this page" in past and scenario.requester.address not in past


def test_an_unknown_job_is_not_found_not_an_outage(settled: Settled) -> None:
    _, client = settled

    answer = client.get("/jobs/999")

    assert answer.status_code == 404
    assert client.get("/api/status").get_json()["chain"]["ok"] is True


def test_the_partial_answer_is_only_the_main_block(settled: Settled) -> None:
    scenario, client = settled

    html = client.get(f"/jobs/{scenario.job_id}", headers={"X-Explorer-Partial": "1"}).get_data(as_text=True)

    assert "<html" not in html and 'id="phase"' in html


def test_no_ledger_node_is_a_page_that_says_how_to_add_one(settled: Settled) -> None:
    _, client = settled

    answer = client.get("/ledger")

    assert answer.status_code == 404 and "--ledger URL" in answer.get_data(as_text=True)


def test_the_command_serves_the_pages_and_prints_its_url(settled: Settled) -> None:
    scenario, _ = settled
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "offchain",
        "explorer",
        "--rpc",
        scenario.rpc,
        "--deployments",
        str(scenario.deployments),
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/jobs/{scenario.job_id}", timeout=10) as answer:
            html = answer.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert line.startswith(f"explorer: http://127.0.0.1:{port}")
    assert 'id="phase"' in html and "finalized" in html


def test_the_demo_step_saves_both_screenshots_and_stores_the_winners_card(settled: Settled, tmp_path: Path) -> None:
    scenario, _ = settled
    card = tmp_path / "honest" / "job-1" / "model" / "model.json"
    card.parent.mkdir(parents=True)
    card.write_text(json.dumps({"fingerprint": HONEST_MODEL.hex(), "metrics": {"epochs": []}}))
    lines: list[str] = []

    shots = show_explorer(scenario.rpc, scenario.deployment, scenario.job_id, HONEST_MODEL, tmp_path, lines.append)

    assert [p.name for p in shots] == ["explorer-job.png", "explorer-lineage.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in shots)
    assert any(line.startswith("explorer: http://127.0.0.1:") for line in lines)
    assert (tmp_path / "store" / hashlib.sha256(card.read_bytes()).hexdigest()).is_file()


def test_an_unreachable_chain_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explorer", "--rpc", f"http://127.0.0.1:{free_port()}", "--port", "0"])

    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "cannot reach the Ethereum RPC" in err


def test_a_bad_port_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["explorer", "--rpc", "http://127.0.0.1:1", "--port", "70000"])

    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--port" in err


def test_a_forfeited_job_shows_the_unrevealed_set_and_the_revealed_workers_share(settled: Settled) -> None:
    # Last in this module: it posts a second job on the shared chain.
    scenario, client = settled
    job_id = scenario.forfeit_job()
    view = client.application.extensions["explorer"].market

    job = view.job(job_id)
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    requester = view.account(scenario.requester.address)
    final = scenario.market.finalized_event(job_id)

    assert job is not None and job.settlement is not None and final is not None
    assert job.evaluation.forfeited and job.evaluation.evaluation_set is None
    assert job.evaluation.forfeit_cause == "the requester never revealed the evaluation set"
    assert "never revealed (seal" in html and "failure: the requester never revealed the evaluation set" in html
    outcomes = {s.worker: (s.outcome, s.owed) for s in job.submissions}
    assert outcomes[scenario.honest.address] == (
        "forfeited",
        [("stake returned", STAKE), ("forfeit share", REWARD + 2 * STAKE)],
    )
    assert outcomes[scenario.silent.address] == ("unrevealed", [("stake slashed", -STAKE)])
    assert final.prize == REWARD + 2 * STAKE and final.validator_pay == final.validator_slashed == 0
    assert job.committee is not None and all(c.pay is None and c.slashed is None for c in job.committee)
    assert "bond slashed" not in html
    assert sum(r.amount for r in requester.history if r.what in CREDIT_KINDS) == scenario.market.pending(
        scenario.requester.address
    )


def test_a_set_the_committee_attested_unavailable_is_the_requesters_failure_not_a_slash(settled: Settled) -> None:
    # Before the silent committee's job: it needs two members with a full bond.
    scenario, client = settled
    scenario.post_job()
    scenario.commit_all()
    job_id = scenario.unavailable_job()
    view = client.application.extensions["explorer"].market

    job = view.job(job_id)
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    member = view.account(scenario.validators[0].address)

    assert job is not None and job.committee is not None and job.settlement is not None
    assert job.evaluation.forfeited and job.evaluation.evaluation_set is not None
    # Seats by bond: the first measuring validator holds two of the three seats (scenario.two_and_one).
    assert job.evaluation.forfeit_cause == "3 of 3 committee seats attested the evaluation set unavailable"
    assert "failure: 3 of 3 committee seats attested the evaluation set unavailable" in html
    assert [s.outcome for s in job.submissions[:2]] == ["forfeited", "forfeited"]
    first, second = (v.address for v in scenario.validators[:2])
    assert sorted(c.validator or "" for c in job.committee if c.unavailable) == sorted([first, first, second])
    assert all(a.unavailable for s in job.submissions[:2] for a in s.attestations)
    # 2 submissions x 3 seats, the 3 committee rows, and the cause
    assert html.count("attested the evaluation set unavailable") == 2 * 3 + 3 + 1
    assert "bond slashed" not in html  # v2's page: "missing: bond slashed" on every seat
    assert any(r.what == "attested the evaluation set unavailable" and r.job_id == job_id for r in member.history)


def test_silent_members_are_slashed_from_their_bonds_as_they_stood_before_finalize(settled: Settled) -> None:
    # Two members slashed on one job: each seat shows what finalize took from its bond.
    scenario, client = settled
    before = [scenario.market.validator(v.address).bond for v in scenario.validators[:2]]
    job_id = scenario.silent_committee_job()
    view = client.application.extensions["explorer"].market

    job = view.job(job_id)
    final = scenario.market.finalized_event(job_id)
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)

    assert job is not None and job.committee is not None and job.settlement is not None and final is not None
    # Seats by bond: the first measuring validator holds two seats, the second one (scenario.two_and_one).
    first, second = scenario.validators[:2]
    assert sorted(c.validator or "" for c in job.committee) == sorted([first.address, first.address, second.address])
    # Each seat slashes two missing attestations, a fifth of what its member's earlier seats left.
    slashed = sorted((c.validator == first.address, c.slashed) for c in job.committee)
    assert slashed == sorted(
        [(True, before[0] // 5), (True, (before[0] - before[0] // 5) // 5), (False, before[1] // 5)]
    )
    assert sum(s for _, s in slashed) == final.validator_slashed
    assert all(c.pay == 0 and c.seal is None for c in job.committee if c.validator)
    assert [s.outcome for s in job.submissions] == ["unverified", "unverified", "unrevealed"]
    assert html.count("missing: bond slashed") == 2 * 3 and ">empty<" not in html
    st = job.settlement
    # Nobody earned the pool: the fee comes back to the requester with the unwon reward and its
    # deposit; the forfeits, the slashed stake and the slashed bonds are burned, never the
    # requester's (issue 20).
    assert (st.forfeits, st.stakes_slashed, st.refund) == (2 * (STAKE // 10), STAKE, REWARD + deposit_of(REWARD))
    assert st.burned == st.forfeits + st.stakes_slashed + final.validator_slashed and final.validator_pay == 0


def test_a_committee_drawn_below_the_quorum_says_so(settled: Settled) -> None:
    # Last: after the silent job no member keeps the minimum bond, so no committee can be drawn.
    scenario, client = settled
    job_id = scenario.post_job()
    scenario.commit_all()
    warp(scenario.admin, scenario.deadlines[0])
    scenario.market.as_sender(scenario.honest).reveal(
        job_id, HONEST_MODEL, HONEST_CLAIM, scenario.salts[scenario.honest.address], "file:///m"
    )
    scenario.market.as_sender(scenario.requester).reveal_evaluation(job_id, EVAL, scenario.eval_salt, "file:///e")
    warp(scenario.admin, scenario.deadlines[3])
    scenario.market.finalize(job_id)
    view = client.application.extensions["explorer"].market

    job = view.job(job_id)
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)

    assert job is not None and job.evaluation.forfeited and job.evaluation.evaluation_set is not None
    assert job.evaluation.forfeit_cause == "the committee was drawn below the quorum (0 of 2 seats)"
    assert "drawn below the quorum" in html and "bond slashed" not in html

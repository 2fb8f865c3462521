"""The explorer in a real headless Chromium, against a local anvil chain and a ledger node.

One job goes through its phases while a browser watches (explorer_scenario.py drives it);
the tests read what a person sees: the phase and its countdown, the winner and the slashed
workers, the lineage edge, script-bearing URIs shown as text, the outage banners coming and
going, and the job page's load time with 200 jobs on the chain against 1.

The tests of this module share one chain and run in file order: each one moves the job a
step further (pytest keeps the order of a module's tests).
Chromium and its driver are Debian's packages; `make test` installs them (`make browser`).
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from explorer_scenario import (
    BASE,
    EVAL,
    EVAL_URI,
    HONEST_MODEL,
    HONEST_URI,
    HOSTILE_URI,
    MarketScenario,
)
from netproxy import TcpRelay
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from offchain.eth.client import connect
from offchain.eth.deployments import Deployment, load_deployment
from offchain.eth.localchain import CHAIN_ID, LocalChain, start_anvil
from offchain.eth.relay import RelayClient
from offchain.explorer.app import Sources
from offchain.explorer.server import RunningExplorer, start_explorer
from offchain.ledger import api
from offchain.ledger.block import BlockHeader
from offchain.ledger.chain import Chain
from offchain.ledger.node import Node
from offchain.ledger.params import chain_params
from offchain.roles.relayer import Relayer

CHROMIUM, DRIVER = "chromium", "chromedriver"
WAIT_S = 10.0  # the page polls every second; a change shows within a few
PAGE_BUDGET_MS = 300.0
RATIO_BUDGET = 3.0
LOADS = 5  # page loads per timing; the median is compared


@dataclass
class World:
    scenario: MarketScenario
    explorer: RunningExplorer
    browser: WebDriver
    relay: TcpRelay
    ledger_dir: Path
    node: Node
    anchor_txid: str

    def open(self, path: str) -> None:
        self.browser.get(self.explorer.url + path)

    def text(self, css: str) -> str:
        """The element's text; the live refresh may swap the element between find and read."""
        for _ in range(3):
            try:
                return str(self.browser.find_element(By.CSS_SELECTOR, css).text)
            except StaleElementReferenceException:
                continue
        return str(self.browser.find_element(By.CSS_SELECTOR, css).text)

    def wait(self, what: str, check: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT_S
        while not _holds(check):
            if time.monotonic() > deadline:
                raise AssertionError(f"not seen within {WAIT_S:.0f} s: {what}")
            time.sleep(0.2)


def _holds(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except (StaleElementReferenceException, NoSuchElementException):
        return False  # the page is being swapped: look again


def _browser() -> WebDriver:
    binary, driver = shutil.which(CHROMIUM), shutil.which(DRIVER)
    if binary is None or driver is None:
        pytest.fail("chromium and chromedriver are not installed: run `make browser` (Debian packages)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--disable-extensions",
        "--no-first-run",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    chain: LocalChain = start_anvil()
    relay = TcpRelay(chain.port)  # the explorer reaches the chain through it, so it can be cut
    tmp = tmp_path_factory.mktemp("explorer")
    ledger_dir = tmp / "ledger"
    api.init_chain(ledger_dir)
    api.fund(ledger_dir, processes=0)  # an anchor pays a fee: the first coinbase must mature
    anchor_txid = api.anchor(ledger_dir, bytes(HONEST_MODEL), "model")
    api.mine(ledger_dir, 3, processes=0)
    node = Node(Chain.open(ledger_dir)).start()
    store = tmp / "artifacts"
    store.mkdir()
    _store_card(store)
    scenario = MarketScenario(chain.url, tmp / "deployments")
    scenario.setup()
    deployment = _relay_the_ledger(chain.url, tmp / "deployments", node.url)
    sources = Sources(rpc=relay.url, deployment=deployment, ledger=node.url, artifacts=[store])
    explorer = start_explorer(sources)
    browser = _browser()
    try:
        yield World(scenario, explorer, browser, relay, ledger_dir, node, anchor_txid)
    finally:
        browser.quit()
        explorer.stop()
        node.stop()
        chain.stop()


def _relay_the_ledger(rpc: str, deployments: Path, ledger: str) -> Deployment:
    """The market's LedgerRelay (deploy_all's, from the devnet's genesis), brought up to the node's tip."""
    deployment = load_deployment(CHAIN_ID, deployments)
    client = RelayClient(connect(rpc), deployment.contract("LedgerRelay").address)
    genesis = BlockHeader.from_hex(chain_params("devnet").genesis_header_hex)
    Relayer(client, ledger, genesis.hash_hex, log=lambda *a, **k: None).sync_once()
    return deployment


def _store_card(store: Path) -> None:
    """A model card of the winning model, as a training run writes it, put in the store."""
    import hashlib

    epochs = [
        {
            "epoch": e,
            "train_loss": 2.0 / e,
            "train_accuracy_bps": 5000 + 800 * e,
            "eval_loss": 2.2 / e,
            "eval_accuracy_bps": 4800 + 700 * e,
        }
        for e in (1, 2, 3)
    ]
    card = json.dumps({"fingerprint": HONEST_MODEL.hex(), "metrics": {"epochs": epochs}}).encode()
    (store / hashlib.sha256(card).hexdigest()).write_bytes(card)


def _href_hash(value: bytes) -> str:
    return "0x" + value.hex()


def test_an_open_job_shows_its_phase_and_a_running_countdown(world: World) -> None:
    world.scenario.post_job()
    world.scenario.commit_all()

    world.open(f"/jobs/{world.scenario.job_id}")
    first = world.text("#next-deadline .countdown")
    world.wait("the countdown ticking", lambda: world.text("#next-deadline .countdown") != first)

    assert world.text("#phase") == "open"
    assert re.fullmatch(r"commits close in \d+:\d\d", world.text("#next-deadline .countdown"))
    assert len(world.browser.find_elements(By.CSS_SELECTOR, "#submissions tr[data-outcome='pending']")) == 3


def test_the_jobs_list_shows_the_job_with_its_submissions(world: World) -> None:
    world.open("/jobs")

    row = world.text(f"#job-row-{world.scenario.job_id}")

    assert "open" in row and "1.5 ETH" in row
    assert world.text(f"#job-row-{world.scenario.job_id} td:nth-child(6)") == "3"


def test_the_evaluation_set_stays_sealed_and_the_committee_undrawn_while_commits_are_open(world: World) -> None:
    world.open(f"/jobs/{world.scenario.job_id}")

    assert world.text("#evaluation").startswith("sealed 0x")
    assert EVAL.hex()[:8] not in world.text("#evaluation")
    assert "Not drawn yet: 3 seats" in world.text("#committee-pending")


def test_the_job_page_follows_the_phases_without_reloading(world: World) -> None:
    world.open(f"/jobs/{world.scenario.job_id}")
    world.browser.execute_script("window.__sameDocument = true;")
    seen = []

    for step, phase in (
        (world.scenario.reveal, "revealing"),
        (world.scenario.attest, "attesting"),
        (world.scenario.reveal_attestations, "settling"),
        (world.scenario.finalize, "finalized"),
    ):
        step()
        world.wait(f"phase {phase}", lambda p=phase: world.text("#phase") == p)  # type: ignore[misc]
        seen.append(world.text("#phase"))

    assert seen == ["revealing", "attesting", "settling", "finalized"]
    assert world.browser.execute_script("return window.__sameDocument") is True


def test_the_winner_and_the_slashed_workers_are_shown(world: World) -> None:
    s = world.scenario
    world.open(f"/jobs/{s.job_id}")

    outcomes = {
        row.get_attribute("data-worker"): (row.get_attribute("data-outcome"), row.text)
        for row in world.browser.find_elements(By.CSS_SELECTOR, "#submissions tr[data-outcome]")
    }

    assert outcomes[s.honest.address][0] == "won"
    assert outcomes[s.overclaimer.address][0] == "dishonest" and "slashed" in outcomes[s.overclaimer.address][1]
    assert outcomes[s.silent.address][0] == "unrevealed" and "slashed" in outcomes[s.silent.address][1]
    assert s.honest.address[:8] in world.text("#winner")
    assert world.text("#slashed-total") == "0.2 ETH"
    assert len(world.browser.find_elements(By.CSS_SELECTOR, "#submissions tr.attestation")) == 6
    assert "claimed 1.525 ETH" in outcomes[s.honest.address][1]  # stake 0.1 + the reward less the fee
    assert "nothing to claim" in outcomes[s.silent.address][1]


def test_the_evaluation_reveal_is_shown_with_its_uri_as_text(world: World) -> None:
    world.open(f"/jobs/{world.scenario.job_id}")

    evaluation = world.text("#evaluation")

    assert evaluation.startswith("revealed 0x" + EVAL.hex()[:6]) and EVAL_URI in evaluation
    assert not world.browser.find_elements(By.CSS_SELECTOR, "#evaluation b")


def test_the_committee_rows_show_seals_reveals_fees_and_the_lazy_validators_slash(world: World) -> None:
    s = world.scenario
    world.open(f"/jobs/{s.job_id}")

    seats = {
        r.get_attribute("data-validator"): r
        for r in world.browser.find_elements(By.CSS_SELECTOR, "#committee tbody tr")
    }
    lazy_verdicts = [
        r.find_element(By.CSS_SELECTOR, ".verdict").text
        for r in world.browser.find_elements(
            By.CSS_SELECTOR, f"#submissions tr.attestation[data-validator='{s.lazy.address}']"
        )
    ]

    assert set(seats) == {v.address for v in s.validators}
    assert all(r.find_element(By.CSS_SELECTOR, ".seal").text.startswith("0x") for r in seats.values())
    assert all(r.find_element(By.CSS_SELECTOR, ".revealed").text == "revealed" for r in seats.values())
    assert [seats[v.address].find_element(By.CSS_SELECTOR, ".pay").text for v in s.validators] == [
        "0.07 ETH",
        "0.07 ETH",
        "0.035 ETH",
    ]  # (fee 0.075 + the lazy slash 0.1) / 5 good attestations, per good attestation
    assert seats[s.lazy.address].find_element(By.CSS_SELECTOR, ".slash").text == "0.1 ETH"
    assert "0.9 ETH" in seats[s.lazy.address].text  # its bond now
    assert [seats[v.address].find_element(By.CSS_SELECTOR, ".slash").text for v in s.validators[:2]] == ["0 ETH"] * 2
    assert lazy_verdicts == ["within tolerance", "outside tolerance: bond slashed"]
    assert world.text("#bonds-slashed") == "0.1 ETH" and world.text("#validator-pay") == "0.175 ETH"


def test_a_uri_with_a_script_tag_renders_as_text(world: World) -> None:
    s = world.scenario
    world.open(f"/jobs/{s.job_id}")

    cells = [c.text for c in world.browser.find_elements(By.CSS_SELECTOR, "#submissions td.uri")]

    assert HOSTILE_URI in cells and HONEST_URI in cells
    assert world.browser.execute_script("return window.__xss") is None
    assert world.browser.execute_script("return document.scripts.length") == 1  # only explorer.js


def test_the_lineage_page_draws_the_edge_from_the_base_to_the_winner(world: World) -> None:
    world.open("/models")
    base, winner = _href_hash(BASE), _href_hash(HONEST_MODEL)

    edge = f"#lineage line.edge[data-parent='{base}'][data-child='{winner}']"
    edges = world.browser.find_elements(By.CSS_SELECTOR, edge)
    nested = world.browser.find_elements(By.CSS_SELECTOR, f"li[data-model='{base}'] li[data-model='{winner}']")

    assert len(edges) == 1
    assert len(nested) == 1 and f"job #{world.scenario.job_id}" in nested[0].text


def test_the_model_page_shows_fingerprint_revealed_uri_and_curves(world: World) -> None:
    world.open(f"/models/{_href_hash(HONEST_MODEL)}")

    assert world.text("#fingerprint") == _href_hash(HONEST_MODEL)
    assert world.text("#artifact-uri") == HONEST_URI
    assert world.browser.execute_script("return window.__xss") is None
    assert len(world.browser.find_elements(By.CSS_SELECTOR, ".plot polyline")) == 4  # train and eval, twice


def test_validators_show_their_bonds_and_accounts_their_rewards_and_penalties(world: World) -> None:
    s = world.scenario
    world.open("/accounts")
    bonds = [r.text for r in world.browser.find_elements(By.CSS_SELECTOR, "#validators tbody tr")]
    world.open(f"/accounts/{s.overclaimer.address}")
    overclaimer = (world.text("#penalties"), world.text("#history"))
    world.open(f"/accounts/{s.validators[0].address}")
    validator = world.text("#history")
    world.open(f"/accounts/{s.lazy.address}")
    lazy = (world.text("#rewards"), world.text("#penalties"), world.text("#history"), world.text("#bond"))

    assert len(bonds) == 3 and sum("0.9 ETH" in b for b in bonds) == 1 and sum(" 1 ETH" in b for b in bonds) == 2
    assert overclaimer[0] == "0.1 ETH" and "stake slashed" in overclaimer[1]
    assert "validator fee" in validator and "bond posted" in validator
    assert lazy[:2] == ("0.035 ETH", "0.1 ETH") and "bond slashed" in lazy[2] and lazy[3].startswith("0.9 ETH")


def test_the_ledger_pages_show_blocks_anchors_and_a_verified_proof(world: World) -> None:
    tip = int(api.status(world.ledger_dir)["height"])
    anchored_at = int(api.prove(world.ledger_dir, world.anchor_txid)["height"])
    world.open("/ledger")
    rows = world.browser.find_elements(By.CSS_SELECTOR, "#blocks tbody tr")
    heights = [int(r.find_element(By.CSS_SELECTOR, "td").text) for r in rows]
    rows[tip - anchored_at].find_element(By.CSS_SELECTOR, "td:nth-child(2) a").click()
    anchors = [r.text for r in world.browser.find_elements(By.CSS_SELECTOR, "#txs tr.tx-anchor")]
    world.browser.find_element(By.CSS_SELECTOR, "#txs tr.tx-anchor a").click()

    assert heights == list(range(tip, max(tip - 20, -1), -1))
    assert len(anchors) == 1 and HONEST_MODEL.hex() in anchors[0]
    assert world.text("#proof-result").startswith("Proof verified")
    assert f"at height {anchored_at}" in world.text("#proof-result")
    assert f"height {tip}," in _relay_text(world) and "(in step)" in _relay_text(world)


def _relay_text(world: World) -> str:
    world.open("/ledger")
    return world.text("#relay-tip")


def test_a_ledger_outage_shows_a_banner_until_the_node_answers_again(world: World) -> None:
    world.open("/ledger")
    port = int(world.node.url.rsplit(":", 1)[1])

    world.node.stop()
    world.wait("the ledger banner", lambda: world.browser.find_element(By.ID, "banner-ledger").is_displayed())
    world.node = Node(Chain.open(world.ledger_dir), port=port).start()
    world.wait("the ledger banner gone", lambda: not world.browser.find_element(By.ID, "banner-ledger").is_displayed())

    assert len(world.browser.find_elements(By.CSS_SELECTOR, "#blocks tbody tr")) >= 4


def test_a_chain_outage_shows_a_banner_until_the_node_answers_again(world: World) -> None:
    world.open(f"/jobs/{world.scenario.job_id}")
    banner = world.browser.find_element(By.ID, "banner-chain")
    assert not banner.is_displayed()

    cut = threading.Thread(target=world.relay.outage, args=(4.0,))
    cut.start()
    world.wait("the chain banner", lambda: world.browser.find_element(By.ID, "banner-chain").is_displayed())
    cut.join()
    world.wait("the chain banner gone", lambda: not world.browser.find_element(By.ID, "banner-chain").is_displayed())

    assert world.text("#phase") == "finalized"


def _median_load_ms(world: World, path: str) -> float:
    """Median over LOADS loads of the navigation's start to its load event (the browser's
    own clock: request, server render, transfer, parsing, style and script)."""
    times = []
    for _ in range(LOADS):
        world.open(path)
        entry: Any = world.browser.execute_script(
            "const e = performance.getEntriesByType('navigation')[0];"
            "return [e.loadEventEnd - e.startTime, e.responseStart - e.requestStart];"
        )
        times.append((float(entry[0]), float(entry[1])))
    print(f"{path}: load, server ms: {[(round(a), round(b)) for a, b in times]}")
    return statistics.median(t for t, _ in times)


@pytest.mark.timing
def test_the_job_page_loads_as_fast_with_200_jobs_on_the_chain(world: World) -> None:
    if world.scenario.market.job_count() == 0:  # run alone (make test runs timing tests apart)
        world.scenario.post_job()
    path = f"/jobs/{world.scenario.job_id}"
    one_job = _median_load_ms(world, path)

    world.scenario.post_more_jobs(199)
    many_jobs = _median_load_ms(world, path)

    print(
        f"job page, median of {LOADS} loads: 1 job {one_job:.0f} ms, 200 jobs {many_jobs:.0f} ms, "
        f"ratio {many_jobs / one_job:.2f}"
    )
    assert world.scenario.market.job_count() == 200
    assert many_jobs <= PAGE_BUDGET_MS
    assert many_jobs / one_job <= RATIO_BUDGET


def test_the_jobs_list_shows_the_newest_hundred_and_links_to_older_ones(world: World) -> None:
    world.scenario.post_more_jobs(200 - world.scenario.market.job_count())  # none if the timing test ran
    world.open("/jobs")

    newest = _row_ids(world)
    world.browser.find_element(By.LINK_TEXT, "older").click()
    older = _row_ids(world)

    assert len(newest) == 100 and newest[0] == "job-row-200"
    assert len(older) == 100 and older[-1] == "job-row-1"


def _row_ids(world: World) -> list[str]:
    return [str(r.get_attribute("id")) for r in world.browser.find_elements(By.CSS_SELECTOR, "#jobs tbody tr")]

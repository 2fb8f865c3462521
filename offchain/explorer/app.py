"""The explorer's web application: Flask routes over the read views, server-rendered.

Everything shown comes from the chain, the ledger or an artifact store, i.e. from strangers:
templates are Jinja with autoescaping (no `|safe` anywhere), and every answer carries a
Content-Security-Policy that allows only this server's own script and style files, so even
a missed escape could not run an inline script. The one script (static/explorer.js)
polls /api/status, shows a banner while the chain or the ledger node is unreachable, ticks
the countdowns, and refetches the page's main block when the chain moves.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from requests.exceptions import RequestException
from web3 import Web3
from web3.exceptions import ProviderConnectionError

from offchain.eth.client import Client
from offchain.eth.deployments import Deployment
from offchain.eth.errors import InvalidInputError
from offchain.eth.index_middleware import open_index
from offchain.eth.relay import ChainTip, RelayClient
from offchain.eth.values import format_eth, parse_address
from offchain.explorer.artifacts_view import ArtifactsView
from offchain.explorer.ledger_view import LedgerUnavailable, LedgerView
from offchain.explorer.market_view import MAX_LIST, VALIDATORS_PER_PAGE, MarketView
from offchain.explorer.registry_view import RegistryView

RPC_TIMEOUT_S = 2.0  # a page waits at most this long on a dead node before showing the banner
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'"
# What "the node does not answer" looks like; a revert or a malformed answer is a bug to
# see, not an outage to wait out, so it is not caught here.
CHAIN_ERRORS: tuple[type[Exception], ...] = (RequestException, ProviderConnectionError, OSError)
ZERO = "0x" + "00" * 20
STATIC_MAX_AGE_S = 300  # the script and the style sheet: browsers reuse them across pages

T = TypeVar("T")


class ChainUnavailable(Exception):
    """The chain's node did not answer."""


@dataclass
class Health:
    chain_ok: bool = True
    chain_error: str = ""
    head: int = 0
    chain_time: int = 0
    ledger_ok: bool = True
    ledger_error: str = ""
    ledger_height: int | None = None
    checked_at: float = field(default_factory=time.time)

    def as_json(self) -> dict[str, Any]:
        return {
            "chain": {"ok": self.chain_ok, "error": self.chain_error, "head": self.head, "time": self.chain_time},
            "ledger": {"ok": self.ledger_ok, "error": self.ledger_error, "height": self.ledger_height},
            "version": f"{self.head}:{self.ledger_height}",
        }


@dataclass
class Sources:
    """Where the explorer reads from; built once by the command (or a test)."""

    rpc: str
    deployment: Deployment
    ledger: str | None = None
    artifacts: list[Path] = field(default_factory=list)
    index: Path | str | None = None  # an event index (`offchain index`): a file or a postgresql:// URL;
    # None: every read from the node


def chain_client(rpc: str) -> Client:
    """A read-only connection that fails fast: short timeout, no retries (the banner says why)."""
    provider = Web3.HTTPProvider(rpc, request_kwargs={"timeout": RPC_TIMEOUT_S}, exception_retry_configuration=None)
    w3 = Web3(provider)
    # The validation middleware asks the node for its chain id before every eth_call (it
    # checks transactions' chain ids); the explorer sends none, and it halves a page's calls.
    w3.middleware_onion.remove("validation")
    return Client(w3, ZERO)


class Explorer:
    """The read views behind one lock (one web3 connection, shared by the server's threads)."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources
        client = chain_client(sources.rpc)
        self.w3 = client.w3
        if sources.index is not None:
            open_index(self.w3, sources.index)
        market = sources.deployment.contract("TrainingMarket")
        registry = sources.deployment.contract("ModelRegistry")
        self.market = MarketView(
            client, market.address, sources.deployment.contract("MarketLens").address, market.block
        )
        self.registry = RegistryView(client, registry.address, registry.block)
        self.ledger = LedgerView(sources.ledger) if sources.ledger else None
        self.artifacts = ArtifactsView(sources.artifacts)
        relay = sources.deployment.contracts.get("LedgerRelay")
        self.relay = RelayClient(client, relay.address) if relay else None
        self.lock = threading.Lock()
        self.health = Health()

    def read_chain(self, read: Callable[[], T]) -> T:
        """Run `read` against the chain; an unreachable node raises ChainUnavailable."""
        with self.lock:
            try:
                value = read()
            except CHAIN_ERRORS as exc:
                self.health.chain_ok, self.health.chain_error = False, type(exc).__name__
                raise ChainUnavailable(str(exc)) from None
            self.health.chain_ok, self.health.chain_error = True, ""
            return value

    def read_ledger(self, read: Callable[[LedgerView], T]) -> T:
        if self.ledger is None:
            raise LookupError("ledger node (start the explorer with --ledger URL)")
        try:
            value = read(self.ledger)
        except LedgerUnavailable as exc:
            self.health.ledger_ok, self.health.ledger_error = False, str(exc)
            raise
        self.health.ledger_ok, self.health.ledger_error = True, ""
        return value

    def check(self) -> Health:
        """Probe the chain (head and clock) and the ledger node (tip) now."""
        try:
            block = self.read_chain(lambda: self.w3.eth.get_block("latest"))
            self.health.head, self.health.chain_time = int(block["number"]), int(block["timestamp"])
        except ChainUnavailable:
            pass
        if self.ledger is not None:
            try:
                self.health.ledger_height = self.read_ledger(lambda ledger: ledger.tip()).height
            except LedgerUnavailable:
                pass
        self.health.checked_at = time.time()
        return self.health

    def relay_tip(self) -> ChainTip | None:
        relay = self.relay
        if relay is None:
            return None
        return self.read_chain(relay.best_tip)


def create_app(sources: Sources) -> Flask:
    app = Flask(__name__)
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = STATIC_MAX_AGE_S
    explorer = Explorer(sources)
    app.extensions["explorer"] = explorer

    @app.after_request
    def secure(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    @app.errorhandler(ChainUnavailable)
    def chain_down(exc: ChainUnavailable) -> tuple[str, int]:
        return page("unavailable.html", what="the chain", error=str(exc)), 503

    @app.errorhandler(LedgerUnavailable)
    def ledger_down(exc: LedgerUnavailable) -> tuple[str, int]:
        return page("unavailable.html", what="the ledger node", error=str(exc)), 503

    @app.errorhandler(LookupError)
    def not_found(exc: LookupError) -> tuple[str, int]:
        return page("not_found.html", what=str(exc)), 404

    def page(template: str, **context: Any) -> str:
        """Render `template`; for the live refresh (X-Explorer-Partial) only its main block."""
        partial = request.headers.get("X-Explorer-Partial") == "1"
        return render_template(template, partial=partial, health=explorer.health, **context)

    @app.get("/")
    def index() -> Any:
        return redirect(url_for("jobs"))

    @app.get("/api/status")
    def status() -> Response:
        return jsonify(explorer.check().as_json())

    @app.get("/jobs")
    def jobs() -> str:
        page_no = max(request.args.get("page", 0, type=int) or 0, 0)

        def read() -> Any:
            now = explorer.market.now()
            return now, *explorer.market.jobs(now, page_no)

        now, rows, total = explorer.read_chain(read)
        return page("jobs.html", rows=rows, total=total, page_no=page_no, now=now)

    @app.get("/jobs/<int:job_id>")
    def job(job_id: int) -> str:
        view = explorer.read_chain(lambda: explorer.market.job(job_id))
        if view is None:
            raise LookupError(f"job {job_id}")
        spec = explorer.artifacts.spec(view.spec)
        # The training set's anchor proof, verified at post, with the relay's live confirmations.
        provenance = explorer.read_chain(lambda: explorer.market.market.training_set_provenance(job_id, explorer.relay))
        return page("job.html", job=view, spec=spec, now=view.now, provenance=provenance)

    @app.get("/models")
    def models() -> str:
        lineage = explorer.read_chain(explorer.registry.lineage)
        return page("models.html", lineage=lineage)

    @app.get("/models/<model_hash>")
    def model(model_hash: str) -> str:
        wanted = model_hash.lower()

        def read() -> Any:
            found = explorer.registry.model(wanted)
            if found is None or found[0].job_id == 0:
                return found, None
            return found, explorer.market.winner_of(found[0].job_id, wanted)

        found, made_by = explorer.read_chain(read)
        if found is None:
            raise LookupError(f"model {model_hash}")
        node, ancestors, children = found
        # The registry's anchor of the model, read live: unproven once its block left the relay's main chain.
        anchor = explorer.read_chain(lambda: explorer.registry.anchor(node.model_hash, explorer.relay))
        curves = explorer.artifacts.curves(node.model_hash)
        return page(
            "model.html",
            node=node,
            ancestors=ancestors,
            children=children,
            made_by=made_by,
            anchor=anchor,
            curves=curves,
            stores=bool(sources.artifacts),
        )

    @app.get("/accounts")
    def accounts() -> str:
        page_no = max(request.args.get("page", 0, type=int) or 0, 0)
        (validators, total), (addresses, jobs) = explorer.read_chain(
            lambda: (explorer.market.validators(page_no), explorer.market.accounts(page_no))
        )
        return page(
            "accounts.html",
            validators=validators,
            total=total,
            page_no=page_no,
            per_page=VALIDATORS_PER_PAGE,
            addresses=addresses,
            jobs=jobs,
            jobs_per_page=MAX_LIST,
        )

    @app.get("/accounts/<address>")
    def account(address: str) -> str:
        try:
            checked = parse_address(address)
        except InvalidInputError as exc:
            raise LookupError(f"account {address}") from exc
        view = explorer.read_chain(lambda: explorer.market.account(checked))
        return page("account.html", account=view)

    @app.get("/ledger")
    def ledger() -> str:
        tip, blocks = explorer.read_ledger(lambda node: node.recent())
        relay = explorer.relay_tip()
        return page("ledger.html", tip=tip, blocks=blocks, relay=relay)

    @app.get("/ledger/block/<block_hash>")
    def block(block_hash: str) -> str:
        view = explorer.read_ledger(lambda node: node.block(block_hash.lower()))
        return page("block.html", block=view)

    @app.get("/ledger/proof/<txid>")
    def proof(txid: str) -> str:
        view = explorer.read_ledger(lambda node: node.proof(txid.lower()))
        return page("proof.html", proof=view)

    _filters(app)
    return app


def _filters(app: Flask) -> None:
    app.template_filter("eth")(format_eth)

    @app.template_filter("pretty")
    def pretty(value: Any) -> str:
        """JSON as indented text (escaped by the template like any other string)."""
        return json.dumps(value, indent=2, sort_keys=True)

    @app.template_filter("pct")
    def pct(bps: int | None) -> str:
        return "–" if bps is None else f"{bps / 100:.2f}%"

    @app.template_filter("short")
    def short(text: str | None) -> str:
        if not text:
            return "–"
        return text if len(text) <= 14 else f"{text[:8]}…{text[-4:]}"

    @app.template_filter("utc")
    def utc(ts: int) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))

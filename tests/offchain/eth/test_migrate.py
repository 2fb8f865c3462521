"""A replaced relay means a new registry and market: migrate_registry carries every record and
its lineage to the new registry (market records keep their job and publisher), is safe to run
again, and once closed carries nothing more."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from offchain.eth.client import in_process
from offchain.eth.deploy import deploy_all
from offchain.eth.errors import EthError
from offchain.eth.migrate import migrate_registry
from offchain.eth.registry import RegistryClient


def _h(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def test_records_and_lineage_survive_a_new_relay_registry_and_market(tmp_path: Path) -> None:
    client = in_process()
    old_set = deploy_all(client, tmp_path / "old")
    old = RegistryClient(client, old_set.contract("ModelRegistry").address)
    old.register(_h("base"), None, _h("pretrain"), 5000, "file:///base")
    # A market record (job 7, published by the worker): the administrator lends itself MARKET_ROLE.
    worker = client.w3.eth.accounts[4]
    client.transact(old.contract.functions.grantRole(old.contract.functions.MARKET_ROLE().call(), client.address))
    client.transact(
        old.contract.functions.registerFromMarket(_h("child"), _h("base"), _h("train"), 8100, 7, worker, "http://w/c")
    )
    old.register(_h("grandchild"), _h("child"), _h("more"), 8300, "file:///gc")
    new_set = deploy_all(client, tmp_path / "new")  # a new relay, registry, market and lens
    new = RegistryClient(client, new_set.contract("ModelRegistry").address)

    report = migrate_registry(client, old.contract.address, new.contract.address)

    assert (report.carried, report.already) == (3, 0)
    for name in ("base", "child", "grandchild"):
        a, b = old.record(_h(name)), new.record(_h(name))
        assert (a.parent_hash, a.publisher, a.score_bps, a.job_id, a.dataset_hash, a.uri) == (
            b.parent_hash, b.publisher, b.score_bps, b.job_id, b.dataset_hash, b.uri
        )  # fmt: skip
    assert new.record(_h("child")).publisher == worker and new.record(_h("child")).job_id == 7
    assert new.lineage(_h("grandchild")) == old.lineage(_h("grandchild"))
    assert len(new.lineage(_h("grandchild"))) == 3

    old.register(_h("late"), _h("base"), _h("late data"), 7000, "file:///late")  # the old set lives on
    again = migrate_registry(client, old.contract.address, new.contract.address, close=True)
    assert (again.carried, again.already, again.closed) == (1, 3, True)
    assert new.record(_h("late")).uri == "file:///late"

    old.register(_h("too late"), None, _h("x"), 1, "file:///x")
    with pytest.raises(EthError):
        migrate_registry(client, old.contract.address, new.contract.address)
    assert not new.is_registered(_h("too late"))

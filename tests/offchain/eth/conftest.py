"""An in-process EVM with the project's contracts deployed through offchain.eth."""

from __future__ import annotations

from pathlib import Path

import pytest

from offchain.eth.client import Client, in_process
from offchain.eth.deploy import deploy_all
from offchain.eth.deployments import Deployment


@pytest.fixture
def client() -> Client:
    return in_process()


@pytest.fixture
def deployment(client: Client, tmp_path: Path) -> Deployment:
    return deploy_all(client, tmp_path, ledger_chain=None)  # no LedgerRelay: py-evm takes ~1 s to deploy one

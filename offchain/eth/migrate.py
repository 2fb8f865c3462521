"""Carry a ModelRegistry's records and lineage over to the registry that replaces it.

The registry holds its LedgerRelay for good, so replacing the relay means deploying a new set
(`deploy_all`: relay, registry, market, lens) and carrying the old registry's history across:
every record, in registration order (parents before children), through the new registry's
`migrate`, which reads parent, publisher, score and job id from the old registry on chain and
takes the data set hash and uri from the old ModelRegistered events read here. Anchors are not
carried (the old relay proved them): mark them again with `offchain registry anchor`. The old
market keeps settling its own jobs against the old registry; run the migration again for what
they register, then close it (`close=True`), after which nothing more is carried.
"""

from __future__ import annotations

from dataclasses import dataclass

from offchain.eth.client import Client
from offchain.eth.registry import RegistryClient

ALL_MODELS = 10**9  # read every ModelRegistered event of the old registry


@dataclass(frozen=True)
class MigrationReport:
    carried: int  # records written to the new registry by this run
    already: int  # records it held before (an earlier run, or registered there)
    closed: bool  # the new registry's migration is closed for good


def migrate_registry(
    client: Client, old_address: str, new_address: str, from_block: int = 0, close: bool = False
) -> MigrationReport:
    """Carry every record of the registry at `old_address` (its events from `from_block`) to the
    one at `new_address` (whose administrator `client` must be). Safe to run again."""
    old = RegistryClient(client, old_address)
    new = RegistryClient(client, new_address)
    carried = already = 0
    for record in old.models(from_block, ALL_MODELS):  # registration order: parents first
        model = bytes.fromhex(record.model_hash.removeprefix("0x"))
        if new.is_registered(model):
            already += 1
            continue
        dataset = bytes.fromhex(record.dataset_hash.removeprefix("0x"))
        client.transact(new.contract.functions.migrate(old.contract.address, model, dataset, record.uri))
        carried += 1
    if close:
        client.transact(new.contract.functions.closeMigration())
    return MigrationReport(carried=carried, already=already, closed=close)

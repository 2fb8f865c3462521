"""Fault injection for the end-to-end run, through the demo's hook points: a third worker
whose served weights get tampered with, the honest worker killed (SIGKILL) after its commit
and restarted on its journal, the chain unreachable for a while (a cuttable TCP relay), and a
validator killed (SIGKILL) between its sealed commit and its reveal, restarted on its seal book."""

from __future__ import annotations

from netproxy import TcpRelay

from offchain.demo.processes import spawn
from offchain.demo.scenario import Demo, DemoHooks
from offchain.eth.localchain import LocalChain

TAMPERER = 7  # the dev account of the worker whose weights get tampered with
OUTAGE_S = 8.0  # the chain is down this long


class FaultHooks(DemoHooks):
    def __init__(self, outage_s: float = OUTAGE_S) -> None:
        self.outage_s = outage_s
        self.relay: TcpRelay | None = None
        self.killed_validator: str | None = None  # the seated honest member killed before its reveal

    def extra_workers(self) -> list[tuple[str, int, list[str]]]:
        return [("tamperer", TAMPERER, [])]

    def rpc_url(self, chain: LocalChain) -> str:
        # The roles reach the chain through a relay that can be cut.
        self.relay = TcpRelay(chain.port)
        return self.relay.url

    def after_commits(self, demo: Demo) -> None:
        kill_and_restart(demo, "honest")

    def after_reveals(self, demo: Demo) -> None:
        tamper_artifact(demo, "tamperer")

    def after_attest_window_opened(self, demo: Demo) -> None:
        assert self.relay is not None
        demo.say(f"fault: the chain is unreachable for {self.outage_s:.0f} s")
        self.relay.outage(self.outage_s)
        demo.say("the chain is reachable again")

    def after_attestations_committed(self, demo: Demo) -> None:
        # Seats are drawn by bond: any one member may draw none, so kill the first one seated.
        seated = set(demo.market.committee(demo.job_id))
        self.killed_validator = next(m.name for m in demo.members if m.kind == "honest" and m.address in seated)
        kill_and_restart(demo, self.killed_validator)


def kill_and_restart(demo: Demo, name: str) -> None:
    """kill -9 a role after its commit, then start it again on the same home folder."""
    role = next(r for r in demo.roles if r.name == name)
    role.process.kill()
    role.process.wait()
    demo.roles.remove(role)
    demo.say(f"fault: killed {name} (SIGKILL) after its commit; restarting it")
    demo.roles.append(spawn(name, *{**demo.worker_args, **demo.validator_args}[name]))


def tamper_artifact(demo: Demo, name: str) -> None:
    """Replace the bytes the server holds for `name`'s revealed weights."""
    account = demo.worker_args[name][0]
    worker = demo.as_account(account).address
    event = next(e for e in demo.market.revealed_events(demo.post_block) if e.worker == worker)
    digest = event.uri.rstrip("/").rsplit("/", 1)[-1]
    path = demo.server.store.get(digest)
    path.write_bytes(path.read_bytes()[:-64] + bytes(64))
    demo.say(f"fault: the artifact server now serves tampered weights for {name}")

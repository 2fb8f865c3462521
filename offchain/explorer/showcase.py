"""The demo's last step: the explorer over what the demo left behind, its URL printed, and
screenshots of the job page and the lineage page saved beside the report.

The demo's artifact store (specs) and, when present, its ledger folder (served by a ledger
node started here) are the explorer's sources; the winning worker's model card is copied
into the store so the model page can draw its training curves.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from offchain.eth.deployments import Deployment
from offchain.explorer.app import Sources
from offchain.explorer.screenshots import ScreenshotError, screenshot
from offchain.explorer.server import start_explorer

JOB_WINDOW = (1280, 1800)  # tall enough for the settlement under the submissions
MAX_CARDS = 200  # model.json files looked at in the demo folder


def store_model_card(out: Path, store: Path, model_hash: bytes) -> Path | None:
    """Copy the model card (model.json) whose fingerprint is `model_hash` into `store`."""
    from offchain.artifacts.store import ArtifactStore

    wanted = model_hash.hex()
    for count, card in enumerate(out.rglob("model.json")):
        if count >= MAX_CARDS:
            break
        try:
            fingerprint = json.loads(card.read_text()).get("fingerprint")
        except (OSError, ValueError, AttributeError):
            continue
        if fingerprint == wanted:
            return ArtifactStore(store).path(ArtifactStore(store).put_file(card))
    return None


def show_explorer(
    rpc: str,
    deployment: Deployment,
    job_id: int,
    winner: bytes | None,
    out: Path,
    say: Callable[[str], None],
    keep: bool = False,
) -> list[Path]:
    """Serve the explorer over the demo's chain, save the two screenshots, and (with `keep`)
    keep serving until Ctrl-C. Returns the screenshots written."""
    from offchain.ledger.chain import Chain
    from offchain.ledger.node import Node

    store = out / "store"
    if winner is not None:
        store_model_card(out, store, winner)
    node = Node(Chain.open(out / "ledger")).start() if (out / "ledger").is_dir() else None
    sources = Sources(rpc=rpc, deployment=deployment, ledger=node.url if node else None, artifacts=[store])
    running = start_explorer(sources)
    try:
        say(f"explorer: {running.url}  (job page {running.url}/jobs/{job_id}, lineage {running.url}/models)")
        shots = []
        try:
            shots.append(screenshot(f"{running.url}/jobs/{job_id}", out / "explorer-job.png", window=JOB_WINDOW))
            shots.append(screenshot(f"{running.url}/models", out / "explorer-lineage.png"))
            say(f"screenshots: {', '.join(str(p) for p in shots)}")
        except ScreenshotError as exc:
            say(f"no screenshots: {exc}")
        if keep:
            say("the explorer keeps serving the demo's chain; Ctrl-C ends the demo")
            while True:
                time.sleep(1)
        return shots
    finally:
        running.stop()
        if node is not None:
            node.stop()

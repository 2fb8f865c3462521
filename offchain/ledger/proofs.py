"""Checking inclusion proofs: the bare Merkle branch, and a proof file against a chain.

A Merkle branch alone proves only that a txid sits under a root; anyone can mine a header
with that root on a random parent at the devnet limit in a millisecond. So a proof file is
valid only against a chain: a local data folder, a node, or a header file that
`verify-headers` accepts, on whose active branch the proof's header must be. The answer
then carries the block's height and confirmations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from offchain.ledger.block import BlockHeader
from offchain.ledger.errors import LedgerError
from offchain.ledger.hashing import hash_to_hex, hex_to_hash, sha256d
from offchain.ledger.merkle import verify_branch
from offchain.ledger.params import chain_params
from offchain.ledger.pow import validate_proof_of_work
from offchain.ledger.tx import FORBIDDEN_TX_SIZE

MAX_BRANCH = 32  # a tree of 2^32 transactions is far beyond any block


def proof_problem(proof: dict[str, Any]) -> str | None:
    """Why the proof's own parts do not hold together, or None when they do.

    Checks the branch from txid to root, and that its depth is proven: an inner node is the
    hash of 64 bytes and, with a shorter branch, would pass as a txid. The proof carries the
    raw transaction (not 64 bytes, hashing to the txid) or, for a bare txid, `depth_proof`:
    another transaction of the block by its raw bytes with its own branch to the same root
    (every leaf of Bitcoin's tree sits at one depth). A claimed `tx_count` is checked against
    the depth but proves nothing alone. Where present, the header must commit to the root
    with valid proof of work.
    """
    try:
        txid = hex_to_hash(proof["txid"])
        root = hex_to_hash(proof["merkle_root"])
        index = int(proof["index"])
        branch = [hex_to_hash(h) for h in proof["branch"]]
        if len(branch) > MAX_BRANCH:
            return f"a branch of {len(branch)} levels is longer than any block's"
        if "tx" in proof:
            raw = bytes.fromhex(proof["tx"])
            if len(raw) == FORBIDDEN_TX_SIZE or sha256d(raw) != txid:
                return "the raw transaction does not hash to the txid"
        elif "depth_proof" in proof:
            problem = _depth_problem(proof["depth_proof"], root, len(branch))
            if problem is not None:
                return problem
        else:
            return (
                "the proof does not prove the Merkle tree's depth (an inner node could pose as the txid): "
                "give the raw transaction or a depth_proof"
            )
        if "tx_count" in proof:
            count = int(proof["tx_count"])
            depth = (count - 1).bit_length() if count > 0 else 0
            if not 0 <= index < count:
                return f"index {index} is outside a block of {count} transactions"
            if len(branch) != depth:
                return f"a branch for a block of {count} transactions has depth {depth}, this one {len(branch)}"
        if "header" in proof:
            header = BlockHeader.from_hex(proof["header"])
            if header.merkle_root != root:
                return "the header does not commit to the root"
            if "block_hash" in proof and header.hash != hex_to_hash(proof["block_hash"]):
                return "the header does not hash to the block hash"
            params = chain_params(str(proof.get("chain", "devnet")))
            validate_proof_of_work(header.hash, header.bits, params.pow_limit)
        if not verify_branch(txid, index, branch, root):
            return "the branch does not lead from the txid to the root"
        return None
    except (KeyError, TypeError, ValueError, LedgerError) as exc:
        return f"malformed proof: {exc}"


def _depth_problem(witness: dict[str, Any], root: bytes, depth: int) -> str | None:
    """Why `witness` (a transaction by its raw bytes, its index and branch) does not prove that
    the block's leaves sit `depth` levels below `root`, or None when it does."""
    raw = bytes.fromhex(witness["tx"])
    if len(raw) == FORBIDDEN_TX_SIZE:
        return "the depth proof's transaction is 64 bytes long, an inner node's size"
    leaves = [hex_to_hash(h) for h in witness["branch"]]
    if not verify_branch(sha256d(raw), int(witness["index"]), leaves, root):
        return "the depth proof's branch does not lead from its transaction to the root"
    if len(leaves) != depth:
        return f"the block's transactions sit {len(leaves)} levels deep, this branch has {depth}"
    return None


def locate_proof(
    proof: dict[str, Any],
    *,
    datadir: str | Path | None = None,
    node: str | None = None,
    headers: Path | None = None,
    start_height: int = 0,
    period_start: BlockHeader | None = None,
) -> dict[str, Any]:
    """Check a proof against one chain. Returns {"valid", "reason"} and, when valid, the
    block's "height", "confirmations" and "source"."""
    problem = proof_problem(proof)
    if problem is None and "header" not in proof:
        problem = "the proof carries no header, so it cannot be placed on a chain"
    if problem is not None:
        return {"valid": False, "reason": problem}
    header = BlockHeader.from_hex(proof["header"])
    name = str(proof.get("chain", "devnet"))
    if datadir is not None:
        source, placed = f"the data folder {datadir}", _on_local_chain(header, name, datadir)
    elif node is not None:
        source, placed = f"the node {node}", _on_node(header, node)
    elif headers is not None:
        source = f"the header file {headers}"
        placed = _in_header_file(header, name, headers, start_height, period_start)
    else:
        raise LedgerError("a proof is checked against a chain: give a data folder, a node or a header file")
    if placed is None:
        return {
            "valid": False,
            "reason": f"block {header.hash_hex} is not on the active chain of {source}",
            "source": source,
        }
    height, confirmations = placed
    return {
        "valid": True,
        "reason": None,
        "source": source,
        "height": height,
        "confirmations": confirmations,
        "block_hash": header.hash_hex,
    }


def _on_local_chain(header: BlockHeader, name: str, datadir: str | Path) -> tuple[int, int] | None:
    from offchain.ledger.chain import Chain

    chain = Chain.open(datadir)
    try:
        if chain.params.name != name:
            raise LedgerError(f"the proof is for the {name} chain, {datadir} holds {chain.params.name}")
        with chain.lock:
            entry = chain.get(header.hash)
            if entry is None or not chain.is_main(entry):
                return None
            return entry.height, chain.tip().height - entry.height + 1
    finally:
        chain.close()


def _on_node(header: BlockHeader, node: str) -> tuple[int, int] | None:
    from offchain.ledger.node import request_json

    answer = request_json(node, f"/header/{hash_to_hex(header.hash)}")
    if not isinstance(answer, dict) or not answer.get("main"):
        return None
    return int(answer["height"]), int(answer["confirmations"])


def _in_header_file(
    header: BlockHeader, name: str, path: Path, start_height: int, period_start: BlockHeader | None
) -> tuple[int, int] | None:
    from offchain.ledger.headers import read_header_file, verify_header_run

    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise LedgerError(f"cannot read {path}: {exc}") from None
    run = read_header_file(text)
    report = verify_header_run(chain_params(name), run, start_height, period_start)
    for offset, candidate in enumerate(run):
        if candidate.hash == header.hash:
            return start_height + offset, report.height - (start_height + offset) + 1
    return None

"""`offchain ledger ...`: the command-line face of the ledger.

    offchain ledger init && offchain ledger mine --blocks 50   # coinbases mature after 10
    offchain ledger anchor --payload <64 hex> --tag dataset && offchain ledger mine --blocks 1
    offchain ledger prove TXID > proof.json
    offchain ledger verify-proof --proof proof.json --datadir DIR   # or --node URL / --headers F
    offchain ledger verify-headers --chain bitcoin --start-height 0 headers.txt
    offchain ledger serve --port 8333 --peer http://127.0.0.1:8334 --mine

User errors raise LedgerError subclasses; the top-level `offchain` prints them on one line
and exits 2. `verify-proof` exits 1 when the proof does not verify.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from offchain.ledger import api
from offchain.ledger.block import BlockHeader
from offchain.ledger.chain import Chain
from offchain.ledger.errors import EncodingError, LedgerError
from offchain.ledger.headers import read_header_file, verify_header_run
from offchain.ledger.miner import MinedBlock, Miner, mine_blocks
from offchain.ledger.node import Node
from offchain.ledger.params import CHAINS, chain_params
from offchain.ledger.pow import decode_bits
from offchain.ledger.proofs import locate_proof, proof_problem
from offchain.ledger.tx import address_of
from offchain.ledger.wallet import load_key

SYNC_INTERVAL_S = 1.0


def _datadir(args: argparse.Namespace) -> Path:
    return Path(args.datadir) if args.datadir else api.default_datadir(args.chain)


def _emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data, indent=2) if getattr(args, "json", False) else text)


def _rate(hashes: float, seconds: float) -> str:
    rate = hashes / seconds if seconds > 0 else 0.0
    for unit in ("H/s", "kH/s", "MH/s"):
        if rate < 1000 or unit == "MH/s":
            return f"{rate:.1f} {unit}"
        rate /= 1000
    return ""


def _print_block(report: MinedBlock) -> None:
    if report.retarget_from is not None:
        before, after = report.retarget_from, report.bits
        if before == after:
            change = f"{after:08x} unchanged (clamped at the proof-of-work limit)"
        else:
            factor = decode_bits(before).target / decode_bits(after).target
            change = f"{before:08x} -> {after:08x} (difficulty x{factor:.2f})"
        print(f"retarget at height {report.height}: bits {change}", file=sys.stderr)
    print(
        f"block {report.height:>5}  {report.hash}  bits {report.bits:08x}  "
        f"difficulty {report.difficulty:8.1f}  txs {report.txs}  {report.seconds:6.2f} s  "
        f"{_rate(report.hashes, report.seconds)}"
    )


def cmd_init(args: argparse.Namespace) -> int:
    info = api.init_chain(_datadir(args), args.chain)
    _emit(
        args,
        info,
        f"{info['chain']} ledger in {info['datadir']}\n"
        f"genesis  {info['genesis']}\nheight   {info['height']}\naddress  {info['address']}",
    )
    return 0


def _unwind_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so the miner's processes are stopped and reaped: the
    default action ends only this process, and its miners would search on, orphaned."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def cmd_mine(args: argparse.Namespace) -> int:
    _unwind_on_sigterm()
    datadir = _datadir(args)
    started = time.perf_counter()

    def progress(hashes: int, seconds: float) -> None:
        print(f"  ... {_rate(hashes, seconds)}", file=sys.stderr)

    quiet = args.json
    mined = api.mine(
        datadir,
        args.blocks,
        args.processes,
        on_block=None if quiet else _print_block,
        on_progress=None if quiet else progress,
    )
    seconds = time.perf_counter() - started
    hashes = sum(r.hashes for r in mined)
    _emit(
        args,
        {
            "blocks": [r.__dict__ | {"hash_rate": r.hash_rate} for r in mined],
            "seconds": seconds,
            "hash_rate": hashes / seconds if seconds else 0.0,
        },
        f"mined {len(mined)} blocks in {seconds:.2f} s, {_rate(hashes, seconds)} overall",
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    info = api.status(_datadir(args))
    _emit(args, info, "\n".join(f"{k:<13} {v}" for k, v in info.items()))
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    txid = api.send(_datadir(args), args.to, args.amount, args.fee)
    _emit(args, {"txid": txid}, f"{txid}  (pending; mine a block to confirm)")
    return 0


def cmd_anchor(args: argparse.Namespace) -> int:
    try:
        payload = bytes.fromhex(args.payload.removeprefix("0x"))
    except ValueError:
        raise EncodingError(f"--payload must be 64 hex digits, got {args.payload!r}") from None
    txid = api.anchor(_datadir(args), payload, args.tag, args.fee)
    _emit(args, {"txid": txid}, f"{txid}  (pending; mine a block to confirm)")
    return 0


def cmd_prove(args: argparse.Namespace) -> int:
    text = json.dumps(api.prove(_datadir(args), args.txid), indent=2)
    if args.out is None:
        print(text)
        return 0
    try:  # the proof file `job post --provenance` and `registry anchor` take as they are
        Path(args.out).write_text(text + "\n")
    except OSError as exc:
        raise LedgerError(f"cannot write proof {args.out}: {exc}") from None
    print(f"proof of {args.txid} written to {args.out}")
    return 0


def cmd_verify_proof(args: argparse.Namespace) -> int:
    if args.proof:
        try:
            proof = json.loads(Path(args.proof).read_text())
        except (OSError, ValueError) as exc:
            raise LedgerError(f"cannot read proof {args.proof}: {exc}") from None
        if not isinstance(proof, dict):
            raise LedgerError(f"{args.proof} does not hold a JSON proof object")
        if not (args.datadir or args.node or args.headers):
            raise LedgerError(
                "a proof file is valid only against a chain: add --datadir DIR, "
                "--node URL or --headers FILE (with --start-height)"
            )
        period = BlockHeader.from_hex(args.period_start) if args.period_start else None
        answer = locate_proof(
            proof,
            datadir=args.datadir,
            node=args.node,
            headers=Path(args.headers) if args.headers else None,
            start_height=args.start_height or 0,
            period_start=period,
        )
        text = (
            f"valid: transaction {proof.get('txid')} is in block {answer.get('block_hash')} at "
            f"height {answer.get('height')} on the active chain of {answer.get('source')} "
            f"({answer.get('confirmations')} confirmations)"
            if answer["valid"]
            else f"INVALID: {answer['reason']}"
        )
        _emit(args, answer, text)
        return 0 if answer["valid"] else 1
    if not (args.txid and args.root and args.index is not None and args.branch is not None):
        raise LedgerError("give --proof FILE with a chain, or --txid, --root, --index and --branch")
    branch = [h for h in args.branch.split(",") if h]
    bare: dict[str, Any] = {"txid": args.txid, "merkle_root": args.root, "index": args.index, "branch": branch}
    if args.tx is not None:
        bare["tx"] = args.tx  # the raw transaction proves the depth: it is a leaf
    if args.tx_count is not None:
        bare["tx_count"] = args.tx_count
    problem = proof_problem(bare)
    scope = "Merkle branch only: the root is not checked against any chain"
    _emit(
        args,
        {"valid": problem is None, "reason": problem, "scope": scope},
        f"valid ({scope})" if problem is None else f"INVALID: {problem} ({scope})",
    )
    return 0 if problem is None else 1


def cmd_verify_headers(args: argparse.Namespace) -> int:
    params = chain_params(args.chain)
    try:
        text = Path(args.file).read_text()
    except OSError as exc:
        raise LedgerError(f"cannot read {args.file}: {exc}") from None
    period = BlockHeader.from_hex(args.period_start) if args.period_start else None
    report = verify_header_run(params, read_header_file(text), args.start_height, period)
    _emit(
        args,
        {"tip": report.tip.hash_hex, "height": report.height, "work": f"{report.work:#x}", "headers": report.count},
        f"{report.count} headers valid\ntip     {report.tip.hash_hex}\n"
        f"height  {report.height}\nwork    {report.work:#x} ({report.work})",
    )
    return 0


def cmd_verify_db(args: argparse.Namespace) -> int:
    chain = Chain.open(_datadir(args))
    try:
        report = chain.verify_db()
    finally:
        chain.close()
    _emit(
        args,
        report.__dict__,
        f"ok: {report.blocks} blocks stored, active chain of height {report.height} "
        f"re-validated ({report.transactions} transactions, {report.accounts} accounts)\n"
        f"tip {report.tip}",
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    _unwind_on_sigterm()
    datadir = _datadir(args)
    chain = Chain.open(datadir, args.chain, create=True)
    try:
        # Sync runs in a thread of its own: mining never waits for a slow peer, nor sync for mining.
        node = Node(chain, port=args.port, peers=args.peer).start(sync_every_s=SYNC_INTERVAL_S)
    except OSError as exc:  # the port is taken (or not ours to bind)
        chain.close()
        raise LedgerError(f"cannot listen on port {args.port}: {exc.strerror or exc}") from None
    print(f"serving {chain.params.name} at {node.url} (peers: {', '.join(args.peer) or 'none'})", flush=True)
    miner: Miner | None = None
    try:
        if args.mine:
            miner = Miner(args.processes)  # assigned first: a SIGTERM while it starts still closes it
            miner.__enter__()
            address = address_of(load_key(datadir))
        while True:
            if miner is not None:
                mine_blocks(chain, 1, address, miner, on_block=_print_block)
            else:
                time.sleep(SYNC_INTERVAL_S)
    finally:
        if miner is not None:
            miner.close()
        node.stop()
        chain.close()


def register(subparsers: Any) -> None:
    """Add the `ledger` command group to the top-level parser."""
    ledger = subparsers.add_parser(
        "ledger", help="the bundled proof-of-work ledger", description=__doc__.splitlines()[0]
    )
    sub = ledger.add_subparsers(dest="ledger_command", metavar="COMMAND", required=True)

    def add(name: str, func: Any, help_text: str, datadir: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--chain", default="devnet", choices=sorted(CHAINS), help="chain parameters (default devnet)")
        if datadir:
            p.add_argument(
                "--datadir", default=None, help=f"data folder (default ${api.DATADIR_ENV} or ~/.offchain/ledger/CHAIN)"
            )
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(func=func)
        return p

    add("init", cmd_init, "create the chain (genesis) and a signing key in the data folder")
    p = add("mine", cmd_mine, "mine blocks on the local chain, including pending transactions")
    p.add_argument("--blocks", type=int, default=1, help="how many blocks (default 1)")
    p.add_argument("--processes", type=int, default=None, help="worker processes (default: cores)")
    add("status", cmd_status, "show the tip, difficulty, mempool and balance")
    p = add("send", cmd_send, "queue a transfer signed by the data folder's key")
    p.add_argument("--to", required=True, help="recipient address (0x + 40 hex)")
    p.add_argument("--amount", type=int, required=True, help="base units")
    p.add_argument("--fee", type=int, default=None, help="base units (default: the chain's minimum)")
    p = add("anchor", cmd_anchor, "queue an anchor of a 32-byte payload (e.g. a SHA-256)")
    p.add_argument("--payload", required=True, help="64 hex digits")
    p.add_argument("--tag", required=True, help="short label: [A-Za-z0-9-_.:/], up to 32")
    p.add_argument("--fee", type=int, default=None, help="base units (default: the chain's minimum)")
    p = add("prove", cmd_prove, "print the Merkle inclusion proof of a transaction (JSON)")
    p.add_argument("txid", help="the transaction's id (hex, as `anchor` and `send` print it)")
    p.add_argument("--out", default=None, help="write the proof to this file instead of printing it")
    p = add("serve", cmd_serve, "run an HTTP JSON node on loopback and sync with peers")
    p.add_argument("--port", type=int, default=0, help="0 = any free port")
    p.add_argument("--peer", action="append", default=[], help="peer URL (repeatable)")
    p.add_argument("--mine", action="store_true", help="also mine on the node's tip")
    p.add_argument("--processes", type=int, default=None, help="mining processes with --mine (default: cores)")
    add("verify-db", cmd_verify_db, "re-validate the whole stored chain")
    p = add("verify-headers", cmd_verify_headers, "validate a file of hex headers (one per line)", datadir=False)
    p.add_argument("--start-height", type=int, required=True, help="height of the file's first header")
    p.add_argument(
        "--period-start", default=None, help="hex header of the first block of the period the file starts in"
    )
    p.add_argument("file", help="hex headers, one per line, in chain order")
    p = add(
        "verify-proof",
        cmd_verify_proof,
        "check a proof against a chain, or a bare Merkle branch (exit 0 valid, 1 invalid)",
        datadir=False,
    )
    p.add_argument("--proof", default=None, help="a JSON proof from `prove`")
    p.add_argument("--datadir", default=None, help="check the proof against this data folder")
    p.add_argument("--node", default=None, help="check the proof against this node (URL)")
    p.add_argument("--headers", default=None, help="check the proof against this header file (as verify-headers)")
    p.add_argument("--start-height", type=int, default=None, help="height of the file's first")
    p.add_argument("--period-start", default=None, help="as for verify-headers")
    p.add_argument("--txid", help="with --root, --index and --branch: the transaction id (hex)")
    p.add_argument("--root", help="the block's Merkle root (hex)")
    p.add_argument("--index", type=int, help="the transaction's position in its block")
    p.add_argument("--branch", help="comma-separated hashes, display order ('' for none)")
    p.add_argument("--tx", default=None, help="the raw transaction (hex): proves the branch's depth")
    p.add_argument(
        "--tx-count", type=int, default=None, help="transactions in the block: refuses a branch of the wrong depth"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the ledger commands alone (`python -m offchain.ledger`), mirroring `offchain`."""
    parser = argparse.ArgumentParser(prog="offchain")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["ledger", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.func(args) or 0)
    except LedgerError as exc:
        print(f"offchain: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("offchain: interrupted", file=sys.stderr)
        return 130

"""`offchain job ...` and `offchain withdraw`: what a requester does.

`job post` seals the evaluation set: its hash and a fresh salt go to the requester's seal
book (durably) before postJob sends only the seal; the file stays in the local store until
`job reveal-eval` publishes it and opens the seal on chain, once commits have closed.

    offchain job post --base 0x<model hash> --pool data.npz --spec spec.json \\
        --reward 1ether --min-score-bps 8000 --min-stake 0.1ether --publish http://127.0.0.1:8600
    (or --train train.npz --eval eval.npz: an unpooled job, whose evaluation set the requester chose)
    offchain job reveal-eval ID [--publish URL]   # after the commit deadline, before the reveal deadline
    offchain job status [ID] [--json]
    offchain job finalize ID
    offchain withdraw
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain.errors import OffchainError
from offchain.eth.commitment import evaluation_seal, new_salt
from offchain.eth.confirm import add_spend_args, confirm_spend
from offchain.eth.errors import InvalidInputError, TransactionError
from offchain.eth.inclusion import DELAYS
from offchain.eth.job_terms import JobTerms
from offchain.eth.market import Phase, deposit_of
from offchain.eth.provenance import AnchorProof, check_against_relay, load_proof
from offchain.eth.values import format_eth, parse_amount, parse_hash32, validate_bps
from offchain.roles.humantime import iso, relative
from offchain.roles.jobs_view import MAX_LISTED, format_job, format_jobs, is_open, job_ids, job_report, validate_job_id
from offchain.roles.pool import SplitNotDrawnError, pool_of
from offchain.roles.pool_post import POOL_SHARDS, form_and_store, publish_shards
from offchain.roles.post_checks import check_job
from offchain.roles.seals import SealBook
from offchain.roles.session import Session, add_session_args, open_session
from offchain.roles.spec import UNLABELLED_KEY, JobSpec, SpecError, load_spec, spec_from_recipe
from offchain.roles.steps import withdraw_pending


def publish_artifact(session: Session, path: Path, server: str | None) -> str:
    """Put a file in the local store (and on `server`); return its hex SHA-256."""
    from offchain.artifacts.client import upload

    if not path.is_file():
        raise OffchainError(f"no file at {path}")
    digest = session.cache.put_file(path)
    if server:
        upload(server, path)
    return digest


def _seal_book(session: Session) -> SealBook:
    return SealBook(session.home / "requester-seals.sqlite", session.client.chain_id, session.market.address)


def _provenance_proof(session: Session, path: Path, train: Path) -> AnchorProof:
    """The proof file, checked locally before anything is sent: its payload is the training
    set's SHA-256 and the relay holds its block with the confirmations it requires."""
    import hashlib

    proof = load_proof(path)
    relay = session.registry.relay()
    if relay is None:
        raise InvalidInputError("this market's registry has no LedgerRelay: it cannot verify --provenance")
    try:
        with open(train, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").digest()
    except OSError as exc:
        raise InvalidInputError(f"cannot read the training set {train}: {exc.strerror or exc}") from None
    if proof.payload != digest:
        raise InvalidInputError(
            f"{path} anchors {proof.payload.hex()}, not the training set {train} (sha256 {digest.hex()})"
        )
    check_against_relay(proof, relay, fed=_file_relay(session))
    return proof


def _file_relay(session: Session) -> Any:
    """The deployment file's LedgerRelay: a relayer may feed it instead of the registry's (an
    older `relay deploy` wrote it there)."""
    from offchain.eth.relay import RelayClient

    entry = session.deployment.contracts.get("LedgerRelay")
    return RelayClient(session.client, entry.address) if entry is not None else None


def seal_evaluation(session: Session, evaluation_path: Path, evaluation: bytes) -> bytes:
    """A fresh seal over the evaluation set (`evaluation`, the SHA-256 of the file at
    `evaluation_path`), whose hash and salt go to the requester's seal book, durably, before
    anything is sent: the JobTerms' `evaluation_seal` for {post_terms}."""
    salt = new_salt()
    seal = evaluation_seal(evaluation, salt)
    book = _seal_book(session)
    try:
        book.put_evaluation(seal, evaluation, salt, evaluation_path.resolve())
    finally:
        book.close()
    return seal


def post_terms(session: Session, terms: JobTerms, sealed: bool = False) -> int:
    """Post a job whose evaluation set stays sealed: `terms.evaluation_seal` must be in the
    seal book ({seal_evaluation}) and not yet posted (refused otherwise: nobody could open the
    set, and the job would forfeit); it is bound to the job id once mined, and the requester
    daemon (or `job reveal-eval`) opens the set from there once commits close. `sealed`: its
    submissions are sealed too (issue 26): a fresh job key's secret goes to the seal book as
    well before its public half is registered, and the winner delivers its key to it; a proof
    and `pooled` post under seal as without it (ExchangeClient.post_sealed_job). Returns the
    job id."""
    book = _seal_book(session)
    try:
        found = book.evaluation(terms.evaluation_seal)
        if found is None:
            raise InvalidInputError(
                f"the evaluation seal 0x{terms.evaluation_seal.hex()} is not in this home's seal book: "
                "nobody could open the set (seal it with seal_evaluation)"
            )
        if found.job_id is not None:  # binding it again would leave that job's set unopenable
            raise InvalidInputError(
                f"the evaluation seal 0x{terms.evaluation_seal.hex()} was posted as job {found.job_id}: "
                "seal each job's set afresh (seal_evaluation)"
            )
        if sealed:
            job_id = _post_under_seal(session, book, terms)
        else:
            job_id = session.market.post_job(terms)
        book.bind_evaluation(terms.evaluation_seal, job_id)
    finally:
        book.close()
    return job_id


def _post_under_seal(session: Session, book: SealBook, terms: JobTerms) -> int:
    from offchain.eth.exchange import ExchangeClient
    from offchain.sealed.curve import new_key_pair

    job_key = new_key_pair()
    book.put_job_key(terms.evaluation_seal, job_key.secret)  # durable BEFORE its public half is registered
    return ExchangeClient(session.market).post_sealed_job(job_key, terms)


@dataclass(frozen=True)
class Windows:
    """Seconds for each phase of a job, from its post: training and commits, worker reveals,
    sealed attestations and their reveals."""

    commit: int = 3600
    reveal: int = 600
    attest: int = 600
    settle: int = 600

    def deadlines(self, now: int) -> tuple[int, int, int, int]:
        commit = now + self.commit
        reveal = commit + self.reveal
        attest = reveal + self.attest
        return commit, reveal, attest, attest + self.settle


def check_windows(session: Session, windows: Windows) -> None:
    """Refuse windows too short for this account's measured inclusion delay (issue 25): each
    holds a transaction someone must get included in it (commits, reveals, attestations)."""
    short = DELAYS.short_windows(
        session.client.w3,
        {
            "commit window": windows.commit,
            "reveal window": windows.reveal,
            "attestation window": windows.attest,
            "settle window": windows.settle,
        },
    )
    if short:
        raise InvalidInputError("; ".join(short) + ": give the job longer windows")


@dataclass(frozen=True)
class PostedJob:
    job_id: int
    training_set: str  # hex SHA-256 of each artifact
    spec: str
    evaluation_seal: bytes
    deadlines: tuple[int, int, int, int]
    proof: AnchorProof | None
    sealed: bool = False  # submissions sealed (issue 26)


def post_job(
    session: Session,
    *,
    base: str,
    train: Path | None = None,
    evaluation: Path | None = None,
    pool: Path | None = None,
    pool_shards: int = POOL_SHARDS,
    evaluation_share: float | None = None,  # None: offchain.ml.pool's EVALUATION_SHARE
    spec: Path,
    reward: str | int,
    min_score_bps: int,
    min_stake: str | int = "0.1ether",
    windows: Windows = Windows(),
    committee: int = 3,
    publish: str | None = None,
    provenance: Path | None = None,
    sealed: bool = False,
    unlabelled: Path | None = None,
    confirm: Callable[[str], bool] = lambda what: True,
) -> PostedJob:
    """Check a job, upload its public artifacts, seal its evaluation set and post it: every
    check runs before the first upload or transaction, so bad input costs nothing. `confirm`
    is asked last, with what would be spent (NotPosted when it says no).

    With `pool` (one labelled data set) instead of `train` and `evaluation`, the job is pooled
    (offchain.roles.pool_post): its training-set hash and its seal both name the pool's
    manifest, and a block after the post splits the pool (issue 20).

    With `unlabelled` (images of the task, labels ignored), the spec posted is the given one
    with their hash under "unlabelled" (offchain.roles.spec), and the file is published with it."""
    if (pool is None) == (train is None or evaluation is None) or (pool and (train or evaluation)):
        raise InvalidInputError("give either --pool, or both --train and --eval")
    if pool is not None:
        if provenance is not None:
            # The anchor proves the training-set hash, and a pool's is its manifest's, formed here.
            raise InvalidInputError("--provenance anchors a training set file: a pooled job's is formed at post")
        train = evaluation = pool  # the checks below read one data set for both
    assert train is not None and evaluation is not None
    validate_bps(min_score_bps, "minimum score")
    job_spec = load_spec(spec)  # a malformed spec fails here, before any upload or transaction
    if unlabelled is not None:
        spec, job_spec = _spec_naming(session, spec, job_spec, unlabelled)
    base_hash = parse_hash32(base, "base model hash")
    reward_wei, stake_wei = parse_amount(reward), parse_amount(min_stake)
    check_windows(session, windows)
    if sealed and provenance:
        # The chain takes it (postSealedCall of postJobWithProvenance); `job post` does not offer it yet.
        raise InvalidInputError("--sealed and --provenance cannot be combined by job post")
    proof = _provenance_proof(session, provenance, train) if provenance else None
    check_job(session, base_hash, train, evaluation, job_spec, unlabelled)  # and a job no worker could do
    what = (
        f"post a job from {session.client.address} with {format_eth(reward_wei)} in escrow "
        f"and a deposit of {format_eth(deposit_of(reward_wei))} (back at finalize; burned if the "
        f"evaluation set is not opened) (workers stake {format_eth(stake_wei)} each)"
        + (
            "; pooled: from the next block, which splits the pool, a cancel or a job nobody commits "
            "to refunds nothing (reward and deposit burned)"
            if pool is not None
            else ""
        )
        + (", submissions sealed: the winner's weights come for the reward" if sealed else "")
    )
    if not confirm(what):
        raise NotPosted(what)
    if unlabelled is not None:
        publish_artifact(session, unlabelled, publish)
    if pool is not None:
        # The shards stay in the local store; the manifest is public, and sealed as the set to open.
        evaluation, evaluation_digest = form_and_store(session, pool, pool_shards, evaluation_share)
        train_digest = publish_artifact(session, evaluation, publish)
        spec_digest = publish_artifact(session, spec, publish)
    else:
        train_digest, spec_digest = (publish_artifact(session, p, publish) for p in (train, spec))
        # The evaluation set stays private (local store only) until commits close.
        evaluation_digest = publish_artifact(session, evaluation, None)
    terms = JobTerms(
        base_model=base_hash,
        training_set=bytes.fromhex(train_digest),
        evaluation_seal=seal_evaluation(session, evaluation, bytes.fromhex(evaluation_digest)),
        spec=bytes.fromhex(spec_digest),
        min_score_bps=min_score_bps,
        deadlines=windows.deadlines(session.chain_time()),
        min_stake=stake_wei,
        committee_size=committee,
        reward=reward_wei,
        proof=proof,
        pooled=pool is not None,  # postPooledJob: the chain records the seed block
    )
    job_id = post_terms(session, terms, sealed=sealed)
    return PostedJob(job_id, train_digest, spec_digest, terms.evaluation_seal, terms.deadlines, proof, sealed)


def _spec_naming(session: Session, spec: Path, job_spec: JobSpec, unlabelled: Path) -> tuple[Path, JobSpec]:
    """The spec with the unlabelled images' hash in it, written under the requester's home: the
    file whose hash the job carries. Raises SpecError when no self-training round would use them."""
    from offchain.artifacts.store import sha256_file

    if not unlabelled.is_file():
        raise InvalidInputError(f"no file at {unlabelled}")
    if job_spec.config.pseudo_rounds < 1:
        raise SpecError(
            f'--unlabelled {unlabelled}: the spec has no self-training round to read them: set "pseudo_rounds": 1 '
            f"(or more) in {spec}"
        )
    digest = sha256_file(unlabelled)
    if job_spec.unlabelled not in (None, bytes.fromhex(digest)):
        raise InvalidInputError(
            f"{spec} names unlabelled images sha256:{job_spec.unlabelled.hex()}, --unlabelled is sha256:{digest}"
        )
    job_spec = spec_from_recipe({**job_spec.recipe, UNLABELLED_KEY: digest})
    body = json.dumps(job_spec.recipe, indent=2, sort_keys=True) + "\n"
    folder = session.home / "requester" / "specs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{spec.stem}-{digest[:16]}.json"
    path.write_text(body)
    return path, job_spec


class NotPosted(Exception):  # noqa: N818 - a person's "no", not an error
    """The job was not posted: the person asked said no (or it was a dry run)."""


def cmd_post(args: argparse.Namespace) -> int:
    try:
        return _post(args)
    except NotPosted:
        return 0 if args.dry_run else 1


def _post(args: argparse.Namespace) -> int:
    session = open_session(args)
    posted = post_job(
        session,
        base=args.base,
        train=args.train,
        evaluation=args.eval,
        pool=args.pool,
        pool_shards=args.pool_shards,
        spec=args.spec,
        reward=args.reward,
        min_score_bps=args.min_score_bps,
        min_stake=args.min_stake,
        windows=Windows(args.commit_window, args.reveal_window, args.attest_window, args.settle_window),
        committee=args.committee,
        publish=args.publish,
        provenance=args.provenance,
        sealed=args.sealed,
        unlabelled=args.unlabelled,
        confirm=lambda what: confirm_spend(args, what),
    )
    proof = posted.proof
    published = publish_training(session, posted.job_id, args.publish) if args.pool else None
    if args.json:
        out = {"job_id": posted.job_id, "training_set": posted.training_set, "spec": posted.spec}
        print(
            json.dumps(
                {
                    **out,
                    "evaluation_seal": posted.evaluation_seal.hex(),
                    "provenance_height": proof.height if proof else None,
                    "training_shards": list(published) if published is not None else None,
                    "sealed": posted.sealed,
                }
            )
        )
        return 0
    print(f"posted job {posted.job_id}")
    print(f"training set sha256:{posted.training_set}\nevaluation set sealed: 0x{posted.evaluation_seal.hex()}")
    print(f"spec sha256:{posted.spec}")
    if posted.sealed:
        print("submissions sealed: `offchain requester` decrypts the winner's weights once it delivers its key")
    if proof is not None:
        print(f"training set anchored at ledger block {proof.height}: proof verified on-chain at post")
    if args.pool and published is None:
        print("pooled: the training shards are published once the seed block is mined (offchain requester does it)")
    elif published is not None:
        print(f"pooled: the seed block split the pool; training shards {list(published)} published")
    now = session.chain_time()
    names = ("commits", "reveals", "attestations", "attestation reveals")
    for what, when in zip(names, posted.deadlines, strict=True):
        print(f"{what} close {relative(when, now)} ({iso(when)})")
    print(f"open the evaluation set between the commit and reveal deadlines: offchain job reveal-eval {posted.job_id}")
    return 0


def publish_training(session: Session, job_id: int, server: str | None) -> tuple[int, ...] | None:
    """Publish pooled job `job_id`'s seeded training shards; None while its seed block is not
    mined (the requester daemon tries again each round)."""
    try:
        return publish_shards(session, session.market.job_posted(job_id), "training", server)
    except SplitNotDrawnError:
        return None


class EvaluationUnopenableError(OffchainError):
    """The evaluation set can no longer be opened by us: its window passed, or no seal is on record."""


def reveal_evaluation(session: Session, job_id: int, server: str | None) -> bool:
    """Open `job_id`'s evaluation set from the seal book: publish the file, reveal on chain.
    False while commits are still open; EvaluationUnopenableError when the window has passed
    or nothing was sealed here."""
    phase = session.market.phase(job_id)
    if phase == Phase.OPEN:
        return False
    if session.market.evaluation_revealed(job_id) is not None:
        return True
    if phase != Phase.REVEALING:
        raise EvaluationUnopenableError(
            f"job {job_id} is past its reveal window: the reward goes to the workers who revealed "
            "and the deposit is burned"
        )
    sealed = _seal_book(session).evaluation(session.market.job_posted(job_id).evaluation_seal)
    if sealed is None:
        raise EvaluationUnopenableError(f"no sealed evaluation set on record for job {job_id} in {session.home}")
    digest = publish_artifact(session, Path(sealed.path), server)
    job = session.market.job_posted(job_id)
    if job.training_set.hex() == digest and pool_of(session, job) is not None:
        publish_shards(session, job, "evaluation", server)  # the seal opens the pool: its seeded complement
    uri = f"{server.rstrip('/')}/sha256/{digest}" if server else f"sha256:{digest}"
    session.market.reveal_evaluation(job_id, sealed.evaluation_set, sealed.salt, uri)
    return True


def cmd_reveal_eval(args: argparse.Namespace) -> int:
    session = open_session(args)
    if not reveal_evaluation(session, args.job_id, args.publish):
        print(f"job {args.job_id} still takes commits: reveal after its commit deadline")
        return 1
    _say(args, f"evaluation set of job {args.job_id} revealed", job_id=args.job_id, revealed=True)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    session = open_session(args)
    if args.job_id is not None:
        validate_job_id(session, args.job_id)
    ids = [args.job_id] if args.job_id is not None else job_ids(session)
    reports = [job_report(session, job_id) for job_id in ids]
    if args.json:
        print(json.dumps(reports, indent=2))
        return 0
    if not reports:
        print("no jobs yet (post one: offchain job post ...)")
    now = session.chain_time()
    print("\n\n".join(format_job(report, now) for report in reports))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    session = open_session(args)
    reports = [job_report(session, job_id) for job_id in job_ids(session, newest_first=True, limit=args.limit)]
    if args.open:
        reports = [r for r in reports if is_open(r)]
    if args.json:
        print(json.dumps(reports, indent=2))
    elif not reports:
        print("no open jobs" if args.open else "no jobs yet")
    else:
        print(format_jobs(reports, session.chain_time()))
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    session = open_session(args)
    validate_job_id(session, args.job_id)
    receipt = session.market.cancel_job(args.job_id)
    refund = session.market.cancelled_refund(receipt)
    text = f"cancelled job {args.job_id} in block {receipt['blockNumber']}: " + (
        "the reward and the deposit are yours to withdraw"
        if refund
        else "a pooled job past its seed block: the reward and the deposit are burned"
    )
    _say(args, f"{text} (offchain withdraw)", job_id=args.job_id, block=receipt["blockNumber"])
    return 0


def cmd_finalize(args: argparse.Namespace) -> int:
    market = open_session(args).market
    try:
        if market.phase(args.job_id) != Phase.FINALIZED:
            receipt = market.finalize(args.job_id)
            text = f"finalized job {args.job_id} in block {receipt['blockNumber']} (gas {receipt['gasUsed']})"
            _say(args, text, job_id=args.job_id, block=receipt["blockNumber"], gas=receipt["gasUsed"])
            return 0
    except TransactionError:
        if market.phase(args.job_id) != Phase.FINALIZED:
            raise
    # Anyone may finalize, and the roles' daemons do as soon as they can: the job is settled all the same.
    done = market.finalized_event(args.job_id)
    text = f"job {args.job_id} is already finalized" + (f" (block {done.block})" if done else "")
    _say(args, text, job_id=args.job_id, block=done.block if done else None, already=True)
    return 0


def cmd_withdraw(args: argparse.Namespace) -> int:
    session = open_session(args)
    me = session.client.address
    pending = withdraw_pending(session)
    text = f"withdrew {format_eth(pending)} to {me}" if pending else f"nothing to withdraw for {me}"
    _say(args, text, account=me, withdrawn=pending)
    return 0


def _say(args: argparse.Namespace, text: str, **data: Any) -> None:
    """What an acting command did: a sentence, or with --json the same facts (amounts in wei)."""
    print(json.dumps(data) if args.json else text)


def register(subparsers: Any) -> None:
    job = subparsers.add_parser("job", help="post, inspect and finalize market jobs")
    commands = job.add_subparsers(dest="job_command", metavar="COMMAND", required=True)

    post = commands.add_parser("post", help="upload the artifacts and post a job with an escrowed reward")
    post.add_argument("--base", required=True, help="registered base model hash")
    post.add_argument(
        "--pool",
        type=Path,
        default=None,
        help="one labelled data set (.npz) that a block after the post splits into the training and evaluation "
        "sets, so a hostile evaluation set cannot be chosen (instead of --train and --eval)",
    )
    post.add_argument("--pool-shards", type=int, default=POOL_SHARDS, help=f"shards of --pool (default {POOL_SHARDS})")
    post.add_argument("--train", type=Path, default=None, help="training set (.npz artifact), unpooled")
    post.add_argument("--eval", type=Path, default=None, help="evaluation set (.npz artifact), unpooled")
    post.add_argument("--spec", type=Path, required=True, help="training spec (JSON)")
    post.add_argument(
        "--reward", required=True, help="escrowed reward, e.g. 1ether (the same again is escrowed as a deposit)"
    )
    post.add_argument("--min-score-bps", type=int, required=True, help="minimum verified accuracy (bps)")
    post.add_argument("--min-stake", default="0.1ether", help="workers' minimum stake (default 0.1ether)")
    post.add_argument("--commit-window", type=int, default=Windows.commit, help="seconds for training and commits")
    post.add_argument("--reveal-window", type=int, default=Windows.reveal, help="seconds for reveals")
    post.add_argument("--attest-window", type=int, default=Windows.attest, help="seconds for sealed attestations")
    post.add_argument("--settle-window", type=int, default=Windows.settle, help="seconds for revealing them")
    post.add_argument("--committee", type=int, default=3, help="validators drawn for the job (odd, <= 15)")
    post.add_argument("--publish", default=None, help="artifact server to upload the artifacts to")
    post.add_argument(
        "--provenance",
        type=Path,
        default=None,
        help="anchor proof of the training set (`offchain ledger prove TXID --out FILE`), verified on-chain",
    )
    post.add_argument(
        "--sealed",
        action="store_true",
        help="workers publish only ciphertext; the winner's key comes to you for the reward (issue 26; --pool too)",
    )
    post.add_argument(
        "--unlabelled",
        type=Path,
        default=None,
        help="unlabelled images of the task (.npz, labels ignored) for the spec's self-training rounds "
        '("pseudo_rounds"): published, and their hash written into the spec posted',
    )
    post.add_argument("--json", action="store_true", help="machine-readable output (amounts in wei)")
    add_spend_args(post)
    add_session_args(post)
    post.set_defaults(func=cmd_post)

    status = commands.add_parser("status", help="jobs in full: terms, deadlines, submissions (all, or one ID)")
    status.add_argument("job_id", nargs="?", type=int, default=None, help="one job (default: every job)")
    status.add_argument("--json", action="store_true", help="machine-readable output (amounts in wei)")
    add_session_args(status)
    status.set_defaults(func=cmd_status)

    listing = commands.add_parser("list", help="jobs, newest first, one line each (--open: still taking commits)")
    listing.add_argument("--open", action="store_true", help="only jobs still taking commits")
    listing.add_argument("--limit", type=int, default=50, help=f"newest N jobs (default 50, at most {MAX_LISTED})")
    listing.add_argument("--json", action="store_true", help="machine-readable output (amounts in wei)")
    add_session_args(listing)
    listing.set_defaults(func=cmd_list)

    cancel = commands.add_parser("cancel", help="cancel a job nobody committed to; the reward comes back")
    cancel.add_argument("job_id", type=int, help="the job to cancel (yours)")
    cancel.add_argument("--json", action="store_true", help="machine-readable output (amounts in wei)")
    add_session_args(cancel)
    cancel.set_defaults(func=cmd_cancel)

    reveal = commands.add_parser("reveal-eval", help="open a job's sealed evaluation set (after its commit deadline)")
    reveal.add_argument("job_id", type=int, help="the job whose evaluation set to open (yours)")
    reveal.add_argument("--publish", default=None, help="artifact server to upload the evaluation set to")
    reveal.add_argument("--json", action="store_true", help="machine-readable output (amounts in wei)")
    add_session_args(reveal)
    reveal.set_defaults(func=cmd_reveal_eval)

    finalize = commands.add_parser("finalize", help="settle a job after its settle deadline")
    finalize.add_argument("job_id", type=int, help="the job to settle (anyone may)")
    finalize.add_argument("--json", action="store_true", help="machine-readable output (amounts in wei)")
    add_session_args(finalize)
    finalize.set_defaults(func=cmd_finalize)

    withdraw = subparsers.add_parser("withdraw", help="pull everything the market owes you")
    withdraw.add_argument("--json", action="store_true", help="machine-readable output (amounts in wei)")
    add_session_args(withdraw)
    withdraw.set_defaults(func=cmd_withdraw)

"""One training job on N processes with torch.distributed (DDP): NCCL on GPUs, gloo on CPU.

`train(config)` comes here when config.nproc > 1 and hands over the function every process
runs (`offchain.ml.train.run`, called as run(config, out_dir, rank, world, quiet)), so this
module never imports the training module back. All ranks walk the same seeded permutation
of the data, each takes every N-th image, gradients are averaged by DDP, and rank 0 alone
writes checkpoints and outputs.

Started by torchrun instead (`torchrun --nproc-per-node 8 -m offchain.ml.cli train ...`),
each process finds RANK, LOCAL_RANK and WORLD_SIZE in its environment (`torchrun_process`)
and joins the group torchrun set up.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from offchain.ml.config import TrainConfig
from offchain.ml.errors import ConfigError, MLError
from offchain.ports import free_port

# What every process runs: (config, out_dir, rank, world, quiet). A module-level function,
# so that the spawned processes can import it by name.
RankRun = Callable[[TrainConfig, Path, int, int, bool], object]
# A collective that waits longer than this raises instead of hanging (a rank died or stalled).
COLLECTIVE_TIMEOUT = datetime.timedelta(minutes=10)
# How long the launcher waits for the other ranks to stop after one failed.
STOP_GRACE_SECONDS = 10.0


def backend_for(config: TrainConfig) -> str:
    use_cuda = config.device == "cuda" or (config.device == "auto" and torch.cuda.is_available())
    return "nccl" if use_cuda else "gloo"


def check_gpus(config: TrainConfig, local_processes: int) -> None:
    """NCCL binds one rank to one GPU: refuse more processes than GPUs on this machine."""
    if backend_for(config) == "nccl" and local_processes > torch.cuda.device_count():
        raise ConfigError(
            f"nproc {local_processes} exceeds the {torch.cuda.device_count()} GPU(s) here; "
            "NCCL needs one GPU per process"
        )


def torchrun_process(config: TrainConfig) -> tuple[int, int, int] | None:
    """(rank, local_rank, world) when torchrun started this process with WORLD_SIZE > 1, else None."""
    if "RANK" not in os.environ or int(os.environ.get("WORLD_SIZE", "1")) < 2:
        return None
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    if config.nproc not in (1, world):
        raise ConfigError(f"nproc {config.nproc} differs from torchrun's WORLD_SIZE {world}")
    if config.batch_size % world:
        raise ConfigError(f"batch_size {config.batch_size} must be a multiple of WORLD_SIZE {world}")
    check_gpus(config, int(os.environ.get("LOCAL_WORLD_SIZE", world)))
    return rank, local_rank, world


@contextlib.contextmanager
def launched_group(config: TrainConfig, rank: int, world: int) -> Iterator[None]:
    """Join the process group torchrun prepared (MASTER_ADDR/MASTER_PORT in the environment)."""
    if backend_for(config) == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", rank)))
    dist.init_process_group(backend_for(config), init_method="env://", timeout=COLLECTIVE_TIMEOUT)
    try:
        yield
    finally:
        dist.destroy_process_group()


def launch(target: RankRun, config: TrainConfig, out_dir: Path, quiet: bool = True) -> None:
    """Run `target` for `config` on config.nproc local processes and wait for all of them.

    An MLError in any worker is raised here again, with its one-line message. When one process
    fails, the others are stopped instead of waiting forever in a collective.
    """
    check_gpus(config, config.nproc)
    port = free_port()
    context = mp.get_context("spawn")  # fork would copy an initialised torch (threads, CUDA)
    errors = context.SimpleQueue()
    processes = [
        context.Process(target=_worker, args=(target, rank, config, out_dir, quiet, port, errors))
        for rank in range(config.nproc)
    ]
    for process in processes:
        process.start()
    running = list(processes)
    while running:  # in whatever order they end; the first failure stops the rest
        for sentinel in wait([p.sentinel for p in running]):
            process = next(p for p in running if p.sentinel == sentinel)
            process.join()
            running.remove(process)
            if process.exitcode:
                _stop(running)
                running = []
                break
    if not errors.empty():
        kind, message = errors.get()
        raise MLError(message) if kind == "user" else RuntimeError(message)
    failed = [p.exitcode for p in processes if p.exitcode]
    if failed:
        raise RuntimeError(f"a training process exited with status {failed[0]}")


def _stop(processes: list[Any]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(STOP_GRACE_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()


def _worker(
    target: RankRun,
    rank: int,
    config: TrainConfig,
    out_dir: Path,
    quiet: bool,
    port: int,
    errors: mp.SimpleQueue,
) -> None:
    if backend_for(config) == "nccl":
        torch.cuda.set_device(rank)  # NCCL binds a rank to a GPU (check_gpus: one each)
    else:
        # N processes share the cores: cores/N threads each, not N x cores threads fighting.
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // config.nproc))
    dist.init_process_group(
        backend_for(config),
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=config.nproc,
        timeout=COLLECTIVE_TIMEOUT,
    )
    try:
        target(config, out_dir, rank, config.nproc, quiet)
    except MLError as exc:
        errors.put(("user", str(exc)))
        raise SystemExit(2) from None
    except BaseException:
        errors.put(("bug", traceback.format_exc()))
        raise SystemExit(1) from None
    finally:
        dist.destroy_process_group()


def data_parallel(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """Wrap `model` for DDP; on GPUs its batch-norm layers become SyncBatchNorm first.

    With a few images per rank (the market's small labelled sets), per-rank batch statistics are
    noisy and differ between ranks; SyncBatchNorm normalises with the statistics of the global
    batch, as one process would. torch runs SyncBatchNorm on CUDA only, so on CPU (gloo) the
    layers stay per-rank. The conversion keeps every tensor (same names, same values), so the
    saved model and its fingerprint do not depend on it.
    """
    from torch.nn.parallel import DistributedDataParallel

    if device.type == "cuda":
        model = sync_batch_norm(model)
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def sync_batch_norm(model: torch.nn.Module) -> torch.nn.Module:
    """`model` with every BatchNorm*d layer replaced by a SyncBatchNorm holding the same tensors."""
    return torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)

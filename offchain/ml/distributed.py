"""One training job on N processes with torch.distributed (DDP): NCCL on GPUs, gloo on CPU.

`train(config)` comes here when config.nproc > 1 and hands over the function every process
runs (`offchain.ml.train.run`, called as run(config, out_dir, rank, world, quiet)), so this
module never imports the training module back. All ranks walk the same seeded permutation
of the data, each takes every N-th image, gradients are averaged by DDP, and rank 0 alone
writes checkpoints and outputs.
"""

from __future__ import annotations

import os
import socket
import traceback
from collections.abc import Callable
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from offchain.ml.config import TrainConfig
from offchain.ml.errors import MLError

# What every process runs: (config, out_dir, rank, world, quiet). A module-level function,
# so that the spawned processes can import it by name.
RankRun = Callable[[TrainConfig, Path, int, int, bool], object]


def free_port() -> int:
    """A TCP port nobody listens on right now, for the rendezvous on this machine."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def backend_for(config: TrainConfig) -> str:
    use_cuda = config.device == "cuda" or (config.device == "auto" and torch.cuda.is_available())
    return "nccl" if use_cuda else "gloo"


def launch(target: RankRun, config: TrainConfig, out_dir: Path, quiet: bool = True) -> None:
    """Run `target` for `config` on config.nproc local processes and wait for all of them.

    An MLError in any worker is raised here again, with its one-line message.
    """
    port = free_port()
    context = mp.get_context("spawn")  # fork would copy an initialised torch (threads, CUDA)
    errors = context.SimpleQueue()
    processes = [
        context.Process(target=_worker, args=(target, rank, config, out_dir, quiet, port, errors))
        for rank in range(config.nproc)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    if not errors.empty():
        kind, message = errors.get()
        raise MLError(message) if kind == "user" else RuntimeError(message)
    failed = [p.exitcode for p in processes if p.exitcode]
    if failed:
        raise RuntimeError(f"a training process exited with status {failed[0]}")


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
        torch.cuda.set_device(rank % torch.cuda.device_count())  # NCCL binds a rank to a GPU
    else:
        # N processes share the cores: cores/N threads each, not N x cores threads fighting.
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // config.nproc))
    dist.init_process_group(
        backend_for(config),
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=config.nproc,
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

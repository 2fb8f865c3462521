"""`make bench`: every benchmark of the project, each against its named baseline.

python -m benchmarks            # all
python -m benchmarks ledger ml  # some
"""

from __future__ import annotations

import importlib
import sys
import time

SUITES = {
    "economics": "benchmarks.economics_bench",  # attacks' profit per job, 5-49 % of the bond; an honest validator's
    "gas": "benchmarks.gas",  # contract gas table (from the brownie gas tests' output)
    "ledger": "benchmarks.ledger_bench",  # miner, Merkle, proofs, headers
    "ml": "benchmarks.ml_bench",  # fast path vs seed recipe; transfer vs scratch
    "protocol": "benchmarks.protocol_bench",  # market overhead per job outside training
    "scale": "benchmarks.scale_bench",  # 10,000 jobs: job/registry commands and explorer pages, index vs node
    "speed": "benchmarks.speed_bench",  # CPU seconds per image vs the seed recipe (and with num_workers=0)
    "transfer": "benchmarks.transfer_bench",  # Fashion-MNIST (or --task mnist) 0-4 -> 5-9: fine-tune vs 5 baselines
}


def main(argv: list[str]) -> int:
    names = argv or list(SUITES)
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(SUITES)}", file=sys.stderr)
        return 2
    failed = []
    for name in names:
        print(f"\n===== {name} =====", flush=True)
        start = time.monotonic()
        if importlib.import_module(SUITES[name]).main():  # a suite returns non-zero on a missed goal
            failed.append(name)
        print(f"({name}: {time.monotonic() - start:.1f} s)", flush=True)
    if failed:
        print(f"benchmark goals missed in: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

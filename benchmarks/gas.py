"""Print the contracts' gas table (benchmarks/gas_market.md).

`make bench` first regenerates it by running tests/contracts/market/test_gas.py, which
measures every call from anvil receipts and checks the issue's goals; this prints it.
"""

from pathlib import Path

TABLE = Path(__file__).resolve().parent / "gas_market.md"
RELAY_TABLE = Path(__file__).resolve().parent / "gas_relay.md"  # tests/contracts/relay/test_relay_gas.py


def main() -> None:
    print(TABLE.read_text())
    if RELAY_TABLE.exists():
        print(RELAY_TABLE.read_text())

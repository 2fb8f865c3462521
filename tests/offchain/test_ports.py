"""free_port's span: brownie's xdist workers each launch a chain on port + worker number."""

from __future__ import annotations

import socket

from offchain.ports import free_port


def test_a_span_of_ports_is_free_above_the_one_returned() -> None:
    port = free_port(span=3)

    for offset in range(3):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", port + offset))  # raises if taken


def test_a_taken_neighbour_is_skipped(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        taken = held.getsockname()[1]
        offered = iter([taken - 1, taken - 1, taken + 5])
        real_bind = socket.socket.bind

        def bind(self: socket.socket, address: tuple[str, int]) -> None:
            if address[1] == 0:  # the OS's pick: offer the port just below the held one, twice
                address = (address[0], next(offered))
            real_bind(self, address)

        monkeypatch.setattr(socket.socket, "bind", bind)
        port = free_port(span=2)

    assert port == taken + 5

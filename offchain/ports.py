"""Free TCP ports on this machine, for the local chain, the demo's servers and the tests.

Its own module, importing nothing of offchain, so that every package may use it (ml/'s
rendezvous included: ml/ knows nothing of Ethereum, so it cannot reach eth/localchain.py).
"""

from __future__ import annotations

import socket


def free_port(span: int = 1) -> int:
    """A TCP port nobody listens on right now on 127.0.0.1 (the OS picks it), with the
    `span - 1` ports above it free too: brownie's xdist workers take port + worker number."""
    for _ in range(64):  # bounded: a busy machine may hand out a port whose neighbours are taken
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port + span <= 65536 and all(_is_free(port + k) for k in range(1, span)):
            return port
    raise OSError(f"no run of {span} free TCP ports found on 127.0.0.1")


def _is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True

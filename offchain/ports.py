"""Free TCP ports on this machine, for the local chain, the demo's servers and the tests.

Its own module, importing nothing of offchain, so that every package may use it (ml/'s
rendezvous included: ml/ knows nothing of Ethereum, so it cannot reach eth/localchain.py).
"""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port nobody listens on right now on 127.0.0.1 (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

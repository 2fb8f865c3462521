"""SealedExchange lives beside the market, not in it: its code fits EIP-170 on its own (9,956
bytes when it landed), so the market's headroom (tests/contracts/market/test_size.py) is untouched."""

from brownie import web3

EIP170_BYTES = 24_576


def test_the_exchange_fits_under_eip170(exchange):
    size = len(web3.eth.get_code(exchange.address))
    assert size <= EIP170_BYTES, f"SealedExchange is {size:,} bytes > {EIP170_BYTES:,}"

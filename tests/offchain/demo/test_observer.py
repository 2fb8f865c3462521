"""The observer's search (issue 26) against an obviously correct one: every WINDOW-byte window
of every secret run, looked up with `bytes.__contains__`."""

from __future__ import annotations

import random

import numpy as np
from safetensors.numpy import save

from offchain.demo.observer import WINDOW, Secret, key_in, leaks, observe, secret_runs
from offchain.sealed.keys import key_commitment


def naive_leaks(secret: Secret, data: bytes) -> bool:
    return any(secret.data[i : i + WINDOW] in data for s, e in secret.segments for i in range(s, e - WINDOW + 1))


def test_the_search_finds_exactly_the_windows_the_naive_one_finds() -> None:
    rng = random.Random(26)
    found = 0
    for _ in range(600):
        runs = [rng.randbytes(rng.randrange(0, 300)) for _ in range(rng.randrange(0, 4))]
        data = bytearray(rng.randbytes(rng.randrange(0, 600)))
        if runs and rng.random() < 0.6:  # a piece of a run, WINDOW +- 14 bytes, somewhere in the data
            run = rng.choice(runs)
            size = min(len(run), len(data), rng.randrange(WINDOW - 14, WINDOW + 14))
            start, at = rng.randrange(len(run) - size + 1), rng.randrange(len(data) - size + 1)
            data[at : at + size] = run[start : start + size]
        if len(runs) >= 2 and len(runs[0]) >= 32 and len(runs[1]) >= 32 and len(data) > WINDOW:
            at = rng.randrange(len(data) - WINDOW + 1)  # across two runs: in no file, so no window
            data[at : at + WINDOW] = runs[0][-32:] + runs[1][:32]
        secret = Secret.of(runs)
        expected = naive_leaks(secret, bytes(data))
        found += expected

        assert leaks(secret, bytes(data)) == expected

    assert 50 < found < 550  # both answers were tried often


def test_a_window_is_found_at_every_offset_and_one_byte_less_is_not() -> None:
    rng = random.Random(64)
    run = rng.randbytes(4096)
    for offset in range(48):  # every residue of the secret's blocks and of the hashed offsets
        start = 1000 + offset
        window = run[start : start + WINDOW]
        data = rng.randbytes(500 + offset)
        # Bytes that differ from the run's next ones on either side: the match is 63 bytes, no more.
        shorter = bytes([run[start - 1] ^ 0xFF]) + window[:-1] + bytes([run[start + WINDOW - 1] ^ 0xFF])

        assert leaks(Secret.of([run]), data + window + data)
        assert not leaks(Secret.of([run]), data + shorter + data)


def _weights(tensors: dict[str, np.ndarray]) -> bytes:
    return save(tensors)


def test_the_secret_is_every_float_tensor_the_base_does_not_share_never_the_header() -> None:
    rng = np.random.default_rng(0)
    frozen, head = rng.standard_normal(300).astype(np.float32), rng.standard_normal(50).astype(np.float32)
    steps = {"bn.num_batches_tracked": np.array([4], dtype=np.int64)}  # a counter: not a weight
    base = _weights({"backbone": frozen, "fc": rng.standard_normal(50).astype(np.float32), **steps})
    tuned = _weights({"backbone": frozen, "fc": head, "bn.num_batches_tracked": np.array([9], dtype=np.int64)})

    assert secret_runs(tuned, base) == [head.tobytes()]
    assert secret_runs(tuned) == [frozen.tobytes() + head.tobytes()] or secret_runs(tuned) == [
        head.tobytes() + frozen.tobytes()
    ]  # adjacent tensors are one run, in the file's order
    assert not leaks(Secret.of(secret_runs(tuned, base)), base)  # what the base shares is public anyway
    assert leaks(Secret.of(secret_runs(tuned)), base)


def test_a_key_is_found_at_any_offset_by_its_commitment() -> None:
    key = bytes(range(1, 33))
    data = bytes(77) + key + bytes(5)

    assert key_in(data, {key_commitment(key)}) == key
    assert key_in(data[:-6], {key_commitment(key)}) is None
    assert key_in(data, {key_commitment(bytes([9]) * 32)}) is None


def test_an_observation_counts_what_it_found() -> None:
    rng = random.Random(1)
    weights, key = rng.randbytes(1000), rng.randbytes(32)

    clean = observe(rng.randbytes(200), [rng.randbytes(300)], [([weights], key)])
    leaked = observe(rng.randbytes(200) + key, [weights[100:200]], [([weights], key)])

    assert (clean.windows, clean.keys, clean.submissions, clean.secret_bytes) == (0, 0, 1, 1000)
    assert (leaked.windows, leaked.keys) == (1, 2)  # the key in the chain data: found, and it opens the seal
